"""A host-side MQTT subscriber (paho-mqtt): what a tenant's application sees of a virtual silo.
The demo prints its messages, the tests compare them between runtimes."""

import queue
import time
from collections.abc import Iterator


class Subscriber:
    """Subscribed to `topic` on host:port once the constructor returns; messages() yields them."""

    def __init__(self, host: str, port: int, topic: str, connect_timeout: float = 30):
        import paho.mqtt.client as mqtt

        self._queue: queue.Queue = queue.Queue()
        subscribed = queue.Queue()
        self._client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        self._client.on_connect = lambda c, *_: c.subscribe(topic, qos=1)
        self._client.on_subscribe = lambda *_: subscribed.put(True)
        self._client.on_message = lambda c, u, m: self._queue.put((m.topic, m.payload.decode()))
        deadline = time.monotonic() + connect_timeout
        while True:  # the broker may still be starting, and a published port answers first
            try:
                self._client.connect(host, port)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        self._client.loop_start()
        try:
            subscribed.get(timeout=max(1.0, deadline - time.monotonic()))
        except queue.Empty:
            self.close()
            raise TimeoutError(f"no subscription to {topic} on {host}:{port}") from None

    def messages(self, count: int, timeout: float = 30) -> Iterator[tuple[str, str]]:
        """The next `count` (topic, payload) pairs; TimeoutError if they take longer than `timeout`."""
        deadline = time.monotonic() + timeout
        for _ in range(count):
            try:
                yield self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(f"fewer than {count} messages in {timeout:.0f} s") from None

    def close(self) -> None:
        self._client.loop_stop()
        self._client.disconnect()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
