"""terminal: true: the pty master arrives on --console-socket, as runc sends it."""

import os

from tests.integration.console_pty import read_until_closed, run_with_console


def test_console_socket_receives_a_usable_terminal(runu, make_bundle, tmp_path):
    bundle = make_bundle(["sh", "-c", "tty; read x; echo got:$x"], terminal=True)
    proc, master = run_with_console(runu.root, bundle, tmp_path / "console.sock")
    os.write(master, b"hello\n")
    output = read_until_closed(master, timeout=20)
    assert proc.wait(20) == 0
    os.close(master)
    text = output.decode()
    assert "/dev/tty1\r\n" in text  # the guest's console line is the process's terminal
    assert "got:hello\r\n" in text  # typed input arrives, output is cooked by a terminal
