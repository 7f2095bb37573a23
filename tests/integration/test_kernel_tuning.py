"""org.runu.kernel.args reaches the guest kernel's command line; anything it may not set fails
create in one line, leaving nothing behind (the leak check)."""

def with_args(value):
    return lambda spec: spec.setdefault("annotations", {}).update({"org.runu.kernel.args": value})


def test_a_tunable_reaches_the_guest_kernel(runu, make_bundle):
    bundle = make_bundle(["cat", "/proc/cmdline"], edit=with_args("fault_around_anon=64"))
    cmdline = runu("run", "--bundle", str(bundle), "c1").stdout.decode().split()
    assert "fault_around_anon=64" in cmdline


def test_anonymous_memory_works_with_fault_around_off_and_wide(runu, make_bundle):
    """A fresh 16 MiB buffer (dd's block) filled and read back, a page per fault and 256."""
    script = "dd if=/dev/zero bs=16M count=1 2>/dev/null | md5sum"
    for n, value in enumerate(("1", "256")):
        bundle = make_bundle(["sh", "-c", script], edit=with_args(f"fault_around_anon={value}"))
        out = runu("run", "--bundle", str(bundle), f"c{n}").stdout.decode()
        assert out.startswith("2c7ab85a893283e98c931e9511add182"), value  # md5 of 16 MiB of zeros


def test_what_is_not_tunable_fails_create(runu, make_bundle):
    bundle = make_bundle(["true"], edit=with_args("init=/bin/sh"))
    refused = runu("create", "--bundle", str(bundle), "c1", check=False)
    assert refused.returncode == 1
    assert refused.stderr == (b"runu: org.runu.kernel.args: 'init' is not a tunable kernel parameter "
                              b"(tunable: fault_around_anon)\n")
    assert not (runu.root / "c1").exists()
