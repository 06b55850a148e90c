#!/usr/bin/python3
"""BEP 5 DHT under attack: corrent given a scripted hostile KRPC node (dhtnode.py, on
127.0.0.5) as its first bootstrap node, beside one honest node of a loopback DHT
(../shared/swarm/dht_swarm.py serve: libtorrent nodes on 127.0.0.1 and a seeder that
announces to them only; the magnet has no tr= and no x.pe).

In every case corrent downloads the DHT-only magnet (`download MAGNET --dht-bootstrap
HOSTILE --dht-bootstrap HONEST --max-download-rate R --listen 127.0.0.1:P --stats S -v`)
and must finish in RUN_TIMEOUT_S with byte-identical data, a DHT peer in peers_by_source,
a peak RSS (VmHWM, polled) under MAX_RSS_KB, and a DHT that kept answering a well-behaved
node (a Prober pinging it from 127.0.0.10 every 0.25 s) after the attack began; the
--stats "dht" counters must show the attack was seen, and bounded:

  01 garbage: every query answered with ~24 broken datagrams (random bytes, truncated or
     too deep bencode, short ids, `r` a list, `t` an int, unknown `y`, 64-bit overflows,
     a 3 KB datagram, nodes of 25-byte entries, junk values, corrent's own id, malformed
     queries, a reply with the right `t` from another port) and one more every 50 ms for
     3 s: malformed_in >= 1 and <= what it sent; unexpected_in >= 1 (the reply from the
     wrong port); corrent answered a malformed query with a KRPC error 203;
  02 bogus nodes: every find_node/get_peers answered with 64 KB datagrams of 2,500
     compact nodes (10,000 in all: beyond corrent's 2048-byte datagram limit) and then
     70 nodes that fit (ids next to the target: itself under fresh ids, 23 silent sockets
     on 127.0.0.7 and dead 127.77-99.x.y addresses) plus `values` of dead peers:
     malformed_in >= 1, timeouts >= 1, corrent sent each silent socket at most
     MAX_HOLE_QUERIES queries, replies_in <= queries_out; the saved table (dht.dat)
     names none of the dead nodes and the hostile address at most once;
  03 the same with 16 nodes and --far-bootstrap (the honest node does not hold the
     seeder: a real iterative lookup among the bogus candidates), kept running
     (--seed --seed-time 30s) until the torrent's lookup ends: its "lookup ... done" line
     comes within LOOKUP_BOUND_S of the start and it announced to at least one node;
  04 unsolicited replies: once it knows corrent's port, 30 "y":"r" a second for 3 s with
     transaction ids corrent never sent (half from 127.0.0.8), naming a silent UDP
     socket (nodes) and a TCP listener (values): unexpected_in >= 90 % of them; nothing
     reaches either listener (no effect); replies_in <= queries_out;
  05 flood: from 127.0.0.9, 10,000 queries a second (ping/find_node/get_peers, 10 ms
     batches) for FLOOD_S s at corrent's port while it downloads (800 KB/s, ~10 s):
     replies <= burst (100) + 50/s x duration + slack; rate_limited + replies + kernel
     drops >= 90 % of what was sent; >= 90 % of the probe's pings answered during the
     flood; CPU over the flood <= MAX_FLOOD_CPU %, VmRSS grew < 10 MB;
  06 an eclipse: 03 without --seed-time or a rate limit, with the honest bootstrap behind
     a relay that delays each datagram 0.3 s, while the hostile answers at once with ~60
     dead nodes whose ids are next to the info-hash (and dead `values`): must complete in
     RUN_TIMEOUT_S. Before lookups took at most 16 nodes per reply, queried others'
     candidates beside one referrer's (3 of the k closest at most) and freed a slot after
     1 s, corrent took those nodes as its k closest, queried them 3 at a time with 3 s
     timeouts, ended at its 30 s bound without the seeder and (the dead values counting as
     peers found) waited 15 minutes for the next lookup: it failed this case.

A case can fail: each assertion is on what corrent did (its counters, its data, what
reached our sockets); with --dht-read-only the prober's pings go unanswered (01-05 fail),
and a corrent that acted on unsolicited replies would reach the canaries (04).
corrent only (the counters are its --stats): LEECHER=lt skips.

Run: CORRENT=build/release/src/cli/corrent CORRENT_SHARED=../shared \\
  /usr/bin/python3 tests/interop/test_dht_hostile.py [DhtHostile.test_05_flood ...]
"""
import heapq
import json
import os
import re
import select
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dhtnode as dn  # noqa: E402
import hostilelib as hl  # noqa: E402
import magnetlib as ml  # noqa: E402
import swarmlib as sl  # noqa: E402

RUN_TIMEOUT_S = 60
# ASan+UBSan builds (CORRENT_SANITIZED=1, set by ctest) carry shadow memory and a 256 MB
# quarantine, and run beside the release suite and the fuzzers: memory and CPU bounds are
# for release builds, looser ones guard the sanitized run.
SANITIZED = os.environ.get("CORRENT_SANITIZED") == "1"
MAX_RSS_KB = (600 if SANITIZED else 100) * 1024
MAX_RSS_GROWTH_KB = (100 if SANITIZED else 10) * 1024
PROBE_ANSWERED = 0.5 if SANITIZED else 0.9
DL_RATE = "2M"              # 8 MiB in ~4 s: the attack has time to play out
FLOOD_RATE = "800K"         # ~10 s: the whole flood falls inside the download
FLOOD_S = 6.0
FLOOD_QPS = 10000
PER_IP_RATE, PER_IP_BURST = 50, 100
MAX_FLOOD_CPU = 100.0 if SANITIZED else 50.0  # % of one core (the bench's bar is 25 %; slack for a loaded box)
MAX_HOLE_QUERIES = 4
ECLIPSE_DELAY_S = 0.3
LOOKUP_BOUND_S = 33         # corrent's lookup total_timeout_s is 30 s (log times are whole s)
HOSTILE_IP, SIDE_IP, HOLE_IP, CANARY_IP, FLOOD_IP, PROBE_IP = (
    "127.0.0.5", "127.0.0.8", "127.0.0.7", "127.0.0.6", "127.0.0.9", "127.0.0.10")
DHT_KEYS = ("nodes", "queries_in", "queries_out", "replies_in", "rate_limited", "malformed_in",
            "unexpected_in", "timeouts", "lookups", "stored_peers")
_DONE = re.compile(r"(\d\d):(\d\d):(\d\d) \S+ dht: lookup ([0-9a-f]{40}) done: (\d+) nodes asked, "
                   r"(\d+) peers, announced to (\d+)")


def payload(info):
    """dht_swarm's single-file content as a swarmlib.Content."""
    return sl.Content(info["content_dir"], info["name"], [(info["name"], info["size"])])


class DelayRelay(dn.Service):
    """UDP relay on host: datagrams to it go to `to` and the answers come back, each way
    `delay` s late (an honest node farther away than the hostile one)."""

    def __init__(self, to, host="127.0.0.12", delay=0.3):
        self.to, self.delay, self.client, self.q, self.n = to, delay, None, [], 0
        self.front, self.back = dn.udp(host), dn.udp(host)
        self.socks = [self.front, self.back]
        self.address = f"{host}:{self.front.getsockname()[1]}"
        self._run()

    def step(self):
        r, _, _ = select.select(self.socks, [], [], 0.005)
        for u in r:
            try:
                data, frm = u.recvfrom(65536)
            except OSError:
                continue
            if u is self.front:
                self.client = frm
            if u is self.front or self.client:
                self.n += 1
                out = (self.back, self.to) if u is self.front else (self.front, self.client)
                heapq.heappush(self.q, (time.monotonic() + self.delay, self.n, data, *out))
        while self.q and self.q[0][0] <= time.monotonic():
            _, _, data, u, to = heapq.heappop(self.q)
            u.sendto(data, to)


def saved_nodes(out_dir):
    """[(ip, port)] of corrent's saved routing table (<out>/.corrent-parts/dht.dat), or None."""
    try:
        with open(os.path.join(out_dir, ".corrent-parts", "dht.dat"), "rb") as f:
            m = dn.bdecode(f.read())
    except OSError:
        return None
    if not isinstance(m, dict):
        return None
    return [(ip, port) for _, ip, port in dn.parse_nodes(m.get(b"nodes", b""))]


class DhtHostile(ml.MagnetTestBase, unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.corrent_only("the attack shows in corrent's --stats dht counters")

    # -- scaffolding
    def serve(self, *flags, nodes=8):
        seed = int.from_bytes(os.urandom(3), "big")  # an info-hash no other swarm here uses
        self.dsw = ml.DhtSwarm(self.sw, "--nodes", nodes, "--seed", seed, *flags, dht=True)
        return self.dsw.info

    def keep(self, thing):
        """Stop thing (a dhtnode node/listener) when the swarm closes."""
        self.sw.on_close(thing.stop)
        return thing

    def start(self, info, hostile, label, rate=DL_RATE, extra=(), honest=None):
        """corrent download of the magnet, hostile bootstrap first; a ProcWatch and a Prober on it."""
        argv = ["--dht-bootstrap", hostile.address, "--dht-bootstrap", honest or info["bootstrap"][0]]
        argv += (["--max-download-rate", rate] if rate else []) + list(extra)
        run = hl.CorrentRun(self.sw, info["magnet"], [], label, argv, dht=True)
        sl.log(f"{label}: {' '.join(run.argv)}")
        self.watch = self.keep(dn.ProcWatch(run.proc.pid))
        self.prober = self.keep(dn.Prober((sl.LOOPBACK, run.port), host=PROBE_IP))
        return run

    def finish(self, run, info, hostile, timeout=RUN_TIMEOUT_S):
        """Wait for corrent; the generic checks; returns (stats, its "dht" dict)."""
        rc = run.wait(timeout)
        hwm = self.watch.stop()
        self.prober.stop()
        d = self.describe(run, rc, hostile)
        st = self.assert_complete(run, rc, payload(info), extra=d)
        dht = st.get("dht")
        self.assertIsInstance(dht, dict, f"--stats has no 'dht' object{d}")
        for k in DHT_KEYS:
            self.assertIsInstance(dht.get(k), int, f"--stats dht.{k} missing or not an int{d}")
        by_src = (st.get("torrents") or [{}])[0].get("peers_by_source") or {}
        self.assertGreaterEqual(by_src.get("dht", 0), 1, f"no peer from the DHT{d}")
        self.assertGreater(len(hostile.from_client()), 0, f"corrent never queried the hostile bootstrap node{d}")
        self.assertLess(hwm, MAX_RSS_KB, f"peak RSS {hwm} kB{d}")
        self.assertGreater(hwm, 0, f"could not read VmHWM{d}")
        self.assertLessEqual(dht["replies_in"], dht["queries_out"], f"more replies matched than queries sent{d}")
        ok, sent = self.prober.answered(since=(hostile.first_query_at or 0) + 0.5,
                                        until=run.t_exit - 0.5 if run.t_exit else None)
        self.assertGreaterEqual(sent, 1, f"no probe ping during the run{d}")
        self.assertGreaterEqual(ok, 1, f"the DHT answered none of {sent} pings of a well-behaved node{d}")
        self.hwm, self.probe = hwm, (ok, sent)
        sl.log(f"{run.proc.name}: rc={rc} {run.elapsed:.1f}s hwm={hwm} kB probe={ok}/{sent} dht={dht}")
        return st, dht

    def describe(self, run, rc, hostile):
        st = run.stats()
        return (f"\n{' '.join(run.argv)}\nrc={rc} elapsed={run.elapsed:.1f}s dht={json.dumps((st or {}).get('dht'))}"
                f"\nhostile {hostile.address}: queries={len(hostile.from_client())} sent={hostile.sent}\n{self.logs()}")

    # -- cases
    def test_01_garbage(self):
        info = self.serve()
        g = self.keep(dn.GarbageNode(HOSTILE_IP, stream_s=3.0))
        run = self.start(info, g, "garbage")
        st, dht = self.finish(run, info, g)
        d = self.describe(run, 0, g)
        self.assertGreaterEqual(g.sent_d, 20, f"the garbage never went out{d}")
        self.assertGreaterEqual(dht["malformed_in"], 1, f"malformed_in: no garbage seen{d}")
        self.assertLessEqual(dht["malformed_in"], g.sent_d, f"more malformed datagrams counted than sent{d}")
        self.assertGreaterEqual(dht["unexpected_in"], 1, f"unexpected_in: foreign replies not flagged{d}")
        with g.lock:
            errs = [dn.bdecode(x) for _, x in g.others]
        codes = [m[b"e"][0] for m in errs if isinstance(m, dict) and m.get(b"y") == b"e"
                 and isinstance(m.get(b"e"), list) and m[b"e"] and isinstance(m[b"e"][0], int)]
        self.assertIn(203, codes, f"no KRPC error 203 for the malformed queries (errors: {codes}){d}")
        self.outcome(f"{g.sent} garbage datagrams ({len(g.sent_by_kind)} kinds): complete in {run.elapsed:.1f}s, "
                     f"malformed_in={dht['malformed_in']} unexpected_in={dht['unexpected_in']} "
                     f"rate_limited={dht['rate_limited']}, {len(codes)} errors back (203), "
                     f"probe {self.probe[0]}/{self.probe[1]}, peak RSS {self.hwm // 1024} MB")

    def bogus(self, label, info, extra=(), timeout=RUN_TIMEOUT_S, rate=DL_RATE, honest=None):
        holes = self.keep(dn.BlackHoles(HOLE_IP, n=23))
        b = self.keep(dn.BogusNodesNode(HOSTILE_IP, total=10000, per_big=2500, per_reply=70, holes=holes.addrs))
        run = self.start(info, b, label, rate=rate, extra=extra, honest=honest)
        st, dht = self.finish(run, info, b, timeout)
        d = self.describe(run, 0, b)
        asked = b.from_client("find_node", "get_peers")
        self.assertGreaterEqual(len(asked), 1, f"corrent sent the hostile no find_node/get_peers{d}")
        self.assertGreaterEqual(b.nodes_sent, 10000, f"only {b.nodes_sent} bogus nodes went out{d}")
        self.assertGreaterEqual(dht["malformed_in"], 1, f"the 64 KB datagrams were not refused{d}")
        self.assertGreaterEqual(dht["timeouts"], 1, f"no query to a dead node timed out: bogus nodes unused?{d}")
        hits = holes.hits_from(b.client)
        self.assertLessEqual(max(hits.values()), MAX_HOLE_QUERIES, f"a silent node was queried too often: {hits}{d}")
        saved = saved_nodes(run.out_dir)
        self.assertIsNotNone(saved, f"no readable {run.out_dir}/.corrent-parts/dht.dat{d}")
        bad = [a for a in saved if a in b.dead or a in set(holes.addrs)]
        self.assertEqual(bad, [], f"the saved table keeps nodes that never answered{d}")
        self.assertLessEqual(sum(1 for ip, _ in saved if ip == HOSTILE_IP), 1,
                             f"the hostile node is in the saved table more than once: {saved}{d}")
        self.assertGreaterEqual(len(saved), 1, f"empty saved table{d}")
        return run, b, holes, dht

    def test_02_bogus_nodes(self):
        info = self.serve()
        run, b, holes, dht = self.bogus("bogus", info)
        self.outcome(f"{b.nodes_sent} bogus nodes ({b.big_sent} 64 KB datagrams, {b.nodes_fitting} in ones that fit): "
                     f"complete in {run.elapsed:.1f}s, malformed_in={dht['malformed_in']} "
                     f"timeouts={dht['timeouts']} queries_out={dht['queries_out']}, silent nodes queried "
                     f"{sum(holes.hits_from(b.client).values())}x, peak RSS {self.hwm // 1024} MB")

    def test_03_bogus_nodes_far(self):
        info = self.serve("--far-bootstrap", nodes=16)
        t0 = time.time()
        run, b, holes, dht = self.bogus("bogus-far", info, extra=["--seed", "--seed-time", "30s"],
                                        timeout=RUN_TIMEOUT_S + 10)
        d = self.describe(run, 0, b)
        done = [m for m in map(_DONE.search, run.log_text().splitlines()) if m and m.group(4) == info["info_hash"]]
        self.assertTrue(done, f"the torrent's lookup never ended{d}")
        h, mi, s = (int(x) for x in done[0].group(1, 2, 3))
        start = time.localtime(t0)
        took = (h * 3600 + mi * 60 + s - (start.tm_hour * 3600 + start.tm_min * 60 + start.tm_sec)) % 86400
        self.assertLessEqual(took, LOOKUP_BOUND_S, f"the lookup took {took}s{d}")
        self.assertGreaterEqual(int(done[0].group(7)), 1, f"announced to no node{d}")
        self.outcome(f"16 nodes, far bootstrap: {b.nodes_sent} bogus nodes, lookup done after ~{took}s "
                     f"({done[0].group(5)} asked, announced to {done[0].group(7)}), timeouts={dht['timeouts']}, "
                     f"silent nodes queried {sum(holes.hits_from(b.client).values())}x, peak RSS {self.hwm // 1024} MB")

    def test_04_unsolicited(self):
        info = self.serve()
        holes = self.keep(dn.BlackHoles(HOLE_IP, n=1))
        tcp = self.keep(dn.TcpCanary(CANARY_IP))
        u = self.keep(dn.UnsolicitedNode(HOSTILE_IP, SIDE_IP, rate=30, duration=3.0,
                                         canary_udp=holes.addrs[0], canary_tcp=tcp.addr))
        run = self.start(info, u, "unsolicited")
        st, dht = self.finish(run, info, u)
        d = self.describe(run, 0, u) + f"\nunsolicited={u.unsolicited}"
        self.assertGreaterEqual(u.unsolicited, 60, f"the stream did not go out{d}")
        self.assertLess(u.first_query_at + u.duration, run.t_exit, f"corrent exited before the stream ended{d}")
        self.assertGreaterEqual(dht["unexpected_in"], 0.9 * u.unsolicited, f"unsolicited replies not flagged{d}")
        self.assertEqual(holes.total, 0, f"corrent queried a node named only in unsolicited replies{d}")
        self.assertEqual(tcp.connections, 0, f"corrent dialled a peer named only in unsolicited replies{d}")
        self.outcome(f"{u.unsolicited} unsolicited replies: complete in {run.elapsed:.1f}s, "
                     f"unexpected_in={dht['unexpected_in']}, canaries untouched, replies_in={dht['replies_in']} "
                     f"<= queries_out={dht['queries_out']}, peak RSS {self.hwm // 1024} MB")

    def test_05_flood(self):
        info = self.serve()
        node = self.keep(dn.Node(HOSTILE_IP))
        run = self.start(info, node, "flood", rate=FLOOD_RATE)
        target = (sl.LOOPBACK, run.port)
        end = time.monotonic() + 10
        while node.client is None and time.monotonic() < end and run.proc.alive():
            time.sleep(0.01)
        self.assertEqual(node.client, target, f"corrent did not query its bootstrap from {target}")
        pid = run.proc.pid
        drops0, cpu0, rss0 = dn.udp_rcvbuf_errors(), dn.cpu_seconds(pid), dn.proc_status_kb(pid, "VmRSS")
        f = dn.Flooder(target, host=FLOOD_IP, rate=FLOOD_QPS, seconds=FLOOD_S)
        f.start()
        while f.t1 is None and f.thread.is_alive():  # CPU over the send window (run() then drains 0.5 s)
            time.sleep(0.005)
        cpu1, rss1 = dn.cpu_seconds(pid), dn.proc_status_kb(pid, "VmRSS")
        f.thread.join(5)
        drops1 = dn.udp_rcvbuf_errors()
        alive_after = run.proc.alive()
        st, dht = self.finish(run, info, node)
        drops = (drops1 - drops0) if None not in (drops0, drops1) else 0
        d = (self.describe(run, 0, node) + f"\nflood: sent={f.sent} replies={f.replies} errors={f.errors_in} "
             f"per s={f.replies_by_s} duration={f.duration:.2f}s kernel drops={drops}")
        self.assertTrue(alive_after, f"corrent was done before the flood ended: it did not download under it{d}")
        self.assertGreaterEqual(f.sent, 0.5 * FLOOD_QPS * FLOOD_S, f"the flooder fell short{d}")
        cap = PER_IP_BURST + PER_IP_RATE * f.duration * 1.1 + 25
        self.assertLessEqual(f.replies, cap, f"replies above the per-IP budget ({cap:.0f}){d}")
        self.assertGreaterEqual(f.replies, PER_IP_RATE * f.duration * 0.5, f"corrent stopped answering the flooder{d}")
        self.assertGreaterEqual(dht["rate_limited"] + f.replies + drops, 0.9 * f.sent, f"flood not accounted for{d}")
        ok, sent = self.prober.answered(since=f.t0, until=f.t1, grace=0)
        self.assertGreaterEqual(sent, FLOOD_S * 3, f"too few probe pings{d}")
        self.assertGreaterEqual(ok, PROBE_ANSWERED * sent, f"only {ok}/{sent} pings of another node answered during the flood{d}")
        cpu = 100.0 * (cpu1 - cpu0) / f.duration
        self.assertLessEqual(cpu, MAX_FLOOD_CPU, f"corrent used {cpu:.0f}% CPU under the flood{d}")
        self.assertLess(rss1 - rss0, MAX_RSS_GROWTH_KB, f"VmRSS grew {rss0} -> {rss1} kB under the flood{d}")
        self.outcome(f"{f.sent} queries in {f.duration:.1f}s from {FLOOD_IP}: {f.replies} replies (cap {cap:.0f}), "
                     f"rate_limited={dht['rate_limited']}, kernel drops {drops}, probe {ok}/{sent} answered, "
                     f"CPU {cpu:.1f}%, VmRSS {rss0}->{rss1} kB, complete in {run.elapsed:.1f}s, "
                     f"peak RSS {self.hwm // 1024} MB")

    def test_06_bogus_nodes_far_slow_honest(self):
        info = self.serve("--far-bootstrap", nodes=16)
        host, port = info["bootstrap"][0].rsplit(":", 1)
        relay = self.keep(DelayRelay((host, int(port)), delay=ECLIPSE_DELAY_S))
        run, b, holes, dht = self.bogus("eclipse", info, rate=None, honest=relay.address)
        self.outcome(f"honest bootstrap {ECLIPSE_DELAY_S}s away: complete in {run.elapsed:.1f}s despite "
                     f"{b.nodes_fitting} usable bogus nodes, timeouts={dht['timeouts']}")


if __name__ == "__main__":
    ml.main("DHT under attack", budget_s=420)
