"""Remote cameras over a real link: the hub and 16 `gridstitch camera`s on two hosts made of
network namespaces, the cameras' side of the veth pair shaped to 1 Gbit/s (`tc … tbf`), where 16
raw 320×240 grey frames (9.8 Mbit a grid) cannot pass ~100 grids/s. Rows: raw frames, JPEG
frames (`--encode jpeg:80`), and imagezmq's own REQ/REP with `send_jpg` (simplejpeg, quality 80)
into its ImageHub, which decodes each and places it in a numpy grid. The imagezmq senders send
tiles cut from the same scene gridstitch's cameras film (assets/scene.png, through the ffmpeg
program), so both sides encode and decode the same kind of picture. 1000 grids at `--load none`,
`--sync free`, `--verify` for gridstitch, one sitting; run as root from the package root, with
nothing else running:

  .venv-test/bin/python timings/remote/jpeg_link_bench.py [--binary .build/release/gridstitch]
      [--repeats 3] [--grids 1000] [--rate 1gbit]

Each row has the hub's CPU per grid and the cameras' CPU per frame (every camera's rusage, from
wait4), each less a 1-grid run's (the set-up). Writes timings/remote-jpeg.json and timings/remote-jpeg.csv.
"""
import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from hosts import Hosts, reap, streaming_cpu, timed_cpu  # noqa: E402

HOSTS = Hosts("gsj", "10.99.79")
HUB_IP = HOSTS.hub_ip
CAMERAS = 16


def gridstitch_row(binary, encode, grids, output):
    hub = subprocess.Popen(
        HOSTS.inside_hub(binary, "run", "--transport", "zmq", "--listen", f"{HUB_IP}:7730", "--insecure",
               "--cameras", str(CAMERAS), "--frames", str(grids), "--load", "none", "--sync", "free",
               "--verify", "--json", "--quiet", "--output", output),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.3)
    cameras = [subprocess.Popen(HOSTS.inside_cameras(binary, "camera", "--connect", f"tcp://{HUB_IP}:7730",
                                       "--encode", encode), stderr=subprocess.DEVNULL)
               for _ in range(CAMERAS)]
    out, err = hub.communicate(timeout=600)
    camera_cpu = reap(cameras)
    if hub.returncode != 0:
        raise RuntimeError(f"hub failed: {err}")
    result = json.loads(out)
    assert result["verified_frames"] == grids * CAMERAS, result
    return {
        "fps": result["fps"], "mb_per_s": result["mb_per_s"], "latency_p50_us": result["latency_p50_us"],
        "latency_p99_us": result["latency_p99_us"], "hub_cpu_s": result["consumer_cpu_s"],
        "cameras_cpu_s": sum(camera_cpu),
    }


def scene_tiles(folder):
    """16 raw 240x320 grey tiles cut from the scene, one per sender (a 4x4 grid of windows)."""
    path = os.path.join(folder, "tiles.raw")
    with open(path, "wb") as out:
        for index in range(CAMERAS):
            x, y = index % 4, index // 4
            out.write(subprocess.run(
                ["ffmpeg", "-v", "error", "-i", "assets/scene.png", "-vf",
                 f"crop=iw/4:ih/4:{x}*iw/4:{y}*ih/4,scale=320:240,format=gray", "-f", "rawvideo", "-"],
                check=True, capture_output=True).stdout)
    return path


def imagezmq_row(python, grids, tiles):
    endpoint = f"tcp://{HUB_IP}:7731"
    hub = subprocess.Popen(HOSTS.inside_hub("/usr/bin/time", "-f", "%U %S", python, f"{HERE}/imagezmq_peer.py",
                                  "hub", endpoint, str(CAMERAS), str(grids), "jpg"),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    senders = [subprocess.Popen(HOSTS.inside_cameras(python, f"{HERE}/imagezmq_peer.py", "send", endpoint, str(i),
                                       str(grids), "0", "80", tiles)) for i in range(CAMERAS)]
    out, err = hub.communicate(timeout=900)
    sender_cpu = reap(senders)
    result = json.loads(out)
    return {
        "fps": result["fps"], "mb_per_s": result["mb_per_s"], "latency_p50_us": result["latency_p50_us"],
        "latency_p99_us": result["latency_p99_us"], "hub_cpu_s": timed_cpu(err),
        "cameras_cpu_s": sum(sender_cpu),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/release/gridstitch")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--grids", type=int, default=1000)
    parser.add_argument("--rate", default="1gbit")
    parser.add_argument("--out", default="timings")
    options = parser.parse_args()
    binary = os.path.abspath(options.binary)
    python = sys.executable
    output = tempfile.mkdtemp(prefix="gridstitch-jpeg-")
    tiles = scene_tiles(output)
    rows = []
    HOSTS.rate = options.rate
    HOSTS.make()
    try:
        kinds = (
            ("zmq-remote-raw", lambda grids: gridstitch_row(binary, "raw", grids, output)),
            ("zmq-remote-jpeg80", lambda grids: gridstitch_row(binary, "jpeg:80", grids, output)),
            ("imagezmq-req-rep-jpg80", lambda grids: imagezmq_row(python, grids, tiles)),
        )
        for name, run in kinds:
            setup = run(1)
            results = [run(options.grids) for _ in range(options.repeats)]
            row = {"transport": name, "link": options.rate, "cameras": CAMERAS, "grids": options.grids,
                   "repeats": options.repeats}
            for key in ("fps", "mb_per_s", "latency_p50_us", "latency_p99_us"):
                row[key] = statistics.median(r[key] for r in results)
            row.update(streaming_cpu(results, setup, options.grids, CAMERAS))
            fps = [r["fps"] for r in results]
            row["fps_stdev"] = statistics.stdev(fps) if len(fps) > 1 else 0.0
            rows.append(row)
            print(json.dumps(row), flush=True)
    finally:
        HOSTS.remove()
    with open(os.path.join(options.out, "remote-jpeg.json"), "w") as f:
        json.dump({"rows": rows}, f, indent=2)
    with open(os.path.join(options.out, "remote-jpeg.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
