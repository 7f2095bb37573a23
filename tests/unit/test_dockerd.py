"""daemon.json is merged, never clobbered: runu's entry comes and goes, everything else stays."""

import json

import pytest

from dockerhost import DockerHostError, daemon as dockerd


@pytest.fixture
def daemon_json(tmp_path, monkeypatch):
    path = tmp_path / "docker" / "daemon.json"
    monkeypatch.setattr(dockerd, "DAEMON_JSON", path)
    return path


def test_register_keeps_other_settings_and_runtimes(daemon_json):
    daemon_json.parent.mkdir()
    daemon_json.write_text(json.dumps({"log-level": "warn", "runtimes": {"crun": {"path": "/usr/bin/crun"}}}))
    assert dockerd._edit_daemon_json(dockerd._adding({"runu": {"path": "/opt/runu"}}))
    assert json.loads(daemon_json.read_text()) == {
        "log-level": "warn", "runtimes": {"crun": {"path": "/usr/bin/crun"}, "runu": {"path": "/opt/runu"}}}
    assert not dockerd._edit_daemon_json(dockerd._adding({"runu": {"path": "/opt/runu"}})), "a second run changes nothing"


def test_register_creates_the_file_and_unregister_leaves_the_rest(daemon_json):
    assert dockerd._edit_daemon_json(dockerd._adding(dockerd.OURS))
    assert json.loads(daemon_json.read_text()) == {"runtimes": dockerd.OURS}
    assert dockerd.OURS["runu-vm"]["runtimeArgs"] == ["--sandbox", "vm"]
    assert dockerd._edit_daemon_json(dockerd._remove_ours)
    assert json.loads(daemon_json.read_text()) == {}
    assert [p.name for p in daemon_json.parent.iterdir()] == ["daemon.json"], "no temporary file left"


def test_invalid_json_is_left_alone(daemon_json):
    daemon_json.parent.mkdir()
    daemon_json.write_text("{not json")
    with pytest.raises(DockerHostError, match="not valid JSON"):
        dockerd._edit_daemon_json(dockerd._adding({"runu": {"path": "/opt/runu"}}))
    assert daemon_json.read_text() == "{not json"
