#!/usr/bin/python3
"""BEP 6 fast extension: what corrent says on the wire, against scripted peers and real
clients (one ctest test).

One 4 MiB + 5000 B file in 128 KiB pieces (33 pieces, 8 blocks each) unless said.

  Seeding (a pure-Python peer dials `corrent seed`, seedlib.WireClient):
    01 the peer sets the fast bit: corrent's handshake sets it too, its first piece-set
       message is have_all (14), never a bitfield; a request while corrent chokes the peer
       (it never said interested) is answered by reject (16) with the same index, begin,
       length and no block; a request for a piece corrent listed in allowed_fast (17), if
       it sent any, is answered with the block while choked;
    02 the peer does not set the fast bit: a bitfield, and nothing with id 13-17 (not even
       after a request while choked) and no extended message (20) unless the peer set the
       BEP 10 bit (it does not here).
  Downloading (`corrent download T --peer SCRIPTED`, hostilelib scripted seeders):
    10 the seeder sets the fast bit: corrent (which has nothing) opens with have_none (15);
    11 the seeder sets neither bit: nothing with id 13-17 and no 20 from corrent, the
       download completes;
    12 allowed_fast: the seeder sends have_all and allowed_fast for pieces {3, 8, 13} and
       keeps corrent choked until those are served (at most 10 s): corrent requests exactly
       those pieces, all their blocks, while choked; then it unchokes and the rest follows;
    13 choke with requests outstanding, fast negotiated: after 8 blocks the seeder holds
       4 requests, chokes, rejects each, waits 2 s and unchokes: corrent asks for them
       again and completes (no stall);
    14 the same without the fast extension (a choke drops every request silently):
       corrent asks again after the unchoke and completes.
  Real clients, through a recording relay (magnetlib.WireRelay) between corrent and them:
    20 libtorrent, 21 aria2, 22 transmission-daemon: corrent downloads from the client as
       a seeder, then seeds to the client as a leecher. Both ends set the fast bit;
       corrent's first piece-set message is have_none as a leecher and have_all as a
       seed, it sends no bitfield, and the transfer completes byte-identical.

Harness proof: LEECHER=lt puts python3-libtorrent in corrent's place (ltpeer.py: as the
seed, ltpeer --plugins; as the leecher, ltpeer), except in 01/02 where aria2 seeds (see
FastSeed.seed: libtorrent unchokes any loopback peer that asks, so its reject can not
be seen). On 2026-12-06 all pass that way: aria2 answers have_all + 10 allowed_fast,
rejects the request while choking, serves an allowed-fast block; libtorrent opens with
have_none, requests exactly the allowed-fast pieces while choked (12) and asks again
for the rejected / dropped requests after the unchoke (13, 14); the relays see
libtorrent, aria2 and transmission set the fast bit, send have_all as seeds and
have_none as leechers (64 s). The corrent of that day passes all ten (58 s); one
without BEP 6 fails 01, 10, 12, 13 and 20-22, while 02, 11 and 14 (what a peer
without the fast bit must see, and a plain choke) pass with it too: regression guards.

Run: CORRENT=build/release/src/cli/corrent CORRENT_SHARED=../shared \\
       /usr/bin/python3 tests/interop/test_fast_extension.py [Class.test_name ...]
"""
import json
import os
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostilelib as hl  # noqa: E402
import magnetlib as ml  # noqa: E402
import seedlib  # noqa: E402

RUN_TIMEOUT_S = 45
STALL_LIMIT_S = 30
ALLOWED = (3, 8, 13)
PIECE_SET = (hl.BITFIELD, hl.HAVE_ALL, hl.HAVE_NONE)
NAMES = ml.MSG_NAMES


def names(ids):
    return [NAMES.get(i, i) for i in ids]


class FastBase(ml.MagnetTestBase):
    def setUp(self):
        super().setUp()
        self.content = self.single(4 * ml.MiB + 5000, seed=70)
        self.tor = self.torrent(self.content, 128 * ml.KiB)
        self.blocks_per_piece = self.tor.piece_length // hl.BLOCK


# ====================================================================== corrent seeds
class FastSeed(FastBase, unittest.TestCase):
    def seed(self):
        if self.subject == "corrent":
            s = ml.start_seed(self.sw, self.tor, self.content, "seed")
            ml.wait_seed(s)
            return s
        # The harness proof uses aria2 here: libtorrent unchokes every loopback peer at
        # once (its local peer class ignores the unchoke slots), and with them enforced
        # it takes a request as a sign of interest and unchokes then, so its reject can
        # not be seen. aria2 waits for 'interested', sends allowed_fast, rejects.
        s = ml.Aria2(self.sw, "aria2-seed", "seed", torrent=self.tor, content=self.content, host="127.0.0.5")
        self.sw.wait_ready([s], None, self.tor)
        return s

    def test_01_fast_peer_gets_have_all_and_reject(self):
        seed = self.seed()
        w = seedlib.WireClient(seed.address, self.tor.info_hash, source="127.0.0.8",
                               reserved=hl.reserved_bits(ext=True, fast=True))
        try:
            fast = bool(w.remote_reserved[7] & 0x04)
            w.send(hl.HAVE_NONE)
            w.pump(2.0)
            ids = [m[0] for m in w.received]
            d = f"\nreceived: {names(ids)[:40]}\n{self.logs()}"
            self.assertTrue(fast, f"the seed's handshake does not set the fast bit "
                                  f"(reserved {w.remote_reserved.hex()}){d}")
            first = next((i for i in ids if i in PIECE_SET), None)
            self.assertEqual(first, hl.HAVE_ALL, f"first piece-set message {NAMES.get(first, first)}, want have_all{d}")
            self.assertNotIn(hl.BITFIELD, ids, f"a bitfield to a fast peer{d}")
            self.assertFalse(w.peer_choking is False, f"the seed unchoked a peer that never said interested: "
                                                      f"a request would not test reject{d}")
            allowed = [struct.unpack(">I", pl)[0] for mid, pl in w.received if mid == hl.ALLOWED_FAST and len(pl) == 4]
            target = next(i for i in range(self.tor.num_pieces) if i not in allowed)
            req = (target, hl.BLOCK, hl.BLOCK)
            w.request(*req)
            n0 = len(w.received)
            got = w.wait_for(hl.REJECT, 5.0)
            after = w.received[n0:]
            d = f"\nafter the request: {names(m[0] for m in after)}\n{self.logs()}"
            self.assertIsNotNone(got, f"no reject for a request while choked{d}")
            self.assertEqual(struct.unpack(">III", got[-1][1]), req, f"reject for another request{d}")
            self.assertFalse(any(m[0] == hl.PIECE and struct.unpack(">II", m[1][:8]) == req[:2] for m in after),
                             f"the block was sent although the peer is choked{d}")
            how = f"have_all first, reject {req} while choked"
            if allowed:
                a = (allowed[0], 0, hl.BLOCK)
                w.request(*a)
                got = w.wait_for(hl.PIECE, 5.0)
                d = f"\nallowed_fast {allowed}; after requesting {a}: {names(m[0] for m in w.received[n0:])}"
                self.assertIsNotNone(got, f"an allowed_fast piece was not served while choked{d}")
                self.assertEqual(struct.unpack(">II", got[-1][1][:8]), a[:2], f"wrong block{d}")
                self.assertEqual(len(got[-1][1]) - 8, hl.BLOCK)
                how += f"; allowed_fast {sorted(allowed)}: a block of {a[0]} served while choked"
            else:
                how += "; no allowed_fast sent"
        finally:
            w.close()
        self.outcome(how)

    def test_02_plain_peer_gets_no_fast_messages(self):
        seed = self.seed()
        w = seedlib.WireClient(seed.address, self.tor.info_hash, source="127.0.0.9")
        try:
            w.pump(1.5)
            w.request(5, 0, hl.BLOCK)  # while choked: BEP 3 says nothing; no reject allowed
            _, closed = w.pump(3.0)
            ids = [m[0] for m in w.received]
        finally:
            w.close()
        d = f"\nreceived: {names(ids)[:40]} (closed: {closed})\n{self.logs()}"
        first = next((i for i in ids if i in PIECE_SET), None)
        self.assertEqual(first, hl.BITFIELD, f"first piece-set message {NAMES.get(first, first)}, want bitfield{d}")
        bad = sorted({i for i in ids if i in hl.FAST_IDS})
        self.assertEqual(bad, [], f"fast-extension messages {names(bad)} to a peer without the fast bit{d}")
        self.assertNotIn(hl.EXTENDED, ids, f"an extended message to a peer without the BEP 10 bit{d}")
        self.outcome(f"bitfield, then {len(ids)} messages, none of 13-17 or 20; request while choked ignored "
                     f"(connection {'closed' if closed else 'kept'})")


# ====================================================================== corrent downloads
class FastLeech(FastBase, unittest.TestCase):
    def run_scripted(self, script, label, timeout=RUN_TIMEOUT_S, need_fast=False):
        peer = hl.HostilePeer(self.tor, self.content, script, host="127.0.0.2")
        self.sw.on_close(peer.stop)
        run = ml.start_download(self.sw, self.tor, label, peers=[peer.address])
        rc = run.wait(timeout)
        time.sleep(0.3)
        peer.stop()
        c = peer.first()
        d = (f"\npeer: {peer.summary()}\nevents: {c.events[:20] if c else None}\n"
             f"order: {names(m for _, m in (c.order if c else []))[:40]}")
        self.assertEqual(peer.errors, [], f"scripted peer failed (harness){d}")
        self.assertIsNotNone(c, f"never connected to the scripted peer{d}")
        if need_fast:
            self.assertTrue(c.fast_negotiated(), f"corrent's handshake lacks the fast bit "
                                                 f"({c.handshake['reserved'].hex() if c.handshake else None}){d}")
        self.assert_complete(run, rc, self.content, extra=d)
        return run, c, d

    def test_10_leecher_opens_with_have_none(self):
        def script(c):
            c.handshake_ok(reserved=hl.reserved_bits(ext=True, fast=True))
            c.send_msg(hl.HAVE_ALL)
            c.serve(RUN_TIMEOUT_S)
        run, c, d = self.run_scripted(script, "have-none", need_fast=True)
        self.assertTrue(c.they_set("fast"), f"corrent's handshake lacks the fast bit{d}")
        first = c.first_of(PIECE_SET)
        self.assertEqual(first, hl.HAVE_NONE, f"first piece-set message {NAMES.get(first, first)}, want have_none{d}")
        self.assertEqual(c.received.get(hl.BITFIELD, 0), 0, f"a bitfield although fast was negotiated{d}")
        self.outcome(f"have_none first; {c.blocks_sent} blocks in {run.elapsed:.1f}s")

    def test_11_plain_seeder_gets_no_fast_or_extended_messages(self):
        def script(c):
            c.handshake_ok()
            c.send_bitfield()
            c.serve(RUN_TIMEOUT_S)
        run, c, d = self.run_scripted(script, "plain")
        bad = sorted(k for k in c.received if k in hl.FAST_IDS)
        self.assertEqual(bad, [], f"fast-extension messages {names(bad)} to a peer without the fast bit{d}")
        self.assertEqual(c.received.get(hl.EXTENDED, 0), 0, f"extended messages to a peer without the BEP 10 bit{d}")
        self.outcome(f"{sum(v for k, v in c.received.items() if k >= 0)} messages, none of 13-17 or 20; "
                     f"complete in {run.elapsed:.1f}s")

    def test_12_allowed_fast_while_choked(self):
        state = {"violations": [], "choked_served": 0}

        def script(c):
            c.handshake_ok(reserved=hl.reserved_bits(ext=True, fast=True))
            c.send_msg(hl.HAVE_ALL)
            for p in ALLOWED:
                c.send_msg(hl.ALLOWED_FAST, struct.pack(">I", p))
            c.offence(f"allowed_fast {ALLOWED}, choked")
            need = {(p, b * hl.BLOCK) for p in ALLOWED for b in range(self.blocks_per_piece)}
            end = time.monotonic() + 10
            while need and time.monotonic() < end:
                try:
                    mid, pl = c.recv_msg(0.5)
                except hl.Deadline:
                    continue
                if mid == hl.REQUEST and len(pl) == 12:
                    i, b, n = struct.unpack(">III", pl)
                    if i in ALLOWED:
                        c.send_good_block(i, b, n)
                        state["choked_served"] += 1
                        need.discard((i, b))
                    else:
                        state["violations"].append((i, b, n))
                        c.send_msg(hl.REJECT, pl)
            state["left"] = sorted(need)
            c.note("unchoke")
            c.unchoke()
            serve_unchoked(c, RUN_TIMEOUT_S)
        run, c, d = self.run_scripted(script, "allowed-fast", need_fast=True)
        choked = [(i, b) for _, i, b, _, ch in c.requests_log if ch]
        pieces = sorted({i for i, _ in choked})
        d += f"\nrequests while choked: {choked[:40]}\nstate: {state}"
        self.assertEqual(state["violations"], [], f"requests outside allowed_fast while choked{d}")
        self.assertEqual(pieces, sorted(ALLOWED), f"pieces requested while choked{d}")
        self.assertEqual(state["left"], [], f"blocks of allowed pieces not requested in the 10 s choked{d}")
        self.outcome(f"while choked: exactly pieces {pieces}, {len(choked)} requests, all served; then complete "
                     f"in {run.elapsed:.1f}s")

    def choke_midway(self, fast):
        state = {"held": [], "after": []}

        def script(c):
            c.handshake_ok(reserved=hl.reserved_bits(ext=True, fast=True) if fast else bytes(8))
            if fast:
                c.send_msg(hl.HAVE_ALL)
            else:
                c.send_bitfield()
            end = time.monotonic() + RUN_TIMEOUT_S
            phase = "serve"
            t_first_held = None
            while time.monotonic() < end:
                try:
                    mid, pl = c.recv_msg(0.2)
                except hl.Deadline:
                    mid, pl = None, b""
                if mid == hl.INTERESTED and c.choking and phase == "serve":
                    c.unchoke()
                elif mid == hl.REQUEST and len(pl) == 12:
                    req = struct.unpack(">III", pl)
                    if phase == "serve" and c.blocks_sent >= 8:
                        phase = "hold"
                    if phase == "serve":
                        c.send_good_block(*req)
                    elif phase == "hold":
                        state["held"].append(req)
                        t_first_held = t_first_held or time.monotonic()
                    elif phase == "choked" and fast:
                        c.send_msg(hl.REJECT, pl)
                    elif phase == "after":
                        state["after"].append(req)
                        c.send_good_block(*req)
                if phase == "hold" and (len(state["held"]) >= 4 or
                                        (t_first_held and time.monotonic() - t_first_held > 1.0)):
                    c.offence(f"choke with {len(state['held'])} requests outstanding")
                    c.choke()
                    if fast:
                        for req in state["held"]:
                            c.send_msg(hl.REJECT, struct.pack(">III", *req))
                    phase = "choked"
                    t_unchoke = time.monotonic() + 2.0
                if phase == "choked" and time.monotonic() >= t_unchoke:
                    c.unchoke()
                    c.note("unchoked")
                    phase = "after"
            c.note(f"script ended in phase {phase}")
        run, c, d = self.run_scripted(script, "choke-fast" if fast else "choke-plain", timeout=STALL_LIMIT_S + 15,
                                      need_fast=fast)
        d += f"\nheld: {state['held']}\nafter unchoke: {state['after'][:20]}"
        self.assertTrue(state["held"], f"harness: no request was held{d}")
        self.assertLessEqual(run.elapsed, STALL_LIMIT_S, f"took {run.elapsed:.1f}s: stalled after the choke{d}")
        again = [r for r in state["held"] if r in state["after"]]
        self.assertEqual(sorted(again), sorted(state["held"]),
                         f"not every dropped request was asked for again after the unchoke{d}")
        return run, c, state

    def test_13_choke_with_requests_outstanding_fast(self):
        run, c, state = self.choke_midway(fast=True)
        self.outcome(f"{len(state['held'])} requests rejected at the choke, all asked again after the unchoke; "
                     f"complete in {run.elapsed:.1f}s")

    def test_14_choke_with_requests_outstanding_plain(self):
        run, c, state = self.choke_midway(fast=False)
        self.outcome(f"{len(state['held'])} requests dropped by the choke, all asked again after the unchoke; "
                     f"complete in {run.elapsed:.1f}s")


def serve_unchoked(c, timeout):
    """Answer every valid request (the script already unchoked corrent) until it hangs up."""
    end = time.monotonic() + timeout
    try:
        while time.monotonic() < end:
            try:
                mid, pl = c.recv_msg(0.5)
            except hl.Deadline:
                continue
            if mid == hl.REQUEST and len(pl) == 12:
                i, b, n = struct.unpack(">III", pl)
                if i < c.peer.num_pieces and 0 < n <= 128 * 1024 and b + n <= c.peer.piece_size(i):
                    c.send_good_block(i, b, n)
    except hl.RemoteClosed:
        pass


# ====================================================================== real clients, relayed
class FastWithClients(FastBase, unittest.TestCase):
    def check_relay(self, relay, subject_side, role, d):
        """subject_side: 'dialer' or 'target' (which end of the relay is corrent)."""
        conns = [c for c in relay.conns if getattr(c, subject_side).handshake and
                 getattr(c, "target" if subject_side == "dialer" else "dialer").handshake]
        d += f"\nrelay: {json.dumps(relay.summary(), default=str)[:3000]}"
        self.assertTrue(conns, f"no complete handshake through the relay{d}")
        c = conns[0]
        me = getattr(c, subject_side)
        other = getattr(c, "target" if subject_side == "dialer" else "dialer")
        self.assertTrue(other.sets("fast"), f"harness: the other client did not set the fast bit{d}")
        self.assertTrue(me.sets("fast"), f"corrent did not set the fast bit{d}")
        want = hl.HAVE_NONE if role == "leech" else hl.HAVE_ALL
        first = me.first_of(PIECE_SET)
        self.assertEqual(first, want, f"corrent's first piece-set message {NAMES.get(first, first)}, "
                                      f"want {NAMES[want]}{d}")
        self.assertEqual(sum(x.count(hl.BITFIELD) for x in (getattr(k, subject_side) for k in relay.conns)), 0,
                         f"corrent sent a bitfield although fast was negotiated{d}")
        return (f"{NAMES[want]} from {self.subject}, "
                f"{NAMES.get(other.first_of(PIECE_SET), other.first_of(PIECE_SET))} from the client")

    @staticmethod
    def plain_wire():
        """corrent in plaintext: the relay reads the messages (encryption is test_encryption's)."""
        return ["--encryption", "disable"] if ml.subject_kind() == "corrent" else []

    def leech_from(self, seeder, label, timeout=RUN_TIMEOUT_S):
        relay = ml.WireRelay(self.sw, seeder.address, host="127.0.0.20")
        run = ml.start_download(self.sw, self.tor, label, peers=[relay.address], extra=self.plain_wire())
        rc = run.wait(timeout)
        self.assert_complete(run, rc, self.content)
        return self.check_relay(relay, "dialer", "leech", f"\n{self.logs()}") + f"; {run.elapsed:.1f}s"

    def seed_to(self, leecher, label, timeout=RUN_TIMEOUT_S, verify=None):
        """leecher: an object with .address, .done(), .out_dir (already started)."""
        ml.wait_listening(leecher)
        relay = ml.WireRelay(self.sw, leecher.address, host="127.0.0.21")
        seed = ml.start_seed(self.sw, self.tor, self.content, label, peers=[relay.address],
                             extra=self.plain_wire())
        ml.wait_seed(seed)
        t0 = time.monotonic()
        ok = seedlib.wait_until(leecher.done, timeout, check=seed.check_alive, what=f"{leecher!r}")
        d = f"\nrelay: {json.dumps(relay.summary(), default=str)[:2000]}\n{self.logs()}"
        self.assertTrue(ok, f"{leecher!r} did not finish from {seed!r}{d}")
        err = (verify or self.sw.verify)(self.content, leecher.out_dir)
        self.assertIsNone(err, f"{leecher!r}: {err}{d}")
        return self.check_relay(relay, "dialer", "seed", d) + f"; {time.monotonic() - t0:.1f}s"

    def test_20_libtorrent(self):
        lt_seed = ml.LtPeer(self.sw, "lt-seed", "seed", torrent=self.tor, content=self.content, host="127.0.0.3",
                            plugins=False)
        self.sw.wait_ready([lt_seed], None, self.tor)
        a = self.leech_from(lt_seed, "leech-lt")
        lt_leech = ml.LtPeer(self.sw, "lt-leech", "leech", torrent=self.tor, host="127.0.0.4", plugins=False)
        b = self.seed_to(lt_leech, "seed-lt")
        self.outcome(f"leech: {a} | seed: {b}")

    def test_21_aria2(self):
        aria_seed = ml.Aria2(self.sw, "aria2-seed", "seed", torrent=self.tor, content=self.content, host="127.0.0.5")
        self.sw.wait_ready([aria_seed], None, self.tor)
        a = self.leech_from(aria_seed, "leech-aria2")
        aria_leech = ml.Aria2(self.sw, "aria2-leech", "leech", torrent=self.tor, host="127.0.0.6")
        b = self.seed_to(aria_leech, "seed-aria2")
        self.outcome(f"leech: {a} | seed: {b}")

    def test_22_transmission(self):
        tr_seed = ml.Transmission(self.sw, "tr-seed", content=self.content)
        tr_seed.add_torrent(self.tor)
        self.sw.wait_ready([tr_seed], None, self.tor)
        a = self.leech_from(tr_seed, "leech-tr", timeout=90)
        tr_leech = ml.Transmission(self.sw, "tr-leech")
        tr_leech.add_torrent(self.tor)
        b = self.seed_to(tr_leech, "seed-tr", timeout=90)
        self.outcome(f"leech: {a} | seed: {b}")


if __name__ == "__main__":
    ml.main("fast extension")
