#!/usr/bin/python3
"""corrent finds a seeder that appears after it started (issue "[2] Download").

The tracker knows no seeder when corrent starts. ~5 s later a python3-libtorrent
seeder starts that never dials out (so it cannot find corrent; corrent has to find
it). opentracker answers with interval ~30 min, so corrent only gets the seeder if
it re-announces early while it has no peers. Checks: corrent announced at start
(scrape shows a leecher before the seeder exists), then completes within 90 s,
byte-identical, --stats complete, the late seeder's address with downloaded > 0.

Reference leechers need help to re-announce early: aria2 gets --bt-tracker-interval=5,
the libtorrent leecher force_reannounce()s every 3 s while it has no peers.

Run: CORRENT=build/release/src/cli/corrent /usr/bin/python3 tests/interop/test_download_late_seeder.py
     LEECHER=aria2|lt ... runs the same with a reference leecher (harness check).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dltest  # noqa: E402
import swarmlib as sl  # noqa: E402

SEEDER_DELAY_S = 5.0
HELP = {"corrent": [], "aria2": ["--bt-tracker-interval=5"], "lt": ["--reannounce-every", "3"]}


class LateSeeder(dltest.DownloadTest):
    def test_seeder_appears_after_start(self):
        content = self.content_single(8 * sl.MiB + 100, seed=5)
        torrent, tracker = self.torrent_with_tracker(content, 256 * sl.KiB)
        late = []
        seen_before = []

        def during(elapsed):
            if elapsed >= SEEDER_DELAY_S and not late:
                seen_before.append(tracker.scrape(torrent.info_hash))
                sl.log(f"scrape before the seeder starts: {seen_before[0]}; starting the seeder")
                late.append(self.sw.lt_seeder(torrent, content, outgoing=False))

        result = self.sw.run_leecher(torrent, timeout=90, during=during, extra=HELP[self.leecher])
        self.assertTrue(late, f"leecher ended before the seeder was started\n{result.describe()}")
        up = self.sw.final_uploads()
        self.report(content, result, up, extra=f"scrape-before-seeder={seen_before}")
        sc = seen_before[0]
        self.assertTrue(sc is not None and sc[0] == 0 and sc[1] >= 1,
                        f"the tracker did not see the leecher's first announce (complete, incomplete, "
                        f"downloaded) = {sc}")
        self.assertGreater(result.elapsed, SEEDER_DELAY_S)
        if result.timed_out:
            self.fail_with_logs("the leecher never found the late seeder: with no peer connected it must "
                                "re-announce well before the tracker's interval/min interval (opentracker: "
                                f"~1800 s / ~900 s)\n{result.describe()}")
        self.assert_downloaded(content, torrent, result)
        self.assert_peer_downloaded(result, late[0])
        self.assertGreaterEqual(up[repr(late[0])] or 0, content.total_size, f"uploads {up}")


if __name__ == "__main__":
    dltest.main("late seeder")
