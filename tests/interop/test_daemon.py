#!/usr/bin/python3
"""`corrent daemon` and its native HTTP API (docs/DAEMON.md), against python3-libtorrent seeders.

Every daemon runs `corrent daemon --state S --api 127.0.0.1:0 --listen 127.0.0.1:P --no-dht
--download-dir D`; the API URL is read from its stdout line `api http://HOST:PORT/`. Seeders
are ltpeer.py (no plugins) each on its own 127.0.0.x address, announcing to one in-process
MiniTracker that the torrents name, so the daemon finds them through the tracker (the API
has no peer option). HTTP (and the SSE stream) is spoken with http.client only.

1. three torrents (6 MiB in 256 KiB pieces, 5 MiB in 64 KiB pieces, a 40-file tree in
   1 MiB pieces) added as a raw application/x-bittorrent body, as {"metainfo": base64} and
   as {"path": ...}, with GET /api/v1/events open before: 201 and the right torrent
   object; an `added` event each, `completed` for each ON THE STREAM within 60 s, `state`
   events with valid from/to (one to seeding/finished each), event ids rising by one;
   files byte-identical; a reconnect with Last-Event-ID: N replays the events after N; the
   list, ?fields= and ?state=, one torrent's files/peers_list; a second add of the same
   torrent is 409 with its id; stdout URL = S/api-url.
2. pause (200, state paused, `state` event to=paused), resume (leaves paused, event from
   paused), pause again; DELETE ?delete_data=true of a finished torrent (200 {"removed"},
   data gone, `removed` event, GET 404); SIGTERM: exit 0 within 15 s, trackers told
   `stopped`, torrents.benc lists the two left; a new daemon on the same state: the same
   ids, the paused one still paused with the same `done`, the finished one seeding/finished
   with progress 1 and downloaded 0 (nothing fetched again); the paused one resumed
   completes byte-identical, downloading no more than it missed.
3. a second daemon on the same state dir exits 1 within 10 s saying "in use" (and the pid);
   the first one keeps serving.
4. bad requests: unknown id 404 (GET, pause, resume, DELETE), malformed JSON 400, garbage
   .torrent 400 (raw and base64), JSON without a source 400, unsupported content type 415,
   body over 16 MiB 413 (or the connection closed), save_path outside the download dir 400
   with nothing created, unknown path 404, wrong method 405; a valid paused add with a
   save_path inside D is 201; afterwards the list is still 200.
5. kill -9 midway through a 64 MiB torrent (seeder capped at 4 MB/s): torrents.benc still
   decodes; a new daemon re-adds it, it completes byte-identical, and the new run
   downloads (its `downloaded`, and the seeder's upload) at most what `corrent verify`
   found missing on disk after the kill plus one piece.
6. GET /metrics: 200, text/plain; version=0.0.4, every line valid Prometheus text format,
   corrent_torrents, corrent_downloaded_bytes_total, per-torrent series labelled
   info_hash="<id>" (a second torrent's name holds '"' and a non-ASCII letter, so label
   values must be escaped); GET /api/v1/stats has its fields.

A deviation that does not stop a case from going on (e.g. a refused {"path"} add: the
torrent is then added from its bytes) is recorded and the case fails at its end with all of
them, each with the exact request and reply. The harness was proven against a stand-in
daemon built on python3-libtorrent (same API), which passes every case but the paused
torrent's `done` after a restart (libtorrent does not check a paused torrent's data).

Run: CORRENT=build/release/src/cli/corrent CORRENT_SHARED=../shared \
       /usr/bin/python3 tests/interop/test_daemon.py [DaemonTest.test_01_...]
corrent only (LEECHER=aria2|lt: skipped). CORRENT_SKIP_DOWNLOAD=1: skipped.
"""
import atexit
import base64
import shutil
import json
import os
import re
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemonlib as dl  # noqa: E402
import dhtnode as dn  # noqa: E402
import magnetlib as ml  # noqa: E402
import seedlib  # noqa: E402
import swarmlib as sl  # noqa: E402

KiB, MiB = sl.KiB, sl.MiB
SLOW = dl.SLOW
RESULTS = []  # (case, verdict, text)
FINAL = ("seeding", "finished")


class DaemonTest(unittest.TestCase):
    maxDiff = 4000

    def setUp(self):
        self.sw = sl.Swarm(f"daemon-{self._testMethodName}"[:48])
        self.t0 = time.monotonic()
        self.daemons = []
        self.streams = []
        self.bad = []  # deviations found so far: the case goes on, and fails at the end if any

    def soft(self, cond, msg):
        """Record a deviation without stopping the case (self.verdict() fails on them)."""
        if not cond:
            sl.log(f"DEVIATION: {msg}")
            self.bad.append(msg)
        return cond

    def verdict(self):
        if self.bad:
            self.fail(f"{len(self.bad)} deviation(s): " + " || ".join(self.bad) + self.ctx())

    def tearDown(self):
        self.sw.close()

    # ------------------------------------------------------------ reporting
    def run(self, result=None):
        before = (len(result.failures), len(result.errors), len(result.skipped)) if result else None
        n_rows = len(RESULTS)
        out = super().run(result)
        if result is not None:
            name = self._testMethodName
            if len(result.failures) > before[0] or len(result.errors) > before[1]:
                del RESULTS[n_rows:]
            if len(result.failures) > before[0]:
                RESULTS.append((name, "FAIL", ml.first_line(result.failures[-1][1])))
            elif len(result.errors) > before[1]:
                RESULTS.append((name, "ERROR", ml.first_line(result.errors[-1][1])))
            elif len(result.skipped) > before[2]:
                RESULTS.append((name, "SKIP", result.skipped[-1][1]))
        return out

    def outcome(self, text):
        RESULTS.append((self._testMethodName, "PASS", f"{text} [{time.monotonic() - self.t0:.1f}s]"))

    def ctx(self, n=30):
        """Context for a failure message: every daemon's log tail and every stream's events."""
        out = []
        for d in self.daemons:
            out.append(f"--- {d.name} (rc={d.proc.rc}) {' '.join(d.argv)}\n{d.log_tail(n)}")
        for s in self.streams:
            out.append(f"--- {s.daemon.name} {s.describe()}")
        return "\n" + "\n".join(out)

    # ------------------------------------------------------------ building blocks
    def dirs(self, label=""):
        state = os.path.join(self.sw.tmp, f"state{label}")  # not created: the daemon makes it
        dl_dir = os.path.join(self.sw.tmp, f"downloads{label}")
        os.makedirs(dl_dir)
        return state, dl_dir

    def daemon(self, state, dl_dir, name=None, extra=()):
        d = dl.Daemon(self.sw, state, name=name or f"daemon{len(self.daemons)}", download_dir=dl_dir,
                      extra=extra)
        self.daemons.append(d)
        d.url()
        return d

    def stream(self, d):
        s = d.events()
        self.streams.append(s)
        self.assertEqual(s.status, 200, f"GET /api/v1/events: {s.status} {getattr(s, 'body', b'')[:300]!r}")
        self.assertTrue(s.ctype.startswith("text/event-stream"), f"events content-type {s.ctype!r}")
        return s

    def stream_from(self, d, last_event_id):
        s = d.events(last_event_id)
        self.streams.append(s)
        self.assertEqual(s.status, 200, f"GET /api/v1/events (Last-Event-ID: {last_event_id}): {s.status}")
        return s

    def swarm(self, specs, caps=None):
        """specs: [(content, piece_length)]. One MiniTracker; one ltpeer seeder per torrent on
        127.0.0.(2+i). Returns (tracker, torrents, seeders)."""
        bases = [self.sw.make_torrent(c, p) for c, p in specs]
        tracker = self.sw.start_mini_tracker(bases, interval=1800, min_interval=60)
        torrents = [self.sw.announce_torrent(b, tracker) for b in bases]
        seeders = []
        for i, (t, (c, _)) in enumerate(zip(torrents, specs)):
            cap = (caps or {}).get(i, 0)
            seeders.append(ml.LtPeer(self.sw, f"lt-seed{i}", "seed", torrent=t, content=c, host=f"127.0.0.{2 + i}",
                                     plugins=False, upload_limit=cap, timeout=1800))
        for s, t in zip(seeders, torrents):
            self.sw.wait_ready([s], tracker, t)
        got = {a["ip"] for a in tracker.announces()}
        want = {s.host for s in seeders}
        if not want <= got:
            raise sl.HarnessError(f"seeders announced from {got}, expected {want}")
        return tracker, torrents, seeders

    def add_raw(self, d, torrent, query=""):
        with open(torrent.path, "rb") as f:
            data = f.read()
        return d.post_raw("/api/v1/torrents" + (f"?{query}" if query else ""), data)

    def add_json(self, d, obj):
        return d.post_json("/api/v1/torrents", obj)

    def check_added(self, reply, torrent, dl_dir=None, what="add"):
        self.assertEqual(reply.status, 201, f"{what}: {reply!r}{self.ctx()}")
        self.assertTrue(reply.ctype.startswith("application/json"), f"{what}: content-type {reply!r}")
        t = reply.json
        self.assertEqual(dl.torrent_problems(t), [], f"{what}: torrent object {t}")
        self.assertEqual(t["id"], torrent.info_hash, f"{what}: {t}")
        self.assertEqual(t["name"], torrent.name, f"{what}: {t}")
        self.assertEqual(t["size"], torrent.total_size, f"{what}: {t}")
        if dl_dir:
            self.assertEqual(os.path.realpath(t["save_path"]), os.path.realpath(dl_dir), f"{what}: save_path {t}")
        return t

    def wait_torrent(self, d, tid, pred, timeout, what):
        """Poll GET /api/v1/torrents/{id} (bounded) until pred(T); the last T either way."""
        end = time.monotonic() + timeout * SLOW
        t = None
        while True:
            r = d.get(f"/api/v1/torrents/{tid}")
            t = r.json if r.status == 200 else None
            if t is not None and pred(t):
                return t, True
            if time.monotonic() > end or not d.alive():
                sl.log(f"{what}: not reached within {timeout}s: {r!r}")
                return t, False
            time.sleep(0.25)

    def verify_json(self, torrent, d):
        r = subprocess.run([sl.corrent_bin(), "verify", torrent.path, "-d", d, "--json"],
                           capture_output=True, timeout=120)
        try:
            return json.loads(r.stdout)
        except ValueError:
            raise AssertionError(f"corrent verify --json gave no JSON (rc={r.returncode}): "
                                 f"{(r.stdout + r.stderr)[:500]!r}")

    # ============================================================ 1
    def test_01_add_three_and_see_them_complete_through_events(self):
        specs = [(self.sw.make_single("alpha.bin", 6 * MiB + 4321, seed=11), 256 * KiB),
                 (self.sw.make_single("beta.bin", 5 * MiB + 77, seed=12), 64 * KiB),
                 (self.sw.make_multi("gamma", sl.multi_layout(40, seed=13, max_size=2 * MiB), seed=13), 1 * MiB)]
        tracker, torrents, seeders = self.swarm(specs)
        state, dl_dir = self.dirs()
        d = self.daemon(state, dl_dir)
        api_url = dl.read_text(os.path.join(state, "api-url"))
        self.assertEqual(api_url, d.base + "\n", f"{state}/api-url != the stdout line {d.base!r}")
        self.assertEqual(d.host, "127.0.0.1", d.base)
        self.assertEqual(d.torrents(), [], "a new daemon lists no torrent")
        ev = self.stream(d)

        ids = [t.info_hash for t in torrents]
        r0 = self.add_raw(d, torrents[0])
        self.check_added(r0, torrents[0], dl_dir, "raw application/x-bittorrent add")
        with open(torrents[1].path, "rb") as f:
            r1 = self.add_json(d, {"metainfo": base64.b64encode(f.read()).decode()})
        self.check_added(r1, torrents[1], dl_dir, '{"metainfo": base64} add')
        # {"path"}: only a file inside the download directory (the API reads nothing else
        # on the daemon's machine); the same file outside it is refused.
        outside_path = os.path.abspath(torrents[2].path)
        r_out = self.add_json(d, {"path": outside_path})
        self.assertEqual(r_out.status, 400, f'{{"path"}} outside the download directory: {r_out!r}{self.ctx()}')
        inside_path = os.path.join(dl_dir, "incoming", os.path.basename(outside_path))
        os.makedirs(os.path.dirname(inside_path), exist_ok=True)
        shutil.copyfile(outside_path, inside_path)
        r2 = self.add_json(d, {"path": inside_path})
        self.check_added(r2, torrents[2], dl_dir, '{"path": ...} add')

        done = ev.wait_all("completed", ids, 60)
        self.assertEqual(sorted(done), sorted(ids), f"`completed` events on the stream within 60 s{self.ctx()}")
        for (c, _), t in zip(specs, torrents):
            err = self.sw.verify(c, dl_dir)
            self.assertIsNone(err, f"{t.name}: not byte-identical: {err}{self.ctx()}")
        for tid, t in zip(ids, torrents):
            self.assertEqual(done[tid]["data"].get("name"), t.name, done[tid])

        added = ev.wait_all("added", ids, 5)
        self.assertEqual(sorted(added), sorted(ids), f"`added` events{self.ctx()}")
        for tid, t in zip(ids, torrents):
            self.assertEqual((added[tid]["data"].get("id"), added[tid]["data"].get("name")), (tid, t.name),
                             f"added event data {added[tid]}")
            self.assertLess(added[tid]["id"], done[tid]["id"], "added before completed")
        bad_state = []
        for e in ev.of("state"):
            x = e["data"]
            if not (isinstance(x, dict) and x.get("id") in ids and x.get("from") in dl.STATES
                    and x.get("to") in dl.STATES and x["from"] != x["to"]):
                bad_state.append(e["raw"])
        self.assertEqual(bad_state, [], "state events need id, from, to (states of the contract, from != to)")
        for tid in ids:
            tos = [e["data"]["to"] for e in ev.of("state", tid)]
            self.assertTrue(set(tos) & set(FINAL), f"{tid}: no `state` event to seeding/finished: {tos}{self.ctx()}")
        seen = ev.snapshot()
        self.assertEqual(ev.problems, [], "SSE format problems")
        nums = [e["id"] for e in seen]
        self.assertEqual(nums, list(range(nums[0], nums[0] + len(nums))), "event ids rise by one")
        self.assertTrue(all(isinstance(e["data"], dict) for e in seen))
        types = {e["type"] for e in seen}
        self.assertLessEqual(types, {"added", "state", "metadata", "completed", "error", "removed", "stats"},
                             "unknown event types")

        # a reconnect with Last-Event-ID: N gets every event after N again
        first = added[ids[0]]["id"]
        last = seen[-1]["id"]
        ev_again = self.stream_from(d, first)
        ev_again.wait_for(lambda e: e["id"] >= last, 5, f"replayed event #{last}")
        replay = [(e["id"], e["type"], e["raw"]) for e in ev_again.snapshot() if e["id"] <= last]
        orig = [(e["id"], e["type"], e["raw"]) for e in seen if first < e["id"] <= last]
        self.soft(replay == orig, f"GET /api/v1/events with Last-Event-ID: {first}: replayed {replay[:8]}, "
                                  f"expected {orig[:8]}")

        lst = d.torrents()
        self.assertEqual(sorted(t["id"] for t in lst), sorted(ids))
        for t in lst:
            self.assertEqual(dl.torrent_problems(t), [], t)
            self.assertIn(t["state"], FINAL, t)
            self.assertEqual((t["progress"], t["done"]), (1.0, t["size"]), t)
            self.assertGreaterEqual(t["downloaded"], t["size"], t)
        only = d.torrents("fields=id,name")
        self.assertEqual(sorted((t["id"], t["name"]) for t in only),
                         sorted((t.info_hash, t.name) for t in torrents), only)
        self.assertTrue(all(set(t) == {"id", "name"} for t in only), f"?fields=id,name keeps those: {only}")
        self.assertEqual(d.torrents("state=downloading"), [], "?state=downloading after completion")
        self.assertEqual(len(d.torrents("state=" + lst[0]["state"])),
                         sum(1 for t in lst if t["state"] == lst[0]["state"]))

        one = d.torrent(ids[2])
        self.assertEqual(dl.torrent_problems(one), [], one)
        self.assertIsInstance(one.get("peers_list"), list, one)
        for p in one["peers_list"]:
            self.assertLessEqual({"address", "client", "transport", "downloaded", "uploaded"}, set(p), p)
        files = one.get("files")
        self.assertIsInstance(files, list, one)
        want_full = sorted((p, s) for p, s, _ in torrents[2].files)
        got = sorted((f.get("path"), f.get("size")) for f in files)
        want_rel = sorted((p.split("/", 1)[1], s) for p, s in want_full)
        self.assertIn(got, (want_full, want_rel), "files of the tree (path, size)")
        # the piece map (BEP 3 bitfield bytes in hex: all set, spare bits clear) and the trackers
        n = torrents[2].num_pieces
        self.assertEqual((one.get("pieces_total"), one.get("pieces_done")), (n, n), one)
        want_bits = "1" * n + "0" * (-n % 8)
        got_bits = "".join(f"{b:08b}" for b in bytes.fromhex(one.get("pieces", "")))
        self.assertEqual(got_bits, want_bits, f"pieces of a complete torrent: {one.get('pieces')}")
        trackers = one.get("trackers")
        self.assertIsInstance(trackers, list, one)
        self.assertEqual(len(trackers), 1, trackers)
        self.assertEqual(trackers[0]["status"], "working", trackers)
        self.assertTrue(trackers[0]["urls"][0].startswith("http://127.0.0.1:"), trackers)
        self.assertGreater(trackers[0]["next_announce_in"], 60, trackers)

        again = self.add_raw(d, torrents[0])
        self.assertEqual(again.status, 409, f"second add of the same torrent: {again!r}")
        self.assertEqual((again.json or {}).get("id"), ids[0], again)
        self.assertIsInstance((again.json or {}).get("error"), str, again)
        nstate = len(ev.of("state"))
        self.verdict()
        self.outcome(f"3 adds (raw/base64/path) -> 201; completed on the stream in "
                     f"{max(e['t'] for e in done.values()) - self.t0:.1f}s; {len(seen)} events "
                     f"({nstate} state); byte-identical; 409 on re-add")

    # ============================================================ 2
    def test_02_pause_resume_remove_and_restart(self):
        specs = [(self.sw.make_single("keep.bin", 4 * MiB + 99, seed=21), 256 * KiB),
                 (self.sw.make_single("slow.bin", 16 * MiB + 5, seed=22), 256 * KiB),
                 (self.sw.make_single("drop.bin", 3 * MiB + 1, seed=23), 128 * KiB)]
        tracker, torrents, seeders = self.swarm(specs, caps={1: 1_000_000})
        id1, id2, id3 = (t.info_hash for t in torrents)
        state, dl_dir = self.dirs()
        d = self.daemon(state, dl_dir)
        ev = self.stream(d)
        for t in torrents:
            self.check_added(self.add_raw(d, t), t, dl_dir)
        done = ev.wait_all("completed", [id1, id3], 60)
        self.assertEqual(sorted(done), sorted([id1, id3]), f"keep.bin and drop.bin complete{self.ctx()}")
        t2, ok = self.wait_torrent(d, id2, lambda t: t["done"] >= 1 * MiB, 20, "slow.bin 1 MiB done")
        self.assertTrue(ok, f"slow.bin made no progress: {t2}{self.ctx()}")
        self.assertNotIn(t2["state"], FINAL + ("paused",), f"slow.bin should still be running: {t2}")

        # pause
        r = d.post(f"/api/v1/torrents/{id2}/pause")
        self.assertEqual(r.status, 200, f"{r!r}{self.ctx()}")
        self.assertEqual(dl.torrent_problems(r.json), [], r)
        self.assertEqual((r.json["id"], r.json["state"]), (id2, "paused"), f"pause reply {r!r}")
        self.assertEqual(d.torrent(id2)["state"], "paused")
        e = ev.wait_for(lambda e: e["type"] == "state" and e["data"].get("id") == id2
                        and e["data"].get("to") == "paused", 5, "state to=paused")
        self.assertIsNotNone(e, f"no `state` event to=paused{self.ctx()}")
        self.assertNotEqual(e["data"]["from"], "paused", e)
        mark = ev.snapshot()[-1]["id"]
        done_paused = d.torrent(id2)["done"]
        time.sleep(1.5)
        self.assertEqual(d.torrent(id2)["done"], done_paused, "done moved while paused")
        # resume
        r = d.post(f"/api/v1/torrents/{id2}/resume")
        self.assertEqual(r.status, 200, f"{r!r}{self.ctx()}")
        self.assertEqual(r.json["id"], id2, r)
        self.assertNotEqual(r.json["state"], "paused", f"resume reply {r!r}")
        self.assertNotEqual(d.torrent(id2)["state"], "paused")
        e = ev.wait_for(lambda e: e["type"] == "state" and e["id"] > mark and e["data"].get("id") == id2
                        and e["data"].get("from") == "paused", 5, "state from=paused")
        self.assertIsNotNone(e, f"no `state` event from=paused after resume{self.ctx()}")
        self.assertIn(e["data"]["to"], ("checking", "downloading"), e)
        # pause again: it stays paused across the restart
        time.sleep(1.0)
        r = d.post(f"/api/v1/torrents/{id2}/pause")
        self.assertEqual((r.status, (r.json or {}).get("state")), (200, "paused"), r)
        t2 = d.torrent(id2)
        self.assertLess(t2["done"], t2["size"], "slow.bin must not be finished yet (raise its size)")
        self.assertGreater(t2["done"], 0, f"slow.bin lost its verified pieces: {t2}{self.ctx()}")
        # pause + resume a finished torrent: back to seeding/finished
        r = d.post(f"/api/v1/torrents/{id1}/pause")
        self.assertEqual((r.status, (r.json or {}).get("state")), (200, "paused"), r)
        r = d.post(f"/api/v1/torrents/{id1}/resume")
        self.assertEqual(r.status, 200, r)
        t1, ok = self.wait_torrent(d, id1, lambda t: t["state"] in FINAL, 15, "keep.bin back to seeding")
        self.assertTrue(ok, f"finished torrent after pause+resume: {t1}{self.ctx()}")
        self.assertEqual(t1["progress"], 1.0, t1)

        # remove with its data
        drop_file = os.path.join(dl_dir, torrents[2].name)
        self.assertTrue(os.path.exists(drop_file))
        r = d.delete(f"/api/v1/torrents/{id3}?delete_data=true")
        self.assertEqual(r.status, 200, f"{r!r}{self.ctx()}")
        self.assertEqual(r.json, {"removed": id3}, r)
        e = ev.wait_for(lambda e: e["type"] == "removed" and e["data"].get("id") == id3, 5, "removed")
        self.assertIsNotNone(e, f"no `removed` event{self.ctx()}")
        end = time.monotonic() + 5
        while os.path.lexists(drop_file) and time.monotonic() < end:
            time.sleep(0.1)
        self.soft(not os.path.lexists(drop_file), f"{r!r}, "
                                                  f"but its file {drop_file} is still there 5 s later")
        parts = os.path.join(dl_dir, ".corrent-parts")
        left = [n for n in (os.listdir(parts) if os.path.isdir(parts) else []) if n.startswith(id3)]
        self.assertEqual(left, [], f"removed torrent's parts/resume files left in {parts}")
        r = d.get(f"/api/v1/torrents/{id3}")
        self.assertEqual(r.status, 404, r)
        self.assertIsInstance((r.json or {}).get("error"), str, r)
        self.assertEqual(sorted(t["id"] for t in d.torrents()), sorted([id1, id2]))
        err = self.sw.verify(specs[0][0], dl_dir)
        self.assertIsNone(err, f"keep.bin touched by removing drop.bin: {err}")

        # SIGTERM
        before = {t["id"]: t for t in d.torrents()}
        t_stop = time.monotonic()
        rc = d.term(15)
        self.assertEqual(rc, 0, f"SIGTERM exit code (None: still running after 15 s){self.ctx()}")
        stop_s = time.monotonic() - t_stop
        stopped = {a["info_hash"] for a in tracker.announces(port=d.listen_port) if a["event"] == "stopped"}
        self.assertIn(id1, stopped, f"tracker not told `stopped` at SIGTERM: {tracker.announces(port=d.listen_port)}")
        with open(os.path.join(state, "torrents.benc"), "rb") as f:
            raw = f.read()
        sl.bdecode(raw)  # must decode
        for tid in (id1, id2):
            self.assertTrue(bytes.fromhex(tid) in raw or tid.encode() in raw, f"torrents.benc lacks {tid}")
        self.assertFalse(bytes.fromhex(id3) in raw or id3.encode() in raw, "torrents.benc still lists the removed one")
        for tid in (id1, id2):
            self.assertTrue(os.path.isfile(os.path.join(state, "torrents", f"{tid}.torrent")), f"no {tid}.torrent")

        # restart on the same state
        d2 = self.daemon(state, dl_dir, name="daemon-restarted")
        ev2 = self.stream(d2)
        lst = {t["id"]: t for t in d2.torrents()}
        self.assertEqual(sorted(lst), sorted([id1, id2]), f"torrents after restart{self.ctx()}")
        self.assertEqual(lst[id2]["state"], "paused", f"paused one after restart: {lst[id2]}")
        t2b, ok = self.wait_torrent(d2, id2, lambda t: t["done"] >= before[id2]["done"], 15, "paused done restored")
        self.assertEqual(t2b["state"], "paused", t2b)
        self.soft(t2b["done"] == before[id2]["done"],
                  f"paused torrent's done was {before[id2]['done']} before the restart; after it "
                  f"GET /api/v1/torrents/{id2} -> {({k: t2b.get(k) for k in ('state', 'progress', 'done')})}")
        t1b, ok = self.wait_torrent(d2, id1, lambda t: t["state"] in FINAL and t["progress"] == 1.0, 20,
                                    "finished one back")
        self.assertTrue(ok, f"finished torrent after restart: {t1b}{self.ctx()}")
        time.sleep(2.0)
        t1b = d2.torrent(id1)
        self.assertIn(t1b["state"], FINAL, t1b)
        self.assertEqual(t1b["downloaded_session"], 0, f"finished torrent fetched data again after restart: {t1b}")
        self.assertEqual((t1b["downloaded"], t1b["uploaded"]),
                         (before[id1]["downloaded"], before[id1]["uploaded"]),
                         f"the finished torrent's totals carried over the restart: {before[id1]} -> {t1b}")
        # its files were trusted from the seed record in the state directory, not hashed again
        self.assertTrue(os.path.isfile(os.path.join(state, "resume", f"{id1}.resume")), "no seed record")
        self.assertRegex(d2.log_text(), r"found existing files: (\d+) of \1 pieces verified \(\1 from the seed "
                                        r"record, 0 hashed\)", f"keep.bin hashed again at restart{self.ctx()}")
        # the paused one resumed in the new run completes, fetching only what it missed
        seeders[1].set_upload_limit(0)
        r = d2.post(f"/api/v1/torrents/{id2}/resume")
        self.assertEqual(r.status, 200, r)
        e = ev2.wait_for(lambda e: e["type"] == "completed" and e["data"].get("id") == id2, 60, "slow.bin completed")
        self.assertIsNotNone(e, f"slow.bin did not complete after restart+resume{self.ctx()}")
        self.assertIsNone(self.sw.verify(specs[1][0], dl_dir), "slow.bin not byte-identical")
        t2c = d2.torrent(id2)
        missing = t2c["size"] - before[id2]["done"]
        self.assertLessEqual(t2c["downloaded_session"], missing + torrents[1].piece_length,
                             f"slow.bin downloaded more than it missed ({missing}): {t2c}")
        self.verdict()
        self.outcome(f"pause/resume/remove ok; SIGTERM rc 0 in {stop_s:.1f}s; restart: same ids, paused kept "
                     f"(done {t2b['done']}), finished one downloaded 0; resumed one fetched {t2c['downloaded_session']} "
                     f"of {missing} missing")

    # ============================================================ 3
    def test_03_second_daemon_on_same_state_refused(self):
        state, dl_dir = self.dirs()
        d = self.daemon(state, dl_dir)
        url_before = dl.read_text(os.path.join(state, "api-url"))
        second = dl.Daemon(self.sw, state, name="daemon-second", download_dir=dl_dir)
        rc = second.wait_exit(10 * SLOW)
        text = second.log_text()
        self.assertIsNotNone(rc, f"second daemon still running after 10 s:\n{text[-1500:]}")
        self.assertEqual(rc, 1, f"second daemon exit code:\n{text[-1500:]}")
        self.assertIn("in use", text, text[-1500:])
        self.assertIn(f"pid {d.pid}", text, f"message should name the running daemon's pid {d.pid}: {text[-800:]}")
        self.assertIsNone(dl.API_LINE.search(text), f"the refused daemon printed an API line: {text[-800:]}")
        self.assertTrue(d.alive(), "the first daemon died")
        self.assertEqual(d.get("/api/v1/torrents").status, 200)
        self.assertEqual(dl.read_text(os.path.join(state, "api-url")), url_before, "api-url overwritten")
        lock = dl.read_text(os.path.join(state, "lock")) or ""
        self.assertIn(str(d.pid), lock, "the lock file names the running daemon's pid")
        msg = [ln for ln in text.splitlines() if "in use" in ln]
        self.outcome(f"rc {rc}: {msg[0].strip()[:120] if msg else ''}")

    # ============================================================ 4
    def test_04_bad_requests(self):
        state, dl_dir = self.dirs()
        c = self.sw.make_single("valid.bin", 1 * MiB + 3, seed=41)
        base = self.sw.make_torrent(c, 64 * KiB)
        torrent = self.sw.announce_torrent(base, [f"http://127.0.0.1:{sl.free_port()}/announce"])
        with open(torrent.path, "rb") as f:
            meta = f.read()
        b64 = base64.b64encode(meta).decode()
        d = self.daemon(state, dl_dir)
        unknown = "0123456789abcdef0123456789abcdef01234567"
        bad = []  # every deviation, reported together

        def expect(reply, codes, what, json_error=True):
            codes = (codes,) if isinstance(codes, int) else codes
            if reply.status not in codes:
                bad.append(f"{what}: expected {codes}, got {reply!r}")
            elif json_error and not (reply.ctype.startswith("application/json") and isinstance(reply.json, dict)
                                     and isinstance(reply.json.get("error"), str) and reply.json["error"]):
                bad.append(f"{what}: expected a JSON {{\"error\": ...}} reply, got {reply!r}")

        expect(d.get(f"/api/v1/torrents/{unknown}"), 404, "GET unknown id")
        expect(d.post(f"/api/v1/torrents/{unknown}/pause"), 404, "pause unknown id")
        expect(d.post(f"/api/v1/torrents/{unknown}/resume"), 404, "resume unknown id")
        expect(d.delete(f"/api/v1/torrents/{unknown}"), 404, "DELETE unknown id")
        expect(d.get("/api/v1/torrents/not-an-info-hash"), (400, 404), "GET malformed id")
        expect(d.post_json("/api/v1/torrents", b'{"metainfo": '), 400, "truncated JSON body")
        expect(d.post_json("/api/v1/torrents", b"[1, 2, 3]"), 400, "JSON array body")
        expect(d.post_json("/api/v1/torrents", {}), 400, "JSON without uri/path/metainfo")
        expect(d.post_json("/api/v1/torrents", {"metainfo": "!!! not base64 !!!"}), 400, "metainfo not base64")
        expect(d.post_json("/api/v1/torrents", {"metainfo": base64.b64encode(b"d4:spam").decode()}), 400,
               "metainfo garbage bencode")
        expect(d.post_raw("/api/v1/torrents", b"this is not a torrent file at all"), 400, "garbage .torrent body")
        expect(d.post_raw("/api/v1/torrents", meta[: len(meta) // 2]), 400, "truncated .torrent body")
        expect(d.post_raw("/api/v1/torrents", b""), 400, "empty .torrent body")
        expect(d.post_json("/api/v1/torrents", {"path": os.path.join(self.sw.tmp, "nope.torrent")}), 400,
               "path outside the download directory")
        expect(d.post_json("/api/v1/torrents", {"path": os.path.join(dl_dir, "nope.torrent")}), 404,
               "path to a missing file inside the download directory")
        expect(d.post_json("/api/v1/torrents", {"path": "/etc/passwd"}), 400, "path to a system file")
        link = os.path.join(dl_dir, "link.torrent")
        os.symlink(torrent.path, link)  # a valid .torrent outside, through a link planted inside
        expect(d.post_json("/api/v1/torrents", {"path": link}), 400, "path through a symbolic link")
        expect(d.post_json("/api/v1/torrents", {"uri": "magnet:?xt=urn:btih:zz"}), 400, "malformed magnet")
        expect(d.post_raw("/api/v1/torrents", meta, ctype="text/plain"), 415, "text/plain body")

        # save_path outside the download directory: 400, nothing created, nothing added
        outside = os.path.join(self.sw.tmp, "outside")
        for sp, via in (("/tmp/../etc", "json"), ("../x", "json"), (outside, "json"),
                        (os.path.join(dl_dir, "..", "outside2"), "json"), (outside, "query")):
            if via == "json":
                r = d.post_json("/api/v1/torrents", {"metainfo": b64, "save_path": sp})
            else:
                r = self.add_raw(d, torrent, "save_path=" + dl.quote(sp))
            expect(r, 400, f"save_path {sp!r} ({via})")
        for p in (outside, os.path.join(self.sw.tmp, "outside2"), os.path.join(self.sw.tmp, "x"),
                  os.path.join(self.sw.tmp, "valid.bin"), "/etc/valid.bin", "/etc/.corrent-parts"):
            if os.path.lexists(p):
                bad.append(f"{p} created by a refused add")
        if d.torrents():
            bad.append(f"refused adds left torrents: {d.torrents()}")

        # too large a body: 413 (or the connection closed), without waiting for 17 MiB
        big = self.oversized_post(d)
        if big not in ("413", "closed", "413-after-body", "closed-after-body"):
            bad.append(f"POST of a 17 MiB body: {big}")

        # unknown paths and wrong methods
        expect(d.get("/api/v1/nope"), 404, "GET /api/v1/nope")
        expect(d.get("/nope"), 404, "GET /nope")
        expect(d.get(f"/api/v1/torrents/{unknown}/nope"), 404, "GET unknown sub-path", json_error=False)
        expect(d.request("PUT", "/api/v1/torrents", body=b"{}"), 405, "PUT /api/v1/torrents")
        expect(d.delete("/api/v1/torrents"), 405, "DELETE /api/v1/torrents")
        expect(d.post("/api/v1/stats"), 405, "POST /api/v1/stats")
        expect(d.post("/metrics"), 405, "POST /metrics", json_error=False)

        # a valid add (paused, save_path inside D) works after all that; 405 on its pause with GET
        sub = os.path.join(dl_dir, "sub")
        r = d.post_json("/api/v1/torrents", {"metainfo": b64, "save_path": sub, "paused": True})
        if r.status != 201:
            bad.append(f"valid add with save_path {sub} paused: {r!r}")
        else:
            t = r.json
            # the reply may show it checking its (absent) data first; it must then be paused
            if t.get("state") not in ("paused", "checking") \
                    or os.path.realpath(t.get("save_path", "")) != os.path.realpath(sub):
                bad.append(f"paused add with save_path: {t}")
            tp, ok = self.wait_torrent(d, t["id"], lambda x: x["state"] == "paused", 5, "paused add paused")
            if not ok:
                bad.append(f"a paused add is not paused 5 s later: {tp}")
            expect(d.get(f"/api/v1/torrents/{t['id']}/pause"), 405, "GET .../pause")
            expect(d.request("PUT", f"/api/v1/torrents/{t['id']}"), 405, "PUT /api/v1/torrents/{id}")
            again = d.post_raw("/api/v1/torrents?paused=true", meta)
            if again.status != 409 or (again.json or {}).get("id") != t["id"]:
                bad.append(f"re-add: expected 409 with its id: {again!r}")
            rr = self.add_raw(d, torrent, "paused=true&save_path=" + dl.quote(os.path.join(dl_dir, "sub2")))
            if rr.status != 409:
                bad.append(f"re-add through the raw body with another save_path: expected 409: {rr!r}")
        r = d.get("/api/v1/torrents")
        self.assertEqual(r.status, 200, f"the daemon stopped serving: {r!r}{self.ctx()}")
        self.assertTrue(d.alive())
        self.bad += bad
        self.verdict()
        self.outcome(f"all error replies as documented; oversized body: {big}")

    def oversized_post(self, d):
        """POST 17 MiB to /api/v1/torrents on a raw socket: first the headers alone (a reply
        within 5 s: '413' / 'closed' / other), else also the body ('413-after-body' /
        'closed-after-body' / other)."""
        n = 17 * MiB
        s = socket.create_connection((d.host, d.port), timeout=5 * SLOW)
        try:
            s.sendall((f"POST /api/v1/torrents HTTP/1.1\r\nHost: {d.host}:{d.port}\r\n"
                       f"Content-Type: application/x-bittorrent\r\nContent-Length: {n}\r\n\r\n").encode())

            def status(suffix):
                try:
                    head = s.recv(4096)
                except socket.timeout:
                    return None
                except OSError:
                    return "closed" + suffix
                if not head:
                    return "closed" + suffix
                m = re.match(rb"HTTP/1\.[01] (\d{3})", head)
                code = m[1].decode() if m else f"garbage {head[:80]!r}"
                return code + suffix if code == "413" else f"status {code}{suffix}: {head[:300]!r}"

            got = status("")
            if got is not None:
                return got
            try:
                chunk = b"x" * MiB
                for _ in range(17):
                    s.sendall(chunk)
            except OSError:
                return "closed-after-body"
            s.settimeout(10 * SLOW)
            got = status("-after-body")
            return got if got is not None else "no reply 10 s after the whole body"
        finally:
            s.close()

    # ============================================================ 5
    def test_05_kill9_and_restart_continues(self):
        """kill -9 five times at random moments of a download: each restart finds the torrent and
        fetches only what was not verified on disk at the kill."""
        import random
        rnd = random.Random(int(os.environ.get("CORRENT_TEST_SEED", "0")) or None)
        c = self.sw.make_single("big.bin", 64 * MiB + 12345, seed=51)
        piece = 256 * KiB
        tracker, (torrent,), (seeder,) = self.swarm([(c, piece)], caps={0: 3_000_000})
        tid = torrent.info_hash
        state, dl_dir = self.dirs()
        d = self.daemon(state, dl_dir)
        self.check_added(self.add_raw(d, torrent), torrent, dl_dir)
        missing = torrent.total_size  # on disk, unverified or absent
        up_before = self.settled_upload(seeder) or 0
        rounds = []
        for k in range(5):
            # a random moment once this run has fetched something
            t, ok = self.wait_torrent(d, tid, lambda t: t["downloaded_session"] > 0, 45, f"round {k}: progress")
            self.assertTrue(ok, f"round {k}: no progress: {t}{self.ctx()}")
            time.sleep(rnd.uniform(0.2, 1.5))
            t = d.torrent(tid)
            if t and t["progress"] >= 1.0:
                break
            self.assertEqual(d.kill9(), -9, "killed by SIGKILL")
            sl.bdecode(open(os.path.join(state, "torrents.benc"), "rb").read())
            up = self.settled_upload(seeder)
            fetched = up - up_before
            self.assertLessEqual(fetched, missing + 2 * piece,
                                 f"round {k}: the seeder sent {fetched} B while only {missing} B were missing "
                                 f"(verified pieces fetched again?)")
            up_before = up
            v = self.verify_json(torrent, dl_dir)
            good = set(range(torrent.num_pieces)) - set(v["bad_pieces"]) - set(v["missing_pieces"])
            missing = torrent.total_size - sum(torrent.piece_size(p) for p in good)
            rounds.append(f"{len(good)}")
            # the daemon keeps resume data in its state directory, not in the download directory
            self.assertFalse(os.path.exists(os.path.join(dl_dir, ".corrent-parts", f"{tid}.resume")),
                             "a resume file in the download directory")
            sl.log(f"round {k}: killed; {len(good)}/{torrent.num_pieces} pieces good on disk, {missing} B missing")
            d = self.daemon(state, dl_dir, name=f"daemon-after-kill{k}")
            self.assertEqual([x["id"] for x in d.torrents()], [tid], f"round {k}: the torrent is back{self.ctx()}")
        self.assertGreaterEqual(len(rounds), 3, "the download ended before three kills (lower the seeder's cap)")
        seeder.set_upload_limit(0)
        t, ok = self.wait_torrent(d, tid, lambda t: t["progress"] >= 1.0, 90, "complete")
        self.assertTrue(ok, f"not complete after the last restart: {t}{self.ctx()}")
        self.assertIsNone(self.sw.verify(c, dl_dir), "not byte-identical")
        up = self.settled_upload(seeder)
        self.assertLessEqual(up - up_before, missing + 2 * piece,
                             f"last run: the seeder sent {up - up_before} B for {missing} B missing")
        self.assertLessEqual(t["downloaded_session"], missing + 2 * piece, f"last run's downloaded counter: {t}")
        self.assertGreater(len(os.listdir(os.path.join(state, "resume"))), 0, "no resume data in STATE/resume")
        self.outcome(f"{len(rounds)} kill -9 at random moments (good pieces after each: {', '.join(rounds)} of "
                     f"{torrent.num_pieces}); no verified piece fetched again; byte-identical")

    def settled_upload(self, seeder, timeout=5.0):
        end = time.monotonic() + timeout
        last = seeder.uploaded()
        while time.monotonic() < end:
            time.sleep(0.3)
            now = seeder.uploaded()
            if now == last and now is not None:
                return now
            last = now
        raise sl.HarnessError(f"seeder upload counter did not settle: {last}")

    # ============================================================ 7
    def test_07_limits_and_browser_guards(self):
        c = self.sw.make_single("limited.bin", 12 * MiB + 5, seed=71)
        tracker, (torrent,), _ = self.swarm([(c, 256 * KiB)])
        tid = torrent.info_hash
        state, dl_dir = self.dirs()
        d = self.daemon(state, dl_dir)
        # session limits: read, set, refused when malformed
        r = d.get("/api/v1/session/limits")
        self.assertEqual((r.status, r.json), (200, {"max_download_rate": 0, "max_upload_rate": 0}), r)
        r = d.post_json("/api/v1/session/limits", {"max_upload_rate": 3 * MiB})
        self.assertEqual((r.status, r.json.get("max_upload_rate")), (200, 3 * MiB), r)
        for bad in ({"max_upload_rate": -1}, {"max_upload_rate": "fast"}, {"bogus": 1}, [1]):
            r = d.post_json("/api/v1/session/limits", bad)
            self.assertEqual(r.status, 400, f"{bad}: {r!r}")
        # a torrent's own download limit holds it back; lifting it lets it finish
        self.check_added(self.add_raw(d, torrent, "paused=true"), torrent, dl_dir, "paused add")
        r = d.post_json(f"/api/v1/torrents/{tid}/limits", {"max_download_rate": 1 * MiB, "seed_ratio": 2.5})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["max_download_rate"], r.json["seed_ratio"]), (1 * MiB, 2.5), r)
        self.assertEqual(d.post_json(f"/api/v1/torrents/{tid}/limits", {"seed_ratio": -2}).status, 400)
        self.assertEqual(d.post_json(f"/api/v1/torrents/{tid}/resume", {}).status, 200)
        time.sleep(4)
        t = d.get(f"/api/v1/torrents/{tid}").json
        self.assertLess(t["done"], 7 * MiB, f"1 MiB/s limit not honoured: {t}{self.ctx()}")
        self.assertGreater(t["done"], 0, f"nothing downloaded under the limit: {t}{self.ctx()}")
        limited_done = t["done"]
        r = d.post_json(f"/api/v1/torrents/{tid}/limits", {"max_download_rate": 0})
        self.assertEqual(r.status, 200, r)
        t, ok = self.wait_torrent(d, tid, lambda t: t["progress"] == 1.0, 60, "complete once unlimited")
        self.assertTrue(ok, f"did not complete once the limit was lifted: {t}{self.ctx()}")
        # browsers: another site's page, or a page re-pointed at us by DNS rebinding
        r = d.request("POST", f"/api/v1/torrents/{tid}/pause", body=b"",
                      headers={"Origin": "http://evil.example", "Content-Type": "application/json"})
        self.assertEqual(r.status, 403, f"cross-origin POST: {r!r}")
        r = d.request("DELETE", f"/api/v1/torrents/{tid}", headers={"Origin": "null"})
        self.assertEqual(r.status, 403, f"cross-origin DELETE: {r!r}")
        r = d.request("GET", "/api/v1/torrents", headers={"Host": "evil.example:9080"})
        self.assertEqual(r.status, 403, f"foreign Host: {r!r}")
        r = d.request("POST", f"/api/v1/torrents/{tid}/pause", body=b"",
                      headers={"Origin": f"http://{d.host}:{d.port}", "Content-Type": "application/json"})
        self.assertEqual(r.status, 200, f"same-origin POST: {r!r}")
        self.assertEqual(d.get(f"/api/v1/torrents/{tid}").json["state"], "paused")
        # limits survive a restart
        self.assertEqual(d.term(), 0, f"SIGTERM{self.ctx()}")
        d2 = self.daemon(state, dl_dir, name="again")
        r = d2.get("/api/v1/session/limits")
        self.assertEqual(r.json, {"max_download_rate": 0, "max_upload_rate": 3 * MiB}, r)
        r = d2.post_json(f"/api/v1/torrents/{tid}/limits", {})
        self.assertEqual((r.json["max_download_rate"], r.json["seed_ratio"]), (0, 2.5), r)
        self.outcome(f"limits set, honoured ({limited_done} B in 4 s at 1 MiB/s), lifted, kept across a restart; "
                     f"cross-origin and foreign-Host requests 403")

    # ============================================================ 8
    def test_08_a_crowd_of_idle_connections_does_not_lock_out_a_client(self):
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < 4096 <= hard or (soft < 4096 and hard == resource.RLIM_INFINITY):
            resource.setrlimit(resource.RLIMIT_NOFILE, (4096, hard))
        state, dl_dir = self.dirs()
        d = self.daemon(state, dl_dir)
        held = []
        self.assertEqual(d.get("/api/v1/torrents").status, 200, f"the daemon serves{self.ctx()}")
        rss_before_kb = dn.proc_status_kb(d.pid, "VmRSS") or 0
        try:
            for i in range(1000):
                s = socket.create_connection((d.host, d.port), timeout=5)
                if i % 3 == 0:
                    s.sendall(b"GET /api/v1/torrents HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")  # a trickled header
                held.append(s)
            t0 = time.monotonic()
            r = d.get("/api/v1/torrents")
            took = time.monotonic() - t0
            self.assertEqual(r.status, 200, f"a request among 1,000 idle connections: {r!r}{self.ctx()}")
            self.assertLess(took, 2.0 * SLOW, f"a request among 1,000 idle connections took {took:.2f}s")
            # the oldest idle ones were closed to make room
            closed = 0
            for s in held[:200]:
                s.settimeout(0.05)
                try:
                    if s.recv(1) == b"":
                        closed += 1
                except socket.timeout:
                    pass
                except OSError:
                    closed += 1
            self.assertGreater(closed, 0, "no idle connection was closed to make room")
            # What the connections cost: the growth, under 32 KiB a connection. (Release:
            # ~3 MiB; ASan: ~9 MiB, over a baseline of ~200 MiB that is ASan's own.)
            rss_kb = dn.proc_status_kb(d.pid, "VmRSS") or 0
            self.assertLess(rss_kb - rss_before_kb, 32 * 1024,
                            f"daemon RSS grew from {rss_before_kb} kB to {rss_kb} kB with 1,000 connections")
            if not dl.SANITIZED:  # the whole, as before (under ASan, ASan's own ~200 MiB)
                self.assertLess(rss_kb, 200 * 1024, f"daemon RSS with 1,000 connections: {rss_kb} kB")
        finally:
            for s in held:
                s.close()
        self.assertEqual(d.get("/api/v1/stats").status, 200, "the daemon still serves")
        self.outcome(f"1,000 idle/trickling connections: a request answered in {took * 1000:.0f} ms, "
                     f"{closed} of the 200 oldest closed to make room, RSS {rss_before_kb} kB before, {rss_kb} kB after")

    # ============================================================ 9
    def test_09_corrent_remote_drives_the_daemon(self):
        c = self.sw.make_single("remote.bin", 6 * MiB + 9, seed=91)
        tracker, (torrent,), (seeder,) = self.swarm([(c, 256 * KiB)], caps={0: 2_000_000})
        tid = torrent.info_hash
        state, dl_dir = self.dirs()
        d = self.daemon(state, dl_dir)
        binary = sl.corrent_bin()

        def remote(*args, timeout=30):
            r = subprocess.run([binary, "remote", "--state", state, *args], capture_output=True, text=True,
                               timeout=timeout * SLOW)
            sl.log(f"corrent remote {' '.join(args)} -> rc {r.returncode}: {(r.stdout + r.stderr).strip()[:300]}")
            return r

        r = remote("add", torrent.path, "--paused")
        self.assertEqual(r.returncode, 0, r)
        self.assertIn(tid, r.stdout)
        self.assertEqual(d.torrent(tid)["state"], "paused")
        r = remote("add", torrent.path)
        self.assertEqual(r.returncode, 1, f"a second add of the same torrent: {r}")
        r = remote("list")
        self.assertEqual(r.returncode, 0, r)
        self.assertIn(tid[:8], r.stdout)
        self.assertIn("remote.bin", r.stdout)
        watch = subprocess.Popen([binary, "remote", "--state", state, "watch", "--until-complete", tid[:10]],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            time.sleep(0.5)
            r = remote("resume", tid[:8])
            self.assertEqual(r.returncode, 0, r)
            out, _ = watch.communicate(timeout=60 * SLOW)
        except subprocess.TimeoutExpired:
            watch.kill()
            out, _ = watch.communicate()
            self.fail(f"`corrent remote watch --until-complete` did not end: {out[-2000:]}{self.ctx()}")
        self.assertEqual(watch.returncode, 0, f"watch --until-complete: {out[-2000:]}")
        self.assertIn("completed", out)
        self.assertIsNone(self.sw.verify(c, dl_dir), "not byte-identical")
        r = remote("stats")
        self.assertEqual(r.returncode, 0, r)
        r = remote("pause", "ffffffffff")
        self.assertEqual(r.returncode, 1, f"an unknown id: {r}")
        r = remote("remove", tid, "--delete-data")
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(d.torrents(), [], "removed")
        self.assertFalse(os.path.exists(os.path.join(dl_dir, "remote.bin")), "its data deleted")
        self.outcome("remote add/list/resume/watch --until-complete/stats/remove --delete-data against the daemon")

    # ============================================================ 10
    def test_10_recheck_finds_a_damaged_piece_and_fetches_it_again(self):
        c = self.sw.make_single("check.bin", 4 * MiB + 33, seed=101)
        piece = 64 * KiB
        tracker, (torrent,), (seeder,) = self.swarm([(c, piece)])
        tid = torrent.info_hash
        state, dl_dir = self.dirs()
        d = self.daemon(state, dl_dir)
        ev = self.stream(d)
        self.check_added(self.add_raw(d, torrent), torrent, dl_dir)
        self.assertIsNotNone(ev.wait_for(lambda e: e["type"] == "completed", 60, "completed"), self.ctx())
        # damage one byte of piece 5 behind the daemon's back
        path = os.path.join(dl_dir, "check.bin")
        with open(path, "r+b") as f:
            f.seek(5 * piece + 100)
            b = f.read(1)
            f.seek(5 * piece + 100)
            f.write(bytes([b[0] ^ 0xFF]))
        before = d.torrent(tid)["downloaded"]
        r = d.post_json(f"/api/v1/torrents/{tid}/recheck", {})
        self.assertEqual(r.status, 202, r)
        self.assertEqual(d.post_json("/api/v1/torrents/" + "0" * 40 + "/recheck", {}).status, 404)
        e = ev.wait_for(lambda e: e["type"] == "state" and e["data"].get("id") == tid
                        and e["data"].get("to") == "checking", 30, "checking")
        self.assertIsNotNone(e, f"no state change to checking after a recheck{self.ctx()}")
        t, ok = self.wait_torrent(d, tid, lambda t: t["state"] == "seeding" and t["progress"] == 1.0, 60,
                                  "complete again")
        self.assertTrue(ok, f"not complete again after the recheck: {t}{self.ctx()}")
        self.assertIsNone(self.sw.verify(c, dl_dir), "the damaged piece was not fetched again")
        again = t["downloaded"] - before
        self.assertGreaterEqual(again, piece, f"nothing fetched again: {t}")
        self.assertLessEqual(again, 2 * piece, f"more than the damaged piece fetched again: {again} B")
        self.outcome(f"recheck: the damaged piece found and fetched again ({again} B), byte-identical")

    # ============================================================ 11
    def test_11_watch_directory(self):
        c = self.sw.make_single("watched.bin", 3 * MiB + 1, seed=111)
        tracker, (torrent,), _ = self.swarm([(c, 128 * KiB)])
        tid = torrent.info_hash
        state, dl_dir = self.dirs()
        watch = os.path.join(self.sw.tmp, "watch")
        os.makedirs(watch)
        d = self.daemon(state, dl_dir, extra=("--watch", watch))
        ev = self.stream(d)
        with open(torrent.path, "rb") as f:
            meta = f.read()
        # written slowly: a third, then a pause of two scans and more, then the rest
        target = os.path.join(watch, "slow.torrent")
        with open(target, "wb") as f:
            f.write(meta[: len(meta) // 3])
            f.flush()
            time.sleep(5)
            self.assertEqual(d.torrents(), [], "added before it was whole")
            self.assertTrue(os.path.exists(target), "a half-written file was moved aside")
            f.write(meta[len(meta) // 3:])
        with open(os.path.join(watch, "junk.torrent"), "wb") as f:
            f.write(b"d8:announce3:xyze")  # not a torrent
        e = ev.wait_for(lambda e: e["type"] == "completed" and e["data"].get("id") == tid, 60, "completed")
        self.assertIsNotNone(e, f"the watched torrent did not complete{self.ctx()}")
        self.assertIsNone(self.sw.verify(c, dl_dir), "not byte-identical")
        end = time.monotonic() + 25 * SLOW
        while time.monotonic() < end and not os.path.exists(os.path.join(watch, "junk.torrent.invalid")):
            time.sleep(0.2)
        names = sorted(os.listdir(watch))
        self.assertEqual(names, ["junk.torrent.invalid", "slow.torrent.added"], names)
        self.assertEqual([t["id"] for t in d.torrents()], [tid], "added exactly once")
        added = [x for x in ev.events if x["type"] == "added"]
        self.assertEqual(len(added), 1, f"`added` events: {added}")
        log = d.log_tail(200)
        self.assertIn("junk.torrent", log, "the invalid file's error is not logged")
        self.outcome("a slowly written .torrent added once (renamed .added) and completed; an invalid one "
                     "renamed .invalid with its error logged")

    # ============================================================ 12
    def test_12_magnet_gets_its_metadata_event_and_completes(self):
        import urllib.parse
        c = self.sw.make_single("magnet.bin", 3 * MiB + 7, seed=121)
        base = self.sw.make_torrent(c, 128 * KiB)
        tracker = self.sw.start_mini_tracker([base], interval=1800, min_interval=60)
        torrent = self.sw.announce_torrent(base, tracker)
        seeder = ml.LtPeer(self.sw, "lt-meta-seed", "seed", torrent=torrent, content=c, host="127.0.0.2",
                           plugins=True, timeout=600)  # serves ut_metadata
        self.sw.wait_ready([seeder], tracker, torrent)
        tid = torrent.info_hash
        magnet = (f"magnet:?xt=urn:btih:{tid}&dn={urllib.parse.quote(torrent.name)}"
                  f"&tr={urllib.parse.quote(tracker.http, safe='')}")
        state, dl_dir = self.dirs()
        d = self.daemon(state, dl_dir)
        ev = self.stream(d)
        r = self.add_json(d, {"uri": magnet})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["id"], tid, r)
        self.assertEqual(r.json["state"], "fetching_metadata", r)
        self.assertEqual(r.json["size"], 0, "size unknown before the metadata")
        m = ev.wait_for(lambda e: e["type"] == "metadata" and e["data"].get("id") == tid, 60, "metadata")
        self.assertIsNotNone(m, f"no `metadata` event{self.ctx()}")
        self.assertEqual((m["data"]["name"], m["data"]["size"]), (torrent.name, torrent.total_size), m)
        done = ev.wait_for(lambda e: e["type"] == "completed" and e["data"].get("id") == tid, 60, "completed")
        self.assertIsNotNone(done, f"the magnet did not complete{self.ctx()}")
        self.assertIsNone(self.sw.verify(c, dl_dir), "not byte-identical")
        # the restart knows its files without the network (the saved metadata)
        self.assertEqual(d.term(), 0)
        d2 = self.daemon(state, dl_dir, name="again")
        t, ok = self.wait_torrent(d2, tid, lambda t: t["size"] == torrent.total_size and t["progress"] == 1.0,
                                  30, "complete after the restart")
        self.assertTrue(ok, f"the magnet's torrent after a restart: {t}{self.ctx()}")
        self.outcome("magnet over the API: metadata event with name and size, completed, byte-identical, "
                     "complete again after a restart")

    # ============================================================ 6
    # ============================================================ 13
    def test_13_password_sessions_basic_and_throttle(self):
        binary = sl.corrent_bin()
        state, dl_dir = self.dirs()
        pw_file = os.path.join(self.sw.tmp, "api-password")
        with open(pw_file, "w") as f:
            f.write("c0rrect horse\n")
        os.chmod(pw_file, 0o600)
        # beyond loopback without a password: refused before anything is bound
        r = subprocess.run([binary, "daemon", "--state", os.path.join(self.sw.tmp, "s-open"), "--api",
                            "192.0.2.1:9080", sl.NO_DHT], capture_output=True, text=True, timeout=20 * SLOW)
        self.assertEqual(r.returncode, 2, f"non-loopback --api without a password: {r}")
        self.assertIn("--api-password-file", r.stderr, r)
        d = self.daemon(state, dl_dir, extra=("--api-password-file", pw_file, "--api-user", "ops"))
        good = "Basic " + base64.b64encode(b"ops:c0rrect horse").decode()
        bad = "Basic " + base64.b64encode(b"ops:wrong").decode()

        # nothing without credentials, with a Basic challenge
        for path in ("/api/v1/torrents", "/metrics", "/api/v1/stats", "/api/v1/events"):
            r = d.get(path)
            self.assertEqual(r.status, 401, f"{path} without credentials: {r!r}")
            self.assertTrue(r.headers.get("www-authenticate", "").startswith("Basic realm="), r.headers)
        r = d.get("/api/v1/auth")
        self.assertEqual((r.status, r.json), (200, {"required": True, "logged_in": False}), r)
        # HTTP Basic
        self.assertEqual(d.get("/api/v1/torrents", headers={"Authorization": bad}).status, 401)
        self.assertEqual(d.get("/api/v1/torrents", headers={"Authorization": good}).status, 200)
        self.assertEqual(d.get("/metrics", headers={"Authorization": good}).status, 200)
        # with a password the Host may be any name (the daemon is reachable from elsewhere)...
        r = d.get("/api/v1/stats", headers={"Authorization": good, "Host": "seedbox.example:9080"})
        self.assertEqual(r.status, 200, r)
        # ...but a cross-origin change is still refused, credentials or not
        with open(self.sw.make_torrent(self.sw.make_single("pw.bin", 64 * KiB + 3, seed=131), 16 * KiB).path,
                  "rb") as f:
            tbytes = f.read()
        r = d.post_raw("/api/v1/torrents", tbytes, headers={"Authorization": good, "Origin": "http://evil.example"})
        self.assertEqual(r.status, 403, r)
        self.assertEqual(d.get("/api/v1/torrents", headers={"Authorization": good}).json["torrents"], [])

        # login: a wrong one, then the right one gives a session cookie
        r = d.post_json("/api/v1/login", {"username": "ops", "password": "nope"})
        self.assertEqual(r.status, 401, r)
        self.assertNotIn("set-cookie", r.headers)
        r = d.post_json("/api/v1/login", {"username": "ops", "password": "c0rrect horse"})
        self.assertEqual(r.status, 200, r)
        cookie = r.headers.get("set-cookie", "")
        m = re.match(r"corrent_sid=([0-9a-f]{64});", cookie)
        self.assertIsNotNone(m, f"session cookie {cookie!r}")
        for attr in ("HttpOnly", "SameSite=Strict", "Path=/"):
            self.assertIn(attr, cookie)
        sid = {"Cookie": f"corrent_sid={m[1]}"}
        # a form login works too (what an HTML form or a qBittorrent-style client sends)
        r = d.request("POST", "/api/v1/login", body=b"username=ops&password=c0rrect+horse",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(r.status, 200, r)
        d.headers = sid
        ev = self.stream(d)  # the event stream with the cookie
        d.headers = {}
        r = d.post_raw("/api/v1/torrents", tbytes, headers=sid)
        self.assertEqual(r.status, 201, f"add with the session cookie: {r!r}")
        self.assertEqual(d.get("/api/v1/auth", headers=sid).json, {"required": True, "logged_in": True})
        self.assertIsNotNone(ev.wait_for(lambda e: e["type"] == "added", 5, "added"), "events with a cookie")
        self.assertEqual(d.get("/api/v1/torrents", headers={"Cookie": "corrent_sid=" + "0" * 64}).status, 401)
        # logout ends the session
        self.assertEqual(d.request("POST", "/api/v1/logout", body=b"", headers=sid).status, 200)
        self.assertEqual(d.get("/api/v1/torrents", headers=sid).status, 401, "the cookie after logout")

        # corrent remote with and without the password file
        r = subprocess.run([binary, "remote", "--state", state, "--user", "ops", "--password-file", pw_file, "list"],
                           capture_output=True, text=True, timeout=30 * SLOW)
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("pw.bin", r.stdout)
        r = subprocess.run([binary, "remote", "--state", state, "list"], capture_output=True, text=True,
                           timeout=30 * SLOW)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("401", r.stderr, r)

        # failed attempts are throttled per client address: after 5, even the right password
        # waits; another address is not affected
        src = "127.0.0.9"
        codes = [d.get("/api/v1/stats", headers={"Authorization": bad}, source=src).status for _ in range(5)]
        self.assertEqual(codes, [401] * 5, codes)
        r = d.get("/api/v1/stats", headers={"Authorization": good}, source=src)
        self.assertEqual(r.status, 429, f"right password after 5 failures: {r!r}")
        self.assertGreater(int(r.headers.get("retry-after", "0")), 0, r.headers)
        r = d.post_json("/api/v1/login", {"username": "ops", "password": "c0rrect horse"}, source=src)
        self.assertEqual(r.status, 429, f"login from the throttled address: {r!r}")
        self.assertEqual(d.get("/api/v1/stats", headers={"Authorization": good}, source="127.0.0.10").status, 200)
        self.assertTrue(d.alive())
        self.outcome("401 + Basic challenge without credentials; Basic and cookie sessions; logout; "
                     "cross-origin 403; remote --password-file; 429 after 5 failures from one address")

    # ============================================================ 14
    def test_14_a_torrent_that_fails_gets_an_error_event(self):
        c = self.sw.make_multi("blocked", [("a.bin", 1 * MiB + 3), ("sub/b.bin", 200 * KiB)], seed=141)
        tracker, (torrent,), _ = self.swarm([(c, 64 * KiB)])
        tid = torrent.info_hash
        state, dl_dir = self.dirs()
        # a regular file where the torrent's directory must go: its files cannot be put in place
        squatter = os.path.join(dl_dir, "blocked")
        with open(squatter, "wb") as f:
            f.write(b"not yours")
        d = self.daemon(state, dl_dir)
        ev = self.stream(d)
        self.check_added(self.add_raw(d, torrent), torrent)
        e = ev.wait_for(lambda e: e["type"] == "error" and e["data"].get("id") == tid, 60, "error event")
        self.assertIsNotNone(e, f"no `error` event{self.ctx()}")
        self.assertIsInstance(e["data"].get("error"), str)
        self.assertIn("blocked", e["data"]["error"], f"the error names the path: {e}")
        st = ev.wait_for(lambda e: e["type"] == "state" and e["data"].get("id") == tid
                         and e["data"].get("to") == "error", 5, "state to=error")
        self.assertIsNotNone(st, f"no `state` event to=error{self.ctx()}")
        t = d.torrent(tid)
        self.assertEqual(t["state"], "error", t)
        self.assertEqual(t["error"], e["data"]["error"], t)
        with open(squatter, "rb") as f:
            self.assertEqual(f.read(), b"not yours", "the file in the way was touched")
        self.assertEqual(d.get("/api/v1/stats").status, 200, "the daemon still serves")
        self.outcome(f"error event: {e['data']['error'][:100]!r}; state error in the list; the file in the way kept")

    def test_06_metrics(self):
        c = self.sw.make_single("metric.bin", 2 * MiB + 17, seed=61)
        tracker, (torrent,), (seeder,) = self.swarm([(c, 64 * KiB)])
        tid = torrent.info_hash
        state, dl_dir = self.dirs()
        d = self.daemon(state, dl_dir)
        ev = self.stream(d)
        self.check_added(self.add_raw(d, torrent), torrent, dl_dir)
        self.assertIsNotNone(ev.wait_for(lambda e: e["type"] == "completed", 60, "completed"),
                             f"not completed{self.ctx()}")
        # a second torrent (paused, no peer) whose name needs escaping in a label value and in JSON
        odd = self.sw.make_single('odd "name" \u00fc.bin', 64 * KiB + 1, seed=62)
        odd_t = self.sw.make_torrent(odd, 16 * KiB)
        self.check_added(self.add_raw(d, odd_t, "paused=true"), odd_t, dl_dir, "paused add of an odd name")
        r = d.get("/metrics")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.ctype.startswith("text/plain"), f"content-type {r.ctype!r}")
        self.assertIn("version=0.0.4", r.ctype, f"content-type {r.ctype!r}")
        text = r.body.decode()
        self.assertTrue(text.endswith("\n"), "the exposition ends with a newline")
        problems, samples, types = prom_check(text)
        self.assertEqual(problems, [], "Prometheus text format:\n" + "\n".join(problems[:20]))
        names = {n for n, _, _ in samples}
        for want in ("corrent_torrents", "corrent_downloaded_bytes_total"):
            self.assertIn(want, names, f"no {want} series:\n{text[:2000]}")
        tor = [(n, lab, v) for n, lab, v in samples if f'info_hash="{tid}"' in lab]
        self.assertTrue(tor, f"no series labelled info_hash=\"{tid}\":\n{text[:2000]}")
        total = {}
        for n, _, v in samples:  # summed over labels, whatever they are
            total[n] = total.get(n, 0.0) + float(v)
        self.assertEqual(total["corrent_torrents"], 2.0, f"corrent_torrents with two torrents:\n{text[:2000]}")
        self.assertTrue(any(f'info_hash="{odd_t.info_hash}"' in lab for _, lab, _ in samples),
                        f"no series for the second torrent:\n{text[-2000:]}")
        self.assertGreaterEqual(total["corrent_downloaded_bytes_total"], torrent.total_size,
                                f"corrent_downloaded_bytes_total after a {torrent.total_size} B download:\n{text[:2000]}")
        ok_announces = [float(v) for n, lab, v in samples
                        if n == "corrent_tracker_announces_total" and 'result="ok"' in lab]
        self.assertTrue(ok_announces and ok_announces[0] >= 1, f"announces that worked:\n{text[:3000]}")
        self.assertIn("corrent_piece_buffer_limit_bytes", names)
        # the payload byte counter agrees with what the seeder itself says it sent (within 1 %)
        sent = self.settled_upload(seeder)
        text = d.get("/metrics").body.decode()
        _, samples, _ = prom_check(text)

        def sample(name, label):
            vals = [float(v) for n, lab, v in samples if n == name and label in lab]
            self.assertEqual(len(vals), 1, f"one {name}{{{label}}} sample:\n{text[:3000]}")
            return vals[0]
        got = sample("corrent_downloaded_bytes_total", 'kind="payload"')
        self.assertLessEqual(abs(got - sent), 0.01 * sent,
                             f"corrent_downloaded_bytes_total{{kind=payload}} {got} vs the seeder's own "
                             f"upload counter {sent}")
        # protocol bytes: the handshake, bitfield and piece headers in; the requests out
        proto_in = sample("corrent_downloaded_bytes_total", 'kind="protocol"')
        proto_out = sample("corrent_uploaded_bytes_total", 'kind="protocol"')
        blocks = torrent.total_size // (16 * KiB)
        self.assertGreaterEqual(proto_in, 68 + 13 * blocks, f"protocol bytes in for {blocks} blocks:\n{text[:3000]}")
        self.assertLess(proto_in, 0.05 * got, f"protocol bytes in vs payload {got}")
        self.assertGreaterEqual(proto_out, 68 + 17 * blocks, f"protocol bytes out ({blocks} requests)")
        self.assertEqual(sample("corrent_uploaded_bytes_total", 'kind="payload"'), 0.0,
                         "nothing uploaded: the only peer is a seeder")
        srcs = {lab: float(v) for n, lab, v in samples if n == "corrent_peers_connected"}
        for src in ("tracker", "dht", "pex", "incoming", "manual"):
            self.assertTrue(any(f'source="{src}"' in lab for lab in srcs), f"peers_connected{{source={src}}}: {srcs}")
        peers_now = sum(srcs.values())
        self.assertEqual(peers_now, sum(t["peers"] for t in d.torrents()), f"peers by source {srcs}")
        self.assertEqual(peers_now, srcs['{source="tracker"}'], f"the only peer came from the tracker: {srcs}")
        self.assertGreaterEqual(sample("corrent_disk_queue_jobs", ""), 0.0)
        # and Prometheus's own checker accepts the exposition
        promtool = shutil.which("promtool")
        self.assertIsNotNone(promtool, "promtool is missing: run scripts/setup")
        pr = subprocess.run([promtool, "check", "metrics"], input=r.body, capture_output=True, timeout=60)
        self.assertEqual(pr.returncode, 0, f"promtool check metrics: {(pr.stdout + pr.stderr).decode()[:2000]}")
        s = d.get("/api/v1/stats")
        self.assertEqual(s.status, 200, s)
        self.assertTrue(s.ctype.startswith("application/json"), s)
        missing = [k for k in dl.STATS_FIELDS if k not in (s.json or {})]
        self.assertEqual(missing, [], f"/api/v1/stats fields: {s!r}")
        self.assertEqual(s.json["torrents"], 2, s)
        self.assertGreaterEqual(s.json["downloaded"], torrent.total_size, s)
        self.outcome(f"{len(samples)} samples, {len(types)} families, {len(tor)} per-torrent series")


# ------------------------------------------------------------------ Prometheus text format 0.0.4
_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
_VALUE = r"(?:[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?Inf|NaN)"
SAMPLE_RE = re.compile(rf"^({_NAME})(\{{(?:{_LABEL}(?:,{_LABEL})*,?)?\}})? ({_VALUE})(?: -?[0-9]+)?$")
TYPE_RE = re.compile(rf"^# TYPE ({_NAME}) (counter|gauge|histogram|summary|untyped)$")
HELP_RE = re.compile(rf"^# HELP ({_NAME})(?: .*)?$")


def prom_check(text):
    """(problems, [(name, labels, value)], {family: type}) of a text-format exposition."""
    problems, samples, types, seen = [], [], {}, set()
    for i, ln in enumerate(text.split("\n")[:-1], 1):
        if ln == "":
            continue
        if ln.startswith("#"):
            m = TYPE_RE.match(ln)
            if ln.startswith("# TYPE"):
                if not m:
                    problems.append(f"line {i}: bad TYPE line {ln!r}")
                elif m[1] in types:
                    problems.append(f"line {i}: second TYPE for {m[1]}")
                else:
                    types[m[1]] = m[2]
            elif ln.startswith("# HELP") and not HELP_RE.match(ln):
                problems.append(f"line {i}: bad HELP line {ln!r}")
            continue
        m = SAMPLE_RE.match(ln)
        if not m:
            problems.append(f"line {i}: not a sample line {ln!r}")
            continue
        key = (m[1], m[2] or "")
        if key in seen:
            problems.append(f"line {i}: duplicate series {ln!r}")
        seen.add(key)
        samples.append((m[1], m[2] or "", m[3]))
    for name, _, _ in samples:
        fam = re.sub(r"_(bucket|sum|count)$", "", name)
        if types and name not in types and fam not in types:
            problems.append(f"{name}: no TYPE line")
    return problems, samples, types


def print_table():
    if not RESULTS:
        return
    w = max(len(c) for c, _, _ in RESULTS)
    print("\ncorrent daemon: case -> outcome", flush=True)
    for case, verdict, text in RESULTS:
        print(f"  {case.ljust(w)}  {verdict.ljust(5)}  {text}", flush=True)


if __name__ == "__main__":
    if sl.leecher_kind() != "corrent":
        print("skipped: the daemon tests are for corrent only", flush=True)
        sys.exit(0)
    sl.skip_download_tests_if_requested("daemon")
    atexit.register(print_table)
    seedlib.main("corrent daemon", budget_s=600)
