#!/usr/bin/python3
"""Hostile-peer benchmarks (issue "[9] Hostile input, round 2"), on 127.0.0.0/8 only.

  flood  A torrent of 1,000,000 pieces (16 KiB each; no data needed). `corrent download`
         dials one scripted peer, which answers the handshake and then sends 50,000
         `have_all` (then, on a second run, 1,000 full-size `bitfield`s of 125 KB each:
         those are merged like haves, as aria2 sends them). Meanwhile a second peer opens
         a connection to corrent every 20 ms and times how long corrent takes to answer
         its handshake. Prints the median and worst answer time, and how the flooding
         peer ended. Bar: worst <= 50 ms.
  crowd  `corrent seed` of a 256 MiB file. A python3-libtorrent leecher downloads it
         alone; then 1,000 connections from 1,000 loopback addresses (127.0.x.y) are held
         open against the seed (each handshakes and then sends nothing; one that is closed
         is reopened at once), and the leecher downloads it again. Prints both rates, their
         ratio, how many of the 1,000 were open at the end, how often the crowd reopened,
         and corrent's peak RSS. Bars: RSS <= 256 MiB, ratio >= 0.8. With the default
         --max-peers (50) corrent attaches 50 and turns the rest away; --max-peers 1100
         makes it hold all 1,000.
  churn  `corrent seed` of a 1 MiB file; 100,000 connections from 200 loopback addresses,
         one after another, each handshakes and hangs up (RST). Prints the seed's RSS after
         1,000, 10,000, 50,000 and 100,000 of them: it must stay flat.

  /usr/bin/python3 bench/hostile_bench.py [--which flood,crowd,churn] [--runs 3]
"""
import argparse
import hashlib
import os
import shutil
import signal
import socket
import statistics
import struct
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
PSTR = b"BitTorrent protocol"
MiB = 1 << 20


FAST = bytes([0, 0, 0, 0, 0, 0, 0, 0x04])  # BEP 6's bit: have_all is a fast-extension message


def handshake(info_hash, peer_id, reserved=bytes(8)):
    return bytes([19]) + PSTR + reserved + info_hash + peer_id


def recv_exact(s, n, timeout):
    s.settimeout(timeout)
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    return buf


def peak_rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


# ---------------------------------------------------------------------------- flood
def flood_once(tmp, kind):
    n = 1_000_000
    plen = 16384
    info = {"name": "million.bin", "length": n * plen, "piece length": plen, "pieces": b"\x22" * 20 * n}
    tpath = os.path.join(tmp, "million.torrent")
    if not os.path.exists(tpath):
        with open(tpath, "wb") as f:
            f.write(sl.bencode({"info": info}))
    info_hash = hashlib.sha1(sl.bencode(info)).digest()
    lst = socket.socket()
    lst.bind(("127.0.0.2", 0))
    lst.listen(4)
    port = sl.free_port()
    out = tempfile.mkdtemp(dir=tmp)
    proc = subprocess.Popen([CORRENT, "download", tpath, "-o", out, "--listen", f"127.0.0.1:{port}",
                             "--peer", f"127.0.0.2:{lst.getsockname()[1]}", sl.NO_DHT],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    result = {}
    try:
        lst.settimeout(60)
        c, _ = lst.accept()
        recv_exact(c, 68, 30)
        c.sendall(handshake(info_hash, b"-HF0001-" + os.urandom(6).hex().encode(), FAST))
        times = []
        stop = threading.Event()

        def prober():
            while not stop.is_set():
                s = socket.socket()
                s.bind(("127.0.0.3", 0))
                t0 = time.monotonic()
                try:
                    s.connect(("127.0.0.1", port))
                    s.sendall(handshake(info_hash, b"-PR0001-" + os.urandom(6).hex().encode()))
                    recv_exact(s, 68, 10)
                    times.append(time.monotonic() - t0)
                except OSError:
                    times.append(float("inf"))
                finally:
                    s.close()
                time.sleep(0.02)
        th = threading.Thread(target=prober, daemon=True)
        th.start()
        time.sleep(0.5)
        before = len(times)
        t0 = time.monotonic()
        sent = 0
        try:
            if kind == "have_all":
                msg = struct.pack(">IB", 1, 0x0E)
                for _ in range(50):
                    c.sendall(msg * 1000)
                    sent += 1000
            else:
                bf = struct.pack(">IB", 1 + n // 8, 5) + b"\xff" * (n // 8)
                for _ in range(1000):
                    c.sendall(bf)
                    sent += 1
            c.settimeout(10)
            end = "still open" if c.recv(1) else "closed by corrent"
        except OSError as e:
            end = f"closed by corrent ({e.__class__.__name__})"
        flood_s = time.monotonic() - t0
        time.sleep(0.5)
        stop.set()
        th.join(5)
        during = times[before:]
        result = {"kind": kind, "sent": sent, "flood_s": round(flood_s, 3), "end": end,
                  "probes": len(during), "median_ms": round(statistics.median(during) * 1000, 2),
                  "worst_ms": round(max(during) * 1000, 2)}
        c.close()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        lst.close()
        shutil.rmtree(out, ignore_errors=True)
    return result


# ---------------------------------------------------------------------------- crowd
def crowd_once(tmp, max_peers=None):
    sw = sl.Swarm("hostile-bench-crowd")
    try:
        content = sw.make_single("crowd.bin", 256 * MiB, seed=7)
        torrent = sw.make_torrent(content, 256 * 1024)
        port = sl.free_port()
        extra = ["--max-peers", str(max_peers)] if max_peers else []
        seed = subprocess.Popen([CORRENT, "seed", torrent.path, "-d", content.parent, "--listen",
                                 f"127.0.0.1:{port}", sl.NO_DHT] + extra, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(3)
        info_hash = bytes.fromhex(torrent.info_hash)

        def leech(label):
            r = sw.run_leecher(torrent, kind="lt", peers=[f"127.0.0.1:{port}"], timeout=300)
            if r.rc != 0 or sw.verify(content, r.out_dir):
                raise RuntimeError(f"{label}: leecher failed: {r.describe()}")
            shutil.rmtree(os.path.dirname(r.out_dir), ignore_errors=True)
            return content.total_size / r.elapsed

        alone = leech("alone")
        addrs = [f"127.0.{x}.{y}" for x in range(10, 14) for y in range(1, 251)]
        socks = {}
        stop = threading.Event()
        reopened = [0]

        def open_one(a):
            s = socket.socket()
            s.bind((a, 0))
            s.settimeout(5)
            try:
                s.connect(("127.0.0.1", port))
                s.sendall(handshake(info_hash, b"-CR0001-" + os.urandom(6).hex().encode()))
                s.setblocking(False)
                socks[a] = s
            except OSError:
                s.close()

        def holder():
            for a in addrs:
                open_one(a)
            while not stop.is_set():
                for a, s in list(socks.items()):
                    try:
                        if s.recv(65536) != b"":
                            continue  # what corrent sends is read and ignored
                    except BlockingIOError:
                        continue
                    except OSError:
                        pass
                    s.close()
                    del socks[a]
                    reopened[0] += 1
                    open_one(a)
                time.sleep(0.2)
        th = threading.Thread(target=holder, daemon=True)
        th.start()
        time.sleep(15)  # all 1,000 tried; older than the 10 s an idle connection is protected
        crowded = leech("crowded")
        open_now = len(socks)
        rss = peak_rss_kb(seed.pid)
        stop.set()
        th.join(10)
        for s in socks.values():
            s.close()
        seed.send_signal(signal.SIGINT)
        seed.wait(30)
        return {"alone_MBps": round(alone / 1e6, 1), "crowded_MBps": round(crowded / 1e6, 1),
                "ratio": round(crowded / alone, 3), "crowd_open_at_end": open_now,
                "crowd_reopened": reopened[0], "seed_peak_rss_MiB": round(rss / 1024, 1)}
    finally:
        sw.close()


# ---------------------------------------------------------------------------- churn
def churn_once(tmp, cycles=100_000):
    src = tempfile.mkdtemp(dir=tmp)
    data = os.urandom(1 << 20)
    with open(os.path.join(src, "churn.bin"), "wb") as f:
        f.write(data)
    plen = 1 << 18
    info = {"name": "churn.bin", "length": len(data), "piece length": plen,
            "pieces": b"".join(hashlib.sha1(data[i:i + plen]).digest() for i in range(0, len(data), plen))}
    tpath = os.path.join(tmp, "churn.torrent")
    with open(tpath, "wb") as f:
        f.write(sl.bencode({"info": info}))
    info_hash = hashlib.sha1(sl.bencode(info)).digest()
    port = sl.free_port()
    seed = subprocess.Popen([CORRENT, "seed", tpath, "-d", src, "--listen", f"127.0.0.1:{port}", sl.NO_DHT],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def rss():
        with open(f"/proc/{seed.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0
    try:
        time.sleep(2)
        answered, marks = 0, {}
        for i in range(cycles):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            try:
                s.bind((f"127.0.4.{1 + i % 200}", 0))
                s.settimeout(5)
                s.connect(("127.0.0.1", port))
                s.sendall(handshake(info_hash, b"-CH0001-" + os.urandom(6).hex().encode()))
                if s.recv(68):
                    answered += 1
            except OSError:
                pass
            finally:
                s.close()
            if i + 1 in (1000, 10_000, 50_000, 100_000):
                marks[i + 1] = rss()
        return {"cycles": cycles, "answered": answered, "rss_kib_after": marks}
    finally:
        seed.send_signal(signal.SIGINT)
        seed.wait(30)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--which", default="flood,crowd")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--max-peers", type=int, default=None,
                    help="crowd: the seed's --max-peers (default: corrent's, 50); 1100 holds all 1,000")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="hostile-bench-", dir="/dev/shm")
    try:
        for which in args.which.split(","):
            for run in range(args.runs):
                if which == "flood":
                    for kind in ("have_all", "bitfield"):
                        print("flood", run + 1, flood_once(tmp, kind), flush=True)
                elif which == "crowd":
                    print("crowd", run + 1, crowd_once(tmp, args.max_peers), flush=True)
                elif which == "churn":
                    print("churn", run + 1, churn_once(tmp), flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
