"""imagezmq's own REQ/REP, as its users run it: 16 ImageSenders of 240x320 grey into one ImageHub
that places each frame into a 960x1280 grid (numpy). Each frame's name carries its send time
(CLOCK_MONOTONIC, shared by every namespace of one machine) for the latency.

  hub:    imagezmq_peer.py hub tcp://ADDR:PORT CAMERAS GRIDS [jpg]   -> one JSON line
  sender: imagezmq_peer.py send tcp://ADDR:PORT INDEX GRIDS WORK_US [QUALITY [TILES]]

With QUALITY, senders send JPEG (`send_jpg`, encoded by simplejpeg, as imagezmq's docs advise)
and the hub (`jpg`) decodes each with simplejpeg before placing it. TILES, a file of raw 240x320
grey tiles (one per sender, cut from the scene gridstitch's cameras film), gives each sender the
same kind of picture a gridstitch camera sends, so both encoders get the same work.
"""
import json
import sys
import time

import imagezmq
import numpy as np
import simplejpeg

role, endpoint = sys.argv[1], sys.argv[2]
HEIGHT, WIDTH = 240, 320

if role == "send":
    index, grids, work_us = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    quality = int(sys.argv[6]) if len(sys.argv) > 6 else None
    sender = imagezmq.ImageSender(connect_to=endpoint)
    if len(sys.argv) > 7:
        tiles = np.fromfile(sys.argv[7], np.uint8).reshape(-1, HEIGHT, WIDTH)
        image = np.ascontiguousarray(tiles[index % len(tiles)])
    else:
        image = np.full((HEIGHT, WIDTH), index * 13 % 256, np.uint8)
    for _ in range(grids):
        if work_us:
            time.sleep(work_us / 1e6)
        name = f"{index}|{time.monotonic_ns()}"
        if quality is None:
            sender.send_image(name, image)
        else:
            jpg = simplejpeg.encode_jpeg(image[:, :, None], quality=quality, colorspace="GRAY")
            sender.send_jpg(name, jpg)
    sys.exit(0)

cameras, grids = int(sys.argv[3]), int(sys.argv[4])
jpg = len(sys.argv) > 5 and sys.argv[5] == "jpg"
hub = imagezmq.ImageHub(open_port=endpoint)
cols = 4
rows = (cameras + cols - 1) // cols
grid = np.zeros((rows * HEIGHT, cols * WIDTH), np.uint8)
counts = [0] * cameras
latencies = []
start = None
total = cameras * grids
received = 0
while received < total:
    if jpg:
        name, data = hub.recv_jpg()
        image = simplejpeg.decode_jpeg(data, colorspace="GRAY")[:, :, 0]
    else:
        name, image = hub.recv_image()
    hub.send_reply(b"OK")
    now = time.monotonic_ns()
    index, sent = name.split("|")
    index = int(index)
    row, col = divmod(index, cols)
    grid[row * HEIGHT:(row + 1) * HEIGHT, col * WIDTH:(col + 1) * WIDTH] = image
    counts[index] += 1
    received += 1
    latencies.append(now - int(sent))
    if start is None and all(counts):
        start, base = now, received
seconds = (time.monotonic_ns() - start) / 1e9
frames = received - base
latencies.sort()
print(json.dumps({
    "transport": "imagezmq-req-rep" + ("-jpg" if jpg else ""), "cameras": cameras, "grids": grids, "seconds": seconds,
    "fps": frames / cameras / seconds, "mb_per_s": frames * HEIGHT * WIDTH / seconds / 1e6,
    "latency_p50_us": latencies[len(latencies) // 2] / 1000,
    "latency_p99_us": latencies[len(latencies) * 99 // 100] / 1000,
}))
