#!/usr/bin/python3
"""BEP 11 peer exchange (ut_pex) against real clients (one ctest test).

No tracker and no DHT: in each case the only way to the data is what a peer says in
its ut_pex messages. Every peer has its own 127.x address.

  01 PEX from libtorrent: ../shared/swarm/dht_swarm.py serve --nodes 0 --no-dht-announce
     --pex-seeders 2 --ip-mode subnet: a magnet whose only x.pe is a libtorrent "hub"
     that has the metadata but no data (upload_mode), and two libtorrent seeders
     (127.100.0.1, 127.101.0.1; no PEX themselves) connected to the hub only. corrent
     must take the metadata from the hub and the data from the seeders it learns of
     through the hub's ut_pex: --stats shows the hub (0 bytes: it has none) and the
     seeders (the only ones that sent data, together the whole payload).
  02 PEX from aria2: an aria2 "hub" (PEX on, the .torrent, no data) on 127.0.0.5; two
     libtorrent seeders without PEX (127.0.0.6, 127.0.0.7) dial it and feed it at
     16 KB/s each (so it stays nearly empty) until corrent reaches them, then at full
     speed. corrent gets a magnet with x.pe = aria2 only: the metadata from aria2, the
     seeders from aria2's ut_pex (aria2 leaves out peers on the recipient's own IP,
     hence one address each), data from them (the rest from aria2, which fills up fast
     once its feed is uncapped). (aria2's own download cap
     would not do: over it aria2 handles no message at all, ut_metadata included.)
  03 corrent's own PEX, taken by libtorrent: corrent seeds (capped at 150 KB/s, so no one
     finishes early); libtorrent peer S (127.0.0.6; no ut_pex: it learns nothing by PEX)
     dials corrent; then libtorrent peer L (127.0.0.7; ut_pex on) dials corrent. L has
     no other way to hear of S than corrent's ut_pex (S dialled in: corrent must give S's
     listen port from its extended handshake, not the ephemeral port). Within 75 s
     (BEP 11: at most one message a minute) L's peer list has S, with libtorrent's
     source flag "pex".

Harness proof: LEECHER=lt puts python3-libtorrent (ltpeer.py --plugins) in corrent's
place: on 2026-12-06 all three pass that way in 14 s (03: libtorrent sends its first
ut_pex right after the extended handshake, L lists S within ~2 s). The corrent of that
day passes all three (12 s); one without PEX fails all three (03 after its 75 s wait).

Run: CORRENT=build/release/src/cli/corrent CORRENT_SHARED=../shared \\
       /usr/bin/python3 tests/interop/test_pex.py [Class.test_name ...]
"""
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import magnetlib as ml  # noqa: E402
import seedlib  # noqa: E402

RUN_TIMEOUT_S = 60
PEX_WAIT_S = 75        # BEP 11: one message a minute at most, the first may wait that long
SEED_RATE = 150_000    # B/s: 03's seed, so that nobody finishes during the wait
LT_PEX = 0x4           # libtorrent peer_info source flag
ARIA2_HUB_FEED = 16 * 1024  # B/s per seeder to the aria2 hub until the client reaches them


class Pex(ml.MagnetTestBase, unittest.TestCase):
    def test_01_pex_from_libtorrent_hub(self):
        content = self.single(8 * ml.MiB + 333, seed=60)
        torrent = self.torrent(content, 256 * ml.KiB)
        ds = ml.DhtSwarm(self.sw, "--nodes", "0", "--no-dht-announce", "--pex-seeders", "2",
                         "--ip-mode", "subnet", "--torrent", torrent.path, "--content-dir", content.parent)
        info = ds.info
        hub = info["hub"]
        seeders = info["pex_seeders"]
        self.assertEqual(len(seeders), 2, f"dht_swarm: {info}")
        self.assertTrue(hub and info["magnet_hint"].endswith(f"x.pe={hub}"), f"dht_swarm: {info}")
        self.assertEqual(info["info_hash"], torrent.info_hash)
        run = ml.start_download(self.sw, info["magnet_hint"], "pex-lt")
        rc = run.wait(RUN_TIMEOUT_S)
        st = self.assert_complete(run, rc, content)
        hub_host = hub.rsplit(":", 1)[0]
        from_hub, _, hub_entries = ml.stats_by_host(st, hub_host)
        got = {s: ml.stats_by_host(st, s.rsplit(":", 1)[0])[0] for s in seeders}
        d = f"\nper seeder: {got}; hub {hub}: {from_hub} ({hub_entries})\nstats: {json.dumps(st)[:2000]}\n{self.logs()}"
        self.assertTrue(hub_entries, f"no --stats entry for the hub (its x.pe){d}")
        self.assertEqual(from_hub, 0, f"data from the hub, which has none{d}")
        # Both are usually used, but a fast client may finish from the first it dialled.
        self.assertTrue(any(n > 0 for n in got.values()), f"nothing from the PEX seeders{d}")
        self.assertGreaterEqual(sum(got.values()), content.total_size, f"the PEX seeders did not send it all{d}")
        self.outcome(f"metadata from the hub, data only from its PEX seeders: {got} in {run.elapsed:.1f}s")

    def test_02_pex_from_aria2(self):
        content = self.single(6 * ml.MiB + 55, seed=61)
        torrent = self.torrent(content, 128 * ml.KiB)
        aria = ml.Aria2(self.sw, "aria2-hub", "leech", torrent=torrent, host="127.0.0.5", pex=True,
                        rpc=True, seed_time=10)
        ml.wait_listening(aria)
        hosts = ["127.0.0.6", "127.0.0.7"]
        # capped at 16 KB/s until the client under test reaches them: aria2 stays nearly empty
        seeders = [ml.LtPeer(self.sw, f"lt-seed{i}", "seed", torrent=torrent, content=content, host=h,
                             plugins=False, connect=[aria.address], upload_limit=ARIA2_HUB_FEED)
                   for i, h in enumerate(hosts)]
        self.sw.wait_ready(seeders, None, torrent)
        ok = seedlib.wait_until(lambda: {ip for ip, _ in aria.peers()} >= set(hosts), 30,
                                check=aria.check_alive, what="both seeders connected to aria2")
        self.assertTrue(ok, f"harness: the seeders did not connect to aria2: {aria.peers()}\n{self.logs()}")
        uri = ml.magnet_uri(torrent.info_hash, torrent.name, peers=[aria.address])
        run = ml.start_download(self.sw, uri, "pex-aria2")
        uncapped = set()

        def uncap():
            for sd in seeders:
                if sd not in uncapped and any(a.rsplit(":", 1)[0] not in (aria.host,) for a in sd.connected_peers()):
                    sd.set_upload_limit(0)
                    uncapped.add(sd)
        rc = ml.wait_run(run, RUN_TIMEOUT_S, during=uncap)
        st = self.assert_complete(run, rc, content)
        got = {h: ml.stats_by_host(st, h)[0] for h in hosts}
        from_aria, _, aria_entries = ml.stats_by_host(st, aria.host)
        d = f"\nper seeder: {got}; aria2: {from_aria}\nstats: {json.dumps(st)[:2000]}\n{self.logs()}"
        self.assertTrue(aria_entries, f"no --stats entry for aria2 (the x.pe){d}")
        self.assertTrue(any(n > 0 for n in got.values()), f"nothing from the seeders aria2's PEX names{d}")
        self.assertGreaterEqual(sum(got.values()) + from_aria, content.total_size, f"byte counts{d}")
        self.outcome(f"metadata from aria2; via its ut_pex {got}, from aria2 itself {from_aria} B; "
                     f"{run.elapsed:.1f}s")

    def test_03_own_pex_taken_by_libtorrent(self):
        content = self.single(16 * ml.MiB, seed=62)
        torrent = self.torrent(content, 256 * ml.KiB)
        seed = ml.start_seed(self.sw, torrent, content, "seed", upload_limit=SEED_RATE)
        ml.wait_seed(seed)
        s = ml.LtPeer(self.sw, "lt-S", "leech", torrent=torrent, host="127.0.0.6", plugins=False,
                      connect=[seed.address])

        def s_connected():
            st = s.stats() or {}
            return any(p["address"] == seed.address and p["connected"] for p in st.get("peers", []))
        ok = seedlib.wait_until(s_connected, 20, check=s.check_alive, what="S connected to the seed")
        self.assertTrue(ok, f"harness: S never connected to {seed!r}\n{self.logs()}")
        t0 = time.monotonic()
        leech = ml.LtPeer(self.sw, "lt-L", "leech", torrent=torrent, host="127.0.0.7", connect=[seed.address])

        def l_has_s():
            st = leech.stats() or {}
            return [p for p in st.get("peers", []) if p["address"].startswith("127.0.0.6:")]
        seen = seedlib.wait_until(lambda: [p for p in l_has_s() if p["source"] & LT_PEX], PEX_WAIT_S,
                                  check=leech.check_alive, what="L lists S (from PEX)")
        took = time.monotonic() - t0
        st_l, st_s = leech.stats(), s.stats()
        d = (f"\nL's peers: {json.dumps(st_l.get('peers') if st_l else None)}\n"
             f"S's peers: {json.dumps(st_s.get('peers') if st_s else None)}\n{self.logs()}")
        self.assertFalse(st_l and st_l.get("complete"), f"harness: L finished: the seed cap is too high{d}")
        self.assertTrue(any(p["address"] == seed.address for p in (st_l or {}).get("peers", [])),
                        f"harness: L never connected to the seed{d}")
        self.assertTrue(seen, f"L's peer list has no S (127.0.0.6) from PEX after {took:.0f}s: "
                              f"{l_has_s()}{d}")
        self.assertEqual(seen[0]["address"].rsplit(":", 1)[1], str(s.port),
                         f"PEX gave S's ephemeral port, not its listen port {s.port}{d}")
        self.outcome(f"libtorrent L lists S {seen[0]['address']} (source pex, from {seed!r}) "
                     f"{took:.1f}s after it connected")


if __name__ == "__main__":
    ml.main("peer exchange")
