"""Bind a TCP socket, print `ready` once it accepts connections, greet every client."""

import os
import socket

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("0.0.0.0", int(os.environ.get("LISTEN_PORT", "8080"))))
sock.listen()
print("ready", flush=True)
while True:
    conn, _ = sock.accept()
    with conn:
        conn.sendall(b"ready\n")
