"""Bad input: one line on stderr, exit status 1, nothing left behind (the leak check)."""

import json

import pytest


def one_line_error(result, *words):
    assert result.returncode != 0
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1, lines
    for word in words:
        assert word in lines[0]


def test_missing_config(runu, tmp_path):
    one_line_error(runu("create", "--bundle", str(tmp_path), "c1", check=False), "config.json")


def test_malformed_config(runu, make_bundle):
    bundle = make_bundle(["true"])
    (bundle / "config.json").write_text("{ not json")
    one_line_error(runu("create", "--bundle", str(bundle), "c1", check=False), "invalid JSON")


def test_missing_rootfs(runu, make_bundle):
    bundle = make_bundle(["true"], edit=lambda s: s["root"].update(path="nowhere"))
    one_line_error(runu("create", "--bundle", str(bundle), "c1", check=False), "rootfs", "does not exist")


def test_missing_args(runu, make_bundle):
    bundle = make_bundle(["true"], edit=lambda s: s["process"].update(args=[]))
    one_line_error(runu("create", "--bundle", str(bundle), "c1", check=False), "process.args")


def test_missing_bind_source(runu, make_bundle):
    bundle = make_bundle(["true"], edit=lambda s: s["mounts"].append(
        {"destination": "/x", "type": "bind", "source": "/no/such/dir", "options": ["rbind"]}))
    one_line_error(runu("create", "--bundle", str(bundle), "c1", check=False), "/no/such/dir")


@pytest.mark.parametrize("verb", ["start", "state", "kill", "delete", "ps"])
def test_unknown_id(runu, verb):
    one_line_error(runu(verb, "nope", check=False), "nope", "does not exist")


def test_invalid_id(runu, make_bundle):
    bundle = make_bundle(["true"])
    one_line_error(runu("create", "--bundle", str(bundle), "../evil", check=False), "invalid container id")


def test_duplicate_id(runu, make_bundle):
    bundle = make_bundle(["sleep", "100"])
    runu("create", "--bundle", str(bundle), "c1")
    one_line_error(runu("create", "--bundle", str(bundle), "c1", check=False), "already exists")
    assert runu.state("c1")["status"] == "created"
    runu("delete", "c1")


def test_bad_signal_name(runu, make_bundle):
    bundle = make_bundle(["sleep", "100"])
    runu("create", "--bundle", str(bundle), "c1")
    one_line_error(runu("kill", "c1", "SIGNOPE", check=False), "SIGNOPE")
    assert runu.state("c1")["status"] == "created"
    runu("delete", "c1")


def test_unknown_command(runu):
    one_line_error(runu("frobnicate", check=False), "frobnicate")


def test_unknown_kernel_profile(runu, make_bundle):
    bundle = make_bundle(["true"], edit=lambda s: s.setdefault("annotations", {}).update(
        {"org.runu.kernel.profile": "nosuch"}))
    one_line_error(runu("create", "--bundle", str(bundle), "c1", check=False), "nosuch")


def test_terminal_without_console_socket(runu, make_bundle):
    bundle = make_bundle(["sh"], terminal=True)
    one_line_error(runu("create", "--bundle", str(bundle), "c1", check=False), "console-socket")


def test_spec_refuses_to_overwrite(runu, make_bundle):
    bundle = make_bundle(["true"])
    one_line_error(runu("spec", "--bundle", str(bundle), check=False), "exists")
    assert json.loads((bundle / "config.json").read_text())["process"]["args"] == ["true"]
