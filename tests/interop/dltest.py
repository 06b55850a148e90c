"""Shared scaffolding of the download tests (test_download_*.py).

The leecher is corrent by default (`corrent download ... --stats F`); LEECHER=aria2 or
LEECHER=lt runs the same scenarios with a reference client instead, which checks the
harness itself. CORRENT_SKIP_DOWNLOAD=1 skips the corrent runs ("skipped: ..." and exit 0).
"""
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import swarmlib as sl  # noqa: E402

FILE_BUDGET_S = float(os.environ.get("CORRENT_TEST_BUDGET_S", "600"))


class DownloadTest(unittest.TestCase):
    maxDiff = 4000

    def setUp(self):
        self.leecher = sl.leecher_kind()
        self.sw = sl.Swarm(f"{type(self).__name__}-{self._testMethodName}"[:60])
        self.t0 = time.monotonic()

    def tearDown(self):
        self.sw.close()

    # ------------------------------------------------------------ building blocks
    def content_single(self, size, name="payload.bin", seed=1):
        return self.sw.make_single(name, size, seed)

    def content_multi(self, nfiles=300, max_size=3 * sl.MiB, name="tree", seed=1):
        return self.sw.make_multi(name, sl.multi_layout(nfiles, seed, max_size), seed)

    def torrent_with_tracker(self, content, piece_length):
        base = self.sw.make_torrent(content, piece_length)
        tracker = self.sw.start_tracker([base])
        return self.sw.announce_torrent(base, tracker), tracker

    def fail_with_logs(self, msg):
        self.fail(f"{msg}\n{self.sw.dump_logs()}")

    # ------------------------------------------------------------ checks
    def assert_downloaded(self, content, torrent, result, expect_hash_failures=0):
        """Exited 0 in time, byte-identical files, and (corrent/lt) a --stats file that
        says complete with at least the payload downloaded."""
        if result.timed_out:
            self.fail_with_logs(f"leecher did not finish in time: {result.describe()}")
        err = self.sw.verify(content, result.out_dir)
        if err:
            self.fail_with_logs(f"download not byte-identical: {err}\n{result.describe()}")
        self.assertEqual(result.rc, 0, f"leecher exit code\n{result.describe()}")
        if self.leecher == "corrent":
            left = sorted(set(os.listdir(result.out_dir)) - {content.name})
            self.assertEqual(left, [], f"{result.out_dir} holds more than {content.name} after completion "
                                       "(parts/resume files should be gone)")
        if result.kind in ("corrent", "lt"):
            st = result.stats
            self.assertIsNotNone(st, f"--stats file not written\n{result.describe()}")
            self.assertEqual(sl.check_stats_shape(st), [], f"--stats shape: {st}")
            self.assertTrue(st["complete"], f"--stats says not complete: {st}")
            self.assertGreaterEqual(st["downloaded_bytes"], content.total_size, f"--stats: {st}")
            if expect_hash_failures == 0:
                self.assertEqual(st["hash_failures"], 0, f"hash failures from honest seeders: {st}")

    def assert_peer_downloaded(self, result, seeder):
        """The leecher's --stats lists this seeder's address with downloaded > 0."""
        if result.stats is None:
            return
        got = sl.stats_peer(result.stats, seeder.address)
        self.assertIsNotNone(got, f"--stats has no peer entry for {seeder!r}: {result.stats.get('peers')}")
        self.assertGreater(got[0], 0, f"--stats: nothing downloaded from {seeder!r}: {result.stats.get('peers')}")

    def report(self, content, result, uploads, extra=""):
        mbps = content.total_size / max(result.elapsed, 1e-3) / 1e6
        print(f"\n  [{self.id().split('.', 1)[-1]}] leecher={result.kind} files={len(content.files)} "
              f"bytes={content.total_size} rc={result.rc} elapsed={result.elapsed:.1f}s ({mbps:.1f} MB/s) "
              f"seeder uploads={uploads} {extra}", file=sys.stderr, flush=True)


def _alarm(signum, frame):
    raise TimeoutError(f"test file ran past its {FILE_BUDGET_S:.0f}s budget")


def main(what):
    """Run the unittest cases of __main__ (or those named in argv, e.g. Class.test_x),
    print a summary, exit 0 only if all passed."""
    sl.skip_download_tests_if_requested(what)
    sl.install_sigterm_handler()
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(int(FILE_BUDGET_S))
    t0 = time.monotonic()
    print(f"{what}: leecher={sl.leecher_kind()} corrent={os.environ.get('CORRENT', '(default path)')}",
          flush=True)
    mod = sys.modules["__main__"]
    names = sys.argv[1:]
    loader = unittest.defaultTestLoader
    suite = loader.loadTestsFromNames(names, mod) if names else loader.loadTestsFromModule(mod)
    res = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    signal.alarm(0)
    bad = len(res.failures) + len(res.errors)
    verdict = "PASS" if res.wasSuccessful() else "FAIL"
    print(f"SUMMARY {what}: {verdict} - {res.testsRun} run, {len(res.failures)} failed, {len(res.errors)} errors, "
          f"{len(res.skipped)} skipped, leecher={sl.leecher_kind()}, {time.monotonic() - t0:.0f}s", flush=True)
    sys.exit(0 if res.wasSuccessful() and bad == 0 else 1)
