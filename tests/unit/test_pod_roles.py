"""Which containers are a pod's (containerd's CRI annotations) and where their files go."""

import pytest

from runu.errors import RunuError
from runu.pod import CONTAINER_TYPE, SANDBOX_ID, guest_root, is_pod_sandbox, member_root, pod_of


def spec(**annotations):
    return {"annotations": annotations}


def test_a_pods_later_container_names_its_pod():
    assert pod_of(spec(**{CONTAINER_TYPE: "container", SANDBOX_ID: "pod1"}), "c1") == "pod1"


def test_sandboxes_and_plain_containers_are_not_members():
    assert pod_of(spec(**{CONTAINER_TYPE: "sandbox", SANDBOX_ID: "pod1"}), "pod1") is None
    assert pod_of(spec(), "c1") is None
    assert is_pod_sandbox(spec(**{CONTAINER_TYPE: "sandbox"}))
    assert not is_pod_sandbox(spec(**{CONTAINER_TYPE: "container"}))


@pytest.mark.parametrize("annotations", [{CONTAINER_TYPE: "container"},
                                         {CONTAINER_TYPE: "container", SANDBOX_ID: "c1"}])
def test_a_member_without_another_pod_is_an_error(annotations):
    with pytest.raises(RunuError, match=SANDBOX_ID):
        pod_of(spec(**annotations), "c1")


def test_a_members_directory_is_the_same_for_host_and_guest(tmp_path):
    assert member_root(tmp_path / "sandbox", "c1") == tmp_path / "sandbox" / "pods" / "c1"
    assert guest_root("c1") == "/pods/c1"
