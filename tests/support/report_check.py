#!/usr/bin/env python3
"""report_check.py - checks of a procthread HTML report that need a parser.

  report_check.py svg REPORT.html
      every <svg> element parses as XML; prints how many there are
  report_check.py png SHOT.png
      the screenshot is not blank: enough non-white pixels, and the
      thread and process colours of the charts among them

Only the standard library: the PNG is decoded with zlib.
"""
import re
import struct
import sys
import xml.etree.ElementTree as ET
import zlib


def check_svg(path):
    html = open(path, encoding="utf-8").read()
    svgs = re.findall(r"<svg\b.*?</svg>", html, re.S)
    if not svgs:
        print("no <svg> element")
        return 1
    for i, svg in enumerate(svgs):
        try:
            root = ET.fromstring(svg)
        except ET.ParseError as e:
            print("svg %d does not parse: %s" % (i + 1, e))
            return 1
        if root.find("title") is None or not root.get("viewBox"):
            print("svg %d has no <title> or viewBox" % (i + 1))
            return 1
    print(len(svgs))
    return 0


def png_pixels(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            w, h, depth, colour = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    if depth != 8 or colour not in (2, 6):
        raise ValueError("unexpected PNG format %d/%d" % (depth, colour))
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    rows = []
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[x] = (line[x] + pr) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def check_png(path):
    w, h, bpp, rows = png_pixels(path)
    non_white = 0
    colours = set()
    for line in rows:
        for x in range(0, len(line), bpp):
            rgb = line[x:x + 3]
            if rgb != b"\xff\xff\xff":
                non_white += 1
                colours.add(bytes(rgb))
    share = non_white / float(w * h)
    # The palette's thread blue and process orange fill the bars.
    wanted = {"thread blue": b"\x00\x72\xb2", "process orange": b"\xd5\x5e\x00"}
    missing = [name for name, rgb in wanted.items() if rgb not in colours]
    print("%dx%d, %.1f%% not white, %d colours" % (w, h, 100 * share, len(colours)))
    if share < 0.02:
        print("blank: under 2% of the pixels are not white")
        return 1
    if missing:
        print("no pixel of the " + " or ".join(missing))
        return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("svg", "png"):
        print(__doc__)
        sys.exit(2)
    sys.exit(check_svg(sys.argv[2]) if sys.argv[1] == "svg" else check_png(sys.argv[2]))
