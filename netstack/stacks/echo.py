"""UDP and TCP echo on one port (RFC 862), standard library only, so a sandbox can run it by path.

Usage: python3 echo.py PORT. Prints "ready" once both sockets listen.
"""
import selectors
import socket
import sys


def serve(port: int) -> None:
    """Echo every UDP datagram and every TCP byte received on ``port`` back to its sender."""
    sel = selectors.DefaultSelector()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("0.0.0.0", port))
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind(("0.0.0.0", port))
    tcp.listen(64)
    sel.register(udp, selectors.EVENT_READ, "udp")
    sel.register(tcp, selectors.EVENT_READ, "listen")
    print("ready", flush=True)
    while True:
        for key, _ in sel.select():
            sock = key.fileobj
            if key.data == "udp":
                data, peer = sock.recvfrom(65535)
                sock.sendto(data, peer)
            elif key.data == "listen":
                conn, _ = sock.accept()
                sel.register(conn, selectors.EVENT_READ, "conn")
            else:
                _echo_stream(sel, sock)


def _echo_stream(sel: selectors.BaseSelector, conn: socket.socket) -> None:
    try:
        data = conn.recv(65535)
        if data:
            conn.sendall(data)
            return
    except OSError:
        pass
    sel.unregister(conn)
    conn.close()


if __name__ == "__main__":
    serve(int(sys.argv[1]))
