"""Run the library kernel on a tap until SIGTERM: the `lkl` stack of the conformance suite.

    python -m lkl_bindings.serve --tap TAP --address CIDR [--address CIDR ...] [--gateway IP]
                                 [--mac MAC] [--tcp-echo PORT] [--udp-echo PORT]

Prints one line starting "ready" once the interface is up, addressed and every echo service
listens.
"""

import argparse
import os
import signal
import sys
import threading

from lkl_bindings.constants import AF_INET6, SOCK_DGRAM, SOCK_STREAM
from lkl_bindings.errors import KernelError
from lkl_bindings.kernel import Kernel


def _echo_connection(conn) -> None:
    with conn:
        while data := conn.recv(65536):
            conn.sendall(data)


def _tcp_echo(server) -> None:
    while True:
        conn, _ = server.accept()
        threading.Thread(target=_echo_connection, args=(conn,), daemon=True).start()


def _udp_echo(server) -> None:
    while True:
        data, peer = server.recvfrom(65536)
        server.sendto(data, peer)


def echo_service(kernel: Kernel, kind: int, port: int) -> None:
    """Listen on [::]:port (IPv4 too, as v4-mapped) and echo in a thread of its own."""
    server = kernel.socket(AF_INET6, kind)
    server.bind(("::", port))
    if kind == SOCK_STREAM:
        server.listen(64)
    loop = _tcp_echo if kind == SOCK_STREAM else _udp_echo
    threading.Thread(target=loop, args=(server,), daemon=True).start()


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m lkl_bindings.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--tap", required=True, help="host tap device to drive (made if missing)")
    parser.add_argument("--address", action="append", required=True, help="CIDR, IPv4 or IPv6; repeatable")
    parser.add_argument("--gateway", action="append", default=[], help="default route via IP; repeatable")
    parser.add_argument("--mac", help="the interface's MAC address (default: random)")
    parser.add_argument("--tcp-echo", type=int, metavar="PORT")
    parser.add_argument("--udp-echo", type=int, metavar="PORT")
    parser.add_argument("--memory-mb", type=int, default=64)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        kernel = Kernel(memory_mb=args.memory_mb)
        kernel.boot()
        interface = kernel.add_tap(args.tap, args.mac)
        interface.up()
        for cidr in args.address:
            interface.set_address(cidr)
        for gateway in args.gateway:
            kernel.add_route("default", gateway)
        for kind, port in ((SOCK_STREAM, args.tcp_echo), (SOCK_DGRAM, args.udp_echo)):
            if port is not None:
                echo_service(kernel, kind, port)
    except (OSError, KernelError, ValueError) as bad:
        print(f"lkl_bindings.serve: {bad}", file=sys.stderr)
        return 1
    # One line: a reader waiting for "ready" may select() on the pipe between lines.
    print(f"ready: lkl {kernel.release()} on {args.tap} as {interface.name} {interface.mac}, "
          f"{', '.join(args.address)}", flush=True)
    stop.wait()
    kernel.halt()
    sys.stdout.flush()
    # The echo threads are blocked in the halted kernel for good: leave without joining them.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
