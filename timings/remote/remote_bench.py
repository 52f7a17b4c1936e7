"""The remote rows: gridstitch's zmq hub and 16 `gridstitch camera`s on two hosts made of network
namespaces (a veth pair, one private /24 that exists only inside them), beside imagezmq's own
REQ/REP over the same pair, the TCP bound of that pair, the CPU floor of plain TCP frames
(tcp_frames.c: 16 senders of 76.8 KB frames into one epoll receiver, CPU per frame on each side),
and how fast the hub names a camera whose link goes down. One sitting; run as root from the package
root, with nothing else running:

  .venv-test/bin/python timings/remote/remote_bench.py [--binary .build/release/gridstitch]
      [--repeats 3] [--grids 1000] [--tries 10]

Each row has the hub's CPU per grid and the cameras' CPU per frame (the hub's rusage, every
camera's from wait4), less a 1-grid run's (the set-up). Writes timings/remote.json and
timings/remote.csv.
"""
import argparse
import csv
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from hosts import Hosts, reap, streaming_cpu, timed_cpu  # noqa: E402

HOSTS = Hosts("gsb", "10.99.78")
HUB_IP = HOSTS.hub_ip
FRAME = 240 * 320
CAMERAS = 16


def tcp_bound(python):
    port = "7690"
    receiver = subprocess.Popen(HOSTS.inside_hub(python, f"{HERE}/tcp_bound.py", "recv", HUB_IP, port),
                                stdout=subprocess.PIPE, text=True)
    assert receiver.stdout.readline().strip() == "ready"
    subprocess.run(HOSTS.inside_cameras(python, f"{HERE}/tcp_bound.py", "send", HUB_IP, port, "3"), check=True)
    return json.loads(receiver.stdout.readline())["bytes_per_s"]


def plain_tcp_frames(grids, repeats):
    """The CPU floor: 16 plain TCP senders of 76.8 KB frames into one epoll receiver (tcp_frames.c),
    no ZeroMQ, no rendering, no stitching. Medians over `repeats` runs of `grids` grids."""
    build = tempfile.mkdtemp(prefix="gridstitch-tcp-frames-")
    try:
        program = os.path.join(build, "tcp_frames")
        subprocess.run(["cc", "-O2", "-o", program, f"{HERE}/tcp_frames.c"], check=True)
        runs = []
        for _ in range(repeats):
            receiver = subprocess.Popen(HOSTS.inside_hub(program, "recv", "7691", str(CAMERAS), str(grids)),
                                        stdout=subprocess.PIPE, text=True)
            assert receiver.stdout.readline().strip() == "ready"
            senders = [subprocess.Popen(HOSTS.inside_cameras(program, "send", HUB_IP, "7691", str(grids)),
                                        stderr=subprocess.PIPE, text=True) for _ in range(CAMERAS)]
            sent = [json.loads(s.communicate()[1].strip().splitlines()[-1]) for s in senders]
            received = json.loads(receiver.communicate()[0])
            runs.append({**received,
                         "sender_us_per_frame": statistics.median(s["sender_us_per_frame"] for s in sent)})
        return {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    finally:
        shutil.rmtree(build, ignore_errors=True)


def gridstitch_row(binary, load, grids, output):
    """One run; its figures and the CPU seconds of the hub (its rusage) and of all cameras (wait4)."""
    hub = subprocess.Popen(
        HOSTS.inside_hub(binary, "run", "--transport", "zmq", "--listen", f"{HUB_IP}:7700", "--insecure",
                         "--cameras", str(CAMERAS), "--frames", str(grids), "--load", load, "--sync", "free",
                         "--json", "--quiet", "--output", output),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.3)
    cameras = [subprocess.Popen(HOSTS.inside_cameras(binary, "camera", "--connect", f"tcp://{HUB_IP}:7700"),
                                stderr=subprocess.DEVNULL) for _ in range(CAMERAS)]
    out, err = hub.communicate(timeout=300)
    camera_cpu = reap(cameras)
    if hub.returncode != 0:
        raise RuntimeError(f"hub failed: {err}")
    result = json.loads(out)
    result["hub_cpu_s"] = result["consumer_cpu_s"]
    result["cameras_cpu_s"] = sum(camera_cpu)
    return result


def imagezmq_row(python, load, grids):
    """One run of imagezmq's own REQ/REP; its figures and the CPU seconds of its hub and senders."""
    endpoint = f"tcp://{HUB_IP}:7710"
    hub = subprocess.Popen(HOSTS.inside_hub("/usr/bin/time", "-f", "%U %S", python, f"{HERE}/imagezmq_peer.py",
                                            "hub", endpoint, str(CAMERAS), str(grids)),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    work = "1000" if load == "io" else "0"
    senders = [subprocess.Popen(HOSTS.inside_cameras(python, f"{HERE}/imagezmq_peer.py", "send", endpoint, str(i),
                                                     str(grids), work)) for i in range(CAMERAS)]
    out, err = hub.communicate(timeout=600)
    sender_cpu = reap(senders)
    result = json.loads(out)
    result["hub_cpu_s"] = timed_cpu(err)
    result["cameras_cpu_s"] = sum(sender_cpu)
    return result


def link_down_once(binary, output):
    hub = subprocess.Popen(
        HOSTS.inside_hub(binary, "run", "--transport", "zmq", "--listen", f"{HUB_IP}:7720", "--insecure",
               "--cameras", "4", "--frames", "100000", "--quiet", "--output", output),
        stderr=subprocess.PIPE, text=True)
    time.sleep(0.3)
    cameras = [subprocess.Popen(HOSTS.inside_cameras(binary, "camera", "--connect", f"tcp://{HUB_IP}:7720"),
                                stderr=subprocess.DEVNULL) for _ in range(4)]
    while True:
        line = hub.stderr.readline()
        if not line:
            raise RuntimeError("hub ended before the cameras joined")
        if "all 4 here" in line:
            break
    time.sleep(1.0)
    subprocess.run(["ip", "-n", HOSTS.cam, "link", "set", HOSTS.cam_link, "down"], check=True)
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
    subprocess.run(["ip", "-n", HOSTS.cam, "link", "set", HOSTS.cam_link, "up"], check=True)
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
    HOSTS.make()
    try:
        bounds = [tcp_bound(python) for _ in range(3)]
        bound_bytes = statistics.median(bounds)
        grid_bytes = CAMERAS * FRAME
        bound_fps = bound_bytes / grid_bytes
        print(f"TCP over the veth pair: {bound_bytes / 1e9:.2f} GB/s -> bound {bound_fps:.0f} grids/s", flush=True)
        floor = plain_tcp_frames(options.grids * 2, options.repeats)
        print("plain TCP frames: " + json.dumps(floor), flush=True)
        for load in ("io", "none"):
            for name, run in (("zmq-remote", lambda grids: gridstitch_row(binary, load, grids, output)),
                              ("imagezmq-req-rep", lambda grids: imagezmq_row(python, load, grids))):
                # A 1-grid run first: its CPU is the set-up (processes started, the scene read, the
                # connections made), taken off each run's so the figures are the streaming's.
                setup = run(1)
                results = [run(options.grids) for _ in range(options.repeats)]
                fps = [r["fps"] for r in results]
                row = {
                    "transport": name, "load": load, "cameras": CAMERAS, "grids": options.grids,
                    "repeats": options.repeats, "fps": statistics.mean(fps),
                    "fps_stdev": statistics.stdev(fps) if len(fps) > 1 else 0.0,
                    "mb_per_s": statistics.mean(r["mb_per_s"] for r in results),
                    "latency_p50_us": statistics.mean(r["latency_p50_us"] for r in results),
                    "latency_p99_us": statistics.mean(r["latency_p99_us"] for r in results),
                    "tcp_bound_fps": bound_fps, "efficiency": statistics.mean(fps) / bound_fps,
                    **streaming_cpu(results, setup, options.grids, CAMERAS),
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
        HOSTS.remove()
    summary = {"tcp_bound_bytes_per_s": bound_bytes, "tcp_bound_runs": bounds, "plain_tcp_frames": floor,
               "rows": rows, "link_down": link}
    with open(os.path.join(options.out, "remote.json"), "w") as f:
        json.dump(summary, f, indent=2)
    with open(os.path.join(options.out, "remote.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
