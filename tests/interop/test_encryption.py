#!/usr/bin/python3
"""Protocol encryption (MSE/PE): corrent's `--encryption prefer|require|disable` against
python3-libtorrent, transmission-daemon and aria2 (one ctest test).

Every connection of a case that should carry data goes through a recording relay
(magnetlib.WireRelay on its own 127.0.0.40+ address, raw bytes kept): the transport is read
off the wire, and corrent's --stats peers[].transport must say the same (tcp,
tcp+mse(plain), tcp+mse(rc4)). "plaintext": a BEP 3 handshake in the clear;
"mse+plaintext": no clear handshake, but the payload's bytes show up in the stream
(crypto_select = plaintext);
"mse+rc4": no clear handshake and none of the payload's bytes although the whole payload
went through (RC4). corrent's -v log gives the rest (which side hung up and why).

libtorrent settings (ltpeer.py --set): in/out_enc_policy 0 forced, 1 enabled, 2 disabled;
allowed_enc_level 1 plaintext, 2 rc4, 3 both.

  01 corrent downloads from a libtorrent seeder forcing RC4 (forced both ways, rc4 only),
     --encryption prefer and require side by side: both complete byte-identical over
     mse+rc4, prefer without a plaintext retry;
  02 a libtorrent leecher forcing RC4 dials `corrent seed` (prefer, require): it exits 0
     with every byte, over mse+rc4;
  03 libtorrent forcing the encrypted handshake but a plaintext payload: corrent prefer
     downloads from such a seeder (allowed 1: the seeder picks plaintext) over
     mse+plaintext; a libtorrent leecher forced, offering both (allowed 3), dials
     `corrent seed` (prefer): corrent, the responder, picks plaintext (mse+plaintext);
     and `--encryption require` against the allowed-1 seeder (no common method) gets
     nothing and logs "dial ... failed: encryption failed";
  04 transmission-daemon with "encryption": "required" (session-set over RPC; DHT, LPD,
     PEX, uTP, port forwarding off; bound to 127.0.0.1) seeds: corrent require and
     prefer complete byte-identical over mse+rc4, --encryption disable (side by side)
     gets nothing; a second transmission-daemon, encryption required, leeches from
     `corrent seed` with the default policy (no --encryption flag: prefer), which dials
     it: complete over mse+rc4;
  05 a plaintext-only libtorrent (in/out_enc_policy 2): `--encryption require` dials,
     logs "dial ADDR failed: encryption failed: ...", gets no byte and, stopped by
     SIGTERM after WINDOW_S, exits non-zero with --stats complete=false, interrupted=true,
     closes["encryption failed"] >= 1; a plaintext libtorrent leecher dialling a require
     seed is refused ("incoming ADDR closed: encryption failed: a plaintext handshake
     (--encryption require)"), never completes (ltpeer exits 3) and the seed lives on.
     Control, side by side: prefer downloads from the same seeder (an MSE attempt, the
     log's "encrypted handshake failed (...), trying plaintext", then plaintext) and a
     plaintext leecher completes from a prefer seed;
  06 aria2 with its defaults (plaintext preferred, MSE accepted) seeds to corrent
     (default policy) and leeches from `corrent seed` (default policy, dialling it):
     both complete byte-identical (transport reported);
  07 `--encryption disable` against libtorrent forcing encryption: corrent download gets
     nothing (stopped after WINDOW_S, no crash); a forced libtorrent leecher dialling a
     disable seed is refused ("bad handshake: not a BitTorrent handshake").

Harness proof (2026-12-06):
  * LEECHER=lt puts python3-libtorrent in corrent's place (prefer = enc_policy enabled
    both ways + allowed both; require = forced + rc4; disable = disabled); checks of
    corrent's own log, exit code and --stats fields are skipped. All seven pass (57 s):
    the peers' settings do what the cases assume.
  * ENC_SUBJECT_POLICY=prefer|require|disable gives the subject that policy in every
    case instead of the case's own; each case but 06 fails under some wrong policy:
    disable: 01-05 fail (01-04 time out; 05: no MSE attempt), 06 and 07 pass; require:
    03 and 05 (their prefer runs time out), 04 (the disable slot downloads) and 07 fail;
    prefer: 03 (the require slot completes), 04 (so does the disable slot), 05 (the
    plaintext leecher completes from the "require" seed) and 07 fail. 06 passes under
    every policy (aria2 accepts all three): it guards the default only.
  * corrent of that day: all seven pass (50 s). Later the --stats transport cross-check
    (seeds read at exit: SIGTERM, exit 1 "interrupted") was added: all pass (51 s),
    and with LEECHER=lt (56 s, the check skipped).

Transmission (3.00) tells MSE from plaintext by the first byte alone (19 = plaintext):
an MSE dial whose random Ya starts with 0x13 is refused (1 in 256); corrent then
re-dials after its back-off, hence TR_TIMEOUT_S well above the ~14 s transfer.

Run: CORRENT=build/release/src/cli/corrent CORRENT_SHARED=../shared \\
       /usr/bin/python3 tests/interop/test_encryption.py [Class.test_name ...]
"""
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostilelib as hl  # noqa: E402
import magnetlib as ml  # noqa: E402
import seedlib  # noqa: E402
import swarmlib as sl  # noqa: E402

RUN_TIMEOUT_S = 45
TR_TIMEOUT_S = 75
WINDOW_S = 6.0  # how long a connection that must fail is given
RAW_MAX = 16 * sl.MiB

LT_RC4 = dict(out_enc_policy=0, in_enc_policy=0, allowed_enc_level=2)
LT_FORCED_PLAIN = dict(out_enc_policy=0, in_enc_policy=0, allowed_enc_level=1)
LT_FORCED_BOTH = dict(out_enc_policy=0, in_enc_policy=0, allowed_enc_level=3)
LT_PLAINTEXT = dict(out_enc_policy=2, in_enc_policy=2)
# libtorrent in corrent's place (LEECHER=lt)
SUBJECT_LT = {"prefer": dict(out_enc_policy=1, in_enc_policy=1, allowed_enc_level=3),
              "require": LT_RC4, "disable": LT_PLAINTEXT}
FORCED_POLICY = os.environ.get("ENC_SUBJECT_POLICY", "").strip() or None
if FORCED_POLICY not in (None, "prefer", "require", "disable"):
    raise SystemExit(f"ENC_SUBJECT_POLICY={FORCED_POLICY!r}: expected prefer, require or disable")

_hosts = iter(range(40, 250))


def relay_host():
    return f"127.0.0.{next(_hosts)}"


# ====================================================================== transport on the wire
class RawTap:
    """One direction of a relayed connection: magnetlib's StreamLog plus the raw bytes."""

    def __init__(self, inner):
        self.inner = inner
        self.raw = bytearray()

    def feed(self, data):
        if len(self.raw) < RAW_MAX:
            self.raw += data[:RAW_MAX - len(self.raw)]
        self.inner.feed(data)

    def __getattr__(self, name):
        return getattr(self.inner, name)


class TapRelay(ml.WireRelay):
    def _pump(self, c, a):
        c.dialer, c.target = RawTap(c.dialer), RawTap(c.target)
        super()._pump(c, a)


def payload_samples(content, n=8, size=64):
    """n slices of the payload (single file) spread over it."""
    with open(content.abspath(content.files[0][0]), "rb") as f:
        data = f.read()
    step = len(data) // (n + 1)
    return [data[step * (i + 1) + 100:step * (i + 1) + 100 + size] for i in range(n)]


def transport(relay, content):
    """What the connection that carried the most bytes used: plaintext, mse+plaintext,
    mse+rc4, or 'no data' / 'mse, too little data to tell'."""
    conns = [c for c in relay.conns if isinstance(c.dialer, RawTap)]
    if not conns:
        return "no connection"
    c = max(conns, key=lambda c: c.dialer.bytes + c.target.bytes)
    if c.dialer.handshake or c.target.handshake:
        return "plaintext"
    if c.dialer.bytes + c.target.bytes < 200:
        return "no data"
    samples = payload_samples(content)
    if any(s in c.dialer.raw or s in c.target.raw for s in samples):
        return "mse+plaintext"
    if max(c.dialer.bytes, c.target.bytes) >= content.total_size:
        return "mse+rc4"
    return "mse, too little data to tell"


WIRE_TO_STATS = {"plaintext": "tcp", "mse+plaintext": "tcp+mse(plain)", "mse+rc4": "tcp+mse(rc4)"}


def stats_transports(st, host):
    """The --stats transports of the peers on this host that moved payload."""
    return sorted({p.get("transport") for p in (st or {}).get("peers", [])
                   if p.get("address", "").rsplit(":", 1)[0] == host
                   and p.get("downloaded", 0) + p.get("uploaded", 0) > 0})


def relay_text(relay):
    return f"\nrelay {relay.address}: {json.dumps(relay.summary(), default=str)[:1500]}"


# ====================================================================== the subject
class LtSubjectRun(ml.LtRun):
    """LEECHER=lt: ltpeer.py --role leech with SUBJECT_LT[policy] in corrent's place."""

    def __init__(self, swarm, torrent, peers, label, settings):
        self.peer = ml.LtPeer(swarm, f"lt-run-{label}", "leech", torrent=torrent, connect=peers, timeout=600,
                              plugins=False, settings=settings)
        self.argv, self.proc, self.port = self.peer.argv, self.peer.proc, self.peer.port
        self.out_dir, self.stats_path = self.peer.out_dir, self.peer.stats_path
        self.t_start, self.t_exit = self.peer.t0, None


class EncBase(ml.MagnetTestBase):
    def setUp(self):
        super().setUp()
        self.content = self.single(4 * ml.MiB + 5000, name="enc.bin", seed=91)
        self.tor = self.torrent(self.content, 128 * ml.KiB)

    def policy(self, p):
        return FORCED_POLICY or p

    def download(self, peers, label, policy, tor=None):
        """The subject downloads from peers with this policy (None: no --encryption flag)."""
        tor = tor or self.tor
        p = self.policy(policy) if policy or FORCED_POLICY else None
        if self.subject == "corrent":
            run = hl.CorrentRun(self.sw, tor, list(peers), label, ["--encryption", p] if p else [])
            ml.log(f"corrent-{label}: {' '.join(run.argv)}")
            return run
        return LtSubjectRun(self.sw, tor, list(peers), label, SUBJECT_LT[p or "prefer"])

    def seed(self, label, policy, peers=(), content=None, tor=None):
        p = self.policy(policy) if policy or FORCED_POLICY else None
        content, tor = content or self.content, tor or self.tor
        if self.subject == "corrent":
            s = seedlib.CorrentSeed(self.sw, tor, content, name=f"corrent-{label}", peers=peers,
                                    extra=["--encryption", p] if p else [])
        else:
            s = ml.LtPeer(self.sw, f"lt-{label}", "seed", torrent=tor, content=content, redial=peers,
                          plugins=False, settings=SUBJECT_LT[p or "prefer"])
        ml.wait_seed(s)
        return s

    def lt_seed(self, settings, name="lt-seed", content=None, tor=None):
        s = ml.LtPeer(self.sw, name, "seed", torrent=tor or self.tor, content=content or self.content,
                      plugins=False, settings=settings)
        self.sw.wait_ready([s], None, tor or self.tor)
        return s

    def lt_leech(self, settings, target, name="lt-leech", timeout=RUN_TIMEOUT_S):
        return ml.LtPeer(self.sw, name, "leech", torrent=self.tor, connect=[target], plugins=False,
                         settings=settings, timeout=timeout)

    def assert_transport(self, relay, want, content=None):
        got = transport(relay, content or self.content)
        self.assertEqual(got, want, f"transport on the wire{relay_text(relay)}\n{self.logs()}")
        return got

    def assert_stats_transport(self, st, relay, wire):
        """corrent's --stats says the transport the wire showed (peers behind this relay)."""
        if self.subject != "corrent":
            return
        got = stats_transports(st, relay.host)
        self.assertEqual(got, [WIRE_TO_STATS[wire]], f"--stats transport vs the wire ({wire}): "
                                                     f"{json.dumps((st or {}).get('peers'))[:1500]}")

    def seed_stats(self, seed):
        """Stop a seed (SIGTERM) and return its --stats (written at exit); {} for ltpeer."""
        if self.subject != "corrent":
            return {}
        rc = seed.stop()
        self.assertEqual(rc, 1, f"{seed!r}: exit code after SIGTERM (1: interrupted)\n{self.logs()}")
        return seed.stats()

    def assert_leech_done(self, leecher, ok, content=None, what=""):
        content = content or self.content
        d = f"\n{self.logs()}"
        self.assertTrue(ok, f"{what}: {leecher!r} did not finish{d}")
        err = self.sw.verify(content, leecher.out_dir)
        self.assertIsNone(err, f"{what}: {leecher!r} not byte-identical: {err}{d}")

    def no_plaintext_retry(self, run):
        if self.subject == "corrent":
            self.assertNotIn("trying plaintext", run.log_text(),
                             f"prefer fell back to plaintext against a peer that speaks MSE\n{self.logs()}")

    def stop_failed(self, run, what):
        """Stop a run that must not have got anywhere after WINDOW_S; check it did not crash
        and has nothing. Returns its --stats."""
        self.assertTrue(run.proc.alive(), f"{what}: exited on its own (rc={run.proc.rc}) instead of "
                                          f"waiting for a usable peer\n{self.logs()}")
        run.proc.stop(grace=8)
        rc = run.proc.rc
        st = run.stats()
        d = f"\n{what}: rc={rc} stats={json.dumps(st)[:1200]}\n{self.logs()}"
        self.assertIsNotNone(rc, f"{what}: did not exit within 8 s of SIGTERM{d}")
        self.assertIsNotNone(st, f"{what}: no --stats file{d}")
        self.assertFalse(st.get("complete"), f"{what}: --stats says complete{d}")
        self.assertEqual(st.get("downloaded_bytes", st.get("downloaded")), 0, f"{what}: got payload{d}")
        self.assertIsNotNone(self.sw.verify(self.content, run.out_dir), f"{what}: the file is complete{d}")
        if self.subject == "corrent":
            self.assertGreater(rc, 0, f"{what}: exit code after SIGTERM without the data{d}")
            self.assertLess(rc, 128, f"{what}: crashed{d}")
            self.assertTrue(st.get("interrupted"), f"{what}: --stats interrupted{d}")
        return st

    def assert_log(self, who, needle, what):
        if self.subject != "corrent":
            return
        text = who.log_text()
        self.assertIn(needle, text, f"{what}: no log line with {needle!r}\n--- log ---\n{text[-3000:]}")


def wait_runs(runs, timeout):
    end = time.monotonic() + timeout
    return [r.wait(max(0.5, end - time.monotonic())) for r in runs]


# ====================================================================== 01-03, 05, 07: libtorrent
class WithLibtorrent(EncBase, unittest.TestCase):
    def test_01_leech_from_lt_forcing_rc4(self):
        seed = self.lt_seed(LT_RC4)
        relays = {p: TapRelay(self.sw, seed.address, host=relay_host()) for p in ("prefer", "require")}
        runs = {p: self.download([relays[p].address], f"leech-{p}", p) for p in relays}
        rcs = dict(zip(runs, wait_runs(list(runs.values()), RUN_TIMEOUT_S)))
        out = []
        for p, run in runs.items():
            self.assert_complete(run, rcs[p], self.content, f"--encryption {p} from an RC4-only seeder",
                                 relay_text(relays[p]))
            self.assert_transport(relays[p], "mse+rc4")
            self.assert_stats_transport(run.stats(), relays[p], "mse+rc4")
            self.no_plaintext_retry(run)
            out.append(f"{p}: mse+rc4 {run.elapsed:.1f}s")
        self.outcome("; ".join(out))

    def test_02_lt_forcing_rc4_leeches_from_seed(self):
        out = []
        pairs = []
        for p in ("prefer", "require"):
            s = self.seed(f"seed-{p}", p)
            relay = TapRelay(self.sw, s.address, host=relay_host())
            pairs.append((p, s, relay, self.lt_leech(LT_RC4, relay.address, name=f"lt-leech-{p}")))
        for p, s, relay, lt in pairs:
            ok = seedlib.wait_until(lt.done, RUN_TIMEOUT_S, check=s.check_alive, what=f"lt leecher ({p})")
            self.assert_leech_done(lt, ok, what=f"RC4 leecher from a {p} seed")
            self.assertEqual(lt.proc.rc, 0, f"ltpeer exit code\n{self.logs()}")
            self.assert_transport(relay, "mse+rc4")
            self.assert_log(s, "(-LT2080-) connected", f"{p} seed")
            self.assert_stats_transport(self.seed_stats(s), relay, "mse+rc4")
            out.append(f"{p}: mse+rc4 {time.monotonic() - lt.t0:.1f}s")
        self.outcome("; ".join(out))

    def test_03_encrypted_handshake_plaintext_payload(self):
        seed = self.lt_seed(LT_FORCED_PLAIN)
        relay = TapRelay(self.sw, seed.address, host=relay_host())
        run = self.download([relay.address], "leech-prefer", "prefer")
        # require against the same seeder: its only method (plaintext) is not ours
        req = self.download([seed.address], "leech-require", "require")
        t0 = time.monotonic()
        cs = self.seed("seed-prefer", "prefer")
        srelay = TapRelay(self.sw, cs.address, host=relay_host())
        lt = self.lt_leech(LT_FORCED_BOTH, srelay.address)
        rc = run.wait(RUN_TIMEOUT_S)
        self.assert_complete(run, rc, self.content, "prefer from a forced, plaintext-payload seeder",
                             relay_text(relay))
        self.assert_transport(relay, "mse+plaintext")
        self.assert_stats_transport(run.stats(), relay, "mse+plaintext")
        self.no_plaintext_retry(run)
        ok = seedlib.wait_until(lt.done, RUN_TIMEOUT_S, check=cs.check_alive, what="lt leecher (forced, both)")
        self.assert_leech_done(lt, ok, what="forced leecher offering plaintext+rc4 from a prefer seed")
        self.assert_transport(srelay, "mse+plaintext")
        self.assert_stats_transport(self.seed_stats(cs), srelay, "mse+plaintext")
        time.sleep(max(0.0, WINDOW_S - (time.monotonic() - t0)))
        self.stop_failed(req, "require against a plaintext-payload-only seeder")
        self.assert_log(req, f"dial {seed.address} failed: encryption failed", "require")
        self.outcome(f"prefer leech: mse+plaintext {run.elapsed:.1f}s; seed picked plaintext for a peer "
                     "offering both; require: no common method, nothing downloaded")

    def test_05_plaintext_only_peer(self):
        seed = self.lt_seed(LT_PLAINTEXT)
        relay = TapRelay(self.sw, seed.address, host=relay_host())
        run = self.download([relay.address], "leech-require", "require")
        prelay = TapRelay(self.sw, seed.address, host=relay_host())
        pref = self.download([prelay.address], "leech-prefer", "prefer")
        cs = self.seed("seed-require", "require")
        lt = self.lt_leech(LT_PLAINTEXT, cs.address, timeout=WINDOW_S)
        ps = self.seed("seed-prefer", "prefer")
        plt = self.lt_leech(LT_PLAINTEXT, ps.address, name="lt-leech-prefer")
        t0 = time.monotonic()
        # control: prefer gets through to the same plaintext-only peers, both ways
        self.assert_complete(pref, pref.wait(RUN_TIMEOUT_S), self.content, "prefer from a plaintext-only seeder",
                             relay_text(prelay))
        self.assert_transport(prelay, "plaintext")
        self.assert_stats_transport(pref.stats(), prelay, "plaintext")
        self.assertTrue(any(c.dialer.not_bittorrent for c in prelay.conns),
                        f"prefer did not try MSE first{relay_text(prelay)}")
        self.assert_log(pref, f"dial {prelay.address}: encrypted handshake failed (", "prefer download")
        self.assert_log(pref, "trying plaintext", "prefer download")
        ok = seedlib.wait_until(plt.done, RUN_TIMEOUT_S, check=ps.check_alive, what="plaintext lt leecher (prefer)")
        self.assert_leech_done(plt, ok, what="plaintext leecher from a prefer seed")
        ok = seedlib.wait_until(lt.done, WINDOW_S + 10, what="plaintext lt leecher to give up")
        self.assertTrue(ok, f"ltpeer --timeout {WINDOW_S} did not exit\n{self.logs()}")
        st = lt.stats() or {}
        self.assertEqual(lt.proc.rc, 3, f"the plaintext leecher should time out (3): {st}\n{self.logs()}")
        self.assertFalse(st.get("complete"), f"plaintext leecher completed from a require seed: {st}")
        self.assertEqual(st.get("downloaded_bytes"), 0, f"plaintext leecher got payload: {st}")
        cs.check_alive()
        self.assert_log(cs, "closed: encryption failed: a plaintext handshake (--encryption require)",
                        "require seed, plaintext dialer")
        time.sleep(max(0.0, WINDOW_S - (time.monotonic() - t0)))
        st = self.stop_failed(run, "require download from a plaintext-only seeder")
        self.assert_log(run, f"dial {relay.address} failed: encryption failed: ", "require download")
        if self.subject == "corrent":
            self.assertGreaterEqual(st.get("closes", {}).get("encryption failed", 0), 1, f"--stats closes: {st}")
        t = transport(relay, self.content)
        self.assertIn(t, ("no data", "no connection", "mse, too little data to tell"),
                      f"a require download talked in plaintext{relay_text(relay)}")
        self.outcome(f"require download: dial refused, nothing downloaded, clean exit on SIGTERM; "
                     f"plaintext leecher refused by the require seed; prefer: MSE, then a plaintext retry, "
                     f"complete in {pref.elapsed:.1f}s, and serves the plaintext leecher")

    def test_07_disable_vs_forced_peer(self):
        seed = self.lt_seed(LT_RC4)
        run = self.download([seed.address], "leech-disable", "disable")
        cs = self.seed("seed-disable", "disable")
        lt = self.lt_leech(LT_RC4, cs.address, timeout=WINDOW_S)
        t0 = time.monotonic()
        ok = seedlib.wait_until(lt.done, WINDOW_S + 10, what="forced lt leecher to give up")
        self.assertTrue(ok, f"ltpeer --timeout {WINDOW_S} did not exit\n{self.logs()}")
        st = lt.stats() or {}
        self.assertEqual(lt.proc.rc, 3, f"the forced leecher should time out (3): {st}\n{self.logs()}")
        self.assertEqual(st.get("downloaded_bytes"), 0, f"forced leecher got payload from a disable seed: {st}")
        cs.check_alive()
        self.assert_log(cs, "closed: bad handshake: not a BitTorrent handshake (--encryption disable)",
                        "disable seed, MSE dialer")
        time.sleep(max(0.0, WINDOW_S - (time.monotonic() - t0)))
        self.stop_failed(run, "disable download from a forced-encryption seeder")
        self.assert_log(run, f"dial {seed.address} failed: ", "disable download")
        self.outcome("disable download: the forced seeder hangs up, nothing downloaded, clean exit; "
                     "forced leecher refused by the disable seed")


# ====================================================================== 04: transmission
class WithTransmission(EncBase, unittest.TestCase):
    def transmission(self, name, content=None):
        tr = ml.Transmission(self.sw, name, content=content)
        tr._rpc("session-set", {"encryption": "required"})
        got = (tr._rpc("session-get", {"fields": ["encryption"]}) or {}).get("encryption")
        if got != "required":
            raise sl.HarnessError(f"transmission encryption is {got!r} after session-set")
        return tr

    def test_04_transmission_requires_encryption(self):
        content = self.single(2 * ml.MiB + 5000, name="tr.bin", seed=92)
        tor = self.torrent(content, 128 * ml.KiB)
        tr_seed = self.transmission("tr-seed", content)
        tr_seed.add_torrent(tor)
        self.sw.wait_ready([tr_seed], None, tor)
        # transmission takes one connection per IP: every run gets its own relay address
        relays = {p: TapRelay(self.sw, tr_seed.address, host=relay_host()) for p in ("require", "prefer", "disable")}
        runs = {p: self.download([relays[p].address], f"leech-{p}", p, tor=tor) for p in relays}
        tr_leech = self.transmission("tr-leech")
        tr_leech.add_torrent(tor)
        ml.wait_listening(tr_leech)
        lrelay = TapRelay(self.sw, tr_leech.address, host=relay_host())
        cs = self.seed("seed-default", None, peers=[lrelay.address], content=content, tor=tor)
        rcs = dict(zip(("require", "prefer"), wait_runs([runs["require"], runs["prefer"]], TR_TIMEOUT_S)))
        out = []
        for p in ("require", "prefer"):
            self.assert_complete(runs[p], rcs[p], content, f"--encryption {p} from transmission (required)",
                                 relay_text(relays[p]))
            self.assert_transport(relays[p], "mse+rc4", content)
            self.assert_stats_transport(runs[p].stats(), relays[p], "mse+rc4")
            out.append(f"{p}: mse+rc4 {runs[p].elapsed:.1f}s")
        self.content = content  # stop_failed() checks this one
        self.stop_failed(runs["disable"], "disable against transmission (required)")
        self.assertIn(transport(relays["disable"], content), ("plaintext", "no data", "no connection"),
                      relay_text(relays["disable"]))
        ok = seedlib.wait_until(tr_leech.done, TR_TIMEOUT_S, check=cs.check_alive, what="transmission leecher")
        self.assert_leech_done(tr_leech, ok, content, "transmission (required) from a default corrent seed")
        self.assert_transport(lrelay, "mse+rc4", content)
        self.assert_stats_transport(self.seed_stats(cs), lrelay, "mse+rc4")
        out.append("disable: nothing; transmission leecher from the default seed: mse+rc4")
        self.outcome("; ".join(out))


# ====================================================================== 06: aria2
class WithAria2(EncBase, unittest.TestCase):
    def test_06_aria2_defaults(self):
        a_seed = ml.Aria2(self.sw, "aria2-seed", "seed", torrent=self.tor, content=self.content)
        self.sw.wait_ready([a_seed], None, self.tor)
        relay = TapRelay(self.sw, a_seed.address, host=relay_host())
        run = self.download([relay.address], "leech-default", None)
        a_leech = ml.Aria2(self.sw, "aria2-leech", "leech", torrent=self.tor, host=relay_host())
        ml.wait_listening(a_leech)
        lrelay = TapRelay(self.sw, a_leech.address, host=relay_host())
        cs = self.seed("seed-default", None, peers=[lrelay.address])
        rc = run.wait(RUN_TIMEOUT_S)
        self.assert_complete(run, rc, self.content, "default policy from aria2", relay_text(relay))
        t1 = transport(relay, self.content)
        self.assertIn(t1, ("mse+plaintext", "mse+rc4", "plaintext"), relay_text(relay))
        self.assert_stats_transport(run.stats(), relay, t1)
        retried = self.subject == "corrent" and "trying plaintext" in run.log_text()
        ok = seedlib.wait_until(a_leech.done, RUN_TIMEOUT_S, check=cs.check_alive, what="aria2 leecher")
        self.assert_leech_done(a_leech, ok, what="aria2 from a default corrent seed")
        self.assertEqual(a_leech.proc.rc, 0, f"aria2c exit code\n{self.logs()}")
        t2 = transport(lrelay, self.content)
        self.assertIn(t2, ("mse+plaintext", "mse+rc4", "plaintext"), relay_text(lrelay))
        self.assert_stats_transport(self.seed_stats(cs), lrelay, t2)
        self.outcome(f"leech: {t1}{' after a plaintext retry' if retried else ''} {run.elapsed:.1f}s; "
                     f"seed: {t2}")


if __name__ == "__main__":
    ml.main("protocol encryption", budget_s=300)
