"""Each recipe's Docker image behaves the same under runc and under runu: hello greets, the
Python listener accepts, and a ThingVisor's messages reach the silo (its controller logs the
virtual things) and a host subscriber, byte for byte the same in both runtimes."""

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


@pytest.mark.parametrize("name", ["python-listen", "thingvisor-sensor"])
def test_python_images_start_from_their_bytecode(docker, images, name):
    """Nothing is compiled at a start: the image's .pyc files hold whatever the tarball did to
    the sources' mtimes (they were all stale once, and every start compiled socket, enum...)."""
    imports = "import socket, selectors, enum" + (", paho.mqtt.client" if name == "thingvisor-sensor" else "")
    result = docker.run(["python3", "-v", "-c", imports], image=images[name], runtime="runu")
    assert result.code == 0, result.stderr
    assert "bytecode is stale" not in result.stderr and "# created '" not in result.stderr
    assert "socket.cpython-311.pyc matches /usr/lib/python3.11/socket.py" in result.stderr


def silo_session(docker, images, runtime: str) -> tuple[list[tuple[str, str]], list[str]]:
    """Silo and ThingVisor under `runtime`; what a host subscriber got and what the silo logged."""
    network = docker.network()
    silo = docker.start(image=images["vsilo-mqtt"], runtime=runtime, network=network.name, name=f"vsilo-{network.name}")
    assert wait_until(lambda: "broker ready" in silo.logs().decode(), timeout=30), silo.logs()
    with Subscriber(ip(silo, network.name), 1883, "vThing/+/data") as subscriber:
        tv = docker.start(image=images["thingvisor-sensor"], runtime=runtime, network=network.name,
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
