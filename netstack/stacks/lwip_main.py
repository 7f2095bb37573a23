"""Process entry of the lwIP stack: ``python -m netstack.stacks.lwip_main MODULE_DIR TAP MAC IP
PREFIXLEN PORT``. Loads the cffi harness, starts lwIP on the tap, prints "ready", then waits for
SIGTERM (lwIP runs in the harness's own threads)."""
import signal
import sys


def main(module_dir: str, tap: str, mac: str, ip: str, prefixlen: str, port: str) -> int:
    sys.path.insert(0, module_dir)
    from _runu_lwip import ffi, lib  # built by ext/lwip/build.py
    rc = lib.runu_lwip_start(tap.encode(), mac.encode(), ip.encode(), int(prefixlen), int(port))
    if rc != 0:
        print(f"lwIP harness failed: {rc}", flush=True)
        return 1
    print("ready", flush=True)
    del ffi
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    return 0


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    sys.exit(main(*sys.argv[1:]))
