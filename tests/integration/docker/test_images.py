"""Each recipe's Docker image behaves the same under runc and under runu: hello greets, the
Python listener accepts, and a ThingVisor's messages reach the silo (its controller logs the
virtual things) and a host subscriber, byte for byte the same in both runtimes. The recipes built
for arm64 (their build steps run under emulation) do the same in arm64 guests."""

import socket

import pytest

from unikraft_build.targets import build_image
from unikraft_build.subscriber import Subscriber
from tests.integration.docker.conftest import wait_until
from unikraft_build import recipe
from unikraft_build.imageconfig import PROFILE_ENV, PROFILE_KEY

pytestmark = pytest.mark.needs_guest_network
RUNTIMES = ("runc", "runu")
SAMPLES = 3


@pytest.fixture(scope="module")
def images(docker_client) -> dict[str, str]:
    """Every recipe as a Docker image (cached across runs: an unchanged recipe is not rebuilt)."""
    return {name: build_image(name, "docker").where for name in recipe.names()}


@pytest.fixture(scope="module")
def arm64_images(docker_client) -> dict[str, str]:
    """The silo slice's recipes built for arm64, if their profiles' arm64 kernels are built."""
    from runu.paths import kernel_dir

    names = ("vsilo-mqtt", "thingvisor-sensor", "python-listen")
    profiles = {recipe.load(name).profile for name in names}
    if missing := [p for p in profiles if not (kernel_dir(p, "arm64") / "kernel.json").exists()]:
        pytest.skip(f"no arm64 kernel of profile {', '.join(missing)} (invoke kernel.build --arch arm64)")
    return {name: build_image(name, "docker", arch="arm64").where for name in names}


def ip(container, network: str) -> str:
    container.reload()
    return container.attrs["NetworkSettings"]["Networks"][network]["IPAddress"]


def test_images_carry_their_kernel_profile(docker_client, images):
    for name, tag in images.items():
        image = docker_client.images.get(tag)
        profile = recipe.load(name).profile
        assert image.labels[PROFILE_KEY] == profile
        assert f"{PROFILE_ENV}={profile}" in image.attrs["Config"]["Env"]


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_hello(docker, images, runtime):
    result = docker.run(image=images["hello"], runtime=runtime)
    assert result.code == 0 and result.stdout.startswith("hello from Linux ") and result.stdout.endswith("\n")


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_python_listen_accepts(docker, images, runtime):
    network = docker.network()
    c = docker.start(image=images["python-listen"], runtime=runtime, network=network.name)
    assert wait_until(lambda: "ready" in c.logs().decode(), timeout=30), c.logs()
    with socket.create_connection((ip(c, network.name), 8080), timeout=5) as s:
        assert s.makefile().readline() == "ready\n"


@pytest.mark.parametrize("arch", ["host", "arm64"])
@pytest.mark.parametrize("name", ["python-listen", "thingvisor-sensor"])
def test_python_images_start_from_their_bytecode(request, docker, name, arch):
    """Nothing is compiled at a start: the image's .pyc files hold whatever the tarball did to
    the sources' mtimes (they were all stale once, and every start compiled socket, enum...).
    arm64's were compiled by arm64's Python, under emulation at build time."""
    images = request.getfixturevalue("images" if arch == "host" else "arm64_images")
    imports = "import socket, selectors, enum" + (", paho.mqtt.client" if name == "thingvisor-sensor" else "")
    result = docker.run(["python3", "-v", "-c", imports], image=images[name], runtime="runu")
    assert result.code == 0, result.stderr
    assert "bytecode is stale" not in result.stderr and "# created '" not in result.stderr
    assert "socket.cpython-311.pyc matches /usr/lib/python3.11/socket.py" in result.stderr


def silo_session(docker, images, runtime: str, thingvisor_runtime: str | None = None) -> \
        tuple[list[tuple[str, str]], list[str]]:
    """Silo and ThingVisor under `runtime` (the ThingVisor under `thingvisor_runtime` if given);
    what a host subscriber got and what the silo logged."""
    network = docker.network()
    silo = docker.start(image=images["vsilo-mqtt"], runtime=runtime, network=network.name, name=f"vsilo-{network.name}")
    assert wait_until(lambda: "broker ready" in silo.logs().decode(), timeout=30), silo.logs()
    with Subscriber(ip(silo, network.name), 1883, "vThing/+/data") as subscriber:
        tv = docker.start(image=images["thingvisor-sensor"], runtime=thingvisor_runtime or runtime, network=network.name,
                          environment={"SILO_HOST": silo.name, "PERIOD": "0.2", "COUNT": str(SAMPLES)})
        messages = list(subscriber.messages(2 * SAMPLES, timeout=60))
    assert tv.wait(timeout=60)["StatusCode"] == 0, tv.logs()
    attached = lambda: [line for line in silo.logs().decode().splitlines() if "attached" in line]  # noqa: E731
    wait_until(lambda: len(attached()) == 2)
    return messages, attached()


def test_thingvisor_reaches_silo_and_subscriber_alike_in_both_runtimes(docker, images):
    seen = {runtime: silo_session(docker, images, runtime) for runtime in RUNTIMES}
    messages, attached = seen["runc"]
    assert [topic for topic, _ in messages[:2]] == ["vThing/sensor-tv.thermometer/data", "vThing/sensor-tv.hygrometer/data"]
    assert '"sample": {"type": "Property", "value": 0}' in messages[0][1]
    assert attached == ["vsilo tenant1_Silo1: vThing sensor-tv.thermometer attached (1 in silo)",
                        "vsilo tenant1_Silo1: vThing sensor-tv.hygrometer attached (2 in silo)"]
    assert seen["runu"] == seen["runc"]


def test_a_thingvisor_under_lkl_feeds_a_silo_as_under_runc(docker, images):
    """Linux as a library serves a container whose networking is one program's (one program
    owns the container's tap): the ThingVisor runs under runu-lkl, beside a silo under runu's
    UML (a broker and its clients: several programs), and both sides see what runc gives."""
    from kernelbuild.library import installed_problem
    from runu.elfarch import host_arch

    if (problem := installed_problem(host_arch())) is not None:
        pytest.skip(f"{problem}: `invoke lkl.build` builds it")
    assert silo_session(docker, images, "runu", thingvisor_runtime="runu-lkl") == silo_session(docker, images, "runc")


def test_arm64_images_run_the_silo_slice_in_arm64_guests_as_runc_does_on_the_host(docker, images, arm64_images):
    for name, tag in arm64_images.items():
        assert docker.client.images.get(tag).attrs["Architecture"] == "arm64", name
    assert silo_session(docker, arm64_images, "runu") == silo_session(docker, images, "runc")
    silo = next(c for c in docker.containers if c.image.tags == [arm64_images["vsilo-mqtt"]])
    assert " aarch64)" in silo.logs().decode().splitlines()[0]
