"""A stranger on a loopback zmq hub at argv[1] (tcp://127.0.0.1:PORT) who says hello as a camera
would, then breaks the protocol before it has finished joining. A scene hash is no secret: the
hub's refusal of a wrong one names it. Prints one JSON object: whether it was welcomed.
"""

import json
import re
import struct
import sys

import zmq

HUB = sys.argv[1]
context = zmq.Context()


def dealer():
    sock = context.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.RCVTIMEO, 10_000)
    sock.connect(HUB)
    return sock


VERSION = 3  # gridstitch's zmq wire


def prefix(kind):
    return b"GSZ" + bytes([VERSION, kind, 0, 0, 0])


def hello(grey, rgb):
    return prefix(0x01) + struct.pack("<iQQ", -1, grey, rgb)


# A wrong scene: the refusal says the hub's checksum.
first = dealer()
first.send(hello(0, 0))
refusal = first.recv()[8:].decode()
hub_sum = int(re.search(r"the hub's is ([0-9a-f]{16})", refusal).group(1), 16)
first.close()

# The right one: welcomed (a tile, for now), then junk instead of a pong.
second = dealer()
second.send(hello(hub_sum, hub_sum))
welcomed = False
while True:
    message = second.recv()
    if message[:5] == prefix(0x11)[:5] and message[4] == 0x11:
        welcomed = True
        break
second.send(b"this is not a pong")
second.send(prefix(0x02) + b"\x00" * 40)  # a frame's first part, alone and too early
print(json.dumps({"welcomed": welcomed, "hub_checksum": hub_sum}), flush=True)
second.close()
