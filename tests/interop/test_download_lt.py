#!/usr/bin/python3
"""corrent downloads from a python3-libtorrent seeder (issue "[2] Download").

  * single file (24 MiB + a partial last piece) found through opentracker;
  * a tree of 300 files (0-byte files, nested dirs, a hidden file, pieces spanning
    dozens of files) found through opentracker;
  * a seeder given only with --peer while the torrent's tracker is down.
Each: exit 0, byte-identical files at DIR/<name>, --stats complete, no hash failures,
the seeder's address in --stats with downloaded > 0, and the seeder uploaded it all.

Run: CORRENT=build/release/src/cli/corrent /usr/bin/python3 tests/interop/test_download_lt.py
     LEECHER=aria2|lt ... runs the same with a reference leecher (harness check).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dltest  # noqa: E402
import swarmlib as sl  # noqa: E402


class DownloadFromLibtorrent(dltest.DownloadTest):
    def _from_one_lt_seeder(self, content, piece_length):
        torrent, tracker = self.torrent_with_tracker(content, piece_length)
        seeder = self.sw.lt_seeder(torrent, content)
        self.sw.wait_ready([seeder], tracker, torrent)
        result = self.sw.run_leecher(torrent, timeout=90)
        self.assert_downloaded(content, torrent, result)
        self.assert_peer_downloaded(result, seeder)
        up = self.sw.final_uploads()
        self.report(content, result, up)
        self.assertGreaterEqual(seeder.uploaded(), content.total_size,
                                f"the only seeder uploaded less than the payload: {up}")

    def test_single_file(self):
        self._from_one_lt_seeder(self.content_single(24 * sl.MiB + 12345), 256 * sl.KiB)

    def test_multi_file_tree(self):
        content = self.content_multi(nfiles=300, max_size=3 * sl.MiB)
        self.assertTrue(any(s == 0 for _, s in content.files))
        self._from_one_lt_seeder(content, 256 * sl.KiB)

    def test_peer_option_without_tracker(self):
        if self.leecher == "aria2":
            self.skipTest("aria2 cannot be handed a peer on the command line")
        content = self.content_single(6 * sl.MiB + 777, name="peer-only.bin", seed=7)
        base = self.sw.make_torrent(content, 64 * sl.KiB)
        # announce URL on a loopback port where nothing listens: the tracker is down
        torrent = self.sw.announce_torrent(base, [f"http://127.0.0.1:{sl.free_port()}/announce"])
        seeder = self.sw.lt_seeder(torrent, content)
        self.sw.wait_ready([seeder], None, torrent)
        result = self.sw.run_leecher(torrent, peers=[seeder.address], timeout=60)
        self.assert_downloaded(content, torrent, result)
        self.assert_peer_downloaded(result, seeder)
        self.report(content, result, self.sw.final_uploads())


if __name__ == "__main__":
    dltest.main("download from libtorrent")
