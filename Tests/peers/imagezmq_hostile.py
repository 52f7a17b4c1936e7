"""Hostile and broken imagezmq senders, against a hub at argv[1] (tcp://127.0.0.1:PORT).

Each case is one message a broken or hostile sender might send; each must be answered with
imagezmq's reply, OK, and dropped. Some go through imagezmq's own ImageSender (a wrong dtype, a
wrong shape, a bad JPEG), the rest through a raw pyzmq REQ socket (wrong part counts, bad JSON).
Then a peer speaks ZMTP by hand and announces a 1 GiB frame: the hub's libzmq must close that
connection before allocating anything. Last, one sender sends the same bad frame many times
in a row, to show the hub names it at most once a second.

Prints one JSON object: every case with the reply it got (null: none within 10 s), whether the
claim's connection was closed, and how long the burst took.
"""

import json
import socket
import sys
import time

import imagezmq
import numpy as np
import simplejpeg
import zmq

HUB = sys.argv[1]
BURST = int(sys.argv[2]) if len(sys.argv) > 2 else 20
TIMEOUT_MS = 10_000
context = zmq.Context()
results = []


def raw(label, parts):
    sock = context.socket(zmq.REQ)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.RCVTIMEO, TIMEOUT_MS)
    sock.connect(HUB)
    sock.send_multipart(parts)
    try:
        reply = sock.recv().decode()
    except zmq.Again:
        reply = None
    sock.close()
    results.append({"case": label, "reply": reply})


def with_imagezmq(label, send):
    sender = imagezmq.ImageSender(connect_to=HUB)
    sender.zmq_socket.setsockopt(zmq.RCVTIMEO, TIMEOUT_MS)
    sender.zmq_socket.setsockopt(zmq.LINGER, 0)
    try:
        reply = send(sender).decode()
    except zmq.Again:
        reply = None
    sender.close()
    results.append({"case": label, "reply": reply})


def meta(**fields):
    return json.dumps(fields).encode()


good_jpeg = simplejpeg.encode_jpeg(np.zeros((48, 64, 3), np.uint8), colorspace="BGR")
# The same JPEG claiming 9000×9000 in its frame header (SOF0: FF C0, length, precision, h, w).
sof = good_jpeg.index(b"\xff\xc0")
huge_jpeg = good_jpeg[: sof + 5] + (9000).to_bytes(2, "big") + (9000).to_bytes(2, "big") + good_jpeg[sof + 9 :]

grey = np.zeros((240, 320), np.uint8)

# First, so that the hub (two lines a second at most) says it: a name that would set the
# terminal's title, clear the screen, forge a line of its own and turn the rest around, on a
# message short of a byte (so the hub's line quotes it).
raw(
    "control characters in the name",
    [
        meta(msg="pi\x1b]0;owned\x07\x1b[2J\ngridstitch: camera 9 ('x') lost: forged\u202e\x00", dtype="uint8", shape=[240, 320]),
        grey.tobytes()[:-1],
    ],
)
# Parts: one, three.
raw("one part", [meta(msg="h-one", dtype="uint8", shape=[240, 320])])
raw("three parts", [meta(msg="h-three", dtype="uint8", shape=[240, 320]), grey.tobytes(), b"extra"])
# JSON.
raw("invalid JSON", [b'{"msg": "h-json", ', grey.tobytes()])
raw("JSON not an object", [b"[240, 320]", grey.tobytes()])
raw("no msg", [meta(dtype="uint8", shape=[240, 320]), grey.tobytes()])
raw("msg not a string", [b'{"msg": 7}', good_jpeg])
raw("name too long", [meta(msg="n" * 300), good_jpeg])
raw("metadata too large", [meta(msg="h-big", pad="p" * 9000), good_jpeg])
raw("deeply nested JSON", [b"[" * 100 + b"]" * 100, good_jpeg])
raw("invalid UTF-8", [b'{"msg": "\xff\xfe"}', good_jpeg])
# dtype and shape, from imagezmq itself.
with_imagezmq("dtype float32", lambda s: s.send_image("h-float", np.zeros((240, 320), np.float32)))
with_imagezmq("shape [h, w, 4]", lambda s: s.send_image("h-rgba", np.zeros((240, 320, 4), np.uint8)))
with_imagezmq("shape [h]", lambda s: s.send_image("h-flat", np.zeros(320, np.uint8)))
raw("shape with a fraction", [b'{"msg": "h-frac", "dtype": "uint8", "shape": [2.5, 4]}', b"\x00" * 10])
raw("negative shape", [meta(msg="h-neg", dtype="uint8", shape=[-240, 320]), grey.tobytes()])
raw("shape over 8192", [meta(msg="h-wide", dtype="uint8", shape=[1, 8193]), b"\x00" * 8193])
raw("9000x9000x3 claimed, 10 bytes sent", [meta(msg="h-claim", dtype="uint8", shape=[9000, 9000, 3]), b"\x00" * 10])
# Byte counts.
raw("too few bytes", [meta(msg="h-short", dtype="uint8", shape=[240, 320]), grey.tobytes()[:-1]])
raw("too many bytes", [meta(msg="h-long", dtype="uint8", shape=[240, 320]), grey.tobytes() + b"\x00"])
# JPEG.
with_imagezmq("JPEG with a bad header", lambda s: s.send_jpg("h-jpeg", b"this is not a JPEG"))
with_imagezmq("JPEG cut in its header", lambda s: s.send_jpg("h-cut", good_jpeg[:30]))
with_imagezmq("JPEG over 8192 a side", lambda s: s.send_jpg("h-huge", huge_jpeg))
with_imagezmq("empty JPEG", lambda s: s.send_jpg("h-empty", b""))


def claim(size):
    """ZMTP 3.0 by hand, as a REQ: greeting, READY, then a frame announcing `size` bytes."""
    host, port = HUB[len("tcp://") :].rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=10)
    greeting = b"\xff" + b"\x00" * 8 + b"\x7f" + b"\x03\x00" + b"NULL".ljust(20, b"\x00") + b"\x00" + b"\x00" * 31
    sock.sendall(greeting)
    ready = b"\x05READY" + b"\x0bSocket-Type" + (3).to_bytes(4, "big") + b"REQ"
    sock.sendall(bytes([0x04, len(ready)]) + ready)
    body = meta(msg="h-gib", dtype="uint8", shape=[8192, 8192, 3])
    sock.sendall(b"\x01\x00")  # the REQ's empty delimiter, more to come
    sock.sendall(bytes([0x01, len(body)]) + body)
    sock.sendall(b"\x02" + size.to_bytes(8, "big") + b"\x00" * 4096)  # long frame, last
    closed = False
    deadline = time.monotonic() + 10
    try:
        while time.monotonic() < deadline:
            data = sock.recv(65536)
            if not data:
                closed = True
                break
    except (ConnectionResetError, BrokenPipeError):
        closed = True
    except socket.timeout:
        pass
    sock.close()
    return closed


claim_closed = claim(1 << 30)

# One sender, the same bad frame again and again.
burst = imagezmq.ImageSender(connect_to=HUB)
burst.zmq_socket.setsockopt(zmq.RCVTIMEO, TIMEOUT_MS)
burst.zmq_socket.setsockopt(zmq.LINGER, 0)
started = time.monotonic()
burst_replies = 0
for _ in range(BURST):
    try:
        if burst.send_image("h-burst", np.zeros((4, 4), np.int16)) == b"OK":
            burst_replies += 1
    except zmq.Again:
        break
burst_seconds = time.monotonic() - started
burst.close()

print(
    json.dumps(
        {
            "cases": results,
            "claim_closed": claim_closed,
            "burst": BURST,
            "burst_replies": burst_replies,
            "burst_seconds": burst_seconds,
        }
    ),
    flush=True,
)
