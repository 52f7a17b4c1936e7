"""A stranger that floods argv[1] (tcp://HOST:PORT) with 1-byte messages from a pyzmq DEALER for
argv[2] seconds, as fast as its queue takes them (libzmq reconnects it when the hub cuts it).
Prints one JSON line: {"sent": messages queued}.
"""

import json
import sys
import time

import zmq

endpoint, seconds = sys.argv[1], float(sys.argv[2])
context = zmq.Context()
peer = context.socket(zmq.DEALER)
peer.setsockopt(zmq.LINGER, 0)
peer.connect(endpoint)
sent = 0
end = time.monotonic() + seconds
while time.monotonic() < end:
    for _ in range(1000):
        try:
            peer.send(b"x", zmq.NOBLOCK)
            sent += 1
        except zmq.Again:
            time.sleep(0.001)
            break
peer.close()
context.term()
print(json.dumps({"sent": sent}), flush=True)
