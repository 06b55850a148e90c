#!/usr/bin/python3
"""corrent downloads from four seeders at once (issue "[2] Download"), and from ten slow
ones (issue "[6] Performance": download slots grow while more peers pay).

Three python3-libtorrent seeders and one aria2c seeder, each capped at 2 MB/s
upload, share a 16 MiB file through opentracker. A leecher that pulls from one
peer at a time would take ~8 s and leave the others idle; a real swarm client
requests from all of them. Checks: exit 0, byte-identical, --stats complete with no
hash failures, and EVERY seeder's address in --stats with downloaded > 0 (and every
seeder's own upload counter > 0, summing to at least the payload).

Run: CORRENT=build/release/src/cli/corrent /usr/bin/python3 tests/interop/test_download_multi_seeder.py
     LEECHER=aria2|lt ... runs the same with a reference leecher (harness check).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dltest  # noqa: E402
import swarmlib as sl  # noqa: E402

CAP = 2_000_000  # bytes/s per seeder
SLOW_CAP = 400_000


class DownloadFromFourSeeders(dltest.DownloadTest):
    def download_from_all(self, content, torrent, tracker, seeders, timeout):
        """Runs corrent against `seeders`: byte-identical, every seeder in --stats with
        downloaded > 0 and every seeder's own upload counter > 0, summing to the payload."""
        self.sw.wait_ready(seeders, tracker, torrent)
        result = self.sw.run_leecher(torrent, timeout=timeout)
        up = self.sw.final_uploads()
        self.report(content, result, up)
        self.assert_downloaded(content, torrent, result)
        for s in seeders:
            self.assert_peer_downloaded(result, s)
        idle = [k for k, v in up.items() if not v]
        self.assertEqual(idle, [], f"seeders that uploaded nothing: {idle} (all: {up})")
        self.assertGreaterEqual(sum(v or 0 for v in up.values()), content.total_size, f"uploads {up}")

    def test_four_seeders_all_used(self):
        content = self.content_single(16 * sl.MiB + 2024, seed=4)
        torrent, tracker = self.torrent_with_tracker(content, 128 * sl.KiB)
        seeders = [self.sw.lt_seeder(torrent, content, upload_limit=CAP) for _ in range(3)]
        seeders.append(self.sw.aria2_seeder(torrent, content, upload_limit=CAP))
        self.download_from_all(content, torrent, tracker, seeders, timeout=90)

    def test_ten_slow_seeders_all_used(self):
        """corrent starts downloading from 4 peers and takes more while more raise the rate
        (swarm::download_slots). Ten seeders capped at 400 KB/s: each one added is +10-50 %,
        so all ten must end up sending. Stuck at 4 it would take ~15 s and leave six idle;
        growing it takes ~8 s."""
        content = self.content_single(24 * sl.MiB + 777, seed=10)
        torrent, tracker = self.torrent_with_tracker(content, 256 * sl.KiB)
        seeders = [self.sw.lt_seeder(torrent, content, upload_limit=SLOW_CAP) for _ in range(10)]
        self.download_from_all(content, torrent, tracker, seeders, timeout=120)

if __name__ == "__main__":
    dltest.main("download from four seeders")
