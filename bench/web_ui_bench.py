#!/usr/bin/python3
"""The web UI's figures (issue [14]): with 2,000 torrents in a daemon, the first load of the
page in headless Chromium transfers <= 150 KiB of the UI's own files, and the table holds
all 2,000 rows <= 1 s after navigation start.

Runs tests/interop/test_web_ui.py's case 3 (which builds the daemon, the 2,000 paused
torrents and a fresh browser profile) --runs times with the 1 s bar enforced
(CORRENT_WEBUI_ROWS_BAR_MS=1000), and prints each run's figures and their medians.

  CORRENT=build/release/src/cli/corrent /usr/bin/python3 bench/web_ui_bench.py [--runs 5]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TEST = os.path.join(HERE, "..", "tests", "interop", "test_web_ui.py")
CASE = "WebUiTest.test_03_first_load_with_2000_torrents"
LINE = re.compile(r"UI ([0-9.]+) KiB on the wire; list reply (\d+) KiB at (\d+) ms; 2,000 rows in the DOM at "
                  r"(\d+) ms, shown at (\d+) ms")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    env = dict(os.environ, CORRENT_WEBUI_ROWS_BAR_MS="1000")
    env.setdefault("CORRENT", os.path.join(HERE, "..", "build", "release", "src", "cli", "corrent"))
    env.setdefault("CORRENT_SHARED", os.path.join(HERE, "..", "..", "shared"))
    rows, ui, ok = [], [], True
    for i in range(a.runs):
        p = subprocess.run([sys.executable, TEST, CASE], capture_output=True, text=True, env=env, timeout=600)
        m = LINE.search(p.stdout + p.stderr)
        passed = p.returncode == 0
        ok = ok and passed and m is not None
        if m:
            ui.append(float(m[1]))
            rows.append(int(m[4]))
            print(f"run {i + 1}: {'PASS' if passed else 'FAIL'}  UI {m[1]} KiB, list {m[2]} KiB at {m[3]} ms, "
                  f"2,000 rows in the table at {m[4]} ms, on screen at {m[5]} ms", flush=True)
        else:
            print(f"run {i + 1}: FAIL (no figures)\n{(p.stdout + p.stderr)[-3000:]}", flush=True)
    if rows:
        print(f"median: UI {statistics.median(ui)} KiB (bar 150), rows at {statistics.median(rows)} ms (bar 1000); "
              f"max rows at {max(rows)} ms")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
