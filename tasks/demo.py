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
            "runtime": "the Docker runtime of both containers (default runu; runc to compare)",
            "arch": "the images' architecture, Debian's name (default: the host's; arm64 on an x86 host "
                    "runs them in arm64 VMs)"})
def demo(c, messages=6, runtime="runu", arch=None):
    """A virtual silo and a ThingVisor under runu; a host subscriber prints their vThing data."""
    from dockerhost.daemon import client as docker_client
    from tasks.dockerd import ensure_docker

    ensure_docker()
    silo_built, tv_built = (build_image(name, "docker", arch=arch) for name in ("vsilo-mqtt", "thingvisor-sensor"))
    where = f"{arch} images, " if arch else ""
    run = {"runtime": runtime, "network": NETWORK, "detach": True, "platform": f"linux/{arch}" if arch else None}
    client = docker_client()
    _remove(client)
    try:
        client.networks.create(NETWORK, driver="bridge")
        silo = client.containers.run(silo_built.where, name=SILO, ports={"1883/tcp": ("127.0.0.1", None)}, **run)
        silo.reload()
        port = int(silo.ports["1883/tcp"][0]["HostPort"])
        console.rule(f"virtual silo {SILO} ({where}{runtime}), broker on 127.0.0.1:{port}")
        with Subscriber("127.0.0.1", port, "vThing/+/data") as subscriber:
            tv = client.containers.run(tv_built.where, name=THINGVISOR, environment={"SILO_HOST": SILO, "PERIOD": "0.5"},
                                       **run)
            console.rule(f"ThingVisor {THINGVISOR} ({where}{runtime}), publishing to silo {SILO}")
            for topic, payload in subscriber.messages(int(messages), timeout=60):
                _show(topic, payload)
        for name, container in (("silo", silo), ("thingvisor", tv)):
            console.rule(f"{name} log")
            console.print(container.logs().decode().strip(), markup=False, highlight=False)
    finally:
        _remove(client)
        client.close()
