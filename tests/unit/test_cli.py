"""The command line: runc's flags parse; bad input is one line and exit 1."""

import json
import os

import pytest

from runu.argparser import build_parser
from runu.cli import main


def test_containerd_style_invocation_parses():
    args = build_parser().parse_args(
        ["--root", "/r", "--log", "/l", "--log-format", "json", "--systemd-cgroup", "create",
         "--bundle", "/b", "--pid-file", "/p", "--console-socket", "/s", "--no-pivot", "id1"])
    assert (args.command, args.root, args.bundle, args.pid_file, args.id) == ("create", "/r", "/b", "/p", "id1")


def test_unknown_command_is_one_line(capsys):
    assert main(["frobnicate"]) == 1
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_errors_go_to_the_json_log(tmp_path, capsys):
    log = tmp_path / "log.json"
    assert main(["--root", str(tmp_path), "--log", str(log), "--log-format", "json", "state", "nope"]) == 1
    record = json.loads(log.read_text().splitlines()[-1])
    assert record["level"] == "error" and "nope" in record["msg"]
    assert capsys.readouterr().err.strip() == "runu: container nope does not exist"


def test_features_document(capsys):
    assert main(["features"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["ociVersionMax"] == "1.1.0" and "prestart" in doc["hooks"]


def test_spec_writes_a_runc_style_default(tmp_path):
    assert main(["spec", "--bundle", str(tmp_path)]) == 0
    spec = json.loads((tmp_path / "config.json").read_text())
    assert spec["process"]["args"] == ["sh"] and spec["root"]["path"] == "rootfs"


@pytest.mark.parametrize("verb", ["checkpoint", "restore"])
def test_unsupported_runc_verbs_fail_through_the_log(tmp_path, capsys, verb):
    log = tmp_path / "log.json"
    assert main(["--log", str(log), "--log-format", "json", verb, "c1"]) == 1
    assert verb in json.loads(log.read_text())["msg"]
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_force_delete_of_a_missing_container_succeeds(tmp_path):
    assert main(["--root", str(tmp_path), "delete", "--force", "gone"]) == 0
    assert main(["--root", str(tmp_path), "delete", "gone"]) == 1


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_bug_is_one_line_that_says_so_and_where_its_traceback_is(tmp_path, capsys, monkeypatch, log_format):
    """A verb that raises something unexpected (here a stand-in verb: the handler is the unit)."""
    import importlib
    import types

    broken = types.SimpleNamespace(run=lambda args, log: {}["no such key"])
    real_import = importlib.import_module
    monkeypatch.setattr(importlib, "import_module",
                        lambda name: broken if name == "runu.commands.state" else real_import(name))
    log = tmp_path / "runu.log"
    assert main(["--root", str(tmp_path), "--log", str(log), "--log-format", log_format, "state", "c1"]) == 1
    line = capsys.readouterr().err
    assert line.startswith("runu: internal error (a bug in runu): KeyError: 'no such key'; traceback in ")
    assert line.count("\n") == 1
    kept = line.rsplit("traceback in ", 1)[1].strip()
    assert "KeyError" in open(kept).read()
    if log_format == "json":  # the JSON log stays JSON lines: the traceback has a file of its own
        assert [json.loads(record)["level"] for record in log.read_text().splitlines()] == ["error"]
        os.unlink(kept)
    else:
        assert kept == str(log)


def test_text_log_lines_stay_one_record_whatever_the_message(tmp_path):
    from runu.log import RuntimeLog

    log = tmp_path / "runu.log"
    RuntimeLog(str(log)).error('hook "x" said:\nline two')
    [line] = log.read_text().splitlines()
    assert line.endswith('level=error msg="hook \\"x\\" said:\\nline two"')
