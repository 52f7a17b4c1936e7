"""gridstitch against GStreamer on the same clips, one sitting (issue 20's realistic load):
16 cameras, each decoding a 640x360 H.264 clip (4 distinct clips of 20 s at 25 fps, made here
with ffmpeg's testsrc2 and libx264 -preset veryfast -g 50), stitched into a 1280x960 grid.

  GStreamer 1.22: filesrc ! qtdemux ! h264parse ! avdec_h264 max-threads=1 ! videoscale !
  video/x-raw,width=320,height=240 ! queue, 16 times, into compositor -> fakesink, at the clips'
  rate (sync=true) and as fast as it can (sync=false).
  gridstitch: run --source CLIP1 … CLIP4 --cameras 16 (camera i films clip i mod 4), at the
  clips' rate (--sync free --load io: each camera paces by its clip's timestamps) and as fast as
  it can (--load none), every frame verified, grey and RGB.

CPU is the user + system time of the whole process tree (/usr/bin/time). Run from the package
root with nothing else running:

  .venv-test/bin/python timings/gstreamer/compare.py [--binary .build/release/gridstitch] [--repeats 3]

Writes timings/gstreamer.json and timings/gstreamer.csv.
"""
import argparse
import csv
import json
import os
import statistics
import subprocess
import tempfile

CLIPS = [
    "testsrc2=size=640x360:rate=25",
    "testsrc2=size=640x360:rate=25,hue=h=90",
    "testsrc2=size=640x360:rate=25,negate",
    "testsrc2=size=640x360:rate=25,hflip",
]
SECONDS = 20
FRAMES = SECONDS * 25


def make_clips(folder):
    paths = []
    for index, source in enumerate(CLIPS):
        path = os.path.join(folder, f"clip{index}.mp4")
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", source, "-t", str(SECONDS),
                        "-c:v", "libx264", "-preset", "veryfast", "-g", "50", "-pix_fmt", "yuv420p", path],
                       check=True)
        paths.append(path)
    return paths


def gstreamer_pipeline(clips, sync):
    parts = ["compositor", "name=mix", "background=black"]
    for index in range(16):
        parts.append(f"sink_{index}::xpos={index % 4 * 320}")
        parts.append(f"sink_{index}::ypos={index // 4 * 240}")
    parts += ["!", "video/x-raw,width=1280,height=960", "!", "fakesink", f"sync={'true' if sync else 'false'}"]
    for index in range(16):
        parts += ["filesrc", f"location={clips[index % 4]}", "!", "qtdemux", "!", "h264parse", "!",
                  "avdec_h264", "max-threads=1", "!", "videoscale", "!",
                  "video/x-raw,width=320,height=240", "!", "queue", "!", f"mix.sink_{index}"]
    return ["gst-launch-1.0", "-q"] + parts


def timed(command):
    """Wall, user + system seconds of `command` and its children, and its stdout."""
    result = subprocess.run(["/usr/bin/time", "-f", "%e %U %S"] + command, capture_output=True, text=True,
                            check=True)
    wall, user, system = (float(x) for x in result.stderr.strip().split("\n")[-1].split())
    return wall, user + system, result.stdout


def gstreamer_row(clips, sync):
    wall, cpu, _ = timed(gstreamer_pipeline(clips, sync))
    return {"grids_per_s": FRAMES / wall, "wall_s": wall, "cpu_s": cpu, "cores": cpu / wall,
            "latency_p99_ms": None, "verified_frames": None}


def gridstitch_row(binary, clips, paced, channels, output):
    command = [binary, "run", "--transport", "shm-ring", "--cameras", "16", "--frames", str(FRAMES),
               "--channels", str(channels), "--sync", "free", "--load", "io" if paced else "none",
               "--verify", "--json", "--quiet", "--output", output]
    for clip in clips:
        command += ["--source", clip]
    wall, cpu, out = timed(command)
    result = json.loads(out)
    assert result["verified_frames"] == FRAMES * 16, result
    return {"grids_per_s": result["fps"], "wall_s": wall, "cpu_s": cpu, "cores": cpu / wall,
            "latency_p99_ms": result["latency_p99_us"] / 1000, "verified_frames": result["verified_frames"]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/release/gridstitch")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default="timings")
    options = parser.parse_args()
    binary = os.path.abspath(options.binary)
    folder = tempfile.mkdtemp(prefix="gridstitch-gst-")
    output = os.path.join(folder, "out")
    os.makedirs(output)
    clips = make_clips(folder)
    version = subprocess.run(["gst-launch-1.0", "--version"], capture_output=True, text=True).stdout.split("\n")[1]
    rows = []
    kinds = [
        ("gstreamer", "25 fps", lambda: gstreamer_row(clips, True)),
        ("gridstitch grey", "25 fps", lambda: gridstitch_row(binary, clips, True, 1, output)),
        ("gridstitch rgb", "25 fps", lambda: gridstitch_row(binary, clips, True, 3, output)),
        ("gstreamer", "as fast as it can", lambda: gstreamer_row(clips, False)),
        ("gridstitch grey", "as fast as it can", lambda: gridstitch_row(binary, clips, False, 1, output)),
        ("gridstitch rgb", "as fast as it can", lambda: gridstitch_row(binary, clips, False, 3, output)),
    ]
    for name, pace, run in kinds:
        results = [run() for _ in range(options.repeats)]
        row = {"pipeline": name, "pace": pace, "repeats": options.repeats}
        for key in results[0]:
            values = [r[key] for r in results if r[key] is not None]
            row[key] = statistics.median(values) if values else None
        rows.append(row)
        print(json.dumps(row), flush=True)
    with open(os.path.join(options.out, "gstreamer.json"), "w") as f:
        json.dump({"gstreamer": version, "frames": FRAMES, "clips": CLIPS, "pipeline": " ".join(
            gstreamer_pipeline([f"clip{i}.mp4" for i in range(4)], True)), "rows": rows}, f, indent=2)
    with open(os.path.join(options.out, "gstreamer.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
