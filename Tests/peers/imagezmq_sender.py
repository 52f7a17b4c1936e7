"""An unchanged imagezmq sender, as people run them on a Raspberry Pi or a laptop.

It sends with imagezmq's own ImageSender (REQ to a hub, or PUB that the hub subscribes to), one
picture over and over: a solid colour (BGR, as OpenCV holds it), or a moving pattern for the live
view. It stops after --frames pictures, or when its standard input closes (the test that started
it has finished or died), whichever comes first; it never outlives --max-seconds.
"""

import argparse
import os
import sys
import threading
import time

import imagezmq
import numpy as np


def parse():
    parser = argparse.ArgumentParser()
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--connect", help="REQ: the hub's tcp://ADDR:PORT")
    where.add_argument("--bind", help="PUB: tcp://ADDR:PORT the hub subscribes to")
    parser.add_argument("--name", required=True)
    parser.add_argument("--height", type=int, default=240)
    parser.add_argument("--width", type=int, default=320)
    parser.add_argument("--channels", type=int, choices=[1, 3], default=1)
    parser.add_argument("--bgr", default="128,128,128", help="B,G,R (or one grey level)")
    parser.add_argument("--jpeg", action="store_true", help="send_jpg (encoded with simplejpeg, BGR)")
    parser.add_argument("--moving", action="store_true", help="a moving pattern instead of one colour")
    parser.add_argument("--frames", type=int, default=0, help="0: until stdin closes")
    parser.add_argument("--fps", type=float, default=0, help="0: as fast as the hub lets it")
    parser.add_argument("--max-seconds", type=float, default=120)
    return parser.parse_args()


def solid(args):
    levels = [int(v) for v in args.bgr.split(",")]
    if args.channels == 1:
        return np.full((args.height, args.width), levels[0], np.uint8)
    image = np.empty((args.height, args.width, 3), np.uint8)
    image[:] = levels[:3]
    return image


def pattern(args, n):
    """Diagonal colour bands that drift, and a bright square that crosses the picture."""
    h, w = args.height, args.width
    y, x = np.mgrid[0:h, 0:w]
    base = [int(v) for v in args.bgr.split(",")] * 3
    phase = (x + y + 4 * n) % 256
    if args.channels == 1:
        image = ((phase // 2 + base[0] // 2) % 256).astype(np.uint8)
    else:
        image = np.stack(
            [(phase * (c + 1) // 3 + base[c]) % 256 for c in range(3)], axis=-1
        ).astype(np.uint8)
    side = max(h // 5, 4)
    left = (n * 3) % max(w - side, 1)
    top = (h - side) // 2
    image[top : top + side, left : left + side] = 255
    return np.ascontiguousarray(image)


def main():
    args = parse()

    def leave_when_stdin_closes():
        sys.stdin.buffer.read()
        os._exit(0)

    threading.Thread(target=leave_when_stdin_closes, daemon=True).start()
    threading.Timer(args.max_seconds, lambda: os._exit(3)).start()

    if args.connect:
        sender = imagezmq.ImageSender(connect_to=args.connect)
    else:
        sender = imagezmq.ImageSender(connect_to=args.bind, REQ_REP=False)
    if args.jpeg:
        import simplejpeg

    still = solid(args)
    replies = 0
    n = 0
    period = 1.0 / args.fps if args.fps > 0 else 0
    next_time = time.monotonic()
    while args.frames == 0 or n < args.frames:
        image = pattern(args, n) if args.moving else still
        if args.jpeg:
            jpg = simplejpeg.encode_jpeg(
                image if image.ndim == 3 else image[:, :, None],
                quality=90,
                colorspace="BGR" if image.ndim == 3 else "GRAY",
            )
            reply = sender.send_jpg(args.name, jpg)
        else:
            reply = sender.send_image(args.name, image)
        if reply == b"OK":
            replies += 1
        n += 1
        if period:
            next_time += period
            delay = next_time - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    print(f"sent {n} replies {replies}", flush=True)
    os._exit(0)


if __name__ == "__main__":
    main()
