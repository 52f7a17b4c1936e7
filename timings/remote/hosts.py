"""Two "hosts" made of network namespaces for the remote benchmarks: a hub namespace and a cameras
namespace joined by a veth pair, one private /24 that exists only inside them, optionally the
cameras' side shaped by a token bucket (`tc … tbf`). Every process a benchmark starts inside them
is killed and both namespaces are deleted on `remove`, however the benchmark ends.
"""
import os
import subprocess


def ip(*args):
    subprocess.run(["ip", *args], check=True)


class Hosts:
    def __init__(self, name, subnet, rate=None):
        self.hub, self.cam = f"{name}-hub", f"{name}-cam"
        self.hub_link, self.cam_link = f"{name}h", f"{name}c"
        self.hub_ip, self.cam_ip = subnet + ".1", subnet + ".2"
        self.subnet = subnet
        self.rate = rate

    def make(self):
        self.remove()
        ip("netns", "add", self.hub)
        ip("netns", "add", self.cam)
        ip("link", "add", self.hub_link, "type", "veth", "peer", "name", self.cam_link)
        ip("link", "set", self.hub_link, "netns", self.hub)
        ip("link", "set", self.cam_link, "netns", self.cam)
        ip("-n", self.hub, "addr", "add", self.hub_ip + "/24", "dev", self.hub_link)
        ip("-n", self.cam, "addr", "add", self.cam_ip + "/24", "dev", self.cam_link)
        for ns, link in ((self.hub, self.hub_link), (self.cam, self.cam_link)):
            ip("-n", ns, "link", "set", "lo", "up")
            ip("-n", ns, "link", "set", link, "up")
        if self.rate:
            # A token bucket at 1 Gbit/s needs a burst of at least one tick's worth (HZ 250: 500 KB).
            ip("netns", "exec", self.cam, "tc", "qdisc", "add", "dev", self.cam_link, "root", "tbf", "rate",
               self.rate, "burst", "512kb", "latency", "400ms")

    def remove(self):
        for ns in (self.hub, self.cam):
            pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), 9)
                except ProcessLookupError:
                    pass
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)

    def inside_hub(self, *command):
        return ["ip", "netns", "exec", self.hub, *command]

    def inside_cameras(self, *command):
        return ["ip", "netns", "exec", self.cam, *command]


def reap(processes):
    """Waits for each process and returns the CPU seconds (user + system) each used, from wait4."""
    seconds = []
    for process in processes:
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise RuntimeError(f"a camera exited with {process.returncode}")
        seconds.append(usage.ru_utime + usage.ru_stime)
    return seconds


def timed_cpu(stderr):
    """The CPU seconds of a process run under `/usr/bin/time -f "%U %S"`, from its stderr's last line."""
    user, system = (float(x) for x in stderr.strip().split("\n")[-1].split())
    return user + system


def streaming_cpu(results, setup, grids, cameras):
    """The hub's CPU milliseconds per grid and the cameras' CPU microseconds per frame of runs of
    `grids` grids, each less a 1-grid run's (`setup`: starting the processes, reading the scene,
    connecting), so what is left is the streaming's; medians over `results`. Each result holds
    `hub_cpu_s` and `cameras_cpu_s`."""
    import statistics
    frames = (grids - 1) * cameras
    return {
        "hub_ms_per_grid": statistics.median(
            (r["hub_cpu_s"] - setup["hub_cpu_s"]) / (grids - 1) * 1e3 for r in results),
        "camera_us_per_frame": statistics.median(
            (r["cameras_cpu_s"] - setup["cameras_cpu_s"]) / frames * 1e6 for r in results),
    }
