"""Bar charts (SVG) of the remote rows (timings/remote.json) and of the imagezmq hubs
(timings/imagezmq/results.json): grids/s with a whisker of one standard deviation, and the TCP
bound as a dashed line. Run from the package root after remote_bench.py and imagezmq/run.sh:

  python3 timings/remote/chart.py   -> timings/remote.svg, timings/imagezmq.svg
"""
import json
from xml.sax.saxutils import escape

COLOURS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2"]


def chart(path, title, subtitle, groups, series, bound=None, unit="grids/s"):
    """groups: names along x; series: [(name, [(value, sd) per group])]."""
    width, height, left, right, top, bottom = 720, 420, 70, 20, 80, 60
    peak = max([v + sd for _, values in series for v, sd in values] + ([bound] if bound else []))
    scale = (height - top - bottom) / (peak * 1.1)
    plot_w = width - left - right
    group_w = plot_w / len(groups)
    bar_w = group_w * 0.7 / len(series)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif">',
           f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
           f'<text x="{width / 2}" y="28" text-anchor="middle" font-size="16">{escape(title)}</text>',
           f'<text x="{width / 2}" y="48" text-anchor="middle" font-size="12" fill="#555555">{escape(subtitle)}</text>']
    base = height - bottom
    for tick in range(6):
        value = peak * 1.1 * tick / 5
        y = base - value * scale
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#e4e4e4"/>')
        out.append(f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{value:.0f}</text>')
    out.append(f'<text x="16" y="{(top + base) / 2}" font-size="12" transform="rotate(-90 16 {(top + base) / 2})" '
               f'text-anchor="middle">{unit}</text>')
    for g, group in enumerate(groups):
        x0 = left + g * group_w + group_w * 0.15
        for s, (name, values) in enumerate(series):
            value, sd = values[g]
            x = x0 + s * bar_w
            y = base - value * scale
            out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w * 0.9:.1f}" height="{value * scale:.1f}" '
                       f'fill="{COLOURS[s % len(COLOURS)]}"><title>{escape(name)}: {value:.0f}</title></rect>')
            mid = x + bar_w * 0.45
            out.append(f'<line x1="{mid:.1f}" y1="{base - (value + sd) * scale:.1f}" x2="{mid:.1f}" '
                       f'y2="{base - max(0, value - sd) * scale:.1f}" stroke="#222222" stroke-width="1.5"/>')
            out.append(f'<text x="{mid:.1f}" y="{y - 6:.1f}" text-anchor="middle" font-size="11">{value:.0f}</text>')
        out.append(f'<text x="{left + (g + 0.5) * group_w:.1f}" y="{base + 20}" text-anchor="middle" '
                   f'font-size="12">{escape(group)}</text>')
    if bound:
        y = base - bound * scale
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#c0392b" '
                   f'stroke-width="1.5" stroke-dasharray="6 4"/>')
        out.append(f'<text x="{width - right}" y="{y - 6:.1f}" text-anchor="end" font-size="11" fill="#c0392b">'
                   f'TCP bound {bound:.0f}</text>')
    for s, (name, _) in enumerate(series):
        x = left + s * 240
        out.append(f'<rect x="{x}" y="{height - 24}" width="12" height="12" fill="{COLOURS[s % len(COLOURS)]}"/>')
        out.append(f'<text x="{x + 18}" y="{height - 14}" font-size="12">{escape(name)}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


remote = json.load(open("timings/remote.json"))
loads = ["io", "none"]
names = {"zmq-remote": "zmq --listen + gridstitch camera", "imagezmq-req-rep": "imagezmq REQ/REP"}
series = []
for transport in ("zmq-remote", "imagezmq-req-rep"):
    rows = {r["load"]: r for r in remote["rows"] if r["transport"] == transport}
    series.append((names[transport], [(rows[l]["fps"], rows[l]["fps_stdev"]) for l in loads]))
bound = remote["rows"][0]["tcp_bound_fps"]
chart("timings/remote.svg", "16 cameras on another host (two network namespaces, a veth pair)",
      "1000 grids of 16 × 240×320 grey, 3 repeats; whiskers ± 1 sd", loads, series, bound)

hubs = json.load(open("timings/imagezmq/results.json"))
hubs = hubs.get("summary", hubs) if isinstance(hubs, dict) else hubs
chart("timings/imagezmq.svg", "16 unchanged imagezmq senders into one hub",
      "2000 grids of 16 × 240×320 grey, 3 repeats; whiskers ± 1 sd", [h["hub"] for h in hubs],
      [("grids/s", [(h["fps_mean"], h["fps_sd"]) for h in hubs])])
