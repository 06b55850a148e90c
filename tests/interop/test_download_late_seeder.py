#!/usr/bin/python3
"""corrent finds a seeder that appears after it started (issue "[2] Download").

The tracker knows no seeder when corrent starts. ~5 s later a python3-libtorrent
seeder starts that never dials out (so it cannot find corrent; corrent has to find
it through a later announce). The tracker is swarmlib.MiniTracker (in-process HTTP)
answering interval 1800 s, min interval 5 s: corrent must re-announce sooner than
the interval because it has no peers, while respecting the min interval (opentracker
is not used here: its min interval is ~900 s, far beyond the test's time).
Checks: corrent announced at start (scrape shows a leecher before the seeder exists),
it announced again later and that announce returned the seeder, its regular
re-announces were never closer together than the min interval, then it completes
within 90 s, byte-identical, --stats complete, the late seeder's address with
downloaded > 0 and the seeder uploaded the whole payload.

Reference leechers need help to re-announce early: aria2 gets --bt-tracker-interval=5,
the libtorrent leecher force_reannounce()s every 3 s while it has no peers (ignoring
the min interval, so the min-interval check applies to corrent only).

Run: CORRENT=build/release/src/cli/corrent /usr/bin/python3 tests/interop/test_download_late_seeder.py
     LEECHER=aria2|lt ... runs the same with a reference leecher (harness check).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dltest  # noqa: E402
import swarmlib as sl  # noqa: E402

SEEDER_DELAY_S = 5.0
INTERVAL_S = 1800
MIN_INTERVAL_S = 5
HELP = {"corrent": [], "aria2": ["--bt-tracker-interval=5"], "lt": ["--reannounce-every", "3"]}


class LateSeeder(dltest.DownloadTest):
    def test_seeder_appears_after_start(self):
        content = self.content_single(8 * sl.MiB + 100, seed=5)
        base = self.sw.make_torrent(content, 256 * sl.KiB)
        tracker = self.sw.start_mini_tracker([base], interval=INTERVAL_S, min_interval=MIN_INTERVAL_S)
        torrent = self.sw.announce_torrent(base, tracker)
        late = []
        seen_before = []

        def during(elapsed):
            if elapsed >= SEEDER_DELAY_S and not late:
                seen_before.append(tracker.scrape(torrent.info_hash))
                sl.log(f"scrape before the seeder starts: {seen_before[0]}; starting the seeder")
                late.append(self.sw.lt_seeder(torrent, content, outgoing=False))

        result = self.sw.run_leecher(torrent, timeout=90, during=during, extra=HELP[self.leecher])
        self.assertTrue(late, f"leecher ended before the seeder was started\n{result.describe()}")
        seeder = late[0]
        up = self.sw.final_uploads()
        mine = tracker.announces(port=self.sw.leecher_port)
        summary = [(round(a["t"], 2), a["event"] or "-", a["returned"]) for a in mine]
        self.report(content, result, up, extra=f"scrape-before-seeder={seen_before} leecher announces={summary}")
        sc = seen_before[0]
        self.assertTrue(sc is not None and sc[0] == 0 and sc[1] >= 1,
                        f"the tracker did not see the leecher's first announce (complete, incomplete, "
                        f"downloaded) = {sc}")
        self.assertGreater(result.elapsed, SEEDER_DELAY_S)
        if result.timed_out:
            self.fail_with_logs("the leecher never found the late seeder: with no peer connected it must "
                                f"re-announce before the tracker's interval ({INTERVAL_S} s), as soon as the "
                                f"min interval ({MIN_INTERVAL_S} s) allows\nannounces: {summary}\n"
                                f"{result.describe()}")
        self.assert_downloaded(content, torrent, result)
        self.assert_peer_downloaded(result, seeder)
        self.assertGreaterEqual(up[repr(seeder)] or 0, content.total_size, f"uploads {up}")
        # It was found through a later announce (the seeder never dials out).
        self.assertTrue(mine, "the tracker recorded no announce from the leecher's port")
        self.assertEqual(mine[0]["returned"], [], f"first announce already returned peers: {summary}")
        found = [a for a in mine if seeder.address in a["returned"]]
        self.assertTrue(found, f"no announce of the leecher was answered with the seeder {seeder.address}: "
                               f"{summary}")
        self.assertLess(found[0]["t"] - mine[0]["t"], INTERVAL_S / 10, f"announces: {summary}")
        if self.leecher == "corrent":
            # Early re-announces respect the tracker's min interval (events are exempt).
            regular = [a["t"] for a in mine if a["event"] in ("", "started")]
            gaps = [round(b - a, 2) for a, b in zip(regular, regular[1:])]
            self.assertTrue(all(g >= MIN_INTERVAL_S - 0.5 for g in gaps),
                            f"re-announced sooner than the min interval ({MIN_INTERVAL_S} s): gaps {gaps}; "
                            f"announces {summary}")


if __name__ == "__main__":
    dltest.main("late seeder")
