#!/usr/bin/python3
"""A/B of two corrent builds or settings on one swarm-harness workload.

Runs the workload once with A, once with B, alternating, N times each (a noisy machine
then hurts both alike), and prints for each the median, minimum and maximum of wall
time, CPU seconds (user+sys, from the harness) and peak anonymous memory, and the
ratio of the medians B/A. For judging a change of a few per cent, which one run of
bench/swarm_bench.py cannot tell from noise (+-2 % here).

  /usr/bin/python3 bench/ab.py --workload w1 --runs 8 \\
      --a build/release/src/cli/corrent --b /tmp/other/build/release/src/cli/corrent
  /usr/bin/python3 bench/ab.py --workload w3 --a "env X=1 build/release/src/cli/corrent" \\
      --b build/release/src/cli/corrent

--a/--b are the command that starts corrent (a binary, optionally behind a wrapper such
as `env`, `chrt -b 0` or `perf stat -o FILE`); `download --quiet [--no-dht] --listen ...
--out ... TORRENT` is appended (--no-dht only if that build's `download --help` lists it:
an old build has no DHT). Workloads as in bench/swarm_bench.py.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from swarm_bench import SWARM, WORKLOADS, no_dht  # noqa: E402

ARGS = " download --quiet{no_dht} --listen 127.0.0.1:{{port}} --out {{dir}} {{torrent}}"
KEYS = ("wall_s", "cpu_s", "cpu_user_s", "cpu_sys_s", "anon_peak_mib")


def absolute(command):
    """The harness runs the command elsewhere: relative paths in it are made absolute."""
    return " ".join(os.path.abspath(t) if "/" in t and os.path.exists(t) else t
                    for t in command.split(" "))


def corrent_of(command):
    """The corrent binary in command: its last token that is an executable file (after
    wrappers such as env, chrt or perf stat); the whole command if none is."""
    exe = [t for t in command.split(" ") if "=" not in t and shutil.which(t)]
    return shutil.which(exe[-1]) if exe else command


def one_run(workload_args, command, label, out, base):
    args = ARGS.format(no_dht=no_dht(corrent_of(command)))
    cmd = ["/usr/bin/python3", SWARM, "run", "--runs", "1", "--timeout", "300", "--out", out,
           "--label", label, "--client", command + args] + workload_args
    if base:
        cmd += ["--base", base]
    subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workload", default="w1", choices=sorted(WORKLOADS))
    ap.add_argument("--runs", type=int, default=8)
    ap.add_argument("--a", required=True)
    ap.add_argument("--b", required=True)
    ap.add_argument("--base", default=None)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="corrent-ab-") as tmp:
        out = os.path.join(tmp, "runs.jsonl")
        for i in range(a.runs):
            for label, command in (("A", a.a), ("B", a.b)):
                one_run(WORKLOADS[a.workload], absolute(command), label, out, a.base)
            print(f"run {i + 1}/{a.runs} done", file=sys.stderr, flush=True)
        got = {"A": {k: [] for k in KEYS}, "B": {k: [] for k in KEYS}}
        failed = {"A": 0, "B": 0}
        with open(out) as f:
            for line in f:
                r = json.loads(line)
                side = r.get("client")
                if side not in got:
                    continue
                if not r.get("ok"):
                    failed[side] += 1
                    continue
                for k in KEYS:
                    if r.get(k) is not None:
                        got[side][k].append(r[k])
    med = {s: {k: statistics.median(v) if v else float("nan") for k, v in d.items()}
           for s, d in got.items()}
    for s, command in (("A", a.a), ("B", a.b)):
        cells = "  ".join(f"{k} {med[s][k]:.3f} [{min(got[s][k], default=float('nan')):.3f}-"
                          f"{max(got[s][k], default=float('nan')):.3f}]" for k in KEYS)
        print(f"{s} ({len(got[s]['wall_s'])} ok, {failed[s]} failed): {cells}   {command}")
    print("B/A: " + "  ".join(f"{k} {med['B'][k] / med['A'][k]:.3f}" for k in KEYS if med["A"][k]))
    return 1 if failed["A"] or failed["B"] else 0


if __name__ == "__main__":
    sys.exit(main())
