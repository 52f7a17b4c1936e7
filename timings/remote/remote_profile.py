"""Where the CPU of a remote run goes: the hub and 16 `gridstitch camera`s in the two namespaces of
remote_bench.py, each under /usr/bin/time, and the machine's busy share from /proc/stat. Run a
1-grid run and a 3000-grid run; the difference is the streaming's CPU (the cameras' set-up, the
test card drawn and PNG-decoded twice, is not). Root, from the package root:

  .venv-test/bin/python timings/remote/remote_profile.py 1
  .venv-test/bin/python timings/remote/remote_profile.py 3000
"""
import json, os, subprocess, sys, time, tempfile
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import remote_bench as rb
binary = os.path.abspath(".build/release/gridstitch")
def cpu_times():
    with open("/proc/stat") as f:
        parts = f.readline().split()[1:]
    values = list(map(int, parts))
    idle = values[3] + values[4]
    return sum(values), idle
rb.HOSTS.make()
try:
    out = tempfile.mkdtemp()
    total0, idle0 = cpu_times()
    hub = subprocess.Popen(rb.HOSTS.inside_hub("/usr/bin/time", "-f", "hub %U %S", binary, "run", "--transport", "zmq",
        "--listen", f"{rb.HUB_IP}:7730", "--insecure", "--cameras", "16", "--frames", sys.argv[1], "--load", "none",
        "--sync", "free", "--json", "--quiet", "--output", out), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.3)
    cams = [subprocess.Popen(rb.HOSTS.inside_cameras("/usr/bin/time", "-f", "cam %U %S", binary, "camera", "--connect",
        f"tcp://{rb.HUB_IP}:7730"), stderr=subprocess.PIPE, text=True) for _ in range(16)]
    o, e = hub.communicate()
    total1, idle1 = cpu_times()
    cam_cpu = 0.0
    for c in cams:
        _, err = c.communicate()
        for line in err.splitlines():
            if line.startswith("cam "):
                _, u, s = line.split(); cam_cpu += float(u) + float(s)
    hub_line = [l for l in e.splitlines() if l.startswith("hub ")][0].split()
    d = json.loads(o)
    busy = 1 - (idle1 - idle0) / (total1 - total0)
    print(json.dumps({"fps": d["fps"], "seconds": d["seconds"], "hub_cpu_s": float(hub_line[1]) + float(hub_line[2]),
        "cameras_cpu_s": cam_cpu, "machine_busy_fraction": busy}))
finally:
    rb.HOSTS.remove()
