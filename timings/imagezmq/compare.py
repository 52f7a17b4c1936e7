"""gridstitch's imagezmq hub against imagezmq's own ImageHub loop stitching with numpy: the same
unchanged senders (imagezmq.ImageSender, grey pictures), the same grid, one sitting, the hubs
taking turns repeat after repeat so that the machine's drift hits each alike.

Hubs:
  gridstitch-lockstep  gridstitch run --transport imagezmq (the default policy: every sender's OK
                       held until its frame is stitched, so every grid has one new frame from each)
  gridstitch-latest    the same with --policy latest (OK at once, each grid takes the newest)
  imagehub-numpy       hub_numpy.py: ImageHub.recv_image, paste into a numpy grid, send_reply;
                       a grid counts once every sender has put a new frame in it

Per run it records grids/s, the hub's CPU, the senders' CPU and set-up time; then mean ± sample
standard deviation per hub. Writes the rows and the summary as JSON (--output) and prints a table.

CPU, all of it including libzmq's I/O thread:
  hub_process_cpu_s  the hub's whole process, measured the same way for every hub (getrusage of
                     the reaped child): gridstitch's start, set-up wait and last PNG, ImageHub's
                     Python start-up and imports. The table's figure.
  hub_cpu_s          what each hub reports itself: gridstitch its whole process (consumer_cpu_s),
                     ImageHub its timed loop only.
  senders_cpu_s      every sender, from its first reply to the end of the run.
"""

import argparse
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--senders", type=int, default=16)
    p.add_argument("--grids", type=int, default=2000)
    p.add_argument("--height", type=int, default=240)
    p.add_argument("--width", type=int, default=320)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--hubs", default="gridstitch-lockstep,gridstitch-latest,imagehub-numpy")
    p.add_argument("--gridstitch", default=os.path.join(ROOT, ".build/release/gridstitch"))
    p.add_argument("--output", default=os.path.join(HERE, "results.json"))
    p.add_argument("--timeout", type=float, default=600, help="seconds one run may take")
    return p.parse_args()


def hub_command(hub, args, port, scratch):
    if hub.startswith("gridstitch"):
        command = [
            args.gridstitch, "run", "--transport", "imagezmq", "--listen", f"tcp://127.0.0.1:{port}",
            "--cameras", str(args.senders), "--frames", str(args.grids), "--width", str(args.width),
            "--height", str(args.height), "--channels", "1", "--wait-seconds", "120", "--json", "--quiet",
            "--output", scratch,
        ]
        if hub == "gridstitch-latest":
            command += ["--policy", "latest"]
        return command
    if hub == "imagehub-numpy":
        return [
            sys.executable, os.path.join(HERE, "hub_numpy.py"), "--port", str(port), "--senders",
            str(args.senders), "--grids", str(args.grids), "--height", str(args.height), "--width",
            str(args.width),
        ]
    raise SystemExit(f"unknown hub {hub}")


def one_run(hub, args, repeat):
    port = free_port()
    scratch = os.path.join("/tmp", f"gridstitch-imagezmq-compare-{os.getpid()}")
    os.makedirs(scratch, exist_ok=True)  # gridstitch's grid-latest.png; removed after the run
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    hub_process = subprocess.Popen(
        hub_command(hub, args, port, scratch), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    senders = [
        subprocess.Popen(
            [sys.executable, os.path.join(HERE, "sender.py"), "--connect", f"tcp://127.0.0.1:{port}",
             "--name", f"pi-{i:02d}", "--height", str(args.height), "--width", str(args.width)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        for i in range(args.senders)
    ]
    try:
        out, err = hub_process.communicate(timeout=args.timeout)
    except subprocess.TimeoutExpired:
        hub_process.kill()
        out, err = hub_process.communicate()
        raise SystemExit(f"{hub} did not finish within {args.timeout} s:\n{err}")
    finally:
        # Only the hub has been reaped since `before`: the senders are reaped below.
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        for sender in senders:
            if sender.poll() is None:
                sender.send_signal(signal.SIGTERM)
    sender_cpu = 0.0
    for sender in senders:
        try:
            text, _ = sender.communicate(timeout=10)
            sender_cpu += json.loads(text.strip().splitlines()[-1])["cpu_s"]
        except Exception:
            sender.kill()
            sender.communicate()
    shutil.rmtree(scratch, ignore_errors=True)
    if hub_process.returncode != 0:
        raise SystemExit(f"{hub} failed ({hub_process.returncode}):\n{err}")
    report = json.loads(out)
    if hub.startswith("gridstitch"):
        hub_cpu = report["consumer_cpu_s"]
        setup = report["setup_seconds"]
    else:
        hub_cpu = report["hub_cpu_s"]
        setup = report["setup_seconds"]
    process_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "hub": hub, "repeat": repeat, "senders": args.senders, "grids": report["grids"],
        "seconds": report["seconds"], "fps": report["fps"], "hub_process_cpu_s": process_cpu,
        "hub_process_cpu_s_per_1000_grids": process_cpu / report["grids"] * 1000, "hub_cpu_s": hub_cpu,
        "senders_cpu_s": sender_cpu, "setup_seconds": setup,
    }


def main():
    args = parse()
    hubs = args.hubs.split(",")
    if any(h.startswith("gridstitch") for h in hubs) and not os.access(args.gridstitch, os.X_OK):
        raise SystemExit(f"{args.gridstitch} is missing: swift build -c release")
    rows = []
    for repeat in range(args.repeats):
        for hub in hubs:
            row = one_run(hub, args, repeat)
            rows.append(row)
            print(
                f"{hub:20} repeat {repeat + 1}: {row['fps']:9.1f} grids/s, hub process CPU "
                f"{row['hub_process_cpu_s']:.2f} s ({row['hub_process_cpu_s_per_1000_grids']:.3f} s / 1000 grids; "
                f"its own figure {row['hub_cpu_s']:.2f} s), senders {row['senders_cpu_s']:.2f} s",
                file=sys.stderr, flush=True)
    summary = []
    for hub in hubs:
        mine = [r for r in rows if r["hub"] == hub]
        fps = [r["fps"] for r in mine]
        cpu = [r["hub_process_cpu_s_per_1000_grids"] for r in mine]
        summary.append({
            "hub": hub, "runs": len(mine), "fps_mean": statistics.mean(fps),
            "fps_sd": statistics.stdev(fps) if len(fps) > 1 else 0.0,
            "hub_process_cpu_s_per_1000_grids_mean": statistics.mean(cpu),
            "hub_process_cpu_s_per_1000_grids_sd": statistics.stdev(cpu) if len(cpu) > 1 else 0.0,
            "senders_cpu_s_per_1000_grids_mean": statistics.mean(
                [r["senders_cpu_s"] / r["grids"] * 1000 for r in mine]),
        })
    machine = {"cores": os.cpu_count(), "kernel": os.uname().release}
    try:
        with open("/proc/cpuinfo") as f:
            machine["model"] = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    result = {
        "what": "gridstitch's imagezmq hub vs imagezmq's ImageHub loop with numpy, same senders, one sitting",
        "senders": args.senders, "grids": args.grids, "height": args.height, "width": args.width,
        "repeats": args.repeats, "machine": machine, "summary": summary, "rows": rows,
    }
    with open(args.output + ".tmp", "w") as f:
        json.dump(result, f, indent=1)
    os.replace(args.output + ".tmp", args.output)
    base = next((s for s in summary if s["hub"] == "imagehub-numpy"), None)
    print(f"{'hub':20} {'grids/s':>16} {'hub CPU s/1000 grids':>22} {'senders CPU s/1000':>19}  grids/s vs ImageHub")
    for s in summary:
        ratio = f"{s['fps_mean'] / base['fps_mean']:.2f}x" if base else ""
        print(
            f"{s['hub']:20} {s['fps_mean']:9.1f} ± {s['fps_sd']:5.1f} "
            f"{s['hub_process_cpu_s_per_1000_grids_mean']:13.3f} ± {s['hub_process_cpu_s_per_1000_grids_sd']:6.3f} "
            f"{s['senders_cpu_s_per_1000_grids_mean']:19.3f}  {ratio}")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
