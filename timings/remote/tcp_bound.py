"""The TCP bound: bulk bytes/s of one plain TCP stream (no ZeroMQ), for SECONDS.

  receiver: tcp_bound.py recv ADDR PORT    -> prints one JSON line {"bytes_per_s": ...}
  sender:   tcp_bound.py send ADDR PORT SECONDS
"""
import json
import socket
import sys
import time

role, address, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
CHUNK = 4 << 20
if role == "recv":
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((address, port))
    listener.listen(1)
    print("ready", flush=True)
    connection, _ = listener.accept()
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    total = 0
    start = None
    while True:
        count = connection.recv_into(view)
        if count == 0:
            break
        if start is None:
            start = time.monotonic()
        total += count
    seconds = time.monotonic() - start
    print(json.dumps({"bytes_per_s": total / seconds, "bytes": total, "seconds": seconds}))
else:
    seconds = float(sys.argv[4])
    connection = socket.create_connection((address, port))
    payload = memoryview(bytes(CHUNK))
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        connection.sendall(payload)
    connection.close()
