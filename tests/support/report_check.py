#!/usr/bin/env python3
"""report_check.py - checks of a procthread HTML report that need a parser.

  report_check.py svg REPORT.html
      every <svg> element parses as XML; prints how many there are
  report_check.py structure REPORT.html
      the charts do not mislead (issue 14): every mark of a thread series
      is blue and of a process series orange, limits grey; no bar (a
      <rect class="bar">) on a logarithmic axis; no <polyline> through
      fewer than 3 points and no <path>; no "nan" anywhere
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


KIND_COLOURS = {
    "thread": {"#0072b2"},
    "process": {"#d55e00"},
    "none": {"#666666"},
    "limit": {"#555", "#666666"},
}
# Colours any mark may also use: a hollow marker's inside, a bar's whisker.
NEUTRAL = {"#fff", "none", "#222"}


def check_structure(path):
    html = open(path, encoding="utf-8").read()
    problems = []
    if re.search(r"nan", html, re.I):
        at = re.search(r"nan", html, re.I).start()
        problems.append("'nan' in the page: ...%s..." % html[at - 40:at + 20])
    svgs = re.findall(r"<svg\b.*?</svg>", html, re.S)
    series = 0
    for i, text in enumerate(svgs):
        root = ET.fromstring(text)
        name = "svg %d (%s)" % (i + 1, root.findtext("title"))
        value_log = (root.get("data-x-scale") == "log"
                     if root.get("data-shape") in ("bars", "dots")
                     else root.get("data-y-scale") == "log")
        for el in root.iter():
            tag = el.tag.split("}")[-1]
            if tag == "path":
                problems.append("%s: a <path>" % name)
            if tag == "polyline":
                points = el.get("points", "").split()
                if len(points) < 3:
                    problems.append("%s: a line through %d points"
                                    % (name, len(points)))
            if (tag == "rect" and el.get("class") == "bar"
                    and root.get("data-shape") != "plot"
                    and root.get("data-x-scale") == "log"):
                problems.append("%s: a bar on a logarithmic axis" % name)
        if root.get("data-shape") == "bars" and value_log:
            problems.append("%s: bars on a logarithmic axis" % name)
        for g in root.iter("g"):
            if g.get("class") != "series":
                continue
            series += 1
            kind = g.get("data-kind")
            allowed = KIND_COLOURS.get(kind)
            if allowed is None:
                problems.append("%s: series of unknown kind %r" % (name, kind))
                continue
            for el in g.iter():
                if el.tag in ("title", "text", "g"):
                    continue
                for attr in ("fill", "stroke"):
                    colour = el.get(attr)
                    if colour and colour not in allowed | NEUTRAL:
                        problems.append("%s: a %s mark in %s %s"
                                        % (name, kind, attr, colour))
    if not series:
        problems.append("no series in any chart")
    for p in problems[:20]:
        print(p)
    if problems:
        return 1
    print("%d charts, %d series: colour per kind, no bar on a log axis, "
          "no line through fewer than 3 points" % (len(svgs), series))
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
    checks = {"svg": check_svg, "png": check_png, "structure": check_structure}
    if len(sys.argv) != 3 or sys.argv[1] not in checks:
        print(__doc__)
        sys.exit(2)
    sys.exit(checks[sys.argv[1]](sys.argv[2]))
