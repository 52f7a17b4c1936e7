#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora to Tests/FuzzCorpus/<Target>/: a few valid inputs of each
format, and the hostile cases the unit tests and the Python peers (Tests/peers/) use. Run it from
anywhere; it rewrites the folders whole. JPEGs are made with the system's libturbojpeg."""
import hashlib
import os
import shutil
import struct
import subprocess
import tempfile
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "FuzzCorpus")


def write(target, name, data):
    folder = os.path.join(ROOT, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def fresh(target):
    shutil.rmtree(os.path.join(ROOT, target), ignore_errors=True)


# --- FuzzZMQWire: one byte for the number of parts (n % 3 + 1), then the first part.
def zmq():
    fresh("FuzzZMQWire")

    def prefix(kind, version=3, pad=b"\0\0\0"):
        return b"GSZ" + bytes([version, kind]) + pad

    def header(camera=0, byte_count=76800, sequence=5, nanos=123456789, checksum=0xDEADBEEF, flags=1):
        return struct.pack("<IIQQQII", camera, byte_count, sequence, nanos, checksum, flags, 0)

    def orders(**override):
        values = dict(
            camera="3", cameras="16", width="320", height="240", channels="1", frames="1000", load="io",
            work_us="1000", sync="genlock", period_us="1000", policy="lockstep", slots="4", checksums="true",
        )
        values.update(override)
        return ",".join(f"{key.replace('_', '-')}={value}" for key, value in values.items()).encode()

    cases = {
        "hello": (0, prefix(0x01) + struct.pack("<iQQ", -1, 0x0123456789ABCDEF, 42)),
        "hello-camera-5": (0, prefix(0x01) + struct.pack("<iQQ", 5, 1, 2)),
        "frame": (1, prefix(0x02) + header()),
        "frame-no-checksum": (1, prefix(0x02) + header(flags=0, checksum=0)),
        "jpeg-frame": (1, prefix(0x05) + header(byte_count=9000)),
        "heartbeat": (0, prefix(0x03) + struct.pack("<Q", 77)),
        "pong": (0, prefix(0x04) + struct.pack("<QQ", 1000, 2000)),
        "welcome": (0, prefix(0x11) + orders()),
        "welcome-latest-fault": (0, prefix(0x11) + orders(policy="latest", slots="8", fault="die:3:10")),
        "refuse": (0, prefix(0x12) + b"the hub is full: 16 of 16 cameras"),
        "ping": (0, prefix(0x13) + struct.pack("<Q", 99)),
        "go": (0, prefix(0x14) + struct.pack("<Q", 1 << 40)),
        "credit": (0, prefix(0x15) + struct.pack("<I", 4)),
        "stop": (0, prefix(0x16)),
        "hub-heartbeat": (0, prefix(0x17)),
        # Hostile: Tests/peers/hostile_zmq.py and ZMQWireTests.
        "garbage": (0, b"\x00garbage that is not a gridstitch message"),
        "wrong-version": (1, prefix(0x02, version=9) + header()),
        "claimed-2GiB": (1, prefix(0x02) + header(byte_count=2 << 30)),
        "frame-one-part": (0, prefix(0x02) + header()),
        "frame-three-parts": (2, prefix(0x02) + header()),
        "frame-short": (1, (prefix(0x02) + header())[:-1]),
        "frame-padding": (1, prefix(0x02, pad=b"\x01\0\0") + header()),
        "unknown-type": (0, prefix(0x7F)),
        "welcome-bad-load": (0, prefix(0x11) + orders(load="warp")),
        "welcome-negative": (0, prefix(0x11) + orders(frames="-1")),
        "welcome-twice": (0, prefix(0x11) + orders() + b",camera=4"),
        "welcome-version-1": (0, prefix(0x11, version=1) + struct.pack("<11q", 3, 16, 320, 240, 1, 1000, 0, 1000, 1000, 5, 4)),
        "refuse-long": (0, prefix(0x12) + b"x" * 201),
        "empty": (0, b""),
    }
    for name, (parts, part) in cases.items():
        write("FuzzZMQWire", name, bytes([parts]) + part)


# --- FuzzImageZMQMetadata: the JSON part, as pyzmq's send_json writes it, and hostile JSON.
def imagezmq():
    fresh("FuzzImageZMQMetadata")
    cases = {
        "grey": b'{"msg": "rpi-1", "dtype": "uint8", "shape": [240, 320]}',
        "bgr": b'{"msg": "cam", "dtype": "uint8", "shape": [480, 640, 3]}',
        "jpeg": b'{"msg": "jpg-cam"}',
        "escapes": b' {"shape":[1,1],"msg":"caf\\u00e9 \\ud83d\\udcf7","dtype":"uint8","extra":{"a":[null,true,1.5e3]}} ',
        "utf8-name": '{"msg": "na\u00efve"}'.encode(),
        "truncated": b'{"msg": "x", ',
        "trailing": b'{"msg": "x"} trailing',
        "array": b"[240, 320]",
        "string": b'"just a string"',
        "no-msg": b'{"dtype": "uint8", "shape": [2, 2]}',
        "msg-number": b'{"msg": 7}',
        "msg-empty": b'{"msg": ""}',
        "msg-twice": b'{"msg": "a", "msg": "b"}',
        "float32": b'{"msg": "f", "dtype": "float32", "shape": [2, 2]}',
        "shape-4": b'{"msg": "f", "dtype": "uint8", "shape": [2, 2, 4]}',
        "shape-1": b'{"msg": "f", "dtype": "uint8", "shape": [5]}',
        "shape-over": b'{"msg": "h-wide", "dtype": "uint8", "shape": [1, 8193]}',
        "shape-claim": b'{"msg": "h-claim", "dtype": "uint8", "shape": [9000, 9000, 3]}',
        "shape-negative": b'{"msg": "f", "dtype": "uint8", "shape": [-2, 4]}',
        "shape-fraction": b'{"msg": "h-frac", "dtype": "uint8", "shape": [2.5, 4]}',
        "shape-exponent": b'{"msg": "f", "dtype": "uint8", "shape": [1e3, 4]}',
        "shape-huge": b'{"msg": "f", "dtype": "uint8", "shape": [99999999999999999999999, 4]}',
        "shape-string": b'{"msg": "f", "dtype": "uint8", "shape": ["2", 4]}',
        "lone-surrogate": b'{"msg": "\\ud800"}',
        "control": b'{"msg": "tab\there"}',
        "leading-zero": b'{"msg": "x", "a": 01}',
        "bad-literal": b'{"msg": "x", "a": tru}',
        "deep": b"[" * 100 + b"]" * 100,
        "not-utf8": b'{"msg": "\xff\xfe"}',
        "overlong": b'{"msg": "\xc0\xaf"}',
        "surrogate-utf8": b'{"msg": "\xed\xa0\x80"}',
        "long-name": b'{"msg": "' + b"n" * 257 + b'"}',
    }
    for name, data in cases.items():
        write("FuzzImageZMQMetadata", name, data)


# --- FuzzScenePNG: small PNGs of every colour type and depth, and broken ones.
def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width, height, depth, colour, rows, interlace=0, extra=b"", ihdr=None):
    ihdr = ihdr or struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, interlace)
    raw = b"".join(b"\0" + row for row in rows)
    return (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + extra + png_chunk(b"IDAT", zlib.compress(raw))
        + png_chunk(b"IEND", b"")
    )


def scene_png():
    fresh("FuzzScenePNG")
    w, h = 8, 6
    grey = [bytes((x * 30 + y * 7) & 255 for x in range(w)) for y in range(h)]
    rgb = [bytes(v for x in range(w) for v in (x * 30, y * 40, 200)) for y in range(h)]
    rgba = [bytes(v for x in range(w) for v in (x * 30, y * 40, 200, x * 20)) for y in range(h)]
    grey16 = [b"".join(struct.pack(">H", x * 5000 + y) for x in range(w)) for y in range(h)]
    palette = png_chunk(b"PLTE", bytes([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255]))
    indexed = [bytes((x + y) % 4 for x in range(w)) for y in range(h)]
    cases = {
        "grey.png": png(w, h, 8, 0, grey),
        "rgb.png": png(w, h, 8, 2, rgb),
        "rgba.png": png(w, h, 8, 6, rgba),
        "grey16.png": png(w, h, 16, 0, grey16),
        "palette.png": png(w, h, 8, 3, indexed, extra=palette),
        "interlaced.png": png(w, h, 8, 0, grey, interlace=1),
        "one-pixel.png": png(1, 1, 8, 2, [b"\x10\x20\x30"]),
        "huge-header.png": png(100000, 100000, 8, 2, [b"\0\0\0"]),
        "zero-size.png": png(0, 0, 8, 0, []),
        "truncated.png": png(w, h, 8, 2, rgb)[:60],
        "bad-crc.png": png(w, h, 8, 0, grey)[:-5] + b"\0\0\0\0\0",
        "not-png": b"this is not a PNG",
    }
    for name, data in cases.items():
        write("FuzzScenePNG", name, data)


# --- FuzzJPEG: small JPEGs made by the system's libturbojpeg (as the hub decodes with), and
# broken ones.
def compress_jpeg(width, height, pixels, pixel_format, subsampling, flags=0):
    import ctypes

    tj = ctypes.CDLL("libturbojpeg.so.0")
    tj.tjInitCompress.restype = ctypes.c_void_p
    handle = tj.tjInitCompress()
    out = ctypes.POINTER(ctypes.c_ubyte)()
    size = ctypes.c_ulong(0)
    result = tj.tjCompress2(
        ctypes.c_void_p(handle), pixels, width, 0, height, pixel_format, ctypes.byref(out), ctypes.byref(size),
        subsampling, 50, flags,
    )
    assert result == 0, "tjCompress2 failed"
    data = ctypes.string_at(out, size.value)
    tj.tjFree(out)
    tj.tjDestroy(ctypes.c_void_p(handle))
    return data


def jpeg():
    target = "FuzzJPEG"
    fresh(target)
    rgb, grey = 0, 6  # TJPF_RGB, TJPF_GRAY
    s444, s422, s420, sgrey, s440, s411 = range(6)
    progressive = 16384  # TJFLAG_PROGRESSIVE

    def picture(width, height, channels):
        return bytes((x * 13 + y * 29 + c * 80) & 255 for y in range(height) for x in range(width) for c in range(channels))

    made = {
        "grey.jpg": compress_jpeg(16, 12, picture(16, 12, 1), grey, sgrey),
        "rgb420.jpg": compress_jpeg(32, 24, picture(32, 24, 3), rgb, s420),
        "rgb444.jpg": compress_jpeg(24, 16, picture(24, 16, 3), rgb, s444),
        "rgb422.jpg": compress_jpeg(20, 10, picture(20, 10, 3), rgb, s422),
        "rgb440.jpg": compress_jpeg(9, 17, picture(9, 17, 3), rgb, s440),
        "rgb411.jpg": compress_jpeg(40, 8, picture(40, 8, 3), rgb, s411),
        "progressive.jpg": compress_jpeg(40, 8, picture(40, 8, 3), rgb, s420, progressive),
        "tall.jpg": compress_jpeg(4, 64, picture(4, 64, 1), grey, sgrey),
        "one-pixel.jpg": compress_jpeg(1, 1, b"\x80\x40\x20", rgb, s444),
    }
    for name, data in made.items():
        write(target, name, data)
    good = made["rgb420.jpg"]
    sof = good.index(b"\xff\xc0")
    # SOF0: marker, length (2), precision (1), height (2), width (2).
    huge = good[: sof + 5] + struct.pack(">HH", 9000, 9000) + good[sof + 9 :]
    write(target, "huge-9000.jpg", huge)
    write(target, "at-limit-8192.jpg", good[: sof + 5] + struct.pack(">HH", 8192, 8192) + good[sof + 9 :])
    write(target, "cut-header.jpg", good[:30])
    write(target, "cut-scan.jpg", good[: len(good) - 40])
    write(target, "not-jpeg", b"this is not a JPEG")
    write(target, "empty", b"")


# --- FuzzTileFitter: 12 bytes of sizes, orders and a claimed size, then pixels.
def tile_fitter():
    fresh("FuzzTileFitter")

    def case(tile_w, tile_h, channels, src_w, src_h, claimed, order_a, order_b, pixels):
        # side(at) = (b[at] << 8 | b[at + 1]) % limit + 1, so each side is stored less one. Bytes
        # 10 and 11 are the two pictures' orders, and also the second picture's sides.
        head = struct.pack(">HHB", tile_w - 1, tile_h - 1, 0 if channels == 1 else 1)
        head += struct.pack(">HHB", src_w - 1, src_h - 1, claimed & 255)
        return head + bytes([order_a, order_b]) + pixels

    gradient = bytes(range(256))
    cases = {
        "identity-grey": case(320, 240, 1, 320, 240, 128, 0, 0, gradient),
        "identity-rgb": case(64, 48, 3, 64, 48, 128, 1, 1, gradient),
        "shrink-bgr": case(32, 24, 3, 400, 300, 127, 2, 0, gradient),
        "grow-grey": case(256, 256, 1, 3, 2, 129, 0, 2, gradient),
        "wide-strip": case(200, 10, 3, 400, 1, 128, 1, 1, b"\xff\x00"),
        "tall-strip": case(1, 256, 1, 1, 400, 128, 2, 0, b"\x80"),
        "one-pixel": case(1, 1, 1, 1, 1, 128, 0, 0, b"\x7f"),
        "mixed": case(100, 100, 3, 250, 40, 0, 0, 2, gradient[::-1]),
    }
    for name, data in cases.items():
        write("FuzzTileFitter", name, data)


# --- FuzzGalleryPath: names a browser may ask for (the fuzz target's folder is fixed).
def gallery():
    fresh("FuzzGalleryPath")
    names = [
        "grid-000001.png", "grid-latest.png", "notes.txt", "link-in.png", "\u00fcn\u00efc\u00f6d\u00e9.png",
        "../outside.png", "..", ".", "", "/etc/passwd", "link-out.png", "link-abs.png", "link-sub.png",
        "sub/inner.png", "sub", "link-dir.png", ".hidden.png", "fifo.png", "dangling.png", "link-root.png",
        "link-loop.png", "%2e%2e%2foutside.png", "grid-000001.png/", "./grid-000001.png",
        "grid-000001.png\x00.txt", "u\u0308nicode.png", "x" * 300,
    ]
    for name in names:
        write("FuzzGalleryPath", hashlib.sha1(name.encode()).hexdigest()[:12], name.encode())
    # Names as a browser sends them, %-encoded (the server decodes, then resolves).
    encoded = {
        "encoded-hard-link": "hard%2Epng", "encoded-malformed": "bad%zz.png", "encoded-served": "%67rid-000001.png",
        "encoded-traversal": "%2e%2e%2foutside.png", "encoded-unicode": "%C3%BCn%C3%AFc%C3%B6d%C3%A9.png",
    }
    for name, data in encoded.items():
        write("FuzzGalleryPath", name, data.encode())


# --- FuzzByteRange: Range headers a browser or a stranger may send for a recording.
def byte_range():
    fresh("FuzzByteRange")
    headers = [
        "bytes=0-", "bytes=100-199", "bytes=-500", "bytes=0-0", "bytes=5-4", "bytes=0-1,5-6", "items=0-1",
        "bytes=99999999999999999999-", "bytes=-", "bytes=1000-2000",
    ]
    for header in headers:
        write("FuzzByteRange", hashlib.sha1(header.encode()).hexdigest()[:12], header.encode())


# --- FuzzProduceArguments: command lines split at NUL, as CameraProcessSpec.arguments writes them.
def produce():
    fresh("FuzzProduceArguments")

    def line(transport, descriptors, extra=(), **override):
        values = dict(
            camera="3", cameras="16", width="320", height="240", channels="1", frames="1000", load="io",
            work_us="1000", sync="free", period_us="1000", policy="lockstep", slots="4", checksums="false",
        )
        parent = override.pop("parent", "4242")
        values.update(override)
        orders = ",".join(f"{key.replace('_', '-')}={value}" for key, value in values.items())
        args = [
            "produce", "--transport", transport, "--orders", orders, "--parent", parent,
            "--descriptors", str(descriptors),
        ]
        return "\0".join(args + list(extra)).encode()

    cases = {
        "pipe": line("pipe", 1),
        "shm-ring": line("shm-ring", 1, checksums="true"),
        "shm-mqueue": line("shm-mqueue", 3),
        "shm-pipe": line("shm-pipe", 3, fault="tamper:3:10"),
        "unknown-key": line("pipe", 1, zoom="2"),
        "two-orders": line("pipe", 1, ("--orders", "camera=1")),
        "zmq-latest": line("zmq", 1, policy="latest", sync="genlock"),
        "rgb-big": line("shm-ring", 1, width="16384", height="16384", channels="3", cameras="4", camera="0"),
        "bad-camera": line("pipe", 1, camera="16"),
        "bad-slots": line("shm-ring", 1, slots="3"),
        "bad-number": line("pipe", 1, frames="12x"),
        "huge-number": line("pipe", 1, width="99999999999999999999999"),
        "negative": line("pipe", 1, cameras="-1"),
        "serial": line("serial", 0),
        "help": b"produce\0--help",
        "run-serve": b"run\0--serve\0--frames\x0010",
        "empty": b"",
    }
    for name, data in cases.items():
        write("FuzzProduceArguments", name, data)


# --- FuzzMedia: two-frame 32x24 clips made by the system's ffmpeg program (H.264 in mp4 and
# MPEG-TS, H.265 and MJPEG in Matroska, MPEG-4 part 2 in AVI), and a truncated mp4.
def media():
    fresh("FuzzMedia")
    clips = {
        "h264.mp4": ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "ultrafast"],
        "h264.ts": ["-c:v", "libx264", "-preset", "ultrafast"],
        "hevc.mkv": ["-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=none"],
        "mjpeg.mkv": ["-c:v", "mjpeg"],
        "mpeg4.avi": ["-c:v", "mpeg4"],
    }
    with tempfile.TemporaryDirectory() as scratch:
        for name, codec in clips.items():
            path = os.path.join(scratch, name)
            subprocess.run(
                ["ffmpeg", "-v", "error", "-nostdin", "-f", "lavfi", "-i", "testsrc2=size=32x24:rate=25",
                 "-frames:v", "2"] + codec + [path],
                check=True,
            )
            with open(path, "rb") as f:
                data = f.read()
            write("FuzzMedia", name, data)
            if name == "h264.mp4":
                write("FuzzMedia", "truncated.mp4", data[:600])


if __name__ == "__main__":
    zmq()
    imagezmq()
    scene_png()
    jpeg()
    tile_fitter()
    gallery()
    byte_range()
    produce()
    media()
    total = sum(
        os.path.getsize(os.path.join(folder, f)) for folder, _, files in os.walk(ROOT) for f in files
    )
    print(f"corpus: {total} bytes in {ROOT}")
