"""The remote rows: gridstitch's zmq hub and 16 `gridstitch camera`s on two hosts made of network
namespaces (a veth pair, one private /24 that exists only inside them), beside imagezmq's own
REQ/REP over the same pair, the TCP bound of that pair, and how fast the hub names a camera
whose link goes down. One sitting; run as root from the package root, with nothing else running:

  .venv-test/bin/python timings/remote/remote_bench.py [--binary .build/release/gridstitch]
      [--repeats 3] [--grids 1000] [--tries 10]

Writes timings/remote.json and timings/remote.csv.
"""
import argparse
import csv
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
HUB, CAM = "gsb-hub", "gsb-cam"
HUB_LINK, CAM_LINK = "gsbh", "gsbc"
SUBNET = "10.99.78"
HUB_IP, CAM_IP = SUBNET + ".1", SUBNET + ".2"
FRAME = 240 * 320
CAMERAS = 16


def ip(*args):
    subprocess.run(["ip", *args], check=True)


def make_hosts():
    remove_hosts()
    ip("netns", "add", HUB)
    ip("netns", "add", CAM)
    ip("link", "add", HUB_LINK, "type", "veth", "peer", "name", CAM_LINK)
    ip("link", "set", HUB_LINK, "netns", HUB)
    ip("link", "set", CAM_LINK, "netns", CAM)
    ip("-n", HUB, "addr", "add", HUB_IP + "/24", "dev", HUB_LINK)
    ip("-n", CAM, "addr", "add", CAM_IP + "/24", "dev", CAM_LINK)
    for ns, link in ((HUB, HUB_LINK), (CAM, CAM_LINK)):
        ip("-n", ns, "link", "set", "lo", "up")
        ip("-n", ns, "link", "set", link, "up")


def remove_hosts():
    for ns in (HUB, CAM):
        pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), 9)
            except ProcessLookupError:
                pass
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def inside(ns, *command):
    return ["ip", "netns", "exec", ns, *command]


def tcp_bound(python):
    port = "7690"
    receiver = subprocess.Popen(inside(HUB, python, f"{HERE}/tcp_bound.py", "recv", HUB_IP, port),
                                stdout=subprocess.PIPE, text=True)
    assert receiver.stdout.readline().strip() == "ready"
    subprocess.run(inside(CAM, python, f"{HERE}/tcp_bound.py", "send", HUB_IP, port, "3"), check=True)
    return json.loads(receiver.stdout.readline())["bytes_per_s"]


def gridstitch_row(binary, load, grids, output):
    hub = subprocess.Popen(
        inside(HUB, binary, "run", "--transport", "zmq", "--listen", f"{HUB_IP}:7700", "--insecure",
               "--cameras", str(CAMERAS), "--frames", str(grids), "--load", load, "--sync", "free",
               "--json", "--quiet", "--output", output),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.3)
    cameras = [subprocess.Popen(inside(CAM, binary, "camera", "--connect", f"tcp://{HUB_IP}:7700"),
                                stderr=subprocess.DEVNULL) for _ in range(CAMERAS)]
    out, err = hub.communicate(timeout=300)
    for camera in cameras:
        camera.wait(timeout=30)
    if hub.returncode != 0:
        raise RuntimeError(f"hub failed: {err}")
    return json.loads(out)


def imagezmq_row(python, load, grids):
    endpoint = f"tcp://{HUB_IP}:7710"
    hub = subprocess.Popen(inside(HUB, python, f"{HERE}/imagezmq_peer.py", "hub", endpoint, str(CAMERAS),
                                  str(grids)), stdout=subprocess.PIPE, text=True)
    time.sleep(0.5)
    work = "1000" if load == "io" else "0"
    senders = [subprocess.Popen(inside(CAM, python, f"{HERE}/imagezmq_peer.py", "send", endpoint, str(i),
                                       str(grids), work)) for i in range(CAMERAS)]
    out, _ = hub.communicate(timeout=600)
    for sender in senders:
        sender.wait(timeout=30)
    return json.loads(out)


def link_down_once(binary, output):
    hub = subprocess.Popen(
        inside(HUB, binary, "run", "--transport", "zmq", "--listen", f"{HUB_IP}:7720", "--insecure",
               "--cameras", "4", "--frames", "100000", "--quiet", "--output", output),
        stderr=subprocess.PIPE, text=True)
    time.sleep(0.3)
    cameras = [subprocess.Popen(inside(CAM, binary, "camera", "--connect", f"tcp://{HUB_IP}:7720"),
                                stderr=subprocess.DEVNULL) for _ in range(4)]
    while True:
        line = hub.stderr.readline()
        if not line:
            raise RuntimeError("hub ended before the cameras joined")
        if "all 4 here" in line:
            break
    time.sleep(1.0)
    ip("-n", CAM, "link", "set", CAM_LINK, "down")
    down = time.monotonic()
    named = None
    for line in hub.stderr:
        if re.search(r"\) lost: ", line):
            named = time.monotonic() - down
            break
    hub.wait(timeout=30)
    for camera in cameras:
        camera.kill()
        camera.wait()
    ip("-n", CAM, "link", "set", CAM_LINK, "up")
    time.sleep(0.5)
    return named, line.strip()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/release/gridstitch")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--grids", type=int, default=1000)
    parser.add_argument("--tries", type=int, default=10)
    parser.add_argument("--out", default="timings")
    options = parser.parse_args()
    binary = os.path.abspath(options.binary)
    python = sys.executable
    output = tempfile.mkdtemp(prefix="gridstitch-remote-")
    rows = []
    make_hosts()
    try:
        bounds = [tcp_bound(python) for _ in range(3)]
        bound_bytes = statistics.median(bounds)
        grid_bytes = CAMERAS * FRAME
        bound_fps = bound_bytes / grid_bytes
        print(f"TCP over the veth pair: {bound_bytes / 1e9:.2f} GB/s -> bound {bound_fps:.0f} grids/s", flush=True)
        for load in ("io", "none"):
            for name, run in (("zmq-remote", lambda: gridstitch_row(binary, load, options.grids, output)),
                              ("imagezmq-req-rep", lambda: imagezmq_row(python, load, options.grids))):
                results = [run() for _ in range(options.repeats)]
                fps = [r["fps"] for r in results]
                row = {
                    "transport": name, "load": load, "cameras": CAMERAS, "grids": options.grids,
                    "repeats": options.repeats, "fps": statistics.mean(fps),
                    "fps_stdev": statistics.stdev(fps) if len(fps) > 1 else 0.0,
                    "mb_per_s": statistics.mean(r["mb_per_s"] for r in results),
                    "latency_p50_us": statistics.mean(r["latency_p50_us"] for r in results),
                    "latency_p99_us": statistics.mean(r["latency_p99_us"] for r in results),
                    "tcp_bound_fps": bound_fps, "efficiency": statistics.mean(fps) / bound_fps,
                }
                rows.append(row)
                print(json.dumps(row), flush=True)
        tries = [link_down_once(binary, output) for _ in range(options.tries)]
        named = [t for t, _ in tries if t is not None]
        link = {
            "tries": options.tries, "named": len(named),
            "median_s": statistics.median(named) if named else None, "max_s": max(named) if named else None,
            "all_s": named, "example": tries[0][1],
        }
        print(json.dumps(link), flush=True)
    finally:
        remove_hosts()
    summary = {"tcp_bound_bytes_per_s": bound_bytes, "tcp_bound_runs": bounds, "rows": rows, "link_down": link}
    with open(os.path.join(options.out, "remote.json"), "w") as f:
        json.dump(summary, f, indent=2)
    with open(os.path.join(options.out, "remote.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
