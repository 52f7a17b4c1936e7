"""imagezmq's own hub loop, as its users write it: ImageHub.recv_image, paste the picture into a
numpy grid by sender name, send_reply(b"OK"). A grid counts once every sender has put a new
frame into it. Prints one JSON object: grids, seconds and the hub's CPU over the timed part
(set-up, until every sender has sent once, is timed apart)."""

import argparse
import json
import math
import os
import time

import imagezmq
import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--senders", type=int, default=16)
parser.add_argument("--grids", type=int, default=1000)
parser.add_argument("--height", type=int, default=240)
parser.add_argument("--width", type=int, default=320)
args = parser.parse_args()

n, h, w = args.senders, args.height, args.width
cols = math.ceil(math.sqrt(n))
rows = math.ceil(n / cols)
grid = np.zeros((rows * h, cols * w), np.uint8)
hub = imagezmq.ImageHub(open_port=f"tcp://127.0.0.1:{args.port}")
tiles = {}


def paste(name, image):
    tile = tiles.get(name)
    if tile is None:
        if len(tiles) == n:
            return None
        tile = tiles[name] = len(tiles)
    r, c = divmod(tile, cols)
    grid[r * h : (r + 1) * h, c * w : (c + 1) * w] = image
    return tile


started = time.perf_counter()
while len(tiles) < n:
    name, image = hub.recv_image()
    paste(name, image)
    hub.send_reply(b"OK")
setup = time.perf_counter() - started

fresh = set()
grids = 0
cpu0 = time.process_time()
t0 = time.perf_counter()
while grids < args.grids:
    name, image = hub.recv_image()
    tile = paste(name, image)
    hub.send_reply(b"OK")
    if tile is not None:
        fresh.add(tile)
        if len(fresh) == n:
            grids += 1
            fresh.clear()
seconds = time.perf_counter() - t0
cpu = time.process_time() - cpu0
print(json.dumps({"grids": grids, "seconds": seconds, "fps": grids / seconds, "hub_cpu_s": cpu, "setup_seconds": setup}), flush=True)
os._exit(0)
