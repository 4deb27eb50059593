#!/usr/bin/env python3
"""How much `blameless import` recovers from a folder of reports, against a hand conversion.

    scripts/import-recovery.py RAW_DIR HAND_DIR [--bin target/debug/blameless]

Imports RAW_DIR into a temporary archive with `--report`, then pairs each imported report with
the hand-converted source whose `[links] source` (or file name) names the same report, and
prints per field how many values were recovered and how many agree with the hand conversion:
titles, start times, timelines (rows with a time) and actions (`[[actions]]`, or the items of
the hand conversion's actions section when it kept them as a list). It also runs `check` and
`build` on the imported archive and prints their error count.
"""

import argparse
import json
import pathlib
import re
import subprocess
import sys
import tempfile
import tomllib
import urllib.parse


def front_matter(text):
    parts = text.split("+++", 2)
    return tomllib.loads(parts[1]) if len(parts) == 3 else {}, parts[-1]


def section(body, names):
    out, on = [], False
    for line in body.splitlines():
        if re.match(r"^#{1,2} ", line):
            on = line.lstrip("#").strip().lower() in names
            continue
        if on:
            out.append(line)
    return out


def timeline_rows(body):
    rows = [l for l in section(body, {"timeline"}) if l.strip().startswith("|")]
    return max(len(rows) - 2, 0) if rows else 0


def list_items(body):
    names = {"action items", "actions", "follow-ups", "next steps"}
    return [l for l in section(body, names) if re.match(r"^[-*+] \S|^\d+\. \S", l)]


def key(name):
    stem = pathlib.PurePosixPath(urllib.parse.unquote(name)).stem
    match = re.match(r"(PM\d{4}-\d{3})", stem, re.I)
    return match.group(1).upper() if match else re.sub(r"[^a-z0-9]+", "-", stem.lower())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("raw")
    parser.add_argument("hand")
    parser.add_argument("--bin", default="target/debug/blameless")
    args = parser.parse_args()
    binary = pathlib.Path(args.bin).resolve()
    hand = {}
    for path in sorted(pathlib.Path(args.hand).glob("*.md")):
        fm, body = front_matter(path.read_text())
        source = fm.get("links", {}).get("source", path.name)
        hand[key(source)] = (fm, body)
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        (root / "content").mkdir()
        report_file = root / "report.json"
        run = subprocess.run(
            [binary, "import", pathlib.Path(args.raw).resolve(), "--report", report_file],
            cwd=root, capture_output=True, text=True,
        )
        report = json.loads(report_file.read_text())
        check = subprocess.run([binary, "check"], cwd=root, capture_output=True, text=True)
        build = subprocess.run([binary, "build"], cwd=root, capture_output=True, text=True)
        imported = [f for f in report["files"] if f["written"]]
        totals = dict(files=len(report["files"]), imported=len(imported), paired=0,
                      title_same=0, started=0, started_same=0, started_guessed=0,
                      timelines=0, rows=0, rows_timed=0, hand_timelines=0, hand_rows=0,
                      actions=0, hand_action_items=0, hand_actions=0, severity_stated=0)
        for f in imported:
            text = (root / f["written"]).read_text()
            fm, body = front_matter(text)
            guessed = {g["field"] for g in f["guesses"]}
            totals["started"] += 1
            totals["started_guessed"] += "started" in guessed
            totals["severity_stated"] += "severity-not-stated" not in fm.get("tags", [])
            totals["timelines"] += f["timeline_rows"] > 0
            totals["rows"] += f["timeline_rows"]
            totals["rows_timed"] += f["timeline_times"]
            totals["actions"] += f["actions"]
            other = hand.get(key(f["source"]))
            if other is None:
                continue
            hfm, hbody = other
            totals["paired"] += 1
            totals["title_same"] += fm.get("title") == hfm.get("title")
            totals["started_same"] += fm.get("started") == hfm.get("started")
            rows = timeline_rows(hbody)
            totals["hand_timelines"] += rows > 0
            totals["hand_rows"] += rows
            totals["hand_actions"] += len(hfm.get("actions", []))
            totals["hand_action_items"] += len(list_items(hbody))
            if fm.get("started") != hfm.get("started"):
                print(f"  started differs: {f['id']}: {fm.get('started')} vs hand {hfm.get('started')}",
                      file=sys.stderr)
        print(json.dumps(totals, indent=2))
        print(f"import exit {run.returncode}; check exit {check.returncode}, "
              f"{check.stderr.count('error[')} errors, {check.stderr.count('warning[')} warnings; "
              f"build exit {build.returncode}, {build.stderr.count('error[')} errors")


if __name__ == "__main__":
    main()
