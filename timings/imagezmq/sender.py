"""One unchanged imagezmq sender for the hub comparison: the same grey picture, as fast as its
hub answers. On SIGTERM it prints what it sent and the CPU it spent since its first reply (its
import and connection left out), then leaves."""

import argparse
import json
import os
import signal
import time

import imagezmq
import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("--connect", required=True)
parser.add_argument("--name", required=True)
parser.add_argument("--height", type=int, default=240)
parser.add_argument("--width", type=int, default=320)
parser.add_argument("--max-seconds", type=float, default=600)
args = parser.parse_args()

image = np.full((args.height, args.width), 128, np.uint8)
image[:, : args.width // 2] = 64  # not one flat colour
sender = imagezmq.ImageSender(connect_to=args.connect)
state = {"frames": 0, "cpu0": None}


def leave(*_):
    cpu = time.process_time() - state["cpu0"] if state["cpu0"] is not None else 0.0
    print(json.dumps({"name": args.name, "frames": state["frames"], "cpu_s": cpu}), flush=True)
    os._exit(0)


signal.signal(signal.SIGTERM, leave)
signal.signal(signal.SIGALRM, leave)
signal.alarm(int(args.max_seconds))
while True:
    sender.send_image(args.name, image)
    if state["cpu0"] is None:
        state["cpu0"] = time.process_time()
    state["frames"] += 1
