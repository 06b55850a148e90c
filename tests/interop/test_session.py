#!/usr/bin/python3
"""One corrent session, many torrents, one port (issue "[8] One session, many torrents").

1. ThreeAtOnce: a single file (1 MiB pieces), a 120-file tree and a file in 16 KiB pieces,
   each seeded by its own python3-libtorrent seeder behind one in-process tracker, downloaded
   by ONE `corrent download A B C`: exit 0, every file byte-identical, --stats has the three
   torrents complete, the log says "listening on" once, and every announce of the three
   torrents names the same port (the tracker records them).
2. RoutedByInfoHash: torrents A (tracked, its seeder capped so A is still running) and B
   (no tracker, no --peer: corrent can only wait). B's libtorrent seeder then connects *to*
   corrent's port: the session reads the handshake up to the info-hash and hands the
   connection to B. B completes from that incoming peer alone; A completes too.
3. SeedTwo: ONE `corrent seed A B` on one port serves two libtorrent leechers, one per
   torrent, that dial it: both byte-identical; at SIGTERM --stats shows each torrent's upload.

Run: CORRENT=build/release/src/cli/corrent /usr/bin/python3 tests/interop/test_session.py [Class.test ...]
"""
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seedlib  # noqa: E402
import swarmlib as sl  # noqa: E402

KiB, MiB = sl.KiB, sl.MiB


class SessionTest(unittest.TestCase):
    maxDiff = 4000

    def setUp(self):
        sl.skip_download_tests_if_requested("session tests")
        self.sw = sl.Swarm(f"session-{self._testMethodName}"[:48])

    def tearDown(self):
        self.sw.close()

    def corrent(self, name, argv):
        port = sl.free_port()
        stats = os.path.join(self.sw.tmp, f"{name}-stats.json")
        full = [sl.corrent_bin()] + argv + ["--listen", f"{sl.LOOPBACK}:{port}", "--stats", stats, "-v", sl.NO_DHT]
        proc = self.sw.start_proc(name, full)
        sl.log(f"{name}: {' '.join(str(a) for a in full)}")
        return proc, port, stats

    def wait_exit(self, proc, timeout):
        end = time.monotonic() + timeout
        while proc.alive():
            if time.monotonic() > end:
                return None
            time.sleep(0.1)
        return proc.rc

    def log_of(self, proc):
        with open(proc.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def test_1_three_torrents_at_once_over_one_port(self):
        contents = [
            self.sw.make_single("single.bin", 24 * MiB + 1234, seed=1),
            self.sw.make_multi("tree", sl.multi_layout(120, seed=2), seed=2),
            self.sw.make_single("small-pieces.bin", 6 * MiB + 77, seed=3),
        ]
        pieces = [1 * MiB, 64 * KiB, 16 * KiB]
        bases = [self.sw.make_torrent(c, p) for c, p in zip(contents, pieces)]
        tracker = self.sw.start_mini_tracker(bases, interval=1800, min_interval=60)
        torrents = [self.sw.announce_torrent(b, tracker) for b in bases]
        seeders = [self.sw.lt_seeder(t, c) for t, c in zip(torrents, contents)]
        for s, t in zip(seeders, torrents):
            self.sw.wait_ready([s], tracker, t)
        out = os.path.join(self.sw.tmp, "out")
        os.makedirs(out)
        proc, port, stats_path = self.corrent("corrent-three", ["download"] + [t.path for t in torrents]
                                              + ["-o", out])
        rc = self.wait_exit(proc, 180)
        log = self.log_of(proc)
        self.assertEqual(rc, 0, f"corrent exit code {rc}\n{log[-3000:]}")
        for c in contents:
            self.assertIsNone(self.sw.verify(c, out), f"{c.name} not byte-identical")
        st = seedlib.read_json(stats_path)
        self.assertTrue(st["complete"], st)
        self.assertEqual(len(st["torrents"]), 3, st)
        for t, ts in zip(torrents, st["torrents"]):
            self.assertEqual(ts["info_hash"], t.info_hash)
            self.assertTrue(ts["complete"], ts)
            self.assertGreaterEqual(ts["downloaded_bytes"], t.total_size, ts)
        self.assertEqual(len(re.findall(r"listening on ", log)), 1, "one listener for the session")
        mine = tracker.announces(port=port)
        by_hash = {}
        for a in mine:
            by_hash.setdefault(a.get("info_hash"), []).append(a)
        self.assertEqual(len(by_hash), 3, f"announces of corrent's port per torrent: {list(by_hash)}")
        others = [a for a in tracker.announces() if a["port"] != port and a.get("peer_id", b"").startswith(b"-CR")]
        self.assertEqual(others, [], f"corrent announced another port: {others[:3]}")

    def test_2_incoming_peer_is_routed_by_info_hash(self):
        ca = self.sw.make_single("a.bin", 8 * MiB + 11, seed=4)
        cb = self.sw.make_multi("b-tree", sl.multi_layout(40, seed=5), seed=5)
        base_a = self.sw.make_torrent(ca, 256 * KiB)
        tb = self.sw.make_torrent(cb, 64 * KiB)  # no tracker at all
        tracker = self.sw.start_tracker([base_a])
        ta = self.sw.announce_torrent(base_a, tracker)
        seed_a = self.sw.lt_seeder(ta, ca, upload_limit=1_000_000)  # A runs ~8 s
        seed_b = self.sw.lt_seeder(tb, cb)
        self.sw.wait_ready([seed_a], tracker, ta)
        seedlib.wait_until(seed_b.is_ready, 30, what="B's seeder ready")
        out = os.path.join(self.sw.tmp, "out")
        os.makedirs(out)
        proc, port, stats_path = self.corrent("corrent-routed", ["download", ta.path, tb.path, "-o", out])
        seedlib.wait_until(lambda: f"listening on {sl.LOOPBACK}:{port}" in self.log_of(proc), 20,
                           what="corrent listening")
        seed_b.connect(port)  # the only way B can find a peer
        rc = self.wait_exit(proc, 120)
        log = self.log_of(proc)
        self.assertEqual(rc, 0, f"corrent exit code {rc}\n{log[-3000:]}")
        self.assertIsNone(self.sw.verify(ca, out))
        self.assertIsNone(self.sw.verify(cb, out))
        st = seedlib.read_json(stats_path)
        b = next(t for t in st["torrents"] if t["info_hash"] == tb.info_hash)
        a = next(t for t in st["torrents"] if t["info_hash"] == ta.info_hash)
        self.assertTrue(b["complete"] and a["complete"], st)
        got_b = sum(p["downloaded"] for p in b["peers"])
        self.assertGreaterEqual(got_b, tb.total_size, f"B's data came from its incoming peer: {b['peers']}")
        self.assertFalse(any(p["address"] == seed_b.address for p in a["peers"]),
                         f"B's seeder attached to A: {a['peers']}")

    def test_3_seed_two_torrents_on_one_port(self):
        ca = self.sw.make_single("seed-a.bin", 12 * MiB + 5, seed=6)
        cb = self.sw.make_multi("seed-b", sl.multi_layout(60, seed=7), seed=7)
        self.assertEqual(ca.parent, cb.parent)
        ta = self.sw.make_torrent(ca, 256 * KiB)
        tb = self.sw.make_torrent(cb, 64 * KiB)
        proc, port, stats_path = self.corrent("corrent-seed-two", ["seed", ta.path, tb.path, "-d", ca.parent])
        seedlib.wait_until(lambda: f"listening on {sl.LOOPBACK}:{port}" in self.log_of(proc), 60,
                           what="corrent seeding")
        addr = f"{sl.LOOPBACK}:{port}"
        la = seedlib.LtLeecher(self.sw, ta, name="lt-leech-a", connect=[addr])
        lb = seedlib.LtLeecher(self.sw, tb, name="lt-leech-b", connect=[addr])
        ok = seedlib.wait_until(lambda: la.done() and lb.done(), 120, what="both leechers done")
        self.assertTrue(ok, self.log_of(proc)[-3000:])
        self.assertIsNone(self.sw.verify(ca, la.out_dir), "leecher A's data")
        self.assertIsNone(self.sw.verify(cb, lb.out_dir), "leecher B's data")
        proc.stop()
        st = seedlib.read_json(stats_path)
        self.assertIsNotNone(st, "no --stats")
        up = {t["info_hash"]: t["uploaded_bytes"] for t in st["torrents"]}
        self.assertGreaterEqual(up.get(ta.info_hash, 0), ta.total_size, st)
        self.assertGreaterEqual(up.get(tb.info_hash, 0), tb.total_size, st)


if __name__ == "__main__":
    sl.install_sigterm_handler()
    unittest.main(verbosity=2)
