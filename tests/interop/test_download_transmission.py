#!/usr/bin/python3
"""corrent downloads from a transmission-daemon 3.00 seeder (issue "[2] Download").

transmission drops peers on 127.x that come from a tracker, but it accepts incoming
connections from them: corrent finds the seeder through opentracker and dials it.
transmission unchokes on its 10 s rechoke pulse and uploads slowly, so sizes are small.

  * single file (8 MiB + a partial last piece);
  * a tree of 200 files (0-byte files, nested dirs, a hidden file, pieces spanning files).
Each: exit 0, byte-identical files at DIR/<name>, --stats complete with no hash
failures and the seeder's address with downloaded > 0; transmission's uploadedEver
(RPC) covers the payload.

Run: CORRENT=build/release/src/cli/corrent /usr/bin/python3 tests/interop/test_download_transmission.py
     LEECHER=aria2|lt ... runs the same with a reference leecher (harness check).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dltest  # noqa: E402
import swarmlib as sl  # noqa: E402


class DownloadFromTransmission(dltest.DownloadTest):
    def _from_transmission(self, content, piece_length):
        torrent, tracker = self.torrent_with_tracker(content, piece_length)
        seeder = self.sw.transmission_seeder(torrent, content)
        self.sw.wait_ready([seeder], tracker, torrent)
        result = self.sw.run_leecher(torrent, timeout=100)
        up = self.sw.final_uploads()
        self.report(content, result, up)
        self.assert_downloaded(content, torrent, result)
        self.assert_peer_downloaded(result, seeder)
        self.assertGreaterEqual(up[repr(seeder)] or 0, content.total_size,
                                f"transmission (the only seeder) reports less uploaded than the payload: {up}")

    def test_single_file(self):
        self._from_transmission(self.content_single(8 * sl.MiB + 999, seed=3), 256 * sl.KiB)

    def test_multi_file_tree(self):
        content = self.content_multi(nfiles=200, max_size=1 * sl.MiB, seed=3)
        self.assertTrue(any(s == 0 for _, s in content.files))
        self._from_transmission(content, 64 * sl.KiB)


if __name__ == "__main__":
    dltest.main("download from transmission")
