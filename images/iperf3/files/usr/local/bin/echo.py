"""TCP echo in one process (no fork per client): what it reads, it writes back."""

import os
import selectors
import socket

sel = selectors.DefaultSelector()
server = socket.create_server(("0.0.0.0", int(os.environ.get("ECHO_PORT", "7"))), reuse_port=True)
server.setblocking(False)
sel.register(server, selectors.EVENT_READ)
while True:
    for key, _ in sel.select():
        if key.fileobj is server:
            conn, _ = server.accept()
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sel.register(conn, selectors.EVENT_READ)
            continue
        data = key.fileobj.recv(65536)
        if data:
            key.fileobj.sendall(data)
        else:
            sel.unregister(key.fileobj)
            key.fileobj.close()
