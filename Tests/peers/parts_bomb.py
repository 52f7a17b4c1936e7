"""A stranger that sends one ZeroMQ message of millions of empty parts to argv[1] (tcp://HOST:PORT),
speaking ZMTP 3.0 (NULL mechanism, as a DEALER) over a raw socket: each part costs 2 bytes on
the wire and some 64 in libzmq, which holds every part of a message until its last arrives.
argv[2] is how many megabytes of parts to send (the message is never finished). Prints one JSON
line once sent, {"sent": bytes, "closed": whether the hub closed the connection}, and then
waits until stdin closes.
"""

import json
import socket
import sys
import threading

endpoint, megabytes = sys.argv[1], float(sys.argv[2])
host, port = endpoint.removeprefix("tcp://").rsplit(":", 1)
sock = socket.create_connection((host.strip("[]"), int(port)), timeout=10)
closed = threading.Event()


def receive(count):
    """Reads exactly `count` bytes of the hub's handshake."""
    data = b""
    while len(data) < count:
        piece = sock.recv(count - len(data))
        if not piece:
            raise OSError("the hub closed the connection during the handshake")
        data += piece
    return data


def drain():
    """Reads whatever the hub says until it closes the connection."""
    try:
        while sock.recv(65536):
            pass
    except OSError:
        pass
    closed.set()


# Greeting: signature, version 3.0, mechanism NULL, as-server 0, filler; then the hub's.
sock.sendall(b"\xff" + b"\x00" * 8 + b"\x7f" + bytes([3, 0]) + b"NULL".ljust(20, b"\x00") + b"\x00" * 32)
receive(64)
# READY with Socket-Type DEALER; then the hub's READY (a short command: flags, size, body).
body = b"\x05READY" + b"\x0bSocket-Type" + (6).to_bytes(4, "big") + b"DEALER"
sock.sendall(bytes([0x04, len(body)]) + body)
flags, size = receive(2)
receive(size)
threading.Thread(target=drain, daemon=True).start()
sent = 0
try:
    chunk = b"\x01\x00" * 32768  # 32,768 empty parts, each flagged MORE
    target = int(megabytes * 1_000_000)
    while sent < target and not closed.is_set():
        sock.sendall(chunk)
        sent += len(chunk)
except OSError:
    pass
closed.wait(timeout=2)
print(json.dumps({"sent": sent, "closed": closed.is_set()}), flush=True)
sys.stdin.read()
