#!/usr/bin/python3
"""Protocol encryption (MSE/PE) cost on w1 (1 GiB single file, 1 MiB pieces, 1 seeder),
on the swarm harness (../shared/swarm/swarm.py, as bench/swarm_bench.py), every
configuration in the same run, alternating run by run (the first of a round rotates):

  rc4     corrent --encryption require  <- python3-libtorrent seeder forcing RC4
          (out/in_enc_policy 0 = forced, allowed_enc_level 2 = rc4 only)
  plain   corrent --encryption disable  <- libtorrent seeder with default settings
          (in/out enabled, allowed both; a plaintext dial stays plaintext)
  lt-rc4  libtorrent leecher forcing RC4 <- the same RC4-only seeder
  prefer  corrent --encryption prefer   <- libtorrent seeder with default settings
          (corrent offers plaintext + RC4 after the MSE handshake, libtorrent picks)

Every seeder is ../shared/swarm/lt_peer.py --role seed --hp (the harness's "lt" seed
profile) plus the --set options above; corrent finds it through the tracker. Completion
is the leecher's exit (--no-tracker-done); corrent's CPU is user+sys of its whole life
from /usr/bin/time (the harness's time_total_cpu_s).

Figures (medians of --runs):
  (1) CPU(rc4) / CPU(plain) <= 1.35; wall(rc4) <= wall(lt-rc4) (corrent's encrypted
      download no slower than libtorrent's own);
  (2) prefer against a default libtorrent vs plain: wall and CPU within 3 % (ratio <= 1.03).

  /usr/bin/python3 bench/mse_bench.py [--runs 3] [--json FILE] [--base /dev/shm/corrent-swarm]
                                      [--max-load 1.5] [--configs rc4,plain,lt-rc4,prefer]
--configs plain,prefer runs figure (2) alone (e.g. with more --runs: its 3 % is within
the noise of 3 runs on a 2-core machine).
Needs ../shared/swarm beside the project and a release build (CORRENT=... to override).
"""
import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import swarm_bench as sb  # noqa: E402  (SWARM, CORRENT, leech_cmd; swarmlib's --no-dht probe)

FORCE_RC4 = "--set out_enc_policy=0 --set in_enc_policy=0 --set allowed_enc_level=2"
LT = "{python} {swarm}/lt_peer.py --torrent {torrent} --dir {dir} --port {port} --stats {stats}"
RC4_SEED = f"{LT} --role seed --hp {FORCE_RC4}"
LT_RC4_LEECH = f"{LT} --role leech --done {{done}} {FORCE_RC4}"


def corrent_leech(policy):
    return sb.leech_cmd(sb.CORRENT).replace(" download --quiet", f" download --quiet --encryption {policy}", 1)


CONFIGS = {
    "rc4": dict(seeder=["--seeders", "0", "--seeder", RC4_SEED], client=lambda: corrent_leech("require")),
    "plain": dict(seeder=["--seeders", "1"], client=lambda: corrent_leech("disable")),
    "lt-rc4": dict(seeder=["--seeders", "0", "--seeder", RC4_SEED], client=lambda: LT_RC4_LEECH),
    "prefer": dict(seeder=["--seeders", "1"], client=lambda: corrent_leech("prefer")),
}


def wait_load(max_load, max_wait):
    """Until the 1-minute load average is below max_load (at most max_wait s)."""
    end = time.monotonic() + max_wait
    while os.getloadavg()[0] >= max_load and time.monotonic() < end:
        time.sleep(5)
    return round(os.getloadavg()[0], 2)


def run_once(name, a, out):
    cfg = CONFIGS[name]
    cmd = ["/usr/bin/python3", sb.SWARM, "run", "--workload", a.workload, "--runs", "1", "--timeout", str(a.timeout),
           "--no-tracker-done", "--label", name, "--client", cfg["client"](), "--out", out] + cfg["seeder"]
    if a.base:
        cmd += ["--base", a.base]
    print("$ " + shlex.join(cmd), flush=True)
    subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL)
    with open(out) as f:
        lines = f.read().splitlines()
    return json.loads(lines[-1]) if lines else dict(ok=False, error="no result line")


def openssl_rc4_rate():
    """OpenSSL's RC4 on this CPU, bytes/s (16 KiB buffers), or None: the floor of what RC4
    can cost, for reading the CPU ratio."""
    try:
        out = subprocess.run(["openssl", "speed", "-provider", "legacy", "-provider", "default", "-evp", "rc4",
                              "-seconds", "1", "-bytes", "16384"], capture_output=True, text=True, timeout=30).stdout
        return float(out.strip().splitlines()[-1].split()[-1].rstrip("k")) * 1000
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def med(rows, key):
    v = [r[key] for r in rows if r.get("ok") and r.get(key) is not None]
    return statistics.median(v) if v else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", help="write all runs and the figures here")
    ap.add_argument("--base", default=None, help="harness --base (default /dev/shm/corrent-swarm)")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--workload", default="w1", help="harness preset (small: a 64 MiB smoke test)")
    ap.add_argument("--configs", default=",".join(CONFIGS), help="a subset, e.g. plain,prefer (figure 2 only)")
    ap.add_argument("--max-load", type=float, default=1.5, help="wait for the 1-min load to drop below this")
    ap.add_argument("--load-wait", type=float, default=300, help="... for at most this many seconds per run")
    a = ap.parse_args()
    if not os.access(sb.CORRENT, os.X_OK):
        raise SystemExit(f"no corrent binary at {sb.CORRENT} (set CORRENT)")
    names = [n for n in a.configs.split(",") if n]
    if not names or any(n not in CONFIGS for n in names):
        raise SystemExit(f"--configs: pick from {','.join(CONFIGS)}")
    rows = {n: [] for n in names}
    tmp = tempfile.mkdtemp(prefix="mse-bench-")
    try:
        for i in range(a.runs):
            order = names[i % len(names):] + names[:i % len(names)]
            for n in order:
                load = wait_load(a.max_load, a.load_wait)
                r = run_once(n, a, os.path.join(tmp, f"{n}-{i}.jsonl"))
                r.update(config=n, round=i, load_before=load)
                rows[n].append(r)
                print(f"  round {i} {n:7s} ok={r.get('ok')} wall={r.get('wall_s')} s cpu={r.get('time_total_cpu_s')} s "
                      f"done={r.get('done_signal')} load={load}" + ("" if r.get("ok") else f" ERROR {r.get('error')}"),
                      flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    m = {n: dict(wall_s=med(rows[n], "wall_s"), cpu_s=med(rows[n], "time_total_cpu_s"),
                 ok=sum(1 for r in rows[n] if r.get("ok")), runs=len(rows[n])) for n in names}

    def ratio(num, den, key):
        if num in m and den in m and m[den][key]:
            return m[num][key] / m[den][key]
        return None

    fig = {k: v for k, v in {
        "cpu_rc4_over_plain": ratio("rc4", "plain", "cpu_s"),
        "wall_rc4_over_plain": ratio("rc4", "plain", "wall_s"),
        "wall_rc4_over_lt_rc4": ratio("rc4", "lt-rc4", "wall_s"),
        "wall_prefer_over_plain": ratio("prefer", "plain", "wall_s"),
        "cpu_prefer_over_plain": ratio("prefer", "plain", "cpu_s"),
    }.items() if v is not None}
    # the same ratios per round (each config ran once per round, next to the others), median
    # over the rounds: drift of the machine between rounds cancels out
    for key in list(fig):
        what, num, den = key.split("_", 1)[0], *key.split("_", 1)[1].split("_over_")
        num, den = num.replace("_", "-"), den.replace("_", "-")
        col = "time_total_cpu_s" if what == "cpu" else "wall_s"
        per = [p[col] / q[col] for p, q in zip(rows[num], rows[den])
               if p.get("ok") and q.get("ok") and p.get(col) and q.get(col)]
        if per:
            fig[f"{key}_paired"] = statistics.median(per)
    limits = {"cpu_rc4_over_plain": 1.35, "wall_rc4_over_lt_rc4": 1.0, "wall_prefer_over_plain": 1.03,
              "cpu_prefer_over_plain": 1.03}
    bars = {f"{k} <= {lim}": fig[k] <= lim for k, lim in limits.items() if k in fig}
    bars["every run ok"] = all(m[n]["ok"] == m[n]["runs"] for n in names)
    print(f"\n{'config':8s} {'ok':>5s} {'wall_s (median; runs)':>34s} {'cpu_s (median; runs)':>34s}")
    for n in names:
        walls = ",".join(f"{r.get('wall_s')}" for r in rows[n])
        cpus = ",".join(f"{r.get('time_total_cpu_s')}" for r in rows[n])
        print(f"{n:8s} {m[n]['ok']:>2d}/{m[n]['runs']:<2d} {m[n]['wall_s']:7.2f} ({walls:>24s}) "
              f"{m[n]['cpu_s']:7.2f} ({cpus:>24s})")
    if "lt-rc4" in m:
        print("(lt-rc4 cpu is libtorrent's python process, for reference only)")
    size = next((r["size"] for r in rows.get("plain", []) if r.get("size")), None)
    rate = openssl_rc4_rate() if "rc4" in m else None
    if rate and size:
        # decrypting the payload once at OpenSSL's speed, on top of the plaintext CPU
        fig["cpu_ratio_floor_at_openssl_rc4"] = (m["plain"]["cpu_s"] + size / rate) / m["plain"]["cpu_s"]
        print(f"openssl RC4 {rate / 1e6:.0f} MB/s: decrypting {size / 2**30:.2f} GiB costs >= {size / rate:.2f} CPU s")
    for k, v in fig.items():
        print(f"{k:32s} {v:6.3f}")
    for k, ok in bars.items():
        print(f"{'PASS' if ok else 'FAIL'}  {k}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(dict(corrent=sb.CORRENT, workload=a.workload, runs=a.runs,
                           commands={n: CONFIGS[n]["client"]() for n in names},
                           seeders={n: CONFIGS[n]["seeder"] for n in names}, medians=m, figures=fig,
                           bars=bars, rows=rows), f, indent=1)
        print(f"wrote {a.json}")
    return 0 if all(bars.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
