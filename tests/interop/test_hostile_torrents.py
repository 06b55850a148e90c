#!/usr/bin/python3
"""Hostile .torrent files against `corrent download` (issue [9], items 5, 6 and 13).

  * a torrent that claims 100 TiB in 1 GiB pieces: exit 2 naming the piece-length limit,
    small RSS, never bad_alloc; one that claims 16 TiB in 32 MiB pieces (524,288 pieces)
    runs with bounded RSS;
  * a torrent holding both `x` (empty) and `x.tmp`, into a directory that already holds
    `x.tmp`'s data: creating `x` must not touch `x.tmp`;
  * a single-file torrent whose info carries BEP 47 attr `p` or `l`: the file is still
    its data (not a pad or a link that ends "done" with nothing written or checked);
  * a torrent named `.corrent-parts`: refused;
  * control characters in the name and comment never reach the terminal raw;
  * 1,100 tiers of UDP trackers, half silent, half refusing at once, under `ulimit -n
    1024` (item 7): under 100 log lines, and the download completes from a seeder given
    by `--peer`;
  * 50 tiers of HTTP trackers that accept and never answer (item 12): exit within 5 s of
    SIGINT.
"""
import hashlib
import os
import signal
import socket
import subprocess
import threading
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import swarmlib as sl  # noqa: E402

SANITIZED = os.environ.get("CORRENT_SANITIZED", "0") not in ("", "0")
MiB = 1 << 20


def run_measured(argv, timeout, interrupt_after=None):
    """Runs argv; returns (rc, stdout, stderr, max RSS in bytes). With interrupt_after, sends
    SIGINT after that many seconds. Output goes to files: nothing blocks on a full pipe."""
    with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe:
        p = subprocess.Popen(argv, stdout=fo, stderr=fe)
        start = time.monotonic()
        interrupted = False
        while True:  # reaped here, not by Popen, so that wait4 gives the child's rusage
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid == p.pid:
                break
            el = time.monotonic() - start
            if interrupt_after is not None and not interrupted and el >= interrupt_after:
                os.kill(p.pid, signal.SIGINT)
                interrupted = True
            if el > timeout:
                os.kill(p.pid, signal.SIGKILL)
            time.sleep(0.05)
        p.returncode = os.waitstatus_to_exitcode(status)
        fo.seek(0)
        fe.seek(0)
        return (p.returncode, fo.read().decode(errors="replace"), fe.read().decode(errors="replace"),
                ru.ru_maxrss * 1024)


def piece_hashes(data, piece_length):
    return b"".join(hashlib.sha1(data[i:i + piece_length]).digest()
                    for i in range(0, len(data), piece_length))


class HostileTorrents(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="corrent-it-torrents-", dir=sl.tmp_base())

    def tearDown(self):
        subprocess.run(["rm", "-rf", self.tmp])

    def write_torrent(self, name, info, **outer):
        path = os.path.join(self.tmp, name)
        d = {"announce": f"http://127.0.0.1:{sl.free_port()}/announce", "info": info}
        d.update(outer)
        with open(path, "wb") as f:
            f.write(sl.bencode(d))
        return path

    def download(self, torrent, out, timeout=30, interrupt_after=None):
        argv = [sl.corrent_bin(), "download", torrent, "-o", out, "--listen", f"127.0.0.1:{sl.free_port()}",
                sl.NO_DHT]
        return run_measured(argv, timeout, interrupt_after)

    def test_huge_pieces_are_refused_without_allocating(self):
        total, plen = 100 << 40, 1 << 30
        n = (total + plen - 1) // plen
        t = self.write_torrent("huge.torrent", {"name": "huge.bin", "length": total, "piece length": plen,
                                                "pieces": b"\x11" * 20 * n})
        rc, out, err, rss = self.download(t, os.path.join(self.tmp, "out1"))
        self.assertEqual(rc, 2, f"stdout={out!r} stderr={err!r}")
        self.assertIn("piece length", err)
        self.assertIn("32.00 MiB", err)
        self.assertNotIn("bad_alloc", err)
        if not SANITIZED:
            self.assertLess(rss, 100 * MiB, f"max RSS {rss / MiB:.0f} MiB")

    def test_huge_claimed_size_keeps_memory_bounded(self):
        total, plen = 16 << 40, 32 << 20
        n = (total + plen - 1) // plen
        t = self.write_torrent("big.torrent", {"name": "big.bin", "length": total, "piece length": plen,
                                               "pieces": b"\x11" * 20 * n})
        rc, out, err, rss = self.download(t, os.path.join(self.tmp, "out2"), timeout=30, interrupt_after=4)
        self.assertNotIn("bad_alloc", err)
        self.assertEqual(rc, 1, f"interrupted: exit 1; stdout={out[-500:]!r} stderr={err[-2000:]!r}")
        if not SANITIZED:
            self.assertLess(rss, 100 * MiB, f"{n} pieces: max RSS {rss / MiB:.0f} MiB")

    def test_empty_file_beside_a_file_named_like_a_temporary(self):
        data = os.urandom(100_000)
        plen = 16384
        info = {"name": "t", "piece length": plen, "pieces": piece_hashes(data, plen),
                "files": [{"length": 0, "path": ["x"]}, {"length": len(data), "path": ["x.tmp"]}]}
        t = self.write_torrent("tmpname.torrent", info)
        out = os.path.join(self.tmp, "out3")
        os.makedirs(os.path.join(out, "t"))
        with open(os.path.join(out, "t", "x.tmp"), "wb") as f:
            f.write(data)
        rc, o, e, _ = self.download(t, out)
        self.assertEqual(rc, 0, f"stdout={o!r} stderr={e!r}")
        self.assertEqual(os.path.getsize(os.path.join(out, "t", "x")), 0)
        with open(os.path.join(out, "t", "x.tmp"), "rb") as f:
            self.assertEqual(f.read(), data, "x.tmp lost its data while x was created")
        self.assertEqual(sorted(os.listdir(os.path.join(out, "t"))), ["x", "x.tmp"])
        v = subprocess.run([sl.corrent_bin(), "verify", t, "-d", out], capture_output=True, text=True, timeout=30)
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)

    def test_single_file_with_pad_or_link_attr_is_still_written(self):
        data = os.urandom(70_000)
        plen = 16384
        for attr in ("p", "l"):
            with self.subTest(attr=attr):
                info = {"name": f"single-{attr}.bin", "length": len(data), "piece length": plen,
                        "pieces": piece_hashes(data, plen), "attr": attr, "symlink path": ["..", "x"]}
                t = self.write_torrent(f"attr-{attr}.torrent", info)
                out = os.path.join(self.tmp, f"out-attr-{attr}")
                # no data, no peer: it must wait for the data, not end "done"
                rc, o, e, _ = self.download(t, os.path.join(self.tmp, f"empty-attr-{attr}"), interrupt_after=3)
                self.assertEqual(rc, 1, f"with no data and no peer: stdout={o[-500:]!r} stderr={e[-1500:]!r}")
                os.makedirs(out)
                with open(os.path.join(out, info["name"]), "wb") as f:
                    f.write(data)
                rc, o, e, _ = self.download(t, out)
                self.assertEqual(rc, 0, f"stdout={o!r} stderr={e!r}")
                p = os.path.join(out, info["name"])
                self.assertFalse(os.path.islink(p))
                with open(p, "rb") as f:
                    self.assertEqual(f.read(), data)
                v = subprocess.run([sl.corrent_bin(), "verify", t, "-d", out], capture_output=True, text=True,
                                   timeout=30)
                self.assertEqual(v.returncode, 0, v.stdout + v.stderr)

    def test_the_parts_directory_name_is_reserved(self):
        info = {"name": ".corrent-parts", "length": 5, "piece length": 16384, "pieces": b"\0" * 20}
        t = self.write_torrent("parts.torrent", info)
        rc, o, e, _ = self.download(t, os.path.join(self.tmp, "out5"))
        self.assertEqual(rc, 2, f"stdout={o!r} stderr={e!r}")
        self.assertIn("reserved", e)

    def test_control_characters_never_reach_the_terminal(self):
        name = b"a\x1b]0;owned\x07b\xc2\x9b2Jc\xe2\x80\xaegpj.exe"
        info = {"name": name, "length": 5, "piece length": 16384, "pieces": b"\0" * 20}
        t = self.write_torrent("ctl.torrent", info, comment="c\x1b[31mred\x7f")
        r = subprocess.run([sl.corrent_bin(), "info", t], capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        for bad in (b"\x1b", b"\x07", b"\x7f", b"\xc2\x9b", b"\xe2\x80\xae"):
            self.assertNotIn(bad, r.stdout, f"{bad!r} printed raw: {r.stdout!r}")
        self.assertIn(b"a\\x1b]0;owned\\x07b\\u{009b}2Jc\\u{202e}gpj.exe", r.stdout)
        self.assertIn(b"c\\x1b[31mred\\x7f", r.stdout)


class ManyTrackers(unittest.TestCase):
    def setUp(self):
        self.sw = sl.Swarm(f"trackers-{self._testMethodName}"[:50])

    def tearDown(self):
        self.sw.close()

    def seeded_torrent(self, urls):
        content = self.sw.make_single("payload.bin", 4 * MiB + 123, seed=31)
        base = self.sw.make_torrent(content, 64 * 1024)
        torrent = self.sw.announce_torrent(base, urls)
        seeder = self.sw.lt_seeder(base, content)  # the seeder itself announces nowhere
        self.sw.wait_ready([seeder], None, base)
        return content, torrent, seeder

    def test_1100_silent_udp_tiers_under_1024_descriptors(self):
        sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # swallows every packet
        sink.bind(("127.0.0.5", 0))
        self.addCleanup(sink.close)
        port = sink.getsockname()[1]
        closed = sl.free_port()  # nothing listens: ICMP port unreachable, an error at once
        urls = [f"udp://127.0.0.5:{port}/announce?tier={i}" if i % 2 else
                f"udp://127.0.0.6:{closed}/announce?tier={i}" for i in range(1100)]
        content, torrent, seeder = self.seeded_torrent(urls)
        out = os.path.join(self.sw.tmp, "out")
        os.makedirs(out)
        argv = ["bash", "-c", 'ulimit -n 1024 && exec "$0" "$@"', sl.corrent_bin(), "download", torrent.path,
                "-o", out, "--peer", seeder.address, "--listen", f"127.0.0.1:{sl.free_port()}", sl.NO_DHT]
        t0 = time.monotonic()
        r = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        el = time.monotonic() - t0
        lines = [ln for ln in (r.stdout + r.stderr).splitlines() if ln.strip()]  # logs go to stdout
        self.assertEqual(r.returncode, 0, f"after {el:.1f}s: {r.stderr[-3000:]}")
        self.assertIsNone(self.sw.verify(content, out))
        self.assertLess(len(lines), 100, f"{len(lines)} lines of output; first: {lines[:20]}")

    def test_interrupt_with_50_slow_http_tiers(self):
        # Trackers that answer the first announce each gets, then accept connections and
        # never answer: the final `stopped` goes to every tracker that answered, and hangs.
        listeners = []
        answered = set()
        for i in range(50):
            ls = socket.socket()
            ls.bind((f"127.0.1.{i + 1}", 0))
            ls.listen(64)
            listeners.append(ls)
            self.addCleanup(ls.close)
        held, stop = [], threading.Event()

        def accept_all():
            for ls in listeners:
                ls.settimeout(0.01)
            while not stop.is_set():
                for ls in listeners:
                    try:
                        c, _ = ls.accept()
                    except OSError:
                        continue
                    held.append(c)
                    if ls not in answered:
                        try:
                            c.settimeout(2)
                            c.recv(4096)
                            body = sl.bencode({"interval": 1800, "peers": b""})
                            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
                            answered.add(ls)
                        except OSError:
                            pass
        th = threading.Thread(target=accept_all, daemon=True)
        th.start()

        def cleanup():
            stop.set()
            th.join(5)
            for c in held:
                c.close()
        self.addCleanup(cleanup)
        urls = [f"http://{ls.getsockname()[0]}:{ls.getsockname()[1]}/announce" for ls in listeners]
        content = self.sw.make_single("payload.bin", 4 * MiB + 123, seed=32)
        base = self.sw.make_torrent(content, 64 * 1024)
        torrent = self.sw.announce_torrent(base, urls)
        out = os.path.join(self.sw.tmp, "out-slow")
        argv = [sl.corrent_bin(), "download", torrent.path, "-o", out, "--listen", f"127.0.0.1:{sl.free_port()}",
                sl.NO_DHT]
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(4)  # every tier round that may start has started
        t0 = time.monotonic()
        p.send_signal(signal.SIGINT)
        try:
            _, err = p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            _, err = p.communicate()
            self.fail("still running 30 s after SIGINT")
        el = time.monotonic() - t0
        self.assertEqual(p.returncode, 1, err[-2000:])
        self.assertTrue(answered, "no tracker was asked")
        self.assertLess(el, 5.0, f"exit took {el:.1f}s after SIGINT")


if __name__ == "__main__":
    unittest.main(verbosity=2)
