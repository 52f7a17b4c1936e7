#!/usr/bin/env python3
"""A live MPEG-TS stream over HTTP on loopback, served by the ffmpeg program, again and again.

`ffmpeg -listen 1` serves one client and then ends; a camera that reconnects (and the set-up
probe before it) needs the server back, as a real camera's would be. This keeps one ffmpeg
listening at a time until SIGTERM, which ends the ffmpeg serving and this script. It prints
"listening PID" each time an ffmpeg is listening (read from /proc/net/tcp), PID being that
ffmpeg's (a test freezes it with SIGSTOP: a stream that stalls with its connection open).

usage: ts_over_http.py PORT
"""
import signal
import subprocess
import sys
import time

port = int(sys.argv[1])
url = f"http://127.0.0.1:{port}/"
child = None
stopping = False


def listening():
    """Whether the ffmpeg on 127.0.0.1:port is up: listening (state 0A in /proc/net/tcp), or
    already serving a client that connected between two looks (01, established; a camera that
    reconnects can be that quick, and ffmpeg then listens no more)."""
    local = f"0100007F:{port:04X}"
    with open("/proc/net/tcp") as table:
        return any(f.split()[1] == local and f.split()[3] in ("0A", "01") for f in list(table)[1:])


def stop(signum, frame):
    global stopping
    stopping = True
    if child is not None and child.poll() is None:
        child.kill()


# A parent may start us with these blocked (a test runner's threads block them); we must hear them.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
while not stopping:
    child = subprocess.Popen(
        ["ffmpeg", "-v", "quiet", "-nostdin", "-re", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
         "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "25", "-pix_fmt", "yuv420p",
         "-f", "mpegts", "-listen", "1", url],
        stdin=subprocess.DEVNULL)
    while child.poll() is None and not stopping and not listening():
        time.sleep(0.02)
    if child.poll() is None and not stopping:
        print(f"listening {child.pid}", flush=True)
    child.wait()
    if not stopping:
        time.sleep(0.05)
