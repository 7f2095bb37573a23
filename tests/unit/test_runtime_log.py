"""runu's runtime log: a warning with an unwritable stderr (containerd's CRI starts runu with
one: writes fail with EBADF) goes to --log, and neither the call nor runu's exit fails for it."""

import os
import subprocess
import sys


def unwritable_stderr():
    os.dup2(os.open(os.devnull, os.O_RDONLY), 2)


def test_a_warning_with_an_unwritable_stderr_still_reaches_the_log_and_exits_0(tmp_path):
    log = tmp_path / "runu.log"
    code = ("from runu.log import RuntimeLog; "
            f"RuntimeLog({str(log)!r}).warning('blkio.weight is not enforced')")
    done = subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE, preexec_fn=unwritable_stderr)
    assert done.returncode == 0
    assert "blkio.weight is not enforced" in log.read_text()
