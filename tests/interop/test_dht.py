#!/usr/bin/python3
"""BEP 5 mainline DHT: corrent against libtorrent DHT nodes and aria2, on 127.0.0.1 only.

The swarm is ../shared/swarm/dht_swarm.py serve (magnetlib.DhtSwarm): N python3-libtorrent
DHT nodes on 127.0.0.1 (never bootstrapped from the Internet) and, unless --no-seeder, a
libtorrent seeder that announces to them and to nothing else (no tracker). Its --events
file lists every DHT query the nodes receive (from, q, info_hash, port, implied_port): the
client under test is a sender that is none of the swarm's endpoints, picked out by the
info-hash (every swarm has content of its own: a random --seed) or by its port (corrent's
DHT uses the number of its listen port). corrent downloads are capped at 2 MB/s (~4 s): a
loopback download is otherwise over before the first lookup has ended and announced.

  01 `download MAGNET --dht-bootstrap B` (the magnet has no tr= and no x.pe), 8 nodes:
     complete and byte-identical in 60 s; the nodes got get_peers for the info-hash from
     corrent's port and an announce_peer for its listen port; --stats has "dht"
     {nodes, queries_in, queries_out, rate_limited, lookups} (ints; queries_out, lookups,
     nodes > 0) and the torrent's "peers_by_source" {tracker, dht, pex, incoming, manual}
     with dht > 0; the -v log has "dht:" lines naming the info-hash, no public router;
  02 the same with 16 nodes and --far-bootstrap (B did not store the seeder): corrent's
     get_peers reached a node that did: an iterative lookup;
  03 `corrent seed T -d DIR --dht-bootstrap B` (swarm --no-seeder): it announces, and a
     libtorrent magnet leecher (dht_swarm.py leech, DHT only) finds it and completes;
  04 01 under `strace -f -e trace=network`: every connect/sendto/sendmsg/bind goes to
     127.0.0.0/8 or ::1 (0.0.0.0 / :: only for bind), nothing to port 53, and the trace
     does show datagrams to B (skipped without strace);
  05 saved table: 01 leaves <out>/.corrent-parts/dht.dat; a download into a new dir holding
     only a copy of it, with no --dht-bootstrap, under strace: completes through the DHT,
     loopback only (no public routers);
  06 --no-dht (and a --peer where nothing listens, so that a session runs): no query from
     outside the swarm reaches its nodes, no UDP datagram at all (under strace, if there),
     not complete after 12 s, --stats "dht" absent or null;
  07 a .torrent with BEP 5 "nodes" (the swarm's) and --dht-bootstrap 127.0.0.1:9 (dead):
     found through the torrent's nodes (loopback only, under strace if there);
  08 aria2c (DHT entry point B, no LPD/PEX) downloads the magnet from `corrent seed` in 90 s;
  09 corrent downloads the magnet from an aria2c seeder that announces to the DHT.

Harness proof: LEECHER=lt puts dht_swarm.py leech (python3-libtorrent; DHT on only with a
bootstrap node) in corrent's place in 01, 02, 04, 06 and 09 (the --stats and log checks are
corrent's only); 03, 05, 07 and 08 are about corrent's own command line and skip. Proven
that way: the five pass (~24 s); 06 fails when the leecher is given the bootstrap node
anyway. The first corrent with a DHT passes all nine (~70 s, run inside `unshare -n` with
only lo up); 06 fails when corrent runs with the DHT on and no bootstrap (--stats "dht",
and the strace shows its resolver lookups of the public routers: port 53); 07 had caught
a .torrent download that ended (70 ms, uncapped) before its lookup: no announce_peer.

Run: CORRENT=build/release/src/cli/corrent CORRENT_SHARED=../shared \\
  /usr/bin/python3 tests/interop/test_dht.py [Dht.test_01_magnet_dht_only ...]
"""
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostilelib as hl  # noqa: E402
import magnetlib as ml  # noqa: E402
import seedlib  # noqa: E402
import swarmlib as sl  # noqa: E402

RUN_TIMEOUT_S = 60
ARIA2_TIMEOUT_S = 90
NO_DHT_RUN_S = 12
# corrent downloads are capped (8 MiB: ~4 s): on loopback a .torrent download is over in
# ~70 ms, before the first lookup ends and announces; the announce_peer checks need it to
DL_RATE = "2M"
STRACE = "/usr/bin/strace"
DEAD_BOOTSTRAP = "127.0.0.1:9"
PUBLIC_ROUTERS = ("router.bittorrent.com", "router.utorrent.com", "dht.transmissionbt.com",
                  "dht.libtorrent.org", "dht.aelitis.com", "router.bitcomet.com")
PEER_SOURCES = ("tracker", "dht", "pex", "incoming", "manual")
DHT_KEYS = ("nodes", "queries_in", "queries_out", "rate_limited", "lookups")


# ====================================================================== helpers
def payload(info):
    """dht_swarm's content as a swarmlib.Content (content_dir is the parent of the payload)."""
    if info.get("content_file"):
        return sl.Content(info["content_dir"], info["name"], [(info["name"], info["size"])])
    files = [(os.path.relpath(p, info["content_dir"]), os.path.getsize(p)) for p in info["content_files"]]
    return sl.Content(info["content_dir"], info["name"], files)


def swarm_endpoints(info):
    return set(info["dht_nodes"]) | {e for e in (info.get("seeder"), info.get("hub")) if e} \
        | set(info.get("pex_seeders") or [])


def announced_port(ev):
    """The TCP port an announce_peer query announces (BEP 5 implied_port: the UDP source port)."""
    return int(ev["from"].rsplit(":", 1)[1]) if ev.get("implied_port") else ev.get("port")


def outside_queries(dsw, q=None, ih=None, port=None, since=0, src_port=None):
    """dht_query events the swarm's nodes got from endpoints outside the swarm (the clients
    under test), from the since-th event on; port: announce_peer for that TCP port;
    src_port: sent from that UDP port. (A DHT node elsewhere on this machine that once knew
    a node on a port the swarm now uses may query it too: filter by info-hash or port.)"""
    eps = swarm_endpoints(dsw.info)
    return [e for e in dsw.events()[since:] if e.get("kind") == "dht_query" and e.get("from") not in eps
            and (q is None or e.get("q") == q) and (ih is None or e.get("info_hash") == ih)
            and (port is None or announced_port(e) == port)
            and (src_port is None or host_port(e["from"])[1] == src_port)]


def is_loopback(addr):
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or bool(mapped and mapped.is_loopback)


def strace_argv(path):
    argv = [STRACE, "-f", "-qq", "-yy", "-s", "64", "-e", "trace=network", "-o", path]
    # LeakSanitizer cannot run under ptrace (it aborts at exit): the ASan build's leak check
    # is off for the traced runs only (every other run of the suite keeps it).
    if os.environ.get("CORRENT_SANITIZED") == "1" or os.environ.get("ASAN_OPTIONS"):
        opts = os.environ.get("ASAN_OPTIONS", "")
        argv += ["-E", "ASAN_OPTIONS=" + (opts + ":" if opts else "") + "detect_leaks=0"]
    return argv


def strace_usable():
    """None if strace can trace here, else why not."""
    if not os.access(STRACE, os.X_OK):
        return f"{STRACE} not installed"
    r = subprocess.run(strace_argv("/dev/null") + ["/bin/true"], capture_output=True, text=True, timeout=30)
    return None if r.returncode == 0 else f"strace cannot trace here: {r.stderr.strip()[:200]}"


_CALL = re.compile(r"^(?:\[pid\s+)?\d*\]?\s*(connect|sendto|sendmsg|sendmmsg|bind)\((\d+)"
                   r"(<[^\[>]*(?:\[(?:[^\[\]]|\[[^\]]*\])*\])?>)?(.*)$")
_SOCKADDR = re.compile(r'sin6?_port=htons\((\d+)\).*?(?:inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6?, "([^"]+)")')
_FD_PEER = re.compile(r"->\[?([^\]\[]+?)\]?:(\d+)\]>$")


def audit_trace(path):
    """(problems, udp_sends) of an `strace -f -yy -e trace=network` file: every destination of
    connect/sendto/sendmsg/sendmmsg/bind (a sockaddr, or the peer of a connected socket).
    A problem: an address outside 127.0.0.0/8 and ::1 (0.0.0.0 and :: only in bind), or
    port 53 (a name lookup, even through a resolver on 127.0.0.53). AF_UNIX / AF_NETLINK
    are local. udp_sends: [(address, port)] of every datagram sent."""
    problems, sends = [], []
    with open(path, errors="replace") as f:
        for line in f:
            m = _CALL.match(line.strip())
            if not m:
                continue
            call, note, rest = m.group(1), m.group(3) or "", m.group(4)
            if "AF_UNIX" in rest or "AF_NETLINK" in rest or note.startswith(("<UNIX", "<NETLINK")):
                continue
            eps = [(a or b, int(p)) for p, a, b in _SOCKADDR.findall(rest)]
            if not eps and call.startswith("send"):
                pm = _FD_PEER.search(note)
                eps = [(pm.group(1), int(pm.group(2)))] if pm else []
            for addr, port in eps:
                if call == "bind":
                    bad = not (is_loopback(addr) or addr in ("0.0.0.0", "::"))
                else:
                    bad = not is_loopback(addr) or port == 53
                if bad:
                    problems.append(line.strip()[:240])
                if call.startswith("send") and note.startswith("<UDP"):
                    sends.append((addr, port))
    return problems, sends


def host_port(ep):
    h, p = ep.rsplit(":", 1)
    return h.strip("[]"), int(p)


class LtDhtLeech:
    """LEECHER=lt: dht_swarm.py leech (python3-libtorrent, DHT only with a bootstrap node,
    none at all without) in corrent's place, with CorrentRun's interface."""

    def __init__(self, swarm, dsw, magnet, label, bootstrap=(), wrapper=()):
        self.work = os.path.join(swarm.tmp, f"run-{label}")
        self.out_dir = os.path.join(self.work, "out")
        os.makedirs(self.out_dir)
        self.argv = [sl.PY, dsw.script, "leech", "--magnet", magnet, "--dir", self.out_dir, "--timeout", "150"]
        for b in bootstrap:
            self.argv += ["--bootstrap", b]
        self.proc = swarm.start_proc(f"lt-{label}", list(wrapper) + self.argv, cwd=self.work)
        self.t_start = time.monotonic()
        self.t_exit = None

    def wait(self, timeout):
        rc = self.proc.wait(timeout)
        if rc is None:
            self.proc.stop(grace=3)
            return None
        self.t_exit = self.t_exit or time.monotonic()
        return rc

    @property
    def elapsed(self):
        return (self.t_exit or time.monotonic()) - self.t_start

    def stats(self):
        return None

    def log_text(self):
        with open(self.proc.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def result(self):
        lines = [ln for ln in self.log_text().splitlines() if ln.startswith('{"client"')]
        return json.loads(lines[-1]) if lines else {}

    @property
    def port(self):
        listen = self.result().get("listen")
        return host_port(listen)[1] if listen else None


ARIA2_DHT = [o for o in ml.ARIA2_BASE if not o.startswith("--enable-dht")]


def aria2_argv(work, bootstrap, port):
    """aria2c on 127.0.0.1:port with its DHT (IPv4 only) bootstrapped from one node, no LPD/PEX."""
    return ["aria2c"] + ARIA2_DHT + [
        "--enable-dht=true", "--enable-dht6=false", f"--dht-entry-point={bootstrap}",
        f"--dht-file-path={work}/dht.dat", f"--dht-listen-port={sl.free_port()}", f"--listen-port={port}",
        "--interface=127.0.0.1", "--enable-peer-exchange=false", f"--log={work}/aria2.log"]


# ====================================================================== tests
class Dht(ml.MagnetTestBase, unittest.TestCase):
    def serve(self, *flags, nodes=8):
        # content of its own (--seed): an info-hash no other swarm on this machine looks for
        seed = int.from_bytes(os.urandom(3), "big")
        self.dsw = ml.DhtSwarm(self.sw, "--nodes", nodes, "--seed", seed, *flags, dht=True, events=True)
        return self.dsw, self.dsw.info

    def need_strace(self):
        why = strace_usable()
        if why:
            self.skipTest(why)

    def download(self, source, label, bootstrap=(), dht=True, audit=None, peers=()):
        """corrent download SOURCE [--dht-bootstrap B].. [--peer P].. (dht=False: --no-dht), or
        with LEECHER=lt dht_swarm.py leech (DHT only if dht and bootstrap; no peers); audit:
        under strace -o."""
        wrapper = strace_argv(audit) if audit else ()
        if self.subject == "corrent":
            extra = [x for b in bootstrap for x in ("--dht-bootstrap", b)] + ["--max-download-rate", DL_RATE]
            run = hl.CorrentRun(self.sw, source, list(peers), label, extra, dht=dht, wrapper=wrapper)
        else:
            run = LtDhtLeech(self.sw, self.dsw, source, label, bootstrap if dht else (), wrapper)
        sl.log(f"{label}: {' '.join(run.argv)}")
        return run

    def corrent_seed(self, info, bootstrap):
        seed = seedlib.CorrentSeed(self.sw, sl.Torrent(info["torrent"]), payload(info), name="corrent-seed",
                                   extra=["--dht-bootstrap", bootstrap], dht=True)
        ml.wait_seed(seed, 60)
        return seed

    def wait_announce(self, ih, port, timeout, what):
        """Until a node got announce_peer(ih) for TCP port from outside the swarm."""
        ok = seedlib.wait_until(lambda: outside_queries(self.dsw, "announce_peer", ih, port), timeout,
                                what=f"announce_peer from {what}")
        self.assertTrue(ok, f"no announce_peer for {ih} port {port} from {what} in {timeout}s\n{self.logs()}")
        return ok

    def describe(self, run, rc, st=None):
        return (f"\n{' '.join(run.argv)}\nrc={rc} elapsed={run.elapsed:.1f}s stats={json.dumps(st)[:1500]}\n"
                f"{self.logs()}")

    def check_done(self, run, rc, content, what):
        """Exited 0 in time with byte-identical files; corrent: --stats complete (returned)."""
        st = run.stats()
        d = self.describe(run, rc, st)
        self.assertIsNotNone(rc, f"{what}: not done in time{d}")
        self.assertEqual(rc, 0, f"{what}: exit code{d}")
        self.assertIsNone(self.sw.verify(content, run.out_dir), f"{what}: not byte-identical{d}")
        if self.subject != "corrent":
            return None
        self.assertIsNotNone(st, f"{what}: no --stats file{d}")
        self.assertEqual(sl.check_stats_shape(st), [], f"--stats shape{d}")
        self.assertTrue(st.get("complete"), f"{what}: --stats not complete{d}")
        return st

    def check_dht_stats(self, st, ih, want_dht_peers=True):
        """--stats "dht" object and the torrent's "peers_by_source"; returns both."""
        d = f"\nstats={json.dumps(st)[:2000]}"
        dht = st.get("dht")
        self.assertIsInstance(dht, dict, f"--stats has no 'dht' object{d}")
        for k in DHT_KEYS:
            v = dht.get(k)
            self.assertTrue(isinstance(v, int) and not isinstance(v, bool), f"dht[{k!r}] not an int: {v!r}{d}")
        self.assertGreater(dht["queries_out"], 0, f"no DHT query sent{d}")
        self.assertGreaterEqual(dht["lookups"], 1, f"no DHT lookup{d}")
        self.assertGreater(dht["nodes"], 0, f"empty routing table{d}")
        entries = [t for t in st.get("torrents", []) if t.get("info_hash") == ih]
        self.assertEqual(len(entries), 1, f"one 'torrents' entry for {ih}{d}")
        pbs = entries[0].get("peers_by_source")
        self.assertIsInstance(pbs, dict, f"torrent entry has no 'peers_by_source'{d}")
        for k in PEER_SOURCES:
            v = pbs.get(k)
            self.assertTrue(isinstance(v, int) and not isinstance(v, bool), f"peers_by_source[{k!r}]: {v!r}{d}")
        if want_dht_peers:
            self.assertGreater(pbs["dht"], 0, f"no peer from the DHT{d}")
        return dht, pbs

    def check_log(self, run, ih):
        """-v: "dht:" lines, one naming the info-hash; no public router anywhere. Returns the
        'lookup .. done' line if there is one."""
        text = run.log_text()
        lines = [ln for ln in text.splitlines() if "dht:" in ln]
        self.assertTrue(lines, f"no 'dht:' line in the -v log\n{text[-3000:]}")
        self.assertTrue(any(ih in ln for ln in lines), f"no 'dht:' line names {ih}: {lines[:20]}")
        low = text.lower()
        self.assertEqual([r for r in PUBLIC_ROUTERS if r in low], [], "public DHT router in the log")
        done = [ln for ln in lines if re.search(rf"dht: lookup {ih} done", ln)]
        return done[0][done[0].index("dht:"):].strip() if done else f"{len(lines)} dht: lines"

    def check_used_dht(self, run, ih, since=0):
        """The swarm's nodes got get_peers(ih) from the run's port (the DHT shares the listen
        port's number, on UDP) and announce_peer(ih, that port) from outside the swarm."""
        port = run.port
        seedlib.wait_until(lambda: (outside_queries(self.dsw, "get_peers", ih, since=since) and
                                    outside_queries(self.dsw, "announce_peer", ih, port, since=since)),
                           5, what="get_peers + announce_peer from the client")
        gp_any = outside_queries(self.dsw, "get_peers", ih, since=since)
        gp = [e for e in gp_any if host_port(e["from"])[1] == port]
        ann = outside_queries(self.dsw, "announce_peer", ih, port, since=since)
        other = sorted({e["q"] for e in outside_queries(self.dsw, since=since)})
        d = f" (queries from outside the swarm: {other}; port {port})\n{self.logs()}"
        self.assertTrue(gp_any, f"no get_peers for {ih} reached the swarm{d}")
        self.assertTrue(gp, f"get_peers not from port {port}: {sorted({e['from'] for e in gp_any})}{d}")
        self.assertTrue(ann, f"no announce_peer for {ih} with port {port} reached the swarm{d}")
        return gp, ann

    def audit(self, trace, want_sends_to=()):
        """Loopback only; with want_sends_to (endpoints), a datagram to one of them was seen."""
        problems, sends = audit_trace(trace)
        self.assertEqual(problems, [], f"destinations outside loopback (or DNS) in {trace}")
        if want_sends_to:
            want = {host_port(e) for e in want_sends_to}
            self.assertTrue(want & set(sends), f"the trace shows no datagram to {sorted(want)[:4]}: "
                                                f"strace saw nothing? sends={sorted(set(sends))[:10]}")
        return len(sends)

    def dht_download(self, info, label, bootstrap, audit=None):
        """01's download: the DHT-only magnet, checked end to end (files, events, stats, log)."""
        run = self.download(info["magnet"], label, bootstrap=bootstrap, audit=audit)
        rc = run.wait(RUN_TIMEOUT_S)
        st = self.check_done(run, rc, payload(info), f"{label}: DHT-only magnet")
        gp, ann = self.check_used_dht(run, info["info_hash"])
        text = f"{info['size']} B in {run.elapsed:.1f}s; get_peers from {sorted({e['from'] for e in gp})}"
        if st is not None:
            dht, pbs = self.check_dht_stats(st, info["info_hash"])
            text += (f"; stats dht={ {k: dht[k] for k in DHT_KEYS} } peers_by_source={pbs}; "
                     f"log: {self.check_log(run, info['info_hash'])}")
        return run, gp, text

    # -------------------------------------------------------------- 01 .. 07: corrent downloads
    def test_01_magnet_dht_only(self):
        dsw, info = self.serve()
        run, gp, text = self.dht_download(info, "dht-only", [info["bootstrap"][0]])
        self.outcome(text)

    def test_02_far_bootstrap_iterative_lookup(self):
        dsw, info = self.serve("--far-bootstrap", nodes=16)
        if info["bootstrap_has_peer"] != [False]:
            raise sl.HarnessError(f"--far-bootstrap gave a node holding the seeder: {info['bootstrap']}")
        run, gp, text = self.dht_download(info, "far", [info["bootstrap"][0]])
        tags = {ep: f"node{i}" for i, ep in enumerate(info["dht_nodes"])}
        holders = {e["node"] for e in dsw.events() if e.get("kind") == "dht_announce"
                   and e.get("info_hash") == info["info_hash"] and f"127.0.0.1:{e.get('port')}" == info["seeder"]}
        asked = {e["node"] for e in gp}
        self.assertIn(tags[info["bootstrap"][0]], {e["node"] for e in outside_queries(dsw, src_port=run.port)},
                      "the bootstrap node got no query")
        self.assertTrue(asked & holders, f"get_peers reached {sorted(asked)}, none of the nodes holding "
                                         f"the seeder {sorted(holders)}")
        self.outcome(f"get_peers to {len(asked)} nodes, {len(asked & holders)} holding the seeder; {text}")

    def test_04_network_audit(self):
        self.need_strace()
        dsw, info = self.serve()
        trace = os.path.join(self.sw.tmp, "download.strace")
        run, gp, text = self.dht_download(info, "audited", [info["bootstrap"][0]], audit=trace)
        n = self.audit(trace, want_sends_to=info["dht_nodes"])
        self.outcome(f"{n} datagrams, every destination loopback; {text}")

    def test_05_saved_table(self):
        self.corrent_only("corrent's saved routing table")
        self.need_strace()
        dsw, info = self.serve()
        run1, _, _ = self.dht_download(info, "first", [info["bootstrap"][0]])
        dat = os.path.join(run1.out_dir, ".corrent-parts", "dht.dat")
        parts = os.path.dirname(dat)
        self.assertTrue(os.path.isfile(dat) and os.path.getsize(dat) > 0,
                        f"no saved table at {dat}: {os.listdir(parts) if os.path.isdir(parts) else '-'}")
        out2 = os.path.join(self.sw.tmp, "run-second", "out")
        os.makedirs(os.path.join(out2, ".corrent-parts"))
        shutil.copy(dat, os.path.join(out2, ".corrent-parts", "dht.dat"))
        since = len(dsw.events())
        trace = os.path.join(self.sw.tmp, "second.strace")
        run2 = self.download(info["magnet"], "second", bootstrap=(), audit=trace)
        self.assertEqual(run2.out_dir, out2, "harness: CorrentRun's output dir moved")
        rc = run2.wait(RUN_TIMEOUT_S)
        st = self.check_done(run2, rc, payload(info), "saved table, no --dht-bootstrap")
        gp, _ = self.check_used_dht(run2, info["info_hash"], since=since)
        dht, pbs = self.check_dht_stats(st, info["info_hash"])
        n = self.audit(trace, want_sends_to=info["dht_nodes"])
        self.check_log(run2, info["info_hash"])
        self.outcome(f"dht.dat {os.path.getsize(dat)} B; second run from it alone: {run2.elapsed:.1f}s, "
                     f"{n} datagrams, all loopback; peers_by_source={pbs}")

    def test_06_no_dht(self):
        dsw, info = self.serve()
        trace = os.path.join(self.sw.tmp, "nodht.strace") if strace_usable() is None else None
        since = len(dsw.events())
        # a --peer where nothing listens: corrent runs a session (a magnet with no tracker,
        # no peer and no DHT is refused at once) and has a reason to look for peers
        dead = f"127.0.0.1:{sl.free_port()}"
        run = self.download(info["magnet"], "nodht", dht=False, audit=trace, peers=[dead])
        rc = run.wait(NO_DHT_RUN_S)
        st = run.stats()
        d = self.describe(run, rc, st)
        self.assertIsNotNone(self.sw.verify(payload(info), run.out_dir), f"complete without the DHT?{d}")
        self.assertIsNone(rc, f"exited within {NO_DHT_RUN_S}s: the session should keep looking for peers{d}")
        time.sleep(1)
        port = run.port  # corrent's; None for LEECHER=lt (stopped before it printed it): any
        self.assertEqual(outside_queries(dsw, since=since, src_port=port), [],
                         f"DHT queries from the --no-dht client{d}")
        if self.subject == "corrent":
            self.assertIsNotNone(st, f"no --stats after SIGTERM{d}")
            self.assertIsNone(st.get("dht"), f"--stats 'dht' with --no-dht{d}")
            for t in st.get("torrents", []):
                self.assertEqual((t.get("peers_by_source") or {}).get("dht", 0), 0, f"dht peers{d}")
        how = "no strace"
        if trace:
            n = self.audit(trace)
            self.assertEqual(audit_trace(trace)[1], [], f"UDP datagrams sent with --no-dht{d}")
            how = f"strace: {n} datagrams"
        self.outcome(f"stopped after {run.elapsed:.1f}s, not complete, no DHT query from it; {how}")

    def test_07_torrent_nodes(self):
        self.corrent_only("a .torrent's BEP 5 nodes (dht_swarm.py leech takes magnets)")
        dsw, info = self.serve("--torrent-nodes")
        meta = sl.bdecode(open(info["torrent"], "rb").read())
        nodes = [f"{h.decode()}:{p}" for h, p in meta.get(b"nodes", [])]
        self.assertTrue(nodes and set(nodes) <= set(info["dht_nodes"]), f"harness: torrent nodes {nodes}")
        self.assertNotIn(b"announce", meta, "harness: the torrent has a tracker")
        trace = os.path.join(self.sw.tmp, "tnodes.strace") if strace_usable() is None else None
        run = self.download(info["torrent"], "torrent-nodes", bootstrap=[DEAD_BOOTSTRAP], audit=trace)
        rc = run.wait(RUN_TIMEOUT_S)
        st = self.check_done(run, rc, payload(info), ".torrent with nodes")
        gp, _ = self.check_used_dht(run, info["info_hash"])
        dht, pbs = self.check_dht_stats(st, info["info_hash"])
        how = f"strace: {self.audit(trace, want_sends_to=nodes)} datagrams, all loopback" if trace else "no strace"
        self.outcome(f"{len(nodes)} torrent nodes, bootstrap {DEAD_BOOTSTRAP} dead: done in "
                     f"{run.elapsed:.1f}s, peers_by_source={pbs}; {how}")

    # -------------------------------------------------------------- 03, 08, 09: the other way round
    def test_03_seed_found_by_libtorrent(self):
        self.corrent_only("`corrent seed --dht-bootstrap`")
        dsw, info = self.serve("--no-seeder")
        boot = info["bootstrap"][0]
        seed = self.corrent_seed(info, boot)
        self.wait_announce(info["info_hash"], seed.port, 30, "corrent seed")
        out = os.path.join(self.sw.tmp, "lt-leech")
        leech = self.sw.start_proc("lt-leech", [sl.PY, dsw.script, "leech", "--magnet", info["magnet"],
                                                "--bootstrap", boot, "--dir", out, "--timeout", "60"])
        rc = leech.wait(75)
        lines = [ln for ln in open(leech.log_path, errors="replace") if ln.startswith('{"client"')]
        res = json.loads(lines[-1]) if lines else {}
        d = f"\nleech rc={rc} {res}\n{seed.describe()}\n{self.logs()}"
        self.assertIsNotNone(res.get("done_s"), f"libtorrent did not complete{d}")
        self.assertIsNone(self.sw.verify(payload(info), out), f"libtorrent's copy differs{d}")
        seed.stop()
        st = seed.stats()
        self.assertIsNotNone(st, f"no --stats from corrent seed{d}")
        self.assertGreaterEqual(st.get("uploaded_bytes", 0), info["size"], f"corrent uploaded too little{d}")
        dht, pbs = self.check_dht_stats(st, info["info_hash"], want_dht_peers=False)
        self.outcome(f"libtorrent found corrent seed via the DHT, done in {res['done_s']}s (its peer sources "
                     f"{res.get('peer_sources')}); seed dht={ {k: dht[k] for k in DHT_KEYS} }")

    def test_08_aria2_leeches_from_corrent(self):
        self.corrent_only("`corrent seed --dht-bootstrap`")
        if not shutil.which("aria2c"):
            self.skipTest("aria2c not installed")
        dsw, info = self.serve("--no-seeder")
        boot = info["bootstrap"][0]
        seed = self.corrent_seed(info, boot)
        self.wait_announce(info["info_hash"], seed.port, 30, "corrent seed")
        work = os.path.join(self.sw.tmp, "aria2-leech")
        out = os.path.join(work, "out")
        os.makedirs(out)
        argv = aria2_argv(work, boot, sl.free_port()) + ["--seed-time=0", "--bt-stop-timeout=0", f"--dir={out}",
                                                         info["magnet"]]
        sl.log(f"aria2-leech: {' '.join(argv)}")
        aria = self.sw.start_proc("aria2-leech", argv, cwd=work)
        t0 = time.monotonic()
        rc = aria.wait(ARIA2_TIMEOUT_S)
        took = time.monotonic() - t0
        d = f"\naria2 rc={rc} after {took:.0f}s\n{seed.describe()}\n{self.logs()}"
        self.assertIsNotNone(rc, f"aria2 not done in {ARIA2_TIMEOUT_S}s{d}")
        self.assertIsNone(self.sw.verify(payload(info), out), f"aria2's copy differs{d}")
        self.assertEqual(rc, 0, f"aria2 exit code{d}")
        self.outcome(f"aria2 found corrent seed via the DHT: magnet done in {took:.1f}s")

    def test_09_download_from_aria2_seed(self):
        if not shutil.which("aria2c"):
            self.skipTest("aria2c not installed")
        dsw, info = self.serve("--no-seeder")
        boot = info["bootstrap"][0]
        work = os.path.join(self.sw.tmp, "aria2-seed")
        data = sl.mirror_tree(payload(info), os.path.join(work, "data"))
        port = sl.free_port()
        argv = aria2_argv(work, boot, port) + ["--check-integrity=true", "--seed-ratio=0.0",
                                               f"--dir={data.parent}", info["torrent"]]
        sl.log(f"aria2-seed: {' '.join(argv)}")
        self.sw.start_proc("aria2-seed", argv, cwd=work)
        self.wait_announce(info["info_hash"], port, 60, "aria2 seed")
        run = self.download(info["magnet"], "from-aria2", bootstrap=[boot])
        rc = run.wait(RUN_TIMEOUT_S)
        st = self.check_done(run, rc, payload(info), "magnet from an aria2 seed")
        self.check_used_dht(run, info["info_hash"])
        text = f"done in {run.elapsed:.1f}s"
        if st is not None:
            dht, pbs = self.check_dht_stats(st, info["info_hash"])
            text += f", peers_by_source={pbs}"
        self.outcome(f"aria2 seed found via the DHT: {text}")


if __name__ == "__main__":
    ml.main("DHT (BEP 5)")
