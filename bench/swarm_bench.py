#!/usr/bin/python3
"""Whole-client benchmark: corrent against libtorrent and aria2 on the swarm harness.

Runs each workload with every client in the SAME harness run (the clients alternate, so a
noisy machine hurts them alike), N runs each, and prints the medians and the ratios
corrent/lt and corrent/aria2 for wall time, CPU seconds and peak anonymous memory.

  /usr/bin/python3 bench/swarm_bench.py [--runs 5] [--workloads w1,w2,w3,w1-16k,w1-20,seed]
                                        [--base /dev/shm/corrent-swarm] [--out results.jsonl]
                                        [--baseline OTHER_CORRENT_BINARY]

--baseline adds a second corrent build to the same runs of the leech workloads (five
clients alternating: corrent, the baseline, lt, aria2), with its own ratios: how a change
moves corrent against the reference clients, measured on one machine at one time.

Workloads: w1 (1 GiB, 1 seeder), w2 (4 seeders), w3 (2,000 files, 565 MiB), w1-16k
(w1 with 16 KiB pieces: 65,536 pieces), w1-20 (20 seeders), seed (corrent seeds w1 to a
libtorrent leecher; compared with aria2 seeding, the two alternating run by run), disk (w1 downloaded to a
disk directory: --dl-base, default /var/tmp/corrent-bench-dl).
Needs ../shared/swarm (the harness) beside the project, and a release build.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "interop"))
import swarmlib as sl  # noqa: E402

SWARM = os.environ.get("CORRENT_SWARM", os.path.join(ROOT, "..", "shared", "swarm", "swarm.py"))
CORRENT = os.path.abspath(os.environ.get("CORRENT", os.path.join(ROOT, "build", "release", "src", "cli", "corrent")))
BASELINE = None


def no_dht(binary, sub="download"):
    """" --no-dht" if that build lists it in `SUB --help` (the DHT is on by default and would
    bootstrap from the Internet), "" for a build from before the DHT (a --baseline)."""
    return "".join(" " + f for f in sl.no_dht_args(binary, sub))


def leech_cmd(binary):
    return binary + " download --quiet" + no_dht(binary) + " --listen 127.0.0.1:{port} --out {dir} {torrent}"


def seed_cmd(binary):
    return binary + " seed --quiet" + no_dht(binary, "seed") + " --listen 127.0.0.1:{port} --data {dir} {torrent}"

WORKLOADS = {
    "w1": ["--workload", "w1"],
    "w2": ["--workload", "w2"],
    "w3": ["--workload", "w3"],
    "w1-16k": ["--layout", "single", "--size", "1GiB", "--piece", "16KiB", "--seeders", "1"],
    "w1-20": ["--layout", "single", "--size", "1GiB", "--piece", "1MiB", "--seeders", "20"],
}


def run(args, out):
    cmd = ["/usr/bin/python3", SWARM, "run", "--out", out] + args
    print("$ " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL)


def client_name(label):
    """The harness labels an unlabelled template client by its command line."""
    label = label.replace(" (seeding)", "")
    if BASELINE and label.startswith(BASELINE + " "):
        return "baseline"
    if label.startswith(CORRENT + " "):
        return "corrent"
    return label


def medians(path):
    rows = {}
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            r["client"] = client_name(r.get("client", "?"))
            if not r.get("ok"):
                rows.setdefault(r.get("client", "?"), {"fail": 0}).setdefault("fail", 0)
                rows[r.get("client", "?")]["fail"] = rows[r.get("client", "?")].get("fail", 0) + 1
                continue
            d = rows.setdefault(r["client"], {})
            for k in ("wall_s", "cpu_s", "anon_peak_mib", "t_first_byte_s"):
                if r.get(k) is not None:
                    d.setdefault(k, []).append(r[k])
    return {c: {k: (statistics.median(v) if isinstance(v, list) else v) for k, v in d.items()}
            for c, d in rows.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--workloads", default="w1,w2,w3,w1-16k,w1-20,seed")
    ap.add_argument("--base", default=None)
    ap.add_argument("--dl-base", default="/var/tmp/corrent-bench-dl")
    ap.add_argument("--out", default="/tmp/corrent-bench.jsonl")
    ap.add_argument("--baseline", default=None, help="a second corrent binary in the same runs")
    a = ap.parse_args()
    global BASELINE
    BASELINE = os.path.abspath(a.baseline) if a.baseline else None
    LEECH, SEED = leech_cmd(CORRENT), seed_cmd(CORRENT)
    common = ["--runs", str(a.runs), "--timeout", "300"] + (["--base", a.base] if a.base else [])
    table = []
    for w in a.workloads.split(","):
        out = f"{a.out}.{w}"
        if os.path.exists(out):
            os.remove(out)
        if w == "seed":
            # The harness seeds with one client per run: alternate them run by run so that
            # both see the same machine.
            once = ["--runs", "1"] + common[2:]
            for _ in range(a.runs):
                run(["--mode", "seed", "--workload", "w1", "--leecher", "lt", "--label", "corrent",
                     "--client", SEED] + once, out)
                run(["--mode", "seed", "--workload", "w1", "--leecher", "lt", "--client", "aria2"] + once, out)
        elif w == "disk":
            os.makedirs(a.dl_base, exist_ok=True)
            run(["--workload", "w1", "--dl-base", a.dl_base, "--label", "corrent", "--client", LEECH,
                 "--client", "aria2"] + common, out)
        elif BASELINE:
            run(WORKLOADS[w] + ["--client", LEECH, "--client", leech_cmd(BASELINE),
                                "--client", "lt", "--client", "aria2"] + common, out)
        else:
            run(WORKLOADS[w] + ["--label", "corrent", "--client", LEECH, "--client", "lt",
                                "--client", "aria2"] + common, out)
        m = medians(out)
        for who in ("corrent", "baseline"):
            c = m.get(who)
            if c is None:
                continue
            for ref in ("lt", "aria2"):
                if ref not in m:
                    continue
                r = m[ref]
                ratio = {k: (c[k] / r[k] if k in c and k in r and r[k] else float("nan"))
                         for k in ("wall_s", "cpu_s", "anon_peak_mib")}
                table.append((w if who == "corrent" else f"{w} (base)", ref, c, r, ratio))
    print(f"\n{'workload':15} {'vs':6} {'corrent wall/cpu/anon':>24} {'ref wall/cpu/anon':>24} "
          f"{'ratio wall':>10} {'ratio cpu':>9} {'ratio anon':>10} {'1st_B':>6}")
    for w, ref, c, r, ratio in table:
        fmt = lambda d: f"{d.get('wall_s', float('nan')):6.2f}/{d.get('cpu_s', float('nan')):5.2f}/{d.get('anon_peak_mib', float('nan')):6.1f}"
        print(f"{w:15} {ref:6} {fmt(c):>24} {fmt(r):>24} {ratio['wall_s']:10.2f} {ratio['cpu_s']:9.2f} "
              f"{ratio['anon_peak_mib']:10.2f} {c.get('t_first_byte_s', float('nan')):6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
