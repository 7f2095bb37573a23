"""Helpers of the Docker networking tests: a web server in the guest, a GET from the host."""

import socket

HTTP_PORT = 80


def httpd(page: str, then: str = "wait", ports: tuple[int, ...] = (HTTP_PORT,)) -> list[str]:
    """busybox httpd serving `page` at / on each port, in the background of a shell that then
    does `then`."""
    servers = " ".join(f"{{ httpd -f -p {port} -h /www & }} &&" for port in ports)
    return ["sh", "-c", f"mkdir -p /www && echo '{page}' > /www/index.html && {servers} {then}"]


def http_get(host: str, port: int, timeout: float = 2) -> str | None:
    """The body of GET / (None on any failure): plain sockets, so no proxy settings apply."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            reply = b"".join(iter(lambda: s.recv(4096), b""))
    except OSError:
        return None
    head, _, body = reply.partition(b"\r\n\r\n")
    return body.decode() if head.startswith(b"HTTP/1.") else None


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def container_ip(container, network: str = "bridge") -> str:
    container.reload()
    return container.attrs["NetworkSettings"]["Networks"][network]["IPAddress"]
