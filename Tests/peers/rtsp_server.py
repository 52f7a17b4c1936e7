#!/usr/bin/python3
"""A real RTSP server on loopback: GStreamer's gst-rtsp-server (Debian's python3-gi and
gir1.2-gst-rtsp-server-1.0), serving a live test pattern as RTP/JPEG at rtsp://127.0.0.1:PORT/live.

It prints "ready" once it listens and runs until SIGTERM or SIGINT. Each client gets the stream
on its own (not shared), over TCP interleaved or UDP, as the client asks.

usage: rtsp_server.py PORT
"""
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

# A parent may start us with these blocked (a test runner's threads block them); we must hear them.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
Gst.init(None)
port = sys.argv[1]
server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(port)
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(
    "( videotestsrc is-live=true pattern=smpte ! video/x-raw,format=I420,width=320,height=240,framerate=25/1 "
    "! jpegenc quality=85 ! rtpjpegpay name=pay0 pt=26 )")
factory.set_shared(False)
server.get_mount_points().add_factory("/live", factory)
if server.attach(None) == 0:
    sys.exit(f"rtsp_server: cannot listen on 127.0.0.1:{port}")
loop = GLib.MainLoop()
for stop in (signal.SIGTERM, signal.SIGINT):
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, stop, loop.quit)
print("ready", flush=True)
loop.run()
