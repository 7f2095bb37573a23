"""`invoke demo`: a VirIoT slice under runu. A virtual silo (mosquitto and its controller, on
the tiny kernel) and a ThingVisor (simulated sensors, on the default kernel) run with
--runtime=runu on one user-defined Docker network, the ThingVisor finding the silo by name; a
subscriber on the host, through the silo's port published on 127.0.0.1 only, prints the first
virtual-thing messages."""

import json

from invoke import task
from rich.console import Console

from unikraft_build.targets import build_image
from unikraft_build.subscriber import Subscriber

console = Console()
NETWORK = "runu-demo"
SILO = "runu-demo-vsilo"
THINGVISOR = "runu-demo-thingvisor"


def _remove(client) -> None:
    """Containers and network of this demo, from this run or an interrupted one."""
    from docker.errors import NotFound

    for name in (THINGVISOR, SILO):
        try:
            client.containers.get(name).remove(force=True)
        except NotFound:
            pass
    for network in client.networks.list(names=[NETWORK]):
        network.remove()


def _show(topic: str, payload: str) -> None:
    entity = json.loads(payload)["data"][0]
    prop = next(k for k in entity if k not in ("id", "type", "sample", "@context"))
    value = entity[prop]
    console.print(f"[cyan]{topic}[/cyan]  {entity['type']} sample {entity['sample']['value']}: "
                  f"{prop} = [bold]{value['value']}[/bold] {value['unitCode']}")


@task(help={"messages": "how many virtual-thing messages to print (default 6)",
            "runtime": "the Docker runtime of both containers (default runu; runc to compare)"})
def demo(c, messages=6, runtime="runu"):
    """A virtual silo and a ThingVisor under runu; a host subscriber prints their vThing data."""
    from dockerhost.daemon import client as docker_client
    from tasks.dockerd import ensure_docker

    ensure_docker()
    silo_image, tv_image = (build_image(name, "docker").where for name in ("vsilo-mqtt", "thingvisor-sensor"))
    client = docker_client()
    _remove(client)
    try:
        client.networks.create(NETWORK, driver="bridge")
        silo = client.containers.run(silo_image, name=SILO, runtime=runtime, network=NETWORK, detach=True,
                                     ports={"1883/tcp": ("127.0.0.1", None)})
        silo.reload()
        port = int(silo.ports["1883/tcp"][0]["HostPort"])
        console.rule(f"virtual silo {SILO} under {runtime}, broker on 127.0.0.1:{port}")
        with Subscriber("127.0.0.1", port, "vThing/+/data") as subscriber:
            tv = client.containers.run(tv_image, name=THINGVISOR, runtime=runtime, network=NETWORK, detach=True,
                                       environment={"SILO_HOST": SILO, "PERIOD": "0.5"})
            console.rule(f"ThingVisor {THINGVISOR} under {runtime}, publishing to silo {SILO}")
            for topic, payload in subscriber.messages(int(messages), timeout=60):
                _show(topic, payload)
        for name, container in (("silo", silo), ("thingvisor", tv)):
            console.rule(f"{name} log")
            console.print(container.logs().decode().strip(), markup=False, highlight=False)
    finally:
        _remove(client)
        client.close()
