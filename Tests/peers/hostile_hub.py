"""A hub that turns on its camera, at argv[1] (tcp://127.0.0.1:PORT): it welcomes the camera with
valid settings (gridstitch's zmq wire, version 1), then sends one message longer than the
camera's ZMQ_MAXMSGSIZE. The camera's libzmq drops the connection, and a camera whose sends block
would then wait forever. Prints "sent" once both are out, and stays until stdin closes.
"""

import struct
import sys

import zmq

HUB = sys.argv[1]
context = zmq.Context()
router = context.socket(zmq.ROUTER)
router.setsockopt(zmq.LINGER, 0)
router.bind(HUB)


def prefix(kind):
    return b"GSZ" + bytes([1, kind, 0, 0, 0])


identity, hello = router.recv_multipart()
assert hello[:5] == prefix(0x01)[:5], hello
# camera 0 of 1, 320x240 grey, 1000 frames, load io (0), 1000 µs, period 1000 µs, free lockstep
# with checksums (flags 4), 4 slots.
settings = struct.pack("<11q", 0, 1, 320, 240, 1, 1000, 0, 1000, 1000, 4, 4)
router.send_multipart([identity, prefix(0x11) + settings])
router.send_multipart([identity, b"x" * 4096])
print("sent", flush=True)
sys.stdin.read()
