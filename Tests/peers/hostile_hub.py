"""A hub that turns on its camera, at argv[1] (tcp://127.0.0.1:PORT): it welcomes the camera with
valid orders (gridstitch's zmq wire, version 3), then sends one message longer than the
camera's ZMQ_MAXMSGSIZE. The camera's libzmq drops the connection, and a camera whose sends block
would then wait forever. Prints "sent" once both are out, and stays until stdin closes.
"""

import sys

import zmq

HUB = sys.argv[1]
context = zmq.Context()
router = context.socket(zmq.ROUTER)
router.setsockopt(zmq.LINGER, 0)
router.bind(HUB)


VERSION = 3


def prefix(kind):
    return b"GSZ" + bytes([VERSION, kind, 0, 0, 0])


identity, hello = router.recv_multipart()
assert hello[:5] == prefix(0x01)[:5], hello
# camera 0 of 1, 320x240 grey, 1000 frames, load io, 1000 µs, period 1000 µs, free lockstep with
# checksums, 4 slots: the orders' text (CameraOrders.text).
orders = (
    b"camera=0,cameras=1,width=320,height=240,channels=1,frames=1000,load=io,work-us=1000,sync=free,"
    b"period-us=1000,policy=lockstep,slots=4,checksums=true"
)
router.send_multipart([identity, prefix(0x11) + orders])
router.send_multipart([identity, b"x" * 4096])
print("sent", flush=True)
sys.stdin.read()
