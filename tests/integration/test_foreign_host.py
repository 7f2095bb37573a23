"""runu's host side on an aarch64 Debian, checked from this host: the C helpers cross-compile
under -Werror against Debian's arm64 -dev packages and run under qemu-user-static in an arm64
Debian root, where the front end hands over to the Python CLI and the unit tests pass."""

import pytest

from kernelbuild import foreignhost
from runu.elfarch import program_arch
from unikraft_build import foreign

pytestmark = pytest.mark.root
ARCH = "arm64"


def test_the_host_programs_cross_compile_and_run_in_an_arm64_root():
    with foreignhost.checkout(ARCH) as root:
        built = foreignhost.cross_compile(ARCH, root / "src" / "bin")
        assert {p.name for p in built} == {"runu", "runu-sandbox", "runu-netplumb", "runu-lklinit",
                                                 "runu-hookexec"}
        assert {program_arch(root, {"args": [f"/src/bin/{p.name}"]}) for p in built} == {"arm64"}
        (root / "src/bin/runu-py").write_text("#!/usr/bin/python3\nfrom runu.cli import main\nmain()\n")
        (root / "src/bin/runu-py").chmod(0o755)

        def inside(*argv):
            return foreign.run(root, list(argv), ARCH, env={"PYTHONPATH": "/src"}, capture_output=True, text=True)

        netplumb, sandbox, front = inside("/src/bin/runu-netplumb"), inside("/src/bin/runu-sandbox"), \
            inside("/src/bin/runu", "--version")
        lklinit, hookexec = inside("/src/bin/runu-lklinit"), inside("/src/bin/runu-hookexec")
        probe = inside("/bin/uname", "-m")
    assert probe.stdout.strip() == "aarch64"
    assert (netplumb.returncode, netplumb.stderr.split("\n")[0]) == (2, "usage: runu-netplumb NETNS IFNAME TAP "
                                                                        "DNS_TAP DNS_ADDRESS/PREFIX [OWNER]")
    assert (sandbox.returncode, sandbox.stderr.strip()) == (1, "runu-sandbox: --root is required")
    assert front.returncode == 0 and front.stdout.startswith("runu version "), front.stderr
    assert (lklinit.returncode, lklinit.stderr.strip()) == (126, "runu: runu-lklinit: no program after --")
    assert (hookexec.returncode, hookexec.stderr.strip()) == (2, "usage: runu-hookexec PARENT PATH ARGV0 [ARG...]")


def test_the_unit_tests_pass_in_an_arm64_root():
    ran = foreignhost.unit_tests(ARCH, "-q")
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-2000:]
    assert " passed" in ran.stdout.splitlines()[-1]


def test_the_library_kernel_passes_its_tests_in_an_arm64_root():
    """Linux as a library cross-built for arm64 (liblinux.so and the cffi module for arm64's
    Python) boots under qemu-aarch64 and passes the in-process tests of tests/integration/
    test_lkl.py there (those that need no network namespace or host compiler)."""
    import shutil

    from kernelbuild.library import installed_problem, library_dir

    if (problem := installed_problem(ARCH)) is not None:
        pytest.skip(f"{problem}: `invoke lkl.build --arch arm64` builds it")
    with foreignhost.checkout(ARCH) as root:
        shutil.copytree(library_dir(ARCH), root / "src" / "lkl-arm64")
        ran = foreign.run(root, ["/bin/sh", "-c", "cd /src && exec python3 -m pytest -p no:cacheprovider -q "
                                 "tests/integration/test_lkl.py -k 'not serve and not c_program'"],
                          ARCH, env={"RUNU_LKL_DIR": "/src/lkl-arm64"}, capture_output=True, text=True)
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-2000:]
    assert ran.stdout.splitlines()[-1].startswith("7 passed"), ran.stdout[-500:]
