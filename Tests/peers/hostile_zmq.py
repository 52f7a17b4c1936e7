"""A hostile ZeroMQ peer for gridstitch's zmq hub: every kind of malformed message, from a peer
that never joined. Prints one JSON line: how many messages the hub should have counted as
rejected, and the hub's answer to a hello that films the wrong scene.

usage: hostile_zmq.py tcp://HOST:PORT BARRAGE
"""
import json
import struct
import sys

import zmq

endpoint, barrage = sys.argv[1], int(sys.argv[2])
PIXELS = 240 * 320


def prefix(kind, version=3):  # gridstitch's zmq wire is version 3
    return b"GSZ" + bytes([version, kind, 0, 0, 0])


def header(camera=0, byte_count=PIXELS, sequence=0):
    return struct.pack("<IIQQQII", camera, byte_count, sequence, 0, 0, 0, 0)


context = zmq.Context()
peer = context.socket(zmq.DEALER)
peer.setsockopt(zmq.LINGER, 1000)
peer.connect(endpoint)

counted = 0


def send(parts):
    global counted
    peer.send_multipart(parts)
    counted += 1


send([b"\x00garbage that is not a gridstitch message"])                        # garbage
send([prefix(2, version=9) + header(), bytes(PIXELS)])                         # wrong version
send([prefix(2) + header(byte_count=2 << 30), bytes(100)])                     # a claimed 2 GiB
send([prefix(2) + header(camera=7), bytes(PIXELS)])                            # a wrong camera
send([prefix(2) + header(), bytes(PIXELS), b"extra"])                          # an extra part
send([prefix(2) + header()])                                                   # a missing part
send([prefix(3) + bytes(8)])                                                   # a beat, not joined
send([prefix(0x7F)])                                                           # an unknown type
# A hello that films another scene: refused, with the reason.
send([prefix(1) + struct.pack("<iQQ", -1, 1, 2)])
refusal = None
if peer.poll(5000):
    answer = peer.recv_multipart()
    refusal = answer[0][8:].decode(errors="replace") if answer[0][:3] == b"GSZ" and answer[0][4] == 0x12 else None
# A barrage: the hub drops each without keeping it (its memory must not grow).
for _ in range(barrage):
    send([b"\x01" * PIXELS])
# A message past ZMQ_MAXMSGSIZE: libzmq closes the connection before allocating (not counted).
big = context.socket(zmq.DEALER)
big.setsockopt(zmq.LINGER, 1000)
big.connect(endpoint)
big.send(bytes(PIXELS * 4))
big.close()
peer.close()
context.term()
print(json.dumps({"counted": counted, "refusal": refusal}))
