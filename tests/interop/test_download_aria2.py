#!/usr/bin/python3
"""corrent downloads from an aria2c seeder (issue "[2] Download").

  * single file (16 MiB + a partial last piece) found through opentracker;
  * a tree of 250 files (0-byte files, nested dirs, a hidden file, pieces spanning
    many files) found through opentracker.
Each: exit 0, byte-identical files at DIR/<name>, --stats complete with no hash
failures and the aria2 seeder's address with downloaded > 0; aria2's own upload
counter (JSON-RPC) covers the whole payload.

Run: CORRENT=build/release/src/cli/corrent /usr/bin/python3 tests/interop/test_download_aria2.py
     LEECHER=aria2|lt ... runs the same with a reference leecher (harness check).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dltest  # noqa: E402
import swarmlib as sl  # noqa: E402


class DownloadFromAria2(dltest.DownloadTest):
    def _from_aria2(self, content, piece_length):
        torrent, tracker = self.torrent_with_tracker(content, piece_length)
        seeder = self.sw.aria2_seeder(torrent, content)
        self.sw.wait_ready([seeder], tracker, torrent)
        result = self.sw.run_leecher(torrent, timeout=90)
        up = self.sw.final_uploads()
        self.report(content, result, up)
        self.assert_downloaded(content, torrent, result)
        self.assert_peer_downloaded(result, seeder)
        self.assertGreaterEqual(up[repr(seeder)] or 0, content.total_size,
                                f"aria2 (the only seeder) reports less uploaded than the payload: {up}")

    def test_single_file(self):
        self._from_aria2(self.content_single(16 * sl.MiB + 4321, seed=2), 256 * sl.KiB)

    def test_multi_file_tree(self):
        content = self.content_multi(nfiles=250, max_size=2 * sl.MiB, seed=2)
        self.assertTrue(any(s == 0 for _, s in content.files))
        self._from_aria2(content, 128 * sl.KiB)


if __name__ == "__main__":
    dltest.main("download from aria2")
