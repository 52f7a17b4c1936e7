"""Strangers at a CURVE hub: for argv[3] seconds, DEALERs with fresh key pairs the hub has never
allowed connect to argv[1] (tcp://HOST:PORT), whose public key is in the file argv[2]; each
handshake is refused by the hub's ZAP handler. Prints one JSON line: {"attempts": handshakes}.
"""

import json
import sys
import time

import zmq

endpoint, hub_key_file, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
with open(hub_key_file, "rb") as f:
    hub_key = f.read().strip()
context = zmq.Context()
open_sockets = []
attempts = 0
end = time.monotonic() + seconds
while time.monotonic() < end:
    public, secret = zmq.curve_keypair()
    peer = context.socket(zmq.DEALER)
    peer.setsockopt(zmq.LINGER, 0)
    peer.curve_publickey = public
    peer.curve_secretkey = secret
    peer.curve_serverkey = hub_key
    peer.connect(endpoint)
    open_sockets.append(peer)
    attempts += 1
    if len(open_sockets) > 20:
        open_sockets.pop(0).close()
    time.sleep(0.01)
for peer in open_sockets:
    peer.close()
context.term()
print(json.dumps({"attempts": attempts}), flush=True)
