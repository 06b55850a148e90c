#!/usr/bin/python3
"""corrent survives a peer that sends corrupt data (issue "[2] Download").

Two seeders share an 8 MiB file (256 KiB pieces) through opentracker:
  * a scripted pure-Python peer (swarmlib.ScriptedPeer), fast, that flips a byte in
    every block of the even-numbered pieces (its odd pieces are good);
  * an honest python3-libtorrent seeder capped at 2 MB/s, so the leecher has every
    reason to take blocks from the fast bad peer too.
Checks: the scripted peer really handed out corrupt blocks (else the test proves
nothing); exit 0; files byte-identical; --stats complete, hash_failures > 0 (total
and on the bad peer's entry), the bad peer banned, and the honest seeder's address
with downloaded > 0.

Run: CORRENT=build/release/src/cli/corrent /usr/bin/python3 tests/interop/test_download_corrupt_peer.py
     LEECHER=aria2|lt ... runs the same with a reference leecher (harness check; the
     --stats checks apply to lt, whose ban policy also bans on the first bad piece).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dltest  # noqa: E402
import swarmlib as sl  # noqa: E402


class CorruptPeer(dltest.DownloadTest):
    def test_corrupt_pieces_are_rejected_and_the_peer_banned(self):
        content = self.content_single(8 * sl.MiB + 5000, seed=6)
        torrent, tracker = self.torrent_with_tracker(content, 256 * sl.KiB)
        bad = self.sw.scripted_peer(torrent, content, corrupt=lambda index: index % 2 == 0)
        bad.announce_to(tracker)
        honest = self.sw.lt_seeder(torrent, content, upload_limit=2_000_000)
        self.sw.wait_ready([bad, honest], tracker, torrent)
        result = self.sw.run_leecher(torrent, timeout=90)
        summary = bad.summary()
        bad.stop()
        up = self.sw.final_uploads()
        self.report(content, result, up, extra=f"scripted peer: {summary}")
        self.assertGreater(summary["corrupt_blocks"], 0,
                           f"the leecher never took a corrupt block from the bad peer: {summary}")
        self.assert_downloaded(content, torrent, result, expect_hash_failures=None)
        if result.stats is not None:
            st = result.stats
            self.assertGreater(st["hash_failures"], 0, f"--stats counts no hash failure: {st}")
            got = sl.stats_peer(st, bad.address)
            self.assertIsNotNone(got, f"--stats has no entry for the bad peer {bad.address}: {st['peers']}")
            if self.leecher == "corrent":
                self.assertGreater(got[1], 0, f"--stats: no hash failure charged to the bad peer: {st['peers']}")
            self.assertTrue(got[2], f"--stats: bad peer {bad.address} not banned: {st['peers']}")
            self.assert_peer_downloaded(result, honest)


if __name__ == "__main__":
    dltest.main("corrupt peer")
