#!/usr/bin/python3
"""Session benchmarks (issue "[8] One session, many torrents"), on 127.0.0.1 only.

  three  Three 1 GiB torrents (1 MiB pieces, contents seeded 1, 2, 3) from three
         python3-libtorrent seeders, downloaded by ONE `corrent download A B C`, alternating
         run by run with corrent's own w1 (torrent A alone, its seeder alone) on the same
         seeders. Prints each run and the medians: wall, CPU s, peak anonymous memory, and
         the ratio of the three-torrent wall to w1's. Bars: ratio <= 3.2, anon <= 40 MiB.
  idle   1,000 small torrents (4-200 KiB files, 16 KiB pieces, no trackers) seeded by ONE
         `corrent seed`: once every torrent is seeding, CPU over --idle-seconds (60) and the
         peak anonymous memory of the whole run. Bars: CPU <= 1 %, anon <= 64 MiB.

Peak anonymous memory is RssAnon of the process sampled every 20 ms (as ../shared/swarm
does); CPU is user+sys from wait4(2) (three) or /proc/PID/stat (idle).

On a VM, memory the guest touches for the first time is slow to write (the host backs it
page by page): a download into fresh tmpfs pages cost up to 3x the CPU of one into pages
used before, and the first run of a series was always the slow one. So --warm-gib (default
10) GiB are written to /dev/shm and deleted before anything is measured.

  /usr/bin/python3 bench/session_bench.py [--runs 3] [--which three,idle] [--idle-seconds 60]
"""
import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "interop"))
import swarmlib as sl  # noqa: E402

CORRENT = os.environ.get("CORRENT", os.path.join(ROOT, "build", "release", "src", "cli", "corrent"))
SWARM = os.path.join(ROOT, "..", "shared", "swarm", "swarm.py")
CACHE = "/dev/shm/corrent-swarm"
GiB = 1 << 30
CLK = os.sysconf("SC_CLK_TCK")


def rss_anon_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_s(pid):
    with open(f"/proc/{pid}/stat", "rb") as f:
        st = f.read()
    fields = st[st.rindex(b")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK


class Sampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kb = 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            self.peak_kb = max(self.peak_kb, rss_anon_kb(self.pid))
            time.sleep(0.02)


def timed(argv, timeout):
    """Runs argv; returns (rc, wall s, cpu s, peak anon MiB)."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    s = Sampler(p.pid)
    s.start()
    end = t0 + timeout
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > end:
            p.kill()
            pid, status, ru = os.wait4(p.pid, 0)
            break
        time.sleep(0.01)
    wall = time.monotonic() - t0
    s.stop.set()
    s.join()
    rc = os.waitstatus_to_exitcode(status)
    return rc, wall, ru.ru_utime + ru.ru_stime, s.peak_kb / 1024


def content_1gib(seed):
    subprocess.run(["/usr/bin/python3", SWARM, "gen", "--base", CACHE, "--layout", "single", "--size",
                    "1GiB", "--piece", "1MiB", "--seed", str(seed)], check=True, stdout=subprocess.DEVNULL)
    name = f"single-1073741824-s{seed}"
    parent = os.path.join(CACHE, "content", name)
    return sl.Content(parent, f"{name}.bin", [(f"{name}.bin", GiB)])


def warm_memory(gib):
    if gib <= 0:
        return
    path = tempfile.mktemp(prefix="corrent-bench-warm-", dir="/dev/shm")
    chunk = b"\0" * (1 << 20)
    try:
        with open(path, "wb") as f:
            for _ in range(int(gib * 1024)):
                f.write(chunk)
    finally:
        os.remove(path)


def bench_three(runs):
    rows = []
    with sl.Swarm("bench-three") as sw:
        contents = [content_1gib(s) for s in (1, 2, 3)]
        bases = [sl.make_torrent(c, os.path.join(sw.tmp, f"t{i}.base.torrent"), 1 << 20)
                 for i, c in enumerate(contents)]
        tracker = sw.start_tracker(bases)
        torrents = [sw.announce_torrent(b, tracker) for b in bases]
        seeders = [sw.lt_seeder(t, c) for t, c in zip(torrents, contents)]
        for s, t in zip(seeders, torrents):
            sw.wait_ready([s], tracker, t)
        # One untimed round first: pages of the page cache the runs will reuse get backed.
        for run in range(-1, runs):
            for kind in ("w1", "three"):
                out = tempfile.mkdtemp(prefix=f"corrent-bench-{kind}-", dir="/dev/shm")
                chosen = torrents[:1] if kind == "w1" else torrents
                argv = [CORRENT, "download", "--quiet", "--listen", f"127.0.0.1:{sl.free_port()}",
                        sl.NO_DHT, "--out", out] + [t.path for t in chosen]
                rc, wall, cpu, anon = timed(argv, 300)
                ok = rc == 0 and all(sw.verify(c, out) is None for c in contents[:len(chosen)])
                shutil.rmtree(out, ignore_errors=True)
                row = dict(kind=kind, run=run, ok=ok, wall_s=round(wall, 3), cpu_s=round(cpu, 2),
                           anon_peak_mib=round(anon, 1))
                print(json.dumps(row) + ("  (warm-up, not counted)" if run < 0 else ""), flush=True)
                if run >= 0:
                    rows.append(row)
    med = {}
    for kind in ("w1", "three"):
        good = [r for r in rows if r["kind"] == kind and r["ok"]]
        med[kind] = {k: statistics.median(r[k] for r in good) for k in ("wall_s", "cpu_s", "anon_peak_mib")} \
            if good else {}
    ratios = [t["wall_s"] / w["wall_s"] for w, t in zip([r for r in rows if r["kind"] == "w1"],
                                                          [r for r in rows if r["kind"] == "three"])]
    print(f"\nthree 1 GiB torrents at once vs w1 alone ({runs} runs each, alternating):")
    for kind in ("w1", "three"):
        m = med[kind]
        if m:
            print(f"  {kind:6} wall {m['wall_s']:.2f} s  cpu {m['cpu_s']:.2f} s  anon peak {m['anon_peak_mib']:.1f} MiB")
    if ratios:
        print(f"  wall ratio three/w1 per run: {', '.join(f'{r:.2f}' for r in ratios)}; "
              f"median {statistics.median(ratios):.2f} (bar 3.2); anon bar 40 MiB")
    return med


def bench_idle(seconds, count=1000):
    work = tempfile.mkdtemp(prefix="corrent-bench-idle-", dir="/dev/shm")
    try:
        data = os.path.join(work, "data")
        tdir = os.path.join(work, "torrents")
        os.makedirs(data)
        os.makedirs(tdir)
        rng = random.Random(8)
        paths = []
        for i in range(count):
            name = f"small-{i:04d}.bin"
            with open(os.path.join(data, name), "wb") as f:
                f.write(rng.randbytes(rng.randint(4 << 10, 200 << 10)))
            tp = os.path.join(tdir, f"{name}.torrent")
            subprocess.run([CORRENT, "create", os.path.join(data, name), "-o", tp, "--piece-size", "16KiB",
                            "--no-date", "--threads", "1"], check=True, stdout=subprocess.DEVNULL)
            paths.append(tp)
        port = sl.free_port()
        argv = [CORRENT, "seed", "-d", data, "--listen", f"127.0.0.1:{port}", sl.NO_DHT] + paths
        log_path = os.path.join(work, "seed.log")
        t0 = time.monotonic()
        with open(log_path, "wb") as log:
            p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        s = Sampler(p.pid)
        s.start()
        ready = None
        while time.monotonic() - t0 < 300 and p.poll() is None:
            with open(log_path, "rb") as f:
                text = f.read().decode(errors="replace")
            if re.search(rf"{count}/{count} torrents done", text):
                ready = time.monotonic() - t0
                break
            time.sleep(0.5)
        if ready is None:
            p.kill()
            print(f"idle: the {count} torrents never all seeded (rc={p.poll()}); log tail:\n{text[-2000:]}")
            return None
        c0, w0 = cpu_s(p.pid), time.monotonic()
        time.sleep(seconds)
        c1, w1 = cpu_s(p.pid), time.monotonic()
        p.terminate()
        p.wait(timeout=60)
        s.stop.set()
        s.join()
        pct = 100 * (c1 - c0) / (w1 - w0)
        res = dict(torrents=count, startup_s=round(ready, 1), idle_s=round(w1 - w0, 1),
                   idle_cpu_pct=round(pct, 3), anon_peak_mib=round(s.peak_kb / 1024, 1))
        print(json.dumps(res))
        print(f"\n{count} torrents seeding with no peers: seeding after {ready:.1f} s; idle CPU "
              f"{pct:.2f} % over {w1 - w0:.0f} s (bar 1 %); peak anon {s.peak_kb / 1024:.1f} MiB (bar 64)")
        return res
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--which", default="three,idle")
    ap.add_argument("--idle-seconds", type=float, default=60)
    ap.add_argument("--warm-gib", type=float, default=10)
    a = ap.parse_args()
    warm_memory(a.warm_gib)
    which = a.which.split(",")
    if "three" in which:
        bench_three(a.runs)
    if "idle" in which:
        bench_idle(a.idle_seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
