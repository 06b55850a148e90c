#!/usr/bin/python3
"""corrent against trackers: opentracker (HTTP and UDP), BEP 12 tiers, hostile HTTP trackers,
IPv6, and early re-announces. One python3-libtorrent seeder (announced to opentracker) and
one 8 MiB payload serve every case; each case writes its own .torrent (same info-hash,
different trackers) and runs `corrent download -v` into its own directory.

  1. opentracker: download via the HTTP announce URL and via udp://; `corrent info --scrape`
     (text and --json) = opentracker's own scrape over HTTP and over UDP (BEP 15, in Python).
  2. tier 1 a dead tracker (a closed UDP port, plus a UDP port that swallows every packet;
     or a closed HTTP port), last tier opentracker UDP: completes well before the 15 s
     announce timeout (tiers announce independently).
  3. trackers only in `announce-list` (plus an https:// tier to a closed port: logged) and
     only in `announce`: both complete.
  4. IPv6: a libtorrent seeder on [::1] only: corrent --listen [::1]:P --peer [::1]:S, a
     fake HTTP tracker on [::1] answering `peers6`, and a fake UDP tracker on [::1] (18-byte
     peers); skipped if [::1] cannot be bound.
  5. a fake HTTP tracker: (a) failure reason (and a UDP error packet), (b) 100,000 compact
     peers (141 distinct usable: the seeder, 40 refusing ports, 40 silent tarpits) with
     --max-peers 25: never more than 25 dialled connections at once, (c) unusable addresses
     mixed with the seeder (compact and dict), (d) a 10 MB body, (e) a redirect loop (and
     a redirect that works), (f) a reply held 30 s, (g) garbage replies. A tracker that
     never answered well gets only 'started' (no 'completed'/'stopped').
  6. MiniTracker (interval 1800, min interval 5), no seeder known at first: corrent
     re-announces while it has no peers, never sooner than the min interval; the seeder
     registered at ~11 s is found by such a re-announce.
Every download: exit 0, byte-identical, --stats complete, within a bound; the log names
the tracker problem.

Run: CORRENT=build/release/src/cli/corrent /usr/bin/python3 tests/interop/test_trackers.py [Trackers.test_x]
"""
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import swarmlib as sl  # noqa: E402
import trackerlib as tl  # noqa: E402

FILE_BUDGET_S = float(os.environ.get("CORRENT_TEST_BUDGET_S", "420"))
SIZE = 8 * sl.MiB + 333
FAST_S = 14.0  # a dead or hostile tier must not delay a download through a good one (< 15 s timeout)
TIMINGS = []


class Trackers(unittest.TestCase):
    maxDiff = 4000

    @classmethod
    def setUpClass(cls):
        cls.sw = sw = sl.Swarm("trackers")
        try:
            cls.content = sw.make_single("payload.bin", SIZE, seed=11)
            cls.base = sw.make_torrent(cls.content, 256 * sl.KiB)
            cls.ih = cls.base.info_hash
            cls.ot = sw.start_tracker([cls.base])
            seed_torrent = tl.write_torrent(cls.base, os.path.join(sw.tmp, "seed.torrent"), announce=cls.ot.http)
            cls.seeder = sw.lt_seeder(seed_torrent, cls.content)
            sw.wait_ready([cls.seeder], cls.ot, cls.base)
            cls.fake = tl.FakeTracker(sw)
            cls.completed_via_ot = 0
        except BaseException:
            sw.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.sw.close()

    # ------------------------------------------------------------ helpers
    def torrent(self, name, announce=None, announce_list=None):
        return tl.write_torrent(self.base, os.path.join(self.sw.tmp, f"{name}.torrent"), announce, announce_list)

    def dead_port(self):
        return sl.free_port()

    def fail_with(self, msg, run=None):
        self.fail(f"{msg}\n{run.describe() if run else ''}\n{self.sw.dump_logs(12)}")

    def assert_complete(self, run, max_elapsed=None):
        if run.timed_out:
            self.fail_with(f"[{run.name}] corrent did not finish in time", run)
        err = self.sw.verify(self.content, run.out_dir)
        if err:
            self.fail_with(f"[{run.name}] download not byte-identical: {err}", run)
        self.assertEqual(run.rc, 0, f"[{run.name}] exit code\n{run.describe()}")
        st = run.stats or {}
        self.assertTrue(st.get("complete"), f"[{run.name}] --stats not complete: {st}")
        if max_elapsed is not None:
            self.assertLess(run.elapsed, max_elapsed, f"[{run.name}] took too long\n{run.describe()}")
        TIMINGS.append((run.name, round(run.elapsed, 1)))
        print(f"\n  [{run.name}] rc={run.rc} elapsed={run.elapsed:.1f}s", file=sys.stderr, flush=True)

    def assert_log(self, run, pattern, what):
        lines = run.grep(pattern)
        self.assertTrue(lines, f"[{run.name}] the log does not mention {what} (/{pattern}/)\n{run.describe(60)}")
        return lines

    def download(self, name, torrent, max_elapsed=FAST_S, timeout=60, **kw):
        run = tl.run_corrent(self.sw, torrent, name, timeout=timeout, **kw)
        self.assert_complete(run, max_elapsed)
        return run

    def assert_only_started(self, name):
        """A tracker that never answered well gets no 'completed'/'stopped' (those go to each
        tier's last good tracker), and within these short runs no retry either."""
        events = [h["query"].get("event") for h in self.fake.hits(name)]
        self.assertTrue(events, f"the {name} tracker was never asked")
        self.assertEqual(set(events), {"started"}, f"announces to the failing {name} tracker: {events}")

    def scrape_cli(self, torrent, json_out):
        argv = [sl.corrent_bin(), "info", "--scrape"] + (["--json"] if json_out else []) + [torrent.path]
        t0 = time.monotonic()
        p = subprocess.run(argv, capture_output=True, timeout=40)
        return p, time.monotonic() - t0

    # ------------------------------------------------------------ 1. opentracker HTTP / UDP
    def test_1a_opentracker_http(self):
        t = self.torrent("ot-http", announce=self.ot.http)
        run = self.download("ot-http", t)
        type(self).completed_via_ot += 1
        self.assertEqual(run.grep(r"warning tracker"), [], f"tracker warnings with a healthy opentracker")
        self.assert_log(run, r"tracker " + re.escape(self.ot.http) + r": \d+ peers", "the announce answer")

    def test_1b_opentracker_udp(self):
        t = self.torrent("ot-udp", announce=self.ot.udp)
        run = self.download("ot-udp", t)
        type(self).completed_via_ot += 1
        self.assertEqual(run.grep(r"warning tracker"), [], f"tracker warnings with a healthy opentracker")
        self.assert_log(run, r"tracker " + re.escape(self.ot.udp) + r": \d+ peers", "the announce answer")

    def test_1c_scrape_http_udp(self):
        # a leecher that opentracker counts (left > 0), so leechers is not trivially 0
        pid = b"-TEST01-" + os.urandom(6).hex().encode()
        self.ot.announce(self.ih, pid, 1, left=SIZE, event="started")
        try:
            garbage = self.fake.add("scrape-garbage", tl.raw(b"<html>not bencode</html>"))
            dead = f"http://127.0.0.1:{self.dead_port()}/announce"
            t = self.torrent("scrape", announce=self.ot.http,
                             announce_list=[[self.ot.http], [self.ot.udp], [garbage], [dead]])
            http_own = self.ot.scrape(self.ih)  # (complete, incomplete, downloaded)
            s, c, l_ = tl.udp_scrape(sl.LOOPBACK, self.ot.port, self.ih)
            udp_own = (s, l_, c)
            p, took = self.scrape_cli(t, json_out=True)
            ptxt, _ = self.scrape_cli(t, json_out=False)
            http_after = self.ot.scrape(self.ih)
        finally:
            self.ot.announce(self.ih, pid, 1, left=SIZE, event="stopped")
        out = p.stdout.decode(errors="replace")
        self.assertEqual(p.returncode, 0, f"corrent info --scrape --json rc={p.returncode}: {out} {p.stderr!r}")
        self.assertLess(took, 15, "scrape took longer than its 10 s timeout")
        rep = {e["url"]: e for e in json.loads(out)["scrape"]}
        print(f"\n  [scrape] opentracker own: http={http_own} udp={udp_own}; corrent: "
              f"{json.dumps(list(rep.values()))} ({took:.1f}s)", file=sys.stderr, flush=True)
        self.assertEqual(http_own, http_after, "the swarm changed during the scrape (harness)")
        self.assertEqual(http_own, udp_own, "opentracker's HTTP and UDP scrapes differ (harness)")
        self.assertGreaterEqual(http_own[0], 1, f"opentracker does not count the seeder: {http_own}")
        self.assertGreaterEqual(http_own[1], 1, f"opentracker does not count the test leecher: {http_own}")
        self.assertGreaterEqual(http_own[2], self.completed_via_ot,
                                f"opentracker counted fewer 'completed' than corrent downloads through it "
                                f"({self.completed_via_ot}): {http_own}")
        for url in (self.ot.http, self.ot.udp):
            e = rep.get(url)
            self.assertIsNotNone(e, f"no scrape entry for {url}: {rep}")
            self.assertTrue(e["ok"], f"scrape of {url} failed: {e}")
            self.assertEqual((e["seeders"], e["leechers"], e["completed"]), http_own,
                             f"corrent's scrape of {url} differs from opentracker's own {http_own}: {e}")
        for url in (garbage, dead):
            e = rep.get(url)
            self.assertIsNotNone(e, f"no scrape entry for {url}: {rep}")
            self.assertFalse(e["ok"], f"scrape of {url} said ok: {e}")
            self.assertTrue(e.get("error"), f"scrape of {url}: no error text: {e}")
        self.assertTrue(self.fake.hits("scrape-garbage", kind="scrape"), "the garbage tracker was not scraped")
        txt = ptxt.stdout.decode(errors="replace")
        self.assertEqual(ptxt.returncode, 0, txt)
        for url in (self.ot.http, self.ot.udp):
            want = f"{url}: {http_own[0]} seeders, {http_own[1]} leechers, {http_own[2]} completed"
            self.assertIn(want, txt, f"text scrape output:\n{txt}")

    # ------------------------------------------------------------ 2. dead first tier
    def test_2a_dead_udp_tier_then_opentracker_udp(self):
        # tier 1: a UDP port where nothing listens (ICMP port unreachable) and one that
        # swallows every packet silently (corrent can only time out); tier 2: opentracker
        dead = f"udp://127.0.0.1:{self.dead_port()}/announce"
        sink = tl.UdpSink(self.sw)
        t = self.torrent("dead-udp-tier", announce=dead, announce_list=[[dead], [sink.url], [self.ot.udp]])
        run = self.download("dead-udp-tier", t)
        type(self).completed_via_ot += 1
        self.assertIn((0), [a for _, a in sink.packets()], f"no UDP connect request reached the silent tracker: "
                                                           f"{sink.packets()}")
        self.assert_log(run, re.escape(dead) + r": \S", "the dead UDP tracker")

    def test_2b_dead_http_tier_then_opentracker_udp(self):
        dead = f"http://127.0.0.1:{self.dead_port()}/announce"
        t = self.torrent("dead-http-tier", announce=dead, announce_list=[[dead], [self.ot.udp]])
        run = self.download("dead-http-tier", t)
        type(self).completed_via_ot += 1
        self.assert_log(run, re.escape(dead) + r".*(refused|connect)", "the dead HTTP tracker")

    # ------------------------------------------------------------ 3. announce / announce-list only
    def test_3a_announce_list_only(self):
        https = f"https://127.0.0.1:{self.dead_port()}/announce"
        dead = f"http://127.0.0.1:{self.dead_port()}/announce"
        t = self.torrent("announce-list-only", announce=None, announce_list=[[https], [dead, self.ot.http]])
        e = sl.bdecode(open(t.path, "rb").read())
        self.assertNotIn(b"announce", e)
        run = self.download("announce-list-only", t)
        type(self).completed_via_ot += 1
        # an https:// tracker is either unsupported (older builds: "only http:// and udp://
        # trackers are supported yet") or, with TLS support, refused (nothing listens there):
        # a warning naming it either way, and the download goes on through the next tier
        self.assert_log(run, r"tracker " + re.escape(https) + r": \S", "the https:// tracker")

    def test_3b_announce_only(self):
        t = self.torrent("announce-only", announce=self.ot.udp, announce_list=None)
        self.assertNotIn(b"announce-list", sl.bdecode(open(t.path, "rb").read()))
        self.download("announce-only", t)
        type(self).completed_via_ot += 1

    # ------------------------------------------------------------ 4. IPv6
    def _seeder6(self):
        why = tl.have_ipv6_loopback()
        if why:
            self.skipTest(f"no IPv6 loopback on this machine ({why})")
        if not hasattr(type(self), "seeder6"):
            s = tl.LtSeeder6(self.sw, self.base, self.content)
            s.wait_ready()
            type(self).seeder6 = s
        return type(self).seeder6

    def _assert_v6_peer(self, run, seeder6):
        got = sl.stats_peer(run.stats, seeder6.address)
        self.assertIsNotNone(got, f"[{run.name}] --stats has no peer {seeder6.address}: "
                                  f"{(run.stats or {}).get('peers')}")
        self.assertGreater(got[0], 0, f"[{run.name}] nothing downloaded from {seeder6.address}")
        v4 = [p for p in run.stats.get("peers", []) if p.get("downloaded") and not p["address"].startswith("[")]
        self.assertEqual(v4, [], f"[{run.name}] downloaded over IPv4 too: {v4}")

    def test_4a_ipv6_peer_option(self):
        s6 = self._seeder6()
        t = self.torrent("v6-peer", announce=None, announce_list=None)  # no tracker at all
        run = self.download("v6-peer", t, peers=[s6.address], listen_host=tl.LOOPBACK6)
        self._assert_v6_peer(run, s6)

    def test_4b_ipv6_tracker_peers6(self):
        s6 = self._seeder6()
        fake6 = getattr(type(self), "fake6", None) or tl.FakeTracker(self.sw, host=tl.LOOPBACK6, label="fake6")
        type(self).fake6 = fake6
        url = fake6.add("v6", tl.peers(compact=b"", peers6=tl.compact6([(tl.LOOPBACK6, s6.port)])))
        t = self.torrent("v6-tracker", announce=url)
        run = self.download("v6-tracker", t, listen_host=tl.LOOPBACK6)
        hits = fake6.hits("v6")
        self.assertTrue(hits and hits[0]["client"] == tl.LOOPBACK6, f"announces over [::1]: {hits}")
        self.assertEqual([h["query"].get("event") for h in hits], ["started", "completed", "stopped"],
                         f"announce events: {hits}")
        self._assert_v6_peer(run, s6)

    def test_4c_ipv6_udp_tracker(self):
        s6 = self._seeder6()
        udp6 = tl.FakeUdpTracker(self.sw, host=tl.LOOPBACK6, peers=[(tl.LOOPBACK6, s6.port)])
        t = self.torrent("v6-udp-tracker", announce=udp6.url)
        run = self.download("v6-udp-tracker", t, listen_host=tl.LOOPBACK6)
        events = [r.get("event") for r in udp6.requests() if r["action"] == 1]
        self.assertEqual(events[:1], ["started"], f"UDP announces over [::1]: {udp6.requests()}")
        self._assert_v6_peer(run, s6)

    # ------------------------------------------------------------ 5. hostile HTTP tracker
    def test_5a_failure_reason(self):
        bad = self.fake.add("fail", tl.failure("denied by the test tracker"))
        t = self.torrent("failure-reason", announce=bad, announce_list=[[bad], [self.ot.udp]])
        run = self.download("failure-reason", t)
        type(self).completed_via_ot += 1
        self.assert_only_started("fail")
        self.assert_log(run, re.escape(bad) + r".*refused: denied by the test tracker", "the failure reason")

    def test_5a_udp_error_action(self):
        bad = tl.FakeUdpTracker(self.sw, error="udp tracker says no")
        t = self.torrent("udp-error", announce=bad.url, announce_list=[[bad.url], [self.ot.udp]])
        run = self.download("udp-error", t)
        type(self).completed_via_ot += 1
        self.assertTrue(any(r["action"] == 1 for r in bad.requests()), f"no UDP announce: {bad.requests()}")
        self.assert_log(run, re.escape(bad.url) + r".*udp tracker says no", "the UDP error message")

    def test_5b_100k_peers(self):
        max_peers = 25
        pool = tl.PortPool(self.sw, refusing=40, tarpits=40)
        usable = pool.refusing + pool.tarpits + [(sl.LOOPBACK, self.seeder.port)]
        body = tl.many_peers(100_000, usable, seed=5)
        self.assertEqual(len(body), 600_000)
        url = self.fake.add("many", tl.peers(compact=body))
        t = self.torrent("100k-peers", announce=url)
        samplers = []

        def during(el, proc):
            if not samplers:  # outgoing only: incoming ones (not expected here) are accepted, then dropped
                listen_port = int(proc.argv[proc.argv.index("--listen") + 1].rsplit(":", 1)[1])
                samplers.append(tl.TcpSampler(proc.pid, ignore_remote_ports={self.fake.port},
                                              ignore_local_ports={listen_port}))

        # Throttle the seeder (~6 s for the payload) so that corrent keeps dialling while it
        # downloads: the silent tarpits pile up (each holds a slot ~20 s) until --max-peers.
        throttle = hasattr(self.seeder, "set_upload_limit")
        if throttle:
            self.seeder.set_upload_limit(1_500_000)
        try:
            run = tl.run_corrent(self.sw, t, "100k-peers", extra=["--max-peers", max_peers], timeout=120,
                                 during=during)
        finally:
            for s in samplers:
                s.stop()
            if throttle:
                self.seeder.set_upload_limit(0)
        ps = pool.stats()
        peak = samplers[0].max_count if samplers else None
        print(f"\n  [100k-peers] tarpits {ps}, peak dialled peer sockets {peak} "
              f"({samplers[0].samples if samplers else 0} samples)", file=sys.stderr, flush=True)
        self.assert_complete(run, max_elapsed=100)
        self.assertTrue(self.fake.hits("many"), "the tracker was never asked")
        self.assert_log(run, r"tracker " + re.escape(url) + rf": {len(usable)} peers",
                        f"the {len(usable)} distinct usable peers of the 100,000 entries")
        self.assertLessEqual(ps["max_open"], max_peers, f"more tarpit connections at once than --max-peers: {ps}")
        self.assertIsNotNone(peak)
        tarpit_ports = sorted(p for _, p in pool.tarpits)
        self.assertLessEqual(peak, max_peers, f"more dialled peer connections at once than --max-peers {max_peers}: "
                                              f"(state, local port, remote port) = {samplers[0].peak_detail}; "
                                              f"seeder {self.seeder.port}, tarpits {tarpit_ports}, "
                                              f"corrent listens on {run.port}")
        self.assertGreater(ps["accepted"], 0, f"no tarpit was ever dialled: {ps} (the list was not used?)")
        if throttle and run.elapsed > 4:
            # sanity check that the cap was really under test: silent peers piled up near it
            self.assertGreaterEqual(peak, int(max_peers * 0.7), "corrent never came near its --max-peers slots "
                                    f"while {len(usable)} dialable peers were known: peak {peak}, {ps}")

    def _bad_ips(self, name, behaviour):
        url = self.fake.add(name, behaviour)
        t = self.torrent(name, announce=url)
        run = self.download(name, t)
        self.assertTrue(self.fake.hits(name))
        # only the seeder is usable (the rest: unusable addresses, bad entries, duplicates)
        self.assert_log(run, r"tracker " + re.escape(url) + r": 1 peers", "one usable peer from the answer")
        return run

    def test_5c_bad_ips_compact(self):
        import random
        rng = random.Random(3)
        addrs = [tl.unusable_v4(rng) for _ in range(300)] + [(sl.LOOPBACK, self.seeder.port)] * 3
        rng.shuffle(addrs)
        self._bad_ips("bad-ips-compact", tl.peers(compact=tl.compact4(addrs)))

    def test_5c_bad_ips_dict(self):
        bad = [{"ip": "not an ip", "port": 6881}, {"ip": "127.0.0.1", "port": 0},
               {"ip": "0.0.0.0", "port": 9}, {"ip": "224.0.0.1", "port": 6881},
               {"ip": "255.255.255.255", "port": 6881}, {"ip": "127.0.0.1", "port": 70000},
               {"ip": "127.0.0.1", "port": -1}, {"ip": 2130706433, "port": 6881}, {"port": 6881},
               {"ip": "127.0.0.1"}, "not a dict", 42, {"ip": "999.1.1.1", "port": 6881},
               {"ip": "[::ffff:0.0.0.0]", "port": 9}, {"ip": "ff02::1", "port": 6881}]
        good = {"ip": "127.0.0.1", "port": self.seeder.port, "peer id": b"-LT2080-abcdefghijkl"}
        self._bad_ips("bad-ips-dict", tl.peers(dict_peers=bad[:8] + [good] + bad[8:]))

    def test_5d_huge_body(self):
        a = self.fake.add("huge-cl", tl.huge(10 * 1000 * 1000, content_length=True))
        b = self.fake.add("huge-nolen", tl.huge(10 * 1000 * 1000, content_length=False))
        t = self.torrent("huge-body", announce=a, announce_list=[[a], [b], [self.ot.udp]])
        run = self.download("huge-body", t)
        type(self).completed_via_ot += 1
        for url in (a, b):
            self.assert_log(run, re.escape(url) + r".*(too large|larger than)", f"the 10 MB body of {url}")
        self.assert_only_started("huge-cl")
        self.assert_only_started("huge-nolen")
        print(f"  [huge-body] bytes sent before the client hung up: "
              f"{[h.get('body_bytes_sent') for h in self.fake.hits('huge-cl') + self.fake.hits('huge-nolen')]}",
              file=sys.stderr, flush=True)

    def test_5e_redirects(self):
        # /loop/ redirects to itself forever; /redir/ redirects (relative Location) to /seeder/.
        self.fake.add("loop", tl.redirect(lambda path, kind: path))
        loop = self.fake.url("loop")
        self.fake.add("seeder", tl.peers(compact=tl.compact4([(sl.LOOPBACK, self.seeder.port)])))
        redir = self.fake.add("redir", tl.redirect(lambda path, kind: path.replace("/redir/", "/seeder/", 1), 307))
        t = self.torrent("redirects", announce=loop, announce_list=[[loop], [redir]])
        run = self.download("redirects", t)
        loops = self.fake.hits("loop")
        print(f"  [redirects] loop requests: {len(loops)}, redirected announces answered: "
              f"{len(self.fake.hits('seeder'))}", file=sys.stderr, flush=True)
        self.assertGreaterEqual(len(loops), 2, "the redirect was not followed at all")
        self.assertLessEqual(len(loops), 6, f"redirect loop not cut off after 5 redirects: {len(loops)} requests")
        self.assert_log(run, re.escape(loop) + r".*redirect", "the redirect loop")
        self.assert_only_started("loop")
        self.assertEqual([h["query"].get("event") for h in self.fake.hits("seeder")],
                         ["started", "completed", "stopped"], "events through the working redirect")
        self.assertTrue(self.fake.hits("seeder"), "the working redirect was not followed")

    def test_5f_slow_tracker(self):
        slow = self.fake.add("slow", tl.slow(30, then=tl.failure("too late")))
        t = self.torrent("slow-tracker", announce=slow)
        # --seed-time keeps corrent up past its 15 s announce timeout (the download itself
        # comes from --peer in a second or two)
        run = self.download("slow-tracker", t, peers=[self.seeder.address], extra=["--seed-time", "20s"],
                            max_elapsed=45, timeout=60)
        hits = self.fake.hits("slow")
        self.assertTrue(hits, "the slow tracker was never asked")
        gave_up = hits[0].get("client_closed_after")
        print(f"  [slow-tracker] corrent hung up after {gave_up}s", file=sys.stderr, flush=True)
        self.assertIsNotNone(gave_up, f"corrent did not hang up on a tracker that holds its reply 30 s: {hits}")
        self.assertTrue(12 <= gave_up <= 20, f"hung up after {gave_up}s, expected ~15 s")
        self.assert_log(run, re.escape(slow) + r".*(time|Time)", "the timeout")
        self.assert_only_started("slow")
        dl = sl.stats_peer(run.stats, self.seeder.address)
        self.assertTrue(dl and dl[0] > 0, f"nothing from the --peer seeder: {run.stats}")

    def test_5g_garbage(self):
        import random
        rnd = bytes(random.Random(9).randrange(256) for _ in range(3000))
        cases = {"garbage-html": tl.raw(b"<html><body>502 Bad Gateway</body></html>"),
                 "garbage-trunc": tl.raw(b"d8:intervali1800e5:peers60:\x7f\x00"),
                 "garbage-binary": tl.raw(rnd),
                 "garbage-peers7": tl.raw(sl.bencode({"interval": 1800, "peers": b"\x7f\x00\x00\x01\x1a\xe1\x00"})),
                 "garbage-list": tl.raw(b"li1ei2ee"),
                 "garbage-empty": tl.raw(b""),
                 "garbage-500": tl.raw(b"internal error", status=500)}
        urls = [self.fake.add(n, b) for n, b in cases.items()]
        t = self.torrent("garbage", announce=urls[0], announce_list=[[u] for u in urls] + [[self.ot.udp]])
        run = self.download("garbage", t)
        type(self).completed_via_ot += 1
        for n, u in zip(cases, urls):
            self.assert_log(run, r"tracker " + re.escape(u) + r": \S", f"the garbage from {u}")
            self.assert_only_started(n)
        print("  [garbage] " + " | ".join(ln.split("] ", 1)[-1] for ln in run.grep(r"garbage-")[:len(urls)]),
              file=sys.stderr, flush=True)

    # ------------------------------------------------------------ 6. re-announce timing
    def test_6_reannounce_min_interval(self):
        mini = sl.MiniTracker(self.sw, [self.ih], interval=1800, min_interval=5)
        t = self.torrent("reannounce", announce=mini.http)
        registered = []

        def during(el, proc):
            if el >= 11 and not registered:  # the seeder becomes known to the tracker
                mini.announce(self.ih, b"-LT2080-" + os.urandom(6).hex().encode(), self.seeder.port, left=0)
                registered.append(round(time.monotonic() - mini.t0, 2))  # on the tracker's clock

        run = tl.run_corrent(self.sw, t, "reannounce", timeout=60, during=during)
        mine = [a for a in mini.announces(port=run.port)]
        summary = [(round(a["t"], 1), a["event"] or "-", len(a["returned"])) for a in mine]
        print(f"\n  [reannounce] announces (t, event, peers returned): {summary}; seeder registered at "
              f"{registered}", file=sys.stderr, flush=True)
        self.assert_complete(run, max_elapsed=40)
        regular = [a["t"] for a in mine if a["event"] in ("", "started")]
        self.assertGreaterEqual(len(regular), 3, f"expected re-announces every ~5 s while no peer: {summary}")
        self.assertEqual(mine[0]["event"], "started", f"first announce: {summary}")
        gaps = [round(b - a, 2) for a, b in zip(regular, regular[1:])]
        self.assertTrue(5 - 0.5 <= gaps[0] <= 20, f"first re-announce after {gaps[0]} s, expected 5..20 s: {summary}")
        self.assertTrue(all(g >= 5 - 0.5 for g in gaps), f"re-announced sooner than min interval 5 s: gaps {gaps}")
        found = [a for a in mine if f"{sl.LOOPBACK}:{self.seeder.port}" in a["returned"]]
        self.assertTrue(found, f"no announce returned the seeder: {summary}")
        self.assertLess(found[0]["t"] - registered[0], 5 + 3,
                        f"the seeder was not found by the next re-announce: {summary}")

    # ------------------------------------------------------------ 7. one tracker floods
    def test_7_one_tracker_floods_the_peer_list(self):
        """Tier 1 answers three times (every 5 s, its min interval) with 2,000 addresses
        nobody listens on: 6,000, more than the 5,000 known peers a torrent keeps. Tier 2
        names the seeder, but only after that (it holds its answer until the third flood).
        Tier 1's share of the book and its failing entries must leave room for the seeder."""
        calls = []
        flooded = threading.Event()

        def flood(h, kind, q, rec):
            if dict(q).get("event") in ("completed", "stopped"):
                tl._reply(h, 200, sl.bencode({"interval": 1800, "peers": b""}))
                return
            calls.append(time.monotonic())
            n = len(calls)
            addrs = [(f"127.{20 + n}.{i // 250}.{1 + i % 250}", 9) for i in range(2000)]
            tl._reply(h, 200, sl.bencode({"interval": 1800, "min interval": 5, "peers": tl.compact4(addrs)}))
            if n >= 3:
                flooded.set()

        seeder_peers = tl.compact4([(sl.LOOPBACK, self.seeder.port)])

        def late(h, kind, q, rec):
            flooded.wait(14)  # inside corrent's 15 s announce timeout
            tl._reply(h, 200, sl.bencode({"interval": 1800, "min interval": 5, "peers": seeder_peers}))
        a = self.fake.add("flood", flood)
        b = self.fake.add("late", late)
        t = self.torrent("flood", announce=a, announce_list=[[a], [b]])
        run = self.download("flood", t, max_elapsed=50, timeout=60)
        print(f"\n  [flood] tier 1 flooded {len(calls)} times; done in {run.elapsed:.1f}s", file=sys.stderr)
        self.assertGreaterEqual(len(calls), 3, f"the flooding tracker was asked {len(calls)} times")
        self.assertTrue(self.fake.hits("late"), "the second tier was never asked")


def _alarm(signum, frame):
    raise TimeoutError(f"test file ran past its {FILE_BUDGET_S:.0f}s budget")


def main():
    sl.skip_download_tests_if_requested("tracker tests")
    sl.install_sigterm_handler()
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(int(FILE_BUDGET_S))
    t0 = time.monotonic()
    print(f"tracker tests: corrent={os.environ.get('CORRENT', '(default path)')}", flush=True)
    mod = sys.modules["__main__"]
    loader = unittest.defaultTestLoader
    suite = loader.loadTestsFromNames(sys.argv[1:], mod) if sys.argv[1:] else loader.loadTestsFromModule(mod)
    res = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    signal.alarm(0)
    print(f"timings: {TIMINGS}", flush=True)
    print(f"SUMMARY tracker tests: {'PASS' if res.wasSuccessful() else 'FAIL'} - {res.testsRun} run, "
          f"{len(res.failures)} failed, {len(res.errors)} errors, {len(res.skipped)} skipped, "
          f"{time.monotonic() - t0:.0f}s", flush=True)
    sys.exit(0 if res.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
