#!/usr/bin/python3
"""--max-download-rate and --max-upload-rate hold within 10 % over 10 s (issue "[5] Seeding").

  * download: corrent downloads from an unlimited python3-libtorrent seeder with
    --max-download-rate 4000000; the rate is read from the seeder's own upload counter;
  * upload: `corrent seed --max-upload-rate 4000000` is the only seeder of a
    python3-libtorrent leecher; the rate is read from the leecher's download counter.
Both counters come from libtorrent's stats file (written every 0.25 s with its own clock).
The window is the 10 s after the first 2 MB (the token bucket's start burst excluded).

Run: CORRENT=build/release/src/cli/corrent /usr/bin/python3 tests/interop/test_rate_limits.py
"""
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dltest  # noqa: E402
import seedlib  # noqa: E402
import swarmlib as sl  # noqa: E402

LIMIT = 4_000_000  # B/s
WINDOW_S = 10.0
SKIP_BYTES = 2_000_000
SIZE = 60 * 1000 * 1000  # ~15 s at the limit


def sample(path):
    """(elapsed_s, payload bytes counter) from a ltpeer stats file, or None."""
    try:
        with open(path) as f:
            d = json.load(f)
        return float(d["elapsed_s"]), int(d["uploaded"] if d["role"] == "seed" else d["downloaded"])
    except (OSError, ValueError, KeyError):
        return None


def measure(path, alive, timeout=60.0):
    """Samples the counter until a WINDOW_S window after SKIP_BYTES is covered. Returns
    (rate B/s, window s, bytes) or raises."""
    end = time.monotonic() + timeout
    start = None
    while time.monotonic() < end:
        s = sample(path)
        if s is not None:
            if start is None and s[1] >= SKIP_BYTES:
                start = s
            elif start is not None and s[0] - start[0] >= WINDOW_S:
                return (s[1] - start[1]) / (s[0] - start[0]), s[0] - start[0], s[1] - start[1]
        if not alive():
            break
        time.sleep(0.1)
    raise AssertionError(f"no {WINDOW_S:.0f} s window measured (last sample {sample(path)})")


class RateLimits(dltest.DownloadTest):
    def check(self, what, rate):
        sl.log(f"{what}: {rate / 1e6:.3f} MB/s against a limit of {LIMIT / 1e6:.3f} MB/s "
               f"({rate / LIMIT:.3f}x)")
        self.assertGreaterEqual(rate, 0.9 * LIMIT, f"{what}: {rate:.0f} B/s, under 90 % of the limit")
        self.assertLessEqual(rate, 1.1 * LIMIT, f"{what}: {rate:.0f} B/s, over 110 % of the limit")

    def test_max_download_rate(self):
        content = self.content_single(SIZE, name="down.bin", seed=3)
        base = self.sw.make_torrent(content, 256 * sl.KiB)
        torrent = self.sw.announce_torrent(base, [f"http://127.0.0.1:{sl.free_port()}/announce"])
        seeder = self.sw.lt_seeder(torrent, content)
        self.sw.wait_ready([seeder], None, torrent)
        leech = seedlib.CorrentLeecher(self.sw, torrent, "corrent-limited", seed=False,
                                       peers=[seeder.address],
                                       extra=["--max-download-rate", str(LIMIT)])
        rate, _, _ = measure(seeder.stats, leech.alive)
        self.check("download", rate)
        self.assertEqual(leech.wait(60), 0, leech.describe())
        self.assertIsNone(self.sw.verify(content, leech.out_dir))

    def test_max_upload_rate(self):
        content = self.content_single(SIZE, name="up.bin", seed=4)
        base = self.sw.make_torrent(content, 256 * sl.KiB)
        torrent = self.sw.announce_torrent(base, [f"http://127.0.0.1:{sl.free_port()}/announce"])
        seed = seedlib.CorrentSeed(self.sw, torrent, content, extra=["--max-upload-rate", str(LIMIT)])
        seedlib.wait_until(seed.is_ready, 30, what="corrent seed listening", check=seed.check_alive)
        leech = seedlib.LtLeecher(self.sw, torrent, connect=[seed.address])
        rate, _, _ = measure(leech.stats_path, leech.proc.alive)
        self.check("upload", rate)
        self.assertTrue(seedlib.wait_leecher(leech, 60, seed=seed))
        self.assertIsNone(self.sw.verify(content, leech.out_dir))


if __name__ == "__main__":
    dltest.main("rate limits")
