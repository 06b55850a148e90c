#!/usr/bin/python3
"""Magnet-link benchmarks (issue "[10] Magnet links and the extension protocol"), on
127.0.0.0/8 only, against python3-libtorrent seeders with their default plugins (they
serve ut_metadata).

  w1     One libtorrent seeder of w1 (1 GiB, 1 MiB pieces). Alternating, run by run:
         `corrent download W1.torrent --peer SEEDER` and `corrent download
         'magnet:?xt=urn:btih:...&x.pe=SEEDER'`. Prints the median wall time of each, their
         difference (bar: magnet <= .torrent + 0.2 s) and the magnet runs' time to the
         first data byte (--stats first_byte_s, from the start of the session; bar 0.3 s).
  meta   Four libtorrent seeders of w3 (2,000 files, 565 MiB; its `info` is ~150 KB) on
         127.0.0.2-5. `corrent info 'magnet:?xt=...' --peer A --peer B --peer C --peer D`:
         the whole process, from exec to exit, fetching and printing the metadata. Bar:
         0.5 s.

Content comes from ../shared/swarm's cache (/dev/shm/corrent-swarm/content), made by
`swarm.py run --workload w1` / `w3` if missing.

  /usr/bin/python3 bench/magnet_bench.py [--which w1,meta] [--runs 5]
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORRENT = os.environ.get("CORRENT", os.path.join(ROOT, "build", "release", "src", "cli", "corrent"))
LTPEER = os.path.join(ROOT, "tests", "interop", "ltpeer.py")
SWARM = os.path.join(ROOT, "..", "shared", "swarm", "swarm.py")
CONTENT = "/dev/shm/corrent-swarm/content"
NO_DHT = "--no-dht"  # sessions stay off the DHT (on by default: it would bootstrap from the Internet)
W1 = ("single-1073741824-s1", "single-1073741824-s1-p1048576.torrent", "w1")
W3 = ("multi-2000f-1024-2097152-s1", "multi-2000f-1024-2097152-s1-p1048576.torrent", "w3")


def ensure(content):
    d, t, workload = content
    if not os.path.exists(os.path.join(CONTENT, t)):
        subprocess.run(["/usr/bin/python3", SWARM, "run", "--workload", workload, "--client", "lt",
                        "--runs", "1", "--out", "/dev/null"], check=True, stdout=subprocess.DEVNULL)
    return os.path.join(CONTENT, d), os.path.join(CONTENT, t)


def info_hash(torrent):
    out = subprocess.run([CORRENT, "info", "--json", torrent], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)["info_hash"]


class Seeders:
    def __init__(self, torrent, content_dir, ips, base_port, work):
        self.procs = []
        self.addrs = []
        for i, ip in enumerate(ips):
            port = base_port + i
            cmd = ["/usr/bin/python3", LTPEER, "--role", "seed", "--torrent", torrent,
                   "--dir", content_dir, "--port", str(port), "--ip", ip, "--plugins",
                   "--stats", os.path.join(work, f"seed{i}.json")]
            log = open(os.path.join(work, f"seed{i}.log"), "w")
            self.procs.append(subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=log, stderr=log,
                                               start_new_session=True))
            self.addrs.append(f"{ip}:{port}")
        time.sleep(3)  # libtorrent checks the files (fast: resume from the cache) and listens

    def stop(self):
        for p in self.procs:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def timed(cmd, timeout=300):
    t0 = time.monotonic()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=timeout)
    dt = time.monotonic() - t0
    if r.returncode != 0:
        raise RuntimeError(f"{cmd[:3]} exited {r.returncode}: {r.stderr[-500:]}")
    return dt


def bench_w1(runs, port):
    content_dir, torrent = ensure(W1)
    ih = info_hash(torrent)
    work = tempfile.mkdtemp(prefix="corrent-magnet-bench-", dir="/dev/shm")
    seeders = Seeders(torrent, content_dir, ["127.0.0.1"], port, work)
    peer = seeders.addrs[0]
    magnet = f"magnet:?xt=urn:btih:{ih}&x.pe={peer}"
    t_torrent, t_magnet, first = [], [], []
    try:
        for r in range(runs):
            for kind in (("torrent", "magnet") if r % 2 == 0 else ("magnet", "torrent")):
                out = os.path.join(work, "out")
                shutil.rmtree(out, ignore_errors=True)
                stats = os.path.join(work, "stats.json")
                what = [torrent, "--peer", peer] if kind == "torrent" else [magnet]
                dt = timed([CORRENT, "download", "--quiet", "--listen", f"127.0.0.1:{port + 50}",
                            "-o", out, "--stats", stats, NO_DHT] + what)
                with open(stats) as f:
                    st = json.load(f)
                if not st.get("complete"):
                    raise RuntimeError(f"{kind} run incomplete: {st}")
                (t_torrent if kind == "torrent" else t_magnet).append(dt)
                if kind == "magnet":
                    first.append(st["first_byte_s"])
                print(f"  run {r + 1} {kind:7s} {dt:6.2f} s  first byte {st['first_byte_s']:.3f} s", flush=True)
            shutil.rmtree(os.path.join(work, "out"), ignore_errors=True)
    finally:
        seeders.stop()
        shutil.rmtree(work, ignore_errors=True)
    mt, mm, fb = statistics.median(t_torrent), statistics.median(t_magnet), statistics.median(first)
    print(f"w1 .torrent median {mt:.2f} s, magnet median {mm:.2f} s: magnet {mm - mt:+.2f} s (bar +0.2 s)")
    print(f"w1 magnet first data byte: median {fb:.3f} s, worst {max(first):.3f} s (bar 0.3 s)")


def bench_meta(runs, port):
    content_dir, torrent = ensure(W3)
    ih = info_hash(torrent)
    work = tempfile.mkdtemp(prefix="corrent-magnet-bench-", dir="/dev/shm")
    seeders = Seeders(torrent, content_dir, [f"127.0.0.{i}" for i in range(2, 6)], port, work)
    size = os.path.getsize(torrent)
    times = []
    try:
        for r in range(runs):
            cmd = [CORRENT, "info", f"magnet:?xt=urn:btih:{ih}", "--listen", f"127.0.0.1:{port + 50}", NO_DHT]
            for a in seeders.addrs:
                cmd += ["--peer", a]
            dt = timed(cmd, timeout=60)
            times.append(dt)
            print(f"  run {r + 1} corrent info MAGNET (4 peers): {dt:.3f} s", flush=True)
    finally:
        seeders.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"w3 metadata (.torrent {size} bytes) from 4 peers: median {statistics.median(times):.3f} s, "
          f"worst {max(times):.3f} s (bar 0.5 s, whole process)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--which", default="w1,meta")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--port", type=int, default=24100)
    a = ap.parse_args()
    for w in a.which.split(","):
        {"w1": bench_w1, "meta": bench_meta}[w](a.runs, a.port)


if __name__ == "__main__":
    main()
