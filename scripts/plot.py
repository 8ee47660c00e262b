#!/usr/bin/env python3
"""plot.py - the raw samples of a procthread results file, case by case.

    scripts/plot.py RESULTS.json [-o DIR] [--suite S] [--name N] [--max-cases K]

For each case that kept its samples (the `raw` field of schema
procthread-results/2), draws a histogram of the samples and a violin of
their distribution, thread and process of one case side by side, into
DIR/<suite>-<name>-<n>.png (default DIR: plots/). Colours follow the
report: thread blue, process orange, anything else grey; a peer tool's
figures are hatched. Files of schema 1 have no samples: the script says so.

matplotlib is optional for procthread: without it the script exits with
status 3 and says how to install it. Exit status: 0 when every plot was
written, 1 when none could be (no raw samples), 2 for bad usage or a file
that is not a procthread results file, 3 without matplotlib.
"""
import argparse
import json
import math
import os
import sys

COLOURS = {"thread": "#0072b2", "process": "#d55e00"}
OTHER = "#666666"
NO_MATPLOTLIB = 3


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print("plot.py: %s: %s" % (path, e), file=sys.stderr)
        sys.exit(2)
    schema = doc.get("schema", "") if isinstance(doc, dict) else ""
    if not schema.startswith("procthread-results/"):
        print("plot.py: %s: not a procthread results file" % path,
              file=sys.stderr)
        sys.exit(2)
    return doc


def case_key(rec):
    """What a case is, apart from its kind and who measured it: thread and
    process records of one case share a figure."""
    params = {k: v for k, v in rec.get("params", {}).items() if k != "cpus"}
    return (rec["suite"], rec["name"], rec["unit"],
            json.dumps(params, sort_keys=True))


def label(rec):
    text = rec["kind"] if rec["kind"] != "none" else rec["name"]
    if rec.get("peer"):
        text += " (%s)" % rec["peer"]
    return text


def params_text(rec):
    return ", ".join("%s=%s" % (k, v) for k, v in sorted(rec["params"].items())
                     if k != "cpus")


def groups(doc, suite, name):
    out = {}
    for rec in doc.get("results", []):
        raw = rec.get("raw")
        if not raw or (suite and rec["suite"] != suite) or \
                (name and rec["name"] != name):
            continue
        if len(raw) != rec.get("samples"):
            print("plot.py: %s %s: %d raw values for %s samples; skipped"
                  % (rec["suite"], rec["name"], len(raw), rec.get("samples")),
                  file=sys.stderr)
            continue
        out.setdefault(case_key(rec), []).append(rec)
    return out


def log_scale(values):
    """A logarithmic axis when the samples span more than 30 times (a
    slow tail of a latency), as the report's charts do."""
    positive = [v for v in values if v > 0]
    return len(positive) == len(values) and max(values) / min(values) > 30


def draw(plt, recs, path):
    fig, (hist, violin) = plt.subplots(1, 2, figsize=(11, 4.2))
    every = [v for r in recs for v in r["raw"]]
    use_log = log_scale(every)
    lo, hi = min(every), max(every)
    if use_log:
        edges = [lo * (hi / lo) ** (i / 40.0) for i in range(41)]
    elif hi > lo:
        edges = [lo + (hi - lo) * i / 40.0 for i in range(41)]
    else:
        edges = [lo - 0.5, lo + 0.5]
    for rec in recs:
        colour = COLOURS.get(rec["kind"], OTHER)
        hist.hist(rec["raw"], bins=edges, histtype="stepfilled", alpha=0.35,
                  color=colour, hatch="//" if rec.get("peer") else None,
                  edgecolor=colour, label="%s, n=%d" % (label(rec),
                                                        len(rec["raw"])))
        hist.axvline(rec["median"], color=colour, linestyle="--", linewidth=1)
    if use_log:
        hist.set_xscale("log")
    hist.set_xlabel("sample (%s)" % recs[0]["unit"])
    hist.set_ylabel("samples")
    hist.legend(fontsize=8)
    hist.set_title("histogram (dashed: medians)", fontsize=10)

    data = [r["raw"] for r in recs]
    if use_log:
        data = [[math.log10(v) for v in d] for d in data]
    # A violin needs a spread: a case whose samples are all equal is shown
    # as its points only.
    spread = [i for i, d in enumerate(data) if max(d) > min(d)]
    if spread:
        parts = violin.violinplot([data[i] for i in spread],
                                  positions=[i + 1 for i in spread],
                                  showmedians=True, showextrema=True)
        # The extrema and medians in black: blue would read as "thread".
        for name in ("cmedians", "cmins", "cmaxes", "cbars"):
            if name in parts:
                parts[name].set_color("#333333")
        for body, i in zip(parts["bodies"], spread):
            body.set_facecolor(COLOURS.get(recs[i]["kind"], OTHER))
            body.set_edgecolor(COLOURS.get(recs[i]["kind"], OTHER))
            body.set_alpha(0.5)
    for i, d in enumerate(data):
        if i not in spread:
            violin.plot([i + 1] * len(d), d, "o",
                        color=COLOURS.get(recs[i]["kind"], OTHER))
    violin.set_xticks(range(1, len(recs) + 1))
    violin.set_xticklabels([label(r) for r in recs], fontsize=8)
    violin.set_ylabel(("log10 of sample (%s)" if use_log else "sample (%s)")
                      % recs[0]["unit"])
    violin.set_title("distribution", fontsize=10)
    fig.suptitle("%s: %s — %s" % (recs[0]["suite"], recs[0]["name"],
                                  params_text(recs[0])), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser(
        description="Histogram and violin of each case's raw samples.")
    ap.add_argument("results", help="a procthread --json file (schema 2)")
    ap.add_argument("-o", "--output", default="plots",
                    help="directory for the PNG files (default: plots)")
    ap.add_argument("--suite", help="only this suite")
    ap.add_argument("--name", help="only cases of this name")
    ap.add_argument("--max-cases", type=int, default=0,
                    help="at most this many cases (0: all)")
    args = ap.parse_args()

    doc = load(args.results)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("plot.py: matplotlib is not installed; install it with "
              "`apt-get install python3-matplotlib` or "
              "`pip install matplotlib`", file=sys.stderr)
        return NO_MATPLOTLIB

    cases = groups(doc, args.suite, args.name)
    if not cases:
        print("plot.py: %s: no record with raw samples (schema %s; raw "
              "samples came with procthread-results/2)"
              % (args.results, doc.get("schema")), file=sys.stderr)
        return 1
    os.makedirs(args.output, exist_ok=True)
    written = 0
    for i, (key, recs) in enumerate(sorted(cases.items())):
        if args.max_cases and written >= args.max_cases:
            break
        order = {"thread": 0, "process": 1}
        recs.sort(key=lambda r: (bool(r.get("peer")),
                                 order.get(r["kind"], 2)))
        safe = "".join(c if c.isalnum() or c in "-_" else "_"
                       for c in "%s-%s" % (key[0], key[1]))
        path = os.path.join(args.output, "%s-%d.png" % (safe, i))
        draw(plt, recs, path)
        written += 1
    print("plot.py: %d figures in %s" % (written, args.output))
    return 0


if __name__ == "__main__":
    sys.exit(main())
