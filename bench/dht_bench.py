#!/usr/bin/python3
"""DHT (BEP 5) benchmarks, on 127.0.0.0/8 only (issue "mainline DHT").

  near   A DHT-only magnet (no tr=, no x.pe) to the first data byte through a loopback DHT:
         ../shared/swarm/dht_swarm.py serve --nodes 8 (libtorrent nodes and a seeder that
         announces to them only; a fresh swarm each run unless --reuse-swarm), then
         `corrent download MAGNET --dht-bootstrap <one node>` into a fresh directory.
         Reports the median and worst --stats first_byte_s (from the session's start) and
         the whole process's wall time (exec to exit, 8 MiB included). Bar: first byte
         <= 3 s.
  far    The same with --nodes 16 --far-bootstrap: the bootstrap node does not hold the
         seeder, so corrent must do a real iterative lookup.
  flood  `corrent seed` of the swarm's torrent (a copy of its content) on 127.0.0.1:PORT,
         bootstrapped from a swarm node. After it answers a ping: corrent's CPU over an idle
         IDLE_S window (the baseline), then over a flood of 10,000 KRPC queries a second
         (ping/find_node/get_peers in turn, 10 ms batches) from one socket on 127.0.0.9
         for --flood-seconds; CPU = (utime+stime delta) / wall from /proc/PID/stat, as %
         of one core; VmRSS before/after; the replies the flooder got (the per-IP budget:
         a burst of 100, then 50/s); how many of a well-behaved node's pings (127.0.0.10,
         every 0.25 s) were answered meanwhile; the kernel's UDP RcvbufErrors delta; the
         seed's --stats dht counters. Bars: CPU <= 25 %, memory flat, replies <= 100 +
         50/s x seconds.

  /usr/bin/python3 bench/dht_bench.py [--which near,far,flood] [--runs 5] [--json FILE]
Env: CORRENT (binary; default build/release/src/cli/corrent), CORRENT_SHARED (shared/ dir).
"""
import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "interop"))
import dhtnode as dn  # noqa: E402

CORRENT = os.path.abspath(os.environ.get("CORRENT", os.path.join(ROOT, "build", "release", "src", "cli", "corrent")))
SHARED = os.path.normpath(os.environ.get("CORRENT_SHARED", os.path.join(ROOT, "..", "shared")))
DHT_SWARM = os.path.join(SHARED, "swarm", "dht_swarm.py")
PY = "/usr/bin/python3"
BAR_FIRST_BYTE_S = 3.0
BAR_CPU = 25.0
IDLE_S = 10.0
CMDS = []  # every command line run, printed at the end


def say(*a):
    print(*a, flush=True)


def show(argv):
    line = " ".join(f"'{a}'" if (" " in a or "&" in a or "?" in a) else a for a in map(str, argv))
    CMDS.append(line)
    return line


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Swarm:
    """dht_swarm.py serve FLAGS in its own session; .info = its JSON summary."""

    def __init__(self, work, flags, seed):
        self.work = os.path.join(work, f"swarm-{seed}")
        os.makedirs(self.work)
        js = os.path.join(self.work, "summary.json")
        argv = [PY, DHT_SWARM, "serve", *map(str, flags), "--seed", str(seed), "--seconds", "900",
                "--json", js, "--work", os.path.join(self.work, "work"), "--cache", os.path.join(work, "cache")]
        show(argv)
        self.log = open(os.path.join(self.work, "swarm.log"), "w")
        self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        end = time.monotonic() + 90
        self.info = None
        while self.info is None:
            try:
                with open(js) as f:
                    self.info = json.load(f)
            except (OSError, ValueError):
                if self.p.poll() is not None or time.monotonic() > end:
                    self.stop()
                    raise RuntimeError(f"dht_swarm not ready; see {self.log.name}")
                time.sleep(0.2)

    def stop(self):
        stop_group(self.p, 10)
        self.log.close()


def stop_group(p, grace):
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            p.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(5)


# ====================================================================== near / far
def bench_lookup(name, flags, runs, reuse, work):
    say(f"== {name}: DHT-only magnet to first byte, dht_swarm {' '.join(flags)}")
    first, wall, swarm, rows = [], [], None, []
    try:
        for r in range(runs):
            if swarm is None or not reuse:
                if swarm:
                    swarm.stop()
                swarm = Swarm(work, flags, seed=int.from_bytes(os.urandom(3), "big"))
            info = swarm.info
            out = os.path.join(work, f"{name}-out-{r}")
            stats = os.path.join(work, f"{name}-stats-{r}.json")
            argv = [CORRENT, "download", info["magnet"], "-o", out, "--listen", "127.0.0.1:0",
                    "--dht-bootstrap", info["bootstrap"][0], "--stats", stats, "--quiet"]
            line = show(argv)
            t0 = time.monotonic()
            res = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                 text=True, timeout=120)
            dt = time.monotonic() - t0
            with open(stats) as f:
                st = json.load(f)
            if res.returncode != 0 or not st.get("complete"):
                raise RuntimeError(f"{line}: rc={res.returncode} complete={st.get('complete')} {res.stderr[-400:]}")
            fb = st["first_byte_s"]
            first.append(fb)
            wall.append(dt)
            d = st.get("dht") or {}
            rows.append({"run": r + 1, "first_byte_s": fb, "wall_s": dt, "dht": d})
            say(f"  run {r + 1}: first byte {fb:.3f} s, process {dt:.3f} s  (queries_out {d.get('queries_out')}, "
                f"replies_in {d.get('replies_in')}, nodes {d.get('nodes')})")
            shutil.rmtree(out, ignore_errors=True)
    finally:
        if swarm:
            swarm.stop()
    res = {"flags": flags, "runs": rows, "first_byte_median_s": statistics.median(first),
           "first_byte_max_s": max(first), "wall_median_s": statistics.median(wall), "wall_max_s": max(wall),
           "bar_first_byte_s": BAR_FIRST_BYTE_S, "pass": max(first) <= BAR_FIRST_BYTE_S}
    say(f"  {name}: first byte median {res['first_byte_median_s']:.3f} s, max {res['first_byte_max_s']:.3f} s "
        f"(bar {BAR_FIRST_BYTE_S} s: {'PASS' if res['pass'] else 'FAIL'}); whole process median "
        f"{res['wall_median_s']:.3f} s, max {res['wall_max_s']:.3f} s")
    return res


# ====================================================================== flood
def cpu_pct(pid, seconds):
    """(% of one core used by pid over `seconds` of wall time, the wall time)."""
    c0, t0 = dn.cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    c1, t1 = dn.cpu_seconds(pid), time.monotonic()
    return 100.0 * (c1 - c0) / (t1 - t0), t1 - t0


def wait_dht(addr, timeout):
    """Until the DHT at addr answers a ping (from 127.0.0.11)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.11", 0))
    s.settimeout(0.2)
    end = time.monotonic() + timeout
    try:
        while time.monotonic() < end:
            s.sendto(dn.query(b"bp", "ping", {"id": dn.rand_id()}), addr)
            try:
                if s.recvfrom(4096):
                    return True
            except socket.timeout:
                pass
        return False
    finally:
        s.close()


def bench_flood(qps, seconds, work):
    say(f"== flood: {qps} queries/s for {seconds:.0f} s from 127.0.0.9 at `corrent seed`")
    swarm = Swarm(work, ["--nodes", "8"], seed=int.from_bytes(os.urandom(3), "big"))
    info = swarm.info
    data = os.path.join(work, "seed-data")
    os.makedirs(data)
    shutil.copy(info["content_file"], os.path.join(data, info["name"]))
    port = free_port()
    stats = os.path.join(work, "seed-stats.json")
    argv = [CORRENT, "seed", info["torrent"], "-d", data, "--listen", f"127.0.0.1:{port}",
            "--dht-bootstrap", info["bootstrap"][0], "--stats", stats, "--quiet"]
    show(argv)
    log = open(os.path.join(work, "seed.log"), "w")
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    target = ("127.0.0.1", port)
    res = {"qps": qps, "seconds": seconds, "port": port}
    try:
        if not wait_dht(target, 30):
            raise RuntimeError("corrent seed's DHT never answered a ping")
        time.sleep(2)  # bootstrap lookups, hashing done
        rss0 = dn.proc_status_kb(p.pid, "VmRSS")
        idle, idle_wall = cpu_pct(p.pid, IDLE_S)
        say(f"  idle {idle_wall:.1f} s: CPU {idle:.2f} % of a core (/proc ticks: {1000 / dn.CLK_TCK:.0f} ms), "
            f"VmRSS {rss0} kB")
        flooder = dn.Flooder(target, host="127.0.0.9", rate=qps, seconds=seconds)
        probe = dn.Prober(target, host="127.0.0.10", interval=0.25)
        drops0 = dn.udp_rcvbuf_errors()
        rss_before = dn.proc_status_kb(p.pid, "VmRSS")
        say(f"  flooder: dhtnode.Flooder(('127.0.0.1', {port}), host='127.0.0.9', rate={qps}, seconds={seconds})")
        # CPU over the send window only (Flooder.run also drains late replies for 0.5 s)
        c0 = dn.cpu_seconds(p.pid)
        flooder.start()
        while flooder.t0 is None:
            time.sleep(0.001)
        while flooder.t1 is None and flooder.thread.is_alive():
            time.sleep(0.005)
        c1 = dn.cpu_seconds(p.pid)
        flood_cpu = 100.0 * (c1 - c0) / flooder.duration
        flooder.thread.join(10)
        rss_after = dn.proc_status_kb(p.pid, "VmRSS")
        drops = dn.udp_rcvbuf_errors() - drops0 if drops0 is not None else None
        ok, sent = probe.answered(since=flooder.t0, until=flooder.t1, grace=0)
        probe.stop()
        time.sleep(1)
        rss_later = dn.proc_status_kb(p.pid, "VmRSS")
        hwm = dn.proc_status_kb(p.pid, "VmHWM")
    finally:
        stop_group(p, 10)
        log.close()
        swarm.stop()
    try:
        with open(stats) as f:
            st = json.load(f)
    except (OSError, ValueError):
        st = {}
    cap = 100 + 50 * flooder.duration + 5  # + rounding: tokens accrue in fractions
    res.update({"idle_cpu_pct": idle, "flood_cpu_pct": flood_cpu, "sent": flooder.sent, "replies": flooder.replies,
                "replies_per_s": flooder.replies_by_s, "reply_cap": cap, "duration_s": flooder.duration,
                "rss_idle_kb": rss0, "rss_before_kb": rss_before, "rss_after_kb": rss_after,
                "rss_1s_later_kb": rss_later, "hwm_kb": hwm, "kernel_drops": drops, "probe_answered": ok,
                "probe_sent": sent, "dht": st.get("dht"),
                "pass": flood_cpu <= BAR_CPU and flooder.replies <= cap and rss_after - rss_before < 2048})
    say(f"  flood {flooder.duration:.2f} s: {flooder.sent} queries sent ({flooder.sent / flooder.duration:.0f}/s), "
        f"{flooder.replies} replies (cap {cap:.0f}; per s {flooder.replies_by_s})")
    say(f"  corrent CPU {flood_cpu:.2f} % of a core (idle {idle:.2f} %; bar {BAR_CPU} %), VmRSS {rss_before} -> "
        f"{rss_after} kB (1 s later {rss_later}; peak {hwm}), kernel UDP drops {drops}, probe {ok}/{sent} answered")
    say(f"  seed --stats dht: {json.dumps(st.get('dht'))}")
    say(f"  flood: {'PASS' if res['pass'] else 'FAIL'} (CPU <= {BAR_CPU} %, replies <= cap, VmRSS +< 2 MB)")
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--which", default="near,far,flood")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--reuse-swarm", action="store_true", help="one swarm for all runs of near/far")
    ap.add_argument("--flood-qps", type=int, default=10000)
    ap.add_argument("--flood-seconds", type=float, default=10.0)
    ap.add_argument("--json", help="write the results here")
    a = ap.parse_args()
    if not os.access(CORRENT, os.X_OK):
        sys.exit(f"no corrent binary at {CORRENT} (set CORRENT)")
    say(f"corrent: {CORRENT}; load: {os.getloadavg()}")
    work = tempfile.mkdtemp(prefix="corrent-dht-bench-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    results = {"corrent": CORRENT, "loadavg_start": os.getloadavg()}
    try:
        for w in a.which.split(","):
            if w == "near":
                results["near"] = bench_lookup("near", ["--nodes", "8"], a.runs, a.reuse_swarm, work)
            elif w == "far":
                results["far"] = bench_lookup("far", ["--nodes", "16", "--far-bootstrap"], a.runs, a.reuse_swarm, work)
            elif w == "flood":
                results["flood"] = bench_flood(a.flood_qps, a.flood_seconds, work)
            else:
                sys.exit(f"unknown --which {w!r}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["commands"] = CMDS
    say("\n== summary")
    say(f"{'bench':8s} {'metric':44s} {'value':>22s}  bar")
    for k in ("near", "far"):
        if k in results:
            r = results[k]
            say(f"{k:8s} {'first byte median / max (s)':44s} {r['first_byte_median_s']:10.3f} / "
                f"{r['first_byte_max_s']:8.3f}  <= {BAR_FIRST_BYTE_S}")
            say(f"{k:8s} {'whole process median / max (s)':44s} {r['wall_median_s']:10.3f} / {r['wall_max_s']:8.3f}")
    if "flood" in results:
        r = results["flood"]
        say(f"{'flood':8s} {'CPU during flood / idle (% of a core)':44s} {r['flood_cpu_pct']:10.2f} / "
            f"{r['idle_cpu_pct']:8.2f}  <= {BAR_CPU}")
        say(f"{'flood':8s} {'replies / sent':44s} {r['replies']:10d} / {r['sent']:8d}  <= {r['reply_cap']:.0f}")
        say(f"{'flood':8s} {'VmRSS before / after (kB)':44s} {r['rss_before_kb']:10d} / {r['rss_after_kb']:8d}  flat")
    say("\ncommands:")
    for c in CMDS:
        say(f"  {c}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)
        say(f"wrote {a.json}")


if __name__ == "__main__":
    main()
