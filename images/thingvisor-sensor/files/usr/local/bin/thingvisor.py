"""A VirIoT ThingVisor with simulated sensors.

It announces its virtual things (createVThing on its control topic), then publishes each one's
NGSI-LD entity on vThing/<id>/data of the silo's broker every PERIOD seconds, COUNT rounds (0:
forever). Values are a function of the sample number only, so every run, under any runtime,
sends the same bytes. The silo is found by name (SILO_HOST), and waited for.
"""

import json
import math
import os
import signal
import sys
import time

import paho.mqtt.client as mqtt

TV_ID = os.environ.get("THINGVISOR_ID", "sensor-tv")
SILO = (os.environ.get("SILO_HOST", "vsilo"), int(os.environ.get("SILO_PORT", "1883")))
PERIOD = float(os.environ.get("PERIOD", "1"))
COUNT = int(os.environ.get("COUNT", "0"))
CONTEXT = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld"

# kind -> (NGSI-LD type, property, unit code, value of sample n)
KINDS = {
    "thermometer": ("Thermometer", "temperature", "CEL", lambda n: 20 + 5 * math.sin(n / 6)),
    "hygrometer": ("Hygrometer", "relativeHumidity", "P1", lambda n: 50 + 10 * math.cos(n / 6)),
    "barometer": ("Barometer", "atmosphericPressure", "HPA", lambda n: 1013 + 2 * math.sin(n / 12)),
}


def vthing_id(kind: str) -> str:
    return f"{TV_ID}.{kind}"


def entity(kind: str, n: int) -> dict:
    ngsi_type, prop, unit, value = KINDS[kind]
    return {
        "id": f"urn:ngsi-ld:{ngsi_type}:{vthing_id(kind)}",
        "type": ngsi_type,
        prop: {"type": "Property", "value": round(value(n), 2), "unitCode": unit},
        "sample": {"type": "Property", "value": n},
        "@context": [CONTEXT],
    }


def connect() -> mqtt.Client:
    client = mqtt.Client(client_id=TV_ID)
    while True:
        try:
            client.connect(*SILO)
            break
        except OSError as e:  # the silo's name does not resolve yet, or its broker is not up
            print(f"thingvisor {TV_ID}: waiting for silo {SILO[0]}:{SILO[1]} ({e})", flush=True)
            time.sleep(0.5)
    client.loop_start()
    kernel = os.uname()
    print(f"thingvisor {TV_ID}: connected to silo {SILO[0]}:{SILO[1]} (kernel {kernel.release} {kernel.machine})",
          flush=True)
    return client


def publish(client: mqtt.Client, topic: str, message: dict) -> None:
    client.publish(topic, json.dumps(message, sort_keys=True), qos=1).wait_for_publish()


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    kinds = [k for k in os.environ.get("VTHINGS", "thermometer").split(",") if k]
    if unknown := set(kinds) - set(KINDS):
        sys.exit(f"thingvisor {TV_ID}: unknown sensor kinds {sorted(unknown)} (known: {sorted(KINDS)})")
    client = connect()
    publish(client, f"TV/{TV_ID}/c_out", {"command": "createVThing", "thingVisorID": TV_ID, "vThings": [
        {"label": k, "id": vthing_id(k), "description": f"simulated {k}"} for k in kinds]})
    n = 0
    while COUNT == 0 or n < COUNT:
        for kind in kinds:
            message = {"data": [entity(kind, n)], "meta": {"vThingID": vthing_id(kind)}}
            publish(client, f"vThing/{vthing_id(kind)}/data", message)
        print(f"thingvisor {TV_ID}: sample {n} published for {len(kinds)} vThings", flush=True)
        n += 1
        time.sleep(PERIOD)
    client.disconnect()


if __name__ == "__main__":
    main()
