#!/usr/bin/python3
"""`corrent daemon`'s qBittorrent Web API v2 layer (/api/v2/, ../shared/docs/RPC.md section 2 and
"What the automation tools (Sonarr, Radarr, Prowlarr) actually call"), driven the way Sonarr's
QBittorrentProxyV2 drives qBittorrent, and checked against qBittorrent 4.6's documented replies
(the wiki "WebUI API (qBittorrent 4.1)" and src/webui/api/*): there is no real qBittorrent here.

Every daemon runs `corrent daemon --state S --api 127.0.0.1:0 --listen 127.0.0.1:P --no-dht
--download-dir D [--api-password-file F --api-user admin]`; the API URL is read from its stdout
line `api http://HOST:PORT/`. Seeders are ltpeer.py (python3-libtorrent) on 127.0.0.2-3,
announcing to one in-process MiniTracker that the torrents name; the one behind a magnet has
libtorrent's plugins (ut_metadata). HTTP is http.client only, one connection per request;
multipart/form-data bodies are built by hand.

1. Sonarr's sequence, password file (user admin): auth/login with a wrong password -> 200
   `Fails.` and no cookie, without a cookie (or with a made-up one) -> 403, the right
   password -> 200 `Ok.` + Set-Cookie SID; app/webapiVersion (x.y.z, 2.x; a version below
   2.11 means paused torrents are pausedUP/pausedDL, from 2.11 stoppedUP/DL), app/version,
   app/preferences (save_path = D, dl_limit, up_limit, listen_port, max_ratio*,
   max_seeding_time*, queueing_enabled... with qBittorrent's JSON types);
   torrents/createCategory tv (savePath D/tv) + torrents/categories; torrents/add as
   multipart (a `torrents` file part, category=tv, tags, paused=false) -> `Ok.`, its seeder
   capped at 1 MB/s so that filter=downloading holds it right after; a second add by `urls`
   (a magnet with tr=) -> `Ok.`; torrents/info (every field Sonarr reads, with qBittorrent's
   types; state one of qBittorrent's strings at every poll); hashes=A|b (case-insensitive),
   hashes=a, category=tv, category= (uncategorized); polled (<= 60 s) until both are
   uploading/stalledUP with progress 1; A under D/tv, B under D, both byte-identical;
   filter=downloading|seeding|completed|paused; torrents/properties, files, trackers (the
   ** [DHT] ** / ** [PeX] ** / ** [LSD] ** entries, then the tracker with status 2),
   pieceStates (all 2); setShareLimits (2, 60 min) -> ratio_limit 2, seeding_time_limit 60;
   on the other (-1, -1) -> -1, -1 ("no limit"), (-2, -2) -> -2, -2 ("the global limit");
   pause -> pausedUP (filter=paused holds it, completed still does), resume -> back to
   uploading/stalledUP; stop/start likewise; topPrio -> 200 (or qBittorrent's 409 "queueing
   must be enabled": Sonarr takes both); setForceStart value=true -> 200 and then
   force_start true (qBittorrent also shows forcedUP); delete deleteFiles=true -> gone, its
   file deleted; deleteFiles=false on the other -> gone, file kept; auth/logout -> the
   cookie no longer works.
2. sync/maindata (password): rid=0 -> full_update with both torrents, categories, tags and
   server_state (RPC.md's keys); then, chaining rids and applying each delta to a client-side
   model as qBittorrent's WebUI does: no change -> a reply < 1 KiB whose every torrent and
   server_state field really moved (differs from the model); pause -> a delta with the
   torrent's new `state` and none of its unchanged fields (name, hash, size...); addTags ->
   `tags` and the torrent's tags; delete -> `torrents_removed`; createCategory ->
   `categories`, removeCategories -> `categories_removed`; the model then equals a new full
   update on the fields that do not move by themselves; rid=999999 -> full_update.
3. hostile (password, one paused torrent without peers): a forged Origin (POST and GET) or
   Referer with a valid cookie -> 401 and nothing changed, a same-origin Origin passes;
   malformed multipart (no closing delimiter, a part without Content-Disposition, a
   boundary the body does not use) -> 400; torrents/add of a non-torrent file part -> 415
   (qBittorrent 4.6: "not a valid torrent file"), nothing added; the same torrent again ->
   `Fails.`; savepath outside D (absolute, ../) -> `Fails.`, nothing added or created
   (corrent's rule); delete without `deleteFiles` -> 400 (qBt's requireParams); properties of an unknown
   hash -> 404, without `hash` -> 400; torrents/info?filter=bogus -> every torrent (qBt
   treats an unknown filter as `all`); setCategory to a missing category -> 409;
   createCategory "" -> 400, "a//b" -> 409 (qBittorrent: empty name 400, invalid name 409),
   savePath outside D -> 400 (corrent's rule) and not created; delete without `hashes` ->
   400; unknown endpoints -> 404; five wrong passwords from 127.0.0.1 -> `Fails.` each, the
   sixth attempt and then the right password -> 403 with the ban message, while 127.0.0.7
   still logs in. Afterwards the torrent list and categories are as before and the daemon
   answers (the old cookie still works, as in qBittorrent: the ban is on logins).
4. no password (loopback daemon): auth/login with anything -> `Ok.`; app/*, torrents/info,
   sync/maindata, a paused add and a delete all pass without a cookie; a forged Origin is
   still refused (401).
5. add by URL (no password): an http.server on 127.0.0.1 serves .torrent files, a 302 to a
   magnet, a 404, an HTML page and a 17 MiB body; qB `urls` (a link and the magnet redirect
   in one add), Transmission torrent-add `filename` and the native `uri` each add theirs; the
   bad links and an ftp:// link add nothing (`Fails.`, an error result naming the 404, 400).

A deviation that does not stop a case from going on is recorded (with the request and the
reply) and the case fails at its end with all of them.

Run: CORRENT=build/release/src/cli/corrent CORRENT_SHARED=../shared \
       /usr/bin/python3 tests/interop/test_qbittorrent_api.py [QbittorrentApiTest.test_01_...]
corrent only (LEECHER=aria2|lt: skipped). CORRENT_SKIP_DOWNLOAD=1: skipped.
"""
import atexit
import json
import os
import re
import secrets
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemonlib as dl  # noqa: E402
import magnetlib as ml  # noqa: E402
import seedlib  # noqa: E402
import swarmlib as sl  # noqa: E402

KiB, MiB = sl.KiB, sl.MiB
SLOW = dl.SLOW
RESULTS = []  # (case, verdict, text)
USER, PASSWORD = "admin", "corrent-s3cret"

# qBittorrent's torrent states (API < 2.11 names paused ones paused*, >= 2.11 stopped*).
STATES = ("error", "missingFiles", "uploading", "stalledUP", "queuedUP", "checkingUP", "forcedUP",
          "allocating", "downloading", "metaDL", "forcedMetaDL", "stalledDL", "queuedDL", "checkingDL",
          "forcedDL", "checkingResumeData", "moving", "unknown", "pausedUP", "pausedDL", "stoppedUP",
          "stoppedDL")
SEEDING = ("uploading", "stalledUP")
PSEUDO_TRACKERS = ["** [DHT] **", "** [PeX] **", "** [LSD] **"]
BAN_TEXT = "banned"

NUM = "number"  # int or float, not bool
# torrents/info fields with qBittorrent's JSON types (serialize_torrent.cpp): the ones Sonarr
# reads first, then the ones RPC.md lists.
SONARR_FIELDS = ("hash", "name", "size", "progress", "eta", "state", "category", "save_path", "content_path",
                 "ratio", "ratio_limit", "seeding_time", "seeding_time_limit", "inactive_seeding_time_limit",
                 "last_activity")
INFO_TYPES = {
    "hash": str, "name": str, "size": int, "progress": NUM, "eta": int, "state": str, "category": str,
    "save_path": str, "content_path": str, "ratio": NUM, "ratio_limit": NUM, "seeding_time": int,
    "seeding_time_limit": int, "inactive_seeding_time_limit": int, "last_activity": int,
    "total_size": int, "dlspeed": int, "upspeed": int, "num_seeds": int, "num_leechs": int, "added_on": int,
    "completion_on": int, "amount_left": int, "downloaded": int, "uploaded": int, "tags": str, "tracker": str,
    "force_start": bool, "auto_tmm": bool, "max_ratio": NUM, "max_seeding_time": int, "time_active": int,
    "magnet_uri": str,
}
PREF_TYPES = {
    "save_path": str, "dl_limit": int, "up_limit": int, "listen_port": int, "max_ratio_enabled": bool,
    "max_ratio": NUM, "max_seeding_time_enabled": bool, "max_seeding_time": int, "queueing_enabled": bool,
    "max_ratio_act": int, "dht": bool, "max_inactive_seeding_time_enabled": bool,
    "max_inactive_seeding_time": int,
}
PROP_TYPES = {
    "save_path": str, "total_size": int, "piece_size": int, "seeding_time": int, "time_elapsed": int,
    "pieces_num": int, "pieces_have": int, "addition_date": int, "completion_date": int, "creation_date": int,
    "share_ratio": NUM, "eta": int, "nb_connections": int, "dl_speed": int, "up_speed": int,
    "total_downloaded": int, "total_uploaded": int, "total_wasted": int, "seeds": int, "peers": int,
    "dl_limit": int, "up_limit": int, "reannounce": int, "last_seen": int, "comment": str, "created_by": str,
}
FILE_TYPES = {"index": int, "name": str, "size": int, "progress": NUM, "priority": int, "is_seed": bool,
              "piece_range": list, "availability": NUM}
TRACKER_TYPES = {"url": str, "status": int, "tier": int, "num_peers": int, "num_seeds": int, "num_leeches": int,
                 "num_downloaded": int, "msg": str}
SERVER_TYPES = {"dl_info_speed": int, "up_info_speed": int, "dl_info_data": int, "up_info_data": int,
                "alltime_dl": int, "alltime_ul": int, "dht_nodes": int, "connection_status": str,
                "free_space_on_disk": int}
# Fields of a torrent that do not move by themselves (a delta must not repeat them unchanged,
# and the model built from deltas must agree with a full update on them).
STABLE = ("name", "size", "total_size", "state", "category", "save_path", "content_path", "progress", "tags",
          "added_on", "amount_left", "ratio_limit", "seeding_time_limit")


def type_problems(obj, types, what):
    """Missing fields and wrong JSON types of obj against {field: type}."""
    if not isinstance(obj, dict):
        return [f"{what}: not a JSON object: {obj!r:.200}"]
    out = []
    for k, t in types.items():
        if k not in obj:
            out.append(f"{what}: no {k!r}")
            continue
        v = obj[k]
        if t == NUM:
            ok = isinstance(v, (int, float)) and not isinstance(v, bool)
        elif t is int:
            ok = isinstance(v, int) and not isinstance(v, bool)
        else:
            ok = isinstance(v, t)
        if not ok:
            out.append(f"{what}: {k}={v!r} is not {t if t == NUM else t.__name__}")
    return out


def multipart(fields=(), files=(), boundary=None):
    """(body, content type) of a multipart/form-data body: fields [(name, text)], files
    [(name, filename, bytes, content type)]."""
    boundary = boundary or "----correntQbt" + secrets.token_hex(12)
    out = bytearray()
    for name, value in fields:
        out += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                + value.encode() + b"\r\n")
    for name, filename, data, ctype in files:
        out += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {ctype}\r\n\r\n".encode() + data + b"\r\n")
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def show(r):
    """A request and its reply, for failure messages."""
    sent = getattr(r, "sent", b"") or b""
    body = f" body={sent[:160]!r}" if sent else ""
    return (f"{r.method} {r.path}{body} -> {r.status} [{r.ctype}] {r.body[:300].decode(errors='replace')!r}")


class Qbt:
    """A qBittorrent Web API v2 client on a dl.Daemon: the SID cookie once logged in."""

    def __init__(self, daemon):
        self.d = daemon
        self.sid = None

    def request(self, method, path, body=None, headers=None, cookie=True, source=None):
        h = dict(headers or {})
        if cookie and self.sid:
            h["Cookie"] = f"SID={self.sid}"
        r = self.d.request(method, "/api/v2/" + path, body=body, headers=h, source=source)
        r.sent = body
        return r

    def get(self, path, params=None, **kw):
        q = ("?" + urllib.parse.urlencode(params)) if params is not None else ""
        return self.request("GET", path + q, **kw)

    def post(self, path, fields=None, headers=None, **kw):
        body = urllib.parse.urlencode(fields or {}).encode()
        h = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        return self.request("POST", path, body=body, headers=h, **kw)

    def post_multipart(self, path, fields=(), files=(), headers=None, **kw):
        body, ctype = multipart(fields, files)
        return self.request("POST", path, body=body, headers={"Content-Type": ctype, **(headers or {})}, **kw)

    def login(self, user=USER, password=PASSWORD, source=None, keep=True):
        r = self.post("auth/login", {"username": user, "password": password}, cookie=False, source=source)
        m = re.search(r"(?:^|[;,]\s*)SID=([^;,\s]+)", r.headers.get("set-cookie", ""))
        r.sid = m[1] if m else None
        if keep and r.sid:
            self.sid = r.sid
        return r

    def info(self, **params):
        r = self.get("torrents/info", params)
        if r.status != 200 or not isinstance(r.json, list):
            raise AssertionError(f"torrents/info: {show(r)}")
        return r.json

    def by_hash(self, **params):
        return {t.get("hash"): t for t in self.info(**params)}


class QbittorrentApiTest(unittest.TestCase):
    maxDiff = 4000

    def setUp(self):
        self.sw = sl.Swarm(f"qbt-{self._testMethodName}"[:48])
        self.t0 = time.monotonic()
        self.daemons = []
        self.bad = []  # deviations found so far: the case goes on, and fails at the end if any

    def tearDown(self):
        self.sw.close()

    def soft(self, cond, msg):
        """Record a deviation without stopping the case (self.verdict() fails on them)."""
        if not cond:
            sl.log(f"DEVIATION: {msg}")
            self.bad.append(msg)
        return cond

    def verdict(self):
        if self.bad:
            self.fail(f"{len(self.bad)} deviation(s): " + " || ".join(self.bad) + self.ctx())

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

    def ctx(self, n=25):
        out = []
        for d in self.daemons:
            out.append(f"--- {d.name} (rc={d.proc.rc}) {' '.join(d.argv)}\n{d.log_tail(n)}")
        return "\n" + "\n".join(out)

    # ------------------------------------------------------------ building blocks
    def dirs(self):
        state = os.path.join(self.sw.tmp, "state")  # not created: the daemon makes it
        dl_dir = os.path.join(self.sw.tmp, "downloads")
        os.makedirs(dl_dir)
        return state, dl_dir

    def daemon(self, state, dl_dir, password=True):
        extra = []
        if password:
            pw = os.path.join(self.sw.tmp, "api-password")
            with open(pw, "w") as f:
                f.write(PASSWORD + "\n")
            os.chmod(pw, 0o600)
            extra = ["--api-password-file", pw, "--api-user", USER]
        d = dl.Daemon(self.sw, state, name=f"daemon{len(self.daemons)}", download_dir=dl_dir, extra=extra)
        self.daemons.append(d)
        d.url()
        return d, Qbt(d)

    def swarm(self, specs, caps=None, plugins=()):
        """specs: [(content, piece_length)]. One MiniTracker; one ltpeer seeder per torrent on
        127.0.0.(2+i) (libtorrent's plugins, for ut_metadata, for the indexes in `plugins`)."""
        bases = [self.sw.make_torrent(c, p) for c, p in specs]
        tracker = self.sw.start_mini_tracker(bases, interval=1800, min_interval=60)
        torrents = [self.sw.announce_torrent(b, tracker) for b in bases]
        seeders = []
        for i, (t, (c, _)) in enumerate(zip(torrents, specs)):
            seeders.append(ml.LtPeer(self.sw, f"lt-seed{i}", "seed", torrent=t, content=c, host=f"127.0.0.{2 + i}",
                                     plugins=i in plugins, upload_limit=(caps or {}).get(i, 0), timeout=1800))
        for s, t in zip(seeders, torrents):
            self.sw.wait_ready([s], tracker, t)
        return tracker, torrents, seeders

    def login_ok(self, q):
        r = q.login()
        self.assertEqual((r.status, r.body), (200, b"Ok."), f"login with the right password: {show(r)}{self.ctx()}")
        self.assertTrue(r.sid, f"login: no Set-Cookie SID=...: {r.headers}")
        return r

    def add_file(self, q, torrent, fields=(), **kw):
        with open(torrent.path, "rb") as f:
            data = f.read()
        return q.post_multipart("torrents/add", fields,
                                [("torrents", os.path.basename(torrent.path), data, "application/x-bittorrent")], **kw)

    def wait_rows(self, q, pred, timeout, what, states_seen=None):
        """Poll torrents/info (bounded) until pred({hash: row}); (rows, reached). Every row's
        state is checked to be one of qBittorrent's on the way (bad ones into states_seen)."""
        end = time.monotonic() + timeout * SLOW
        while True:
            rows = q.by_hash()
            if states_seen is not None:
                for h, t in rows.items():
                    if t.get("state") not in STATES:
                        states_seen.add((h[:8], t.get("state")))
            if pred(rows):
                return rows, True
            if time.monotonic() > end or not q.d.alive():
                sl.log(f"{what}: not reached within {timeout}s: {rows}")
                return rows, False
            time.sleep(0.25)

    def wait_gone(self, path, timeout=5.0):
        end = time.monotonic() + timeout * SLOW
        while os.path.lexists(path) and time.monotonic() < end:
            time.sleep(0.1)
        return not os.path.lexists(path)

    def check_version(self, q):
        """app/webapiVersion as (major, minor, patch); the paused state names that go with it."""
        r = q.get("app/webapiVersion")
        self.assertEqual(r.status, 200, show(r))
        text = r.body.decode(errors="replace").strip()
        m = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", text)
        self.assertIsNotNone(m, f"app/webapiVersion is not x.y.z: {show(r)}")
        version = tuple(int(x) for x in m.groups())
        self.assertEqual(version[0], 2, f"Web API v2: {text}")
        paused = ("stoppedUP", "stoppedDL") if version >= (2, 11, 0) else ("pausedUP", "pausedDL")
        return text, paused

    # ============================================================ 1
    def test_01_sonarr_sequence(self):
        ca = self.sw.make_single("Show.S01E01.mkv", 4 * MiB + 1234, seed=31)
        cb = self.sw.make_single("Show.S01E02.mkv", 3 * MiB + 77, seed=32)
        tracker, (ta, tb), seeders = self.swarm([(ca, 64 * KiB), (cb, 128 * KiB)], caps={0: 1_000_000}, plugins={1})
        a, b = ta.info_hash, tb.info_hash
        state, dl_dir = self.dirs()
        tv_dir = os.path.join(dl_dir, "tv")
        d, q = self.daemon(state, dl_dir)

        # -- login
        r = q.login(password="not-the-password")
        self.assertEqual((r.status, r.body), (200, b"Fails."), f"wrong password: {show(r)}{self.ctx()}")
        self.assertNotIn("set-cookie", r.headers, f"wrong password gave a cookie: {r.headers}")
        for path in ("app/version", "torrents/info", "app/preferences"):
            r = q.get(path)
            self.assertEqual(r.status, 403, f"without the cookie: {show(r)}")
        r = q.get("torrents/info", headers={"Cookie": "SID=" + "0" * 32}, cookie=False)
        self.assertEqual(r.status, 403, f"with a made-up SID: {show(r)}")
        r = q.post("torrents/pause", {"hashes": "all"})
        self.assertEqual(r.status, 403, f"POST without the cookie: {show(r)}")
        lr = self.login_ok(q)
        self.soft("httponly" in lr.headers.get("set-cookie", "").lower(),
                  f"Set-Cookie without HttpOnly: {lr.headers.get('set-cookie')}")

        # -- app
        api_version, paused = self.check_version(q)
        r = q.get("app/version")
        self.assertEqual(r.status, 200, show(r))
        self.assertRegex(r.body.decode(errors="replace"), r"^v\d+\.\d+\.\d+", f"app/version: {show(r)}")
        r = q.get("app/preferences")
        self.assertEqual(r.status, 200, show(r))
        prefs = r.json
        self.assertEqual(type_problems(prefs, PREF_TYPES, "app/preferences"), [], show(r))
        self.assertEqual(os.path.realpath(prefs["save_path"]), os.path.realpath(dl_dir), f"save_path: {prefs}")
        self.assertEqual(prefs["listen_port"], d.listen_port, f"listen_port: {prefs}")
        self.assertFalse(prefs["dht"], f"--no-dht, yet preferences say dht: {prefs}")

        # -- category
        r = q.post("torrents/createCategory", {"category": "tv", "savePath": tv_dir})
        self.assertEqual(r.status, 200, f"createCategory: {show(r)}")
        r = q.get("torrents/categories")
        self.assertEqual(r.status, 200, show(r))
        cats = r.json
        self.assertIsInstance(cats, dict, show(r))
        self.assertEqual(set(cats), {"tv"}, show(r))
        self.assertEqual(cats["tv"].get("name"), "tv", show(r))
        self.assertEqual(os.path.realpath(cats["tv"].get("savePath", "")), os.path.realpath(tv_dir), show(r))

        # -- add: a .torrent file part, then a magnet by `urls`
        r = self.add_file(q, ta, [("category", "tv"), ("tags", "sonarr,tv-import"), ("paused", "false"),
                                  ("sequentialDownload", "false"), ("firstLastPiecePrio", "false")])
        self.assertEqual((r.status, r.body), (200, b"Ok."), f"torrents/add (file part): {show(r)}{self.ctx()}")
        early = q.by_hash()
        self.assertIn(a, early, f"torrents/info right after the add: {early}")
        down = q.by_hash(filter="downloading")
        self.soft(a in down and early[a]["progress"] < 1,
                  f"filter=downloading right after the add (seeder capped at 1 MB/s): {sorted(down)}; row {early[a]}")
        for f in ("seeding", "completed"):
            rows = q.by_hash(filter=f)
            if early[a]["progress"] < 1:
                self.soft(a not in rows, f"filter={f} holds {a[:8]} at progress {early[a]['progress']}")
        magnet = ml.magnet_uri(b, tb.name, trackers=[tracker.http])
        r = q.post("torrents/add", {"urls": magnet, "paused": "false", "tags": "sonarr"})
        self.assertEqual((r.status, r.body), (200, b"Ok."), f"torrents/add (urls=magnet): {show(r)}{self.ctx()}")

        # -- the list, its fields and filters
        rows = q.by_hash()
        self.assertEqual(set(rows), {a, b}, f"torrents/info after two adds: {rows}")
        for h, t in rows.items():
            self.soft(type_problems(t, INFO_TYPES, f"torrents/info {h[:8]}") == [],
                      f"{type_problems(t, INFO_TYPES, f'torrents/info {h[:8]}')}")
            self.soft(t.get("state") in STATES, f"torrents/info {h[:8]} state {t.get('state')!r}")
        self.assertEqual([k for k in SONARR_FIELDS if k not in rows[a]], [], f"fields Sonarr reads: {rows[a]}")
        self.assertEqual((rows[a]["name"], rows[a]["size"], rows[a]["category"]), (ta.name, ta.total_size, "tv"),
                         rows[a])
        self.assertEqual(rows[b]["category"], "", rows[b])
        self.soft(rows[a]["tags"] == "sonarr, tv-import", f"tags of A: {rows[a]['tags']!r} (qBt: 'sonarr, tv-import')")
        self.assertEqual(set(q.by_hash(hashes=f"{a.upper()}|{b}")), {a, b}, "hashes=A|b")
        self.assertEqual(set(q.by_hash(hashes=a)), {a}, "hashes=a")
        self.assertEqual(set(q.by_hash(category="tv")), {a}, "category=tv")
        self.assertEqual(set(q.by_hash(category="")), {b}, "category= (uncategorized)")
        self.assertEqual(set(q.by_hash(category="movies")), set(), "category=movies (none)")

        # -- until both are complete and seeding
        bad_states = set()
        rows, ok = self.wait_rows(q, lambda rs: len(rs) == 2 and all(
            t["progress"] == 1 and t["state"] in SEEDING for t in rs.values()), 60, "both seeding", bad_states)
        self.assertTrue(ok, f"both uploading/stalledUP with progress 1 within 60 s: {rows}{self.ctx()}")
        self.soft(not bad_states, f"states that are not qBittorrent's: {sorted(bad_states)}")
        self.assertIsNone(self.sw.verify(ca, tv_dir), f"A under the category's save path {tv_dir}{self.ctx()}")
        self.assertIsNone(self.sw.verify(cb, dl_dir), f"B under the download dir{self.ctx()}")
        ra, rb = rows[a], rows[b]
        self.assertEqual(os.path.realpath(ra["save_path"]), os.path.realpath(tv_dir), ra)
        self.assertEqual(os.path.realpath(ra["content_path"]), os.path.realpath(os.path.join(tv_dir, ta.name)), ra)
        self.assertEqual(os.path.realpath(rb["save_path"]), os.path.realpath(dl_dir), rb)
        self.assertEqual(os.path.realpath(rb["content_path"]), os.path.realpath(os.path.join(dl_dir, tb.name)), rb)
        self.assertEqual((rb["name"], rb["size"]), (tb.name, tb.total_size), rb)
        for t in (ra, rb):
            self.soft(type_problems(t, INFO_TYPES, "complete torrent") == [], f"{type_problems(t, INFO_TYPES, 'x')}")
            self.soft(t["eta"] == 8640000, f"eta of a complete torrent {t['eta']} (qBt: 8640000)")
            self.soft(t["amount_left"] == 0, f"amount_left {t['amount_left']}")
            self.soft(t["completion_on"] > 0, f"completion_on {t['completion_on']} of a complete torrent")
            self.soft(t["ratio_limit"] == -2 and t["seeding_time_limit"] == -2,
                      f"no share limits set: ratio_limit {t['ratio_limit']}, seeding_time_limit "
                      f"{t['seeding_time_limit']} (qBt: -2, the global one)")
        self.assertEqual(set(q.by_hash(filter="downloading")), set(), "filter=downloading when both seed")
        self.assertEqual(set(q.by_hash(filter="seeding")), {a, b}, "filter=seeding")
        self.assertEqual(set(q.by_hash(filter="completed")), {a, b}, "filter=completed")
        self.assertEqual(set(q.by_hash(filter="paused")), set(), "filter=paused")
        self.assertEqual(set(q.by_hash(filter="all")), {a, b}, "filter=all")

        # -- one torrent's details
        r = q.get("torrents/properties", {"hash": a})
        self.assertEqual(r.status, 200, show(r))
        p = r.json
        self.soft(type_problems(p, PROP_TYPES, "properties") == [], f"{type_problems(p, PROP_TYPES, 'properties')}")
        self.assertEqual(os.path.realpath(str(p.get("save_path", "")).rstrip("/")), os.path.realpath(tv_dir), p)
        self.assertEqual((p.get("total_size"), p.get("piece_size")), (ta.total_size, ta.piece_length), p)
        self.assertEqual((p.get("pieces_num"), p.get("pieces_have")), (ta.num_pieces, ta.num_pieces), p)
        r = q.get("torrents/files", {"hash": a})
        self.assertEqual(r.status, 200, show(r))
        self.assertIsInstance(r.json, list, show(r))
        self.assertEqual(len(r.json), 1, show(r))
        f0 = r.json[0]
        self.soft(type_problems(f0, FILE_TYPES, "files[0]") == [], f"{type_problems(f0, FILE_TYPES, 'files[0]')}")
        self.assertEqual((f0.get("name"), f0.get("size"), f0.get("progress"), f0.get("priority"), f0.get("is_seed"),
                          f0.get("piece_range")),
                         (ta.name, ta.total_size, 1, 1, True, [0, ta.num_pieces - 1]), f"torrents/files: {f0}")
        r = q.get("torrents/trackers", {"hash": a})
        self.assertEqual(r.status, 200, show(r))
        trs = r.json
        self.assertIsInstance(trs, list, show(r))
        for t in trs:
            self.soft(type_problems(t, TRACKER_TYPES, "trackers") == [], f"{type_problems(t, TRACKER_TYPES, 'tr')}")
        self.assertEqual([t.get("url") for t in trs[:3]], PSEUDO_TRACKERS, show(r))
        self.assertEqual(trs[0].get("status"), 0, f"DHT is off (--no-dht): {trs[0]}")
        real = [t for t in trs[3:] if t.get("url") == tracker.http]
        self.assertEqual(len(real), 1, f"the tracker {tracker.http} in torrents/trackers: {trs}")
        self.assertEqual(real[0].get("status"), 2, f"the tracker announced fine: status 2 (working): {real[0]}")
        r = q.get("torrents/pieceStates", {"hash": a})
        self.assertEqual(r.status, 200, show(r))
        self.assertEqual(r.json, [2] * ta.num_pieces, f"pieceStates of a complete torrent: {r.body[:200]!r}")

        # -- share limits
        r = q.post("torrents/setShareLimits", {"hashes": a, "ratioLimit": "2", "seedingTimeLimit": "60",
                                               "inactiveSeedingTimeLimit": "-2"})
        self.assertEqual(r.status, 200, show(r))
        t = q.by_hash(hashes=a)[a]
        self.assertEqual((t["ratio_limit"], t["seeding_time_limit"]), (2, 60), f"after setShareLimits(2, 60): {t}")
        self.soft((t["max_ratio"], t["max_seeding_time"]) == (2, 60),
                  f"max_ratio/max_seeding_time after setShareLimits(2, 60): {t['max_ratio']}, {t['max_seeding_time']}")
        self.assertIn(t["state"], SEEDING, f"a ratio limit of 2 at ratio {t['ratio']} must not stop it: {t}")
        self.assertEqual(q.by_hash(hashes=b)[b]["ratio_limit"], -2, "setShareLimits on A touched B")
        # -1: no limit for this torrent, -2: the global limit (qBittorrent keeps them apart)
        r = q.post("torrents/setShareLimits", {"hashes": b, "ratioLimit": "-1", "seedingTimeLimit": "-1",
                                               "inactiveSeedingTimeLimit": "-1"})
        self.assertEqual(r.status, 200, show(r))
        t = q.by_hash(hashes=b)[b]
        self.soft((t["ratio_limit"], t["seeding_time_limit"]) == (-1, -1),
                  f"{show(r)}, then torrents/info has ratio_limit={t['ratio_limit']} seeding_time_limit="
                  f"{t['seeding_time_limit']} (qBittorrent: -1 and -1, 'no limit'; -2 means 'the global limit')")
        r = q.post("torrents/setShareLimits", {"hashes": b, "ratioLimit": "-2", "seedingTimeLimit": "-2",
                                               "inactiveSeedingTimeLimit": "-2"})
        self.assertEqual(r.status, 200, show(r))
        t = q.by_hash(hashes=b)[b]
        self.assertEqual((t["ratio_limit"], t["seeding_time_limit"]), (-2, -2), f"back to the global limits: {t}")

        # -- pause/resume (4.x names), stop/start (5.x names)
        for stop, start in (("pause", "resume"), ("stop", "start")):
            r = q.post(f"torrents/{stop}", {"hashes": a})
            self.assertEqual(r.status, 200, show(r))
            rows, ok = self.wait_rows(q, lambda rs: rs[a]["state"] == paused[0], 10, f"{stop} -> {paused[0]}")
            self.assertTrue(ok, f"torrents/{stop}: state {rows[a]['state']}, expected {paused[0]} (Web API "
                                f"{api_version}){self.ctx()}")
            self.assertIn(rows[b]["state"], SEEDING, f"torrents/{stop} of A touched B: {rows[b]}")
            self.assertEqual(set(q.by_hash(filter="paused")), {a}, f"filter=paused after {stop}")
            self.assertEqual(set(q.by_hash(filter="seeding")), {b}, f"filter=seeding after {stop}")
            self.assertEqual(set(q.by_hash(filter="completed")), {a, b}, f"filter=completed after {stop}")
            r = q.post(f"torrents/{start}", {"hashes": a})
            self.assertEqual(r.status, 200, show(r))
            rows, ok = self.wait_rows(q, lambda rs: rs[a]["state"] in SEEDING, 15, f"{start} -> seeding")
            self.assertTrue(ok, f"torrents/{start}: state {rows[a]['state']}{self.ctx()}")
            self.assertEqual(rows[a]["progress"], 1, rows[a])

        # -- queue position and force start (Sonarr's "initial state" options)
        r = q.post("torrents/topPrio", {"hashes": a})
        self.assertIn(r.status, (200, 409), f"topPrio: {show(r)}")
        if r.status == 409:
            self.assertFalse(prefs["queueing_enabled"], "409 from topPrio while queueing is said to be enabled")
        r = q.post("torrents/setForceStart", {"hashes": a, "value": "true"})
        self.assertEqual(r.status, 200, show(r))
        t = q.by_hash(hashes=a)[a]
        self.soft(t["force_start"] is True and t["state"] == "forcedUP",
                  f"{show(r)}, then torrents/info has force_start={t['force_start']} state={t['state']} "
                  f"(qBittorrent: force_start true, state forcedUP)")
        r = q.post("torrents/setForceStart", {"hashes": a, "value": "false"})
        self.assertEqual(r.status, 200, show(r))

        # -- delete with and without the files
        a_file = os.path.join(tv_dir, ta.name)
        r = q.post("torrents/delete", {"hashes": a, "deleteFiles": "true"})
        self.assertEqual(r.status, 200, show(r))
        rows, ok = self.wait_rows(q, lambda rs: a not in rs, 5, "A gone")
        self.assertTrue(ok, f"A still listed after delete: {rows}")
        self.soft(self.wait_gone(a_file), f"{show(r)}, but {a_file} is still there 5 s later")
        r = q.post("torrents/delete", {"hashes": b, "deleteFiles": "false"})
        self.assertEqual(r.status, 200, show(r))
        rows, ok = self.wait_rows(q, lambda rs: b not in rs, 5, "B gone")
        self.assertTrue(ok, f"B still listed after delete: {rows}")
        time.sleep(0.5)
        self.assertIsNone(self.sw.verify(cb, dl_dir), "deleteFiles=false must keep B's file")
        self.assertEqual(q.info(), [], "torrents/info after both deletes")
        self.assertIn("tv", q.get("torrents/categories").json or {}, "the category outlives its torrents")

        # -- logout
        r = q.post("auth/logout")
        self.assertEqual(r.status, 200, show(r))
        r = q.get("app/version")
        self.assertEqual(r.status, 403, f"the cookie after auth/logout: {show(r)}")
        self.verdict()
        self.outcome(f"Web API {api_version}; file + magnet adds seeding in "
                     f"{time.monotonic() - self.t0:.0f}s; filters, details, limits, pause/stop, deletes")

    # ============================================================ 2
    def test_02_sync_maindata(self):
        ca = self.sw.make_single("Movie.2024.mkv", 2 * MiB + 5, seed=41)
        cb = self.sw.make_single("Movie.2025.mkv", 2 * MiB + 9, seed=42)
        tracker, (ta, tb), _ = self.swarm([(ca, 64 * KiB), (cb, 64 * KiB)])
        x, y = ta.info_hash, tb.info_hash
        state, dl_dir = self.dirs()
        d, q = self.daemon(state, dl_dir)
        self.login_ok(q)
        _, paused = self.check_version(q)
        for t in (ta, tb):
            r = self.add_file(q, t, [("paused", "false")])
            self.assertEqual((r.status, r.body), (200, b"Ok."), f"add {t.name}: {show(r)}{self.ctx()}")
        rows, ok = self.wait_rows(q, lambda rs: len(rs) == 2 and all(
            t["progress"] == 1 and t["state"] in SEEDING for t in rs.values()), 45, "both seeding")
        self.assertTrue(ok, f"both seeding within 45 s: {rows}{self.ctx()}")

        def maindata(rid):
            r = q.get("sync/maindata", {"rid": rid})
            self.assertEqual(r.status, 200, show(r))
            self.assertIsInstance(r.json, dict, show(r))
            self.assertTrue(r.ctype.startswith("application/json"), show(r))
            self.assertIsInstance(r.json.get("rid"), int, show(r))
            return r

        # full update
        r = maindata(0)
        full = r.json
        self.assertIs(full.get("full_update"), True, show(r))
        self.assertEqual(set(full.get("torrents", {})), {x, y}, show(r))
        for h, t in full["torrents"].items():
            probs = type_problems(t, {k: v for k, v in INFO_TYPES.items() if k != "hash"}, f"maindata {h[:8]}")
            self.soft(probs == [], f"{probs}")
        self.assertIsInstance(full.get("categories"), dict, show(r))
        self.assertIsInstance(full.get("tags"), list, show(r))
        self.assertEqual(type_problems(full.get("server_state"), SERVER_TYPES, "server_state"), [], show(r))

        model = {"torrents": {h: dict(t) for h, t in full["torrents"].items()},
                 "categories": dict(full["categories"]), "tags": set(full["tags"]),
                 "server_state": dict(full["server_state"]), "rid": full["rid"]}

        def step(what):
            """The next delta from the model's rid, applied to the model; its reply."""
            r = maindata(model["rid"])
            m = r.json
            if m.get("full_update"):
                self.soft(False, f"{what}: full_update for rid {model['rid']} that the server just gave: {show(r)}")
                model["torrents"] = {h: dict(t) for h, t in m.get("torrents", {}).items()}
                model["categories"] = dict(m.get("categories", {}))
                model["tags"] = set(m.get("tags", []))
                model["server_state"] = dict(m.get("server_state", {}))
            else:
                for h, delta in m.get("torrents", {}).items():
                    old = model["torrents"].get(h)
                    if old is not None:
                        same = sorted(k for k, v in delta.items() if k in old and old[k] == v)
                        self.soft(not same, f"{what}: torrent {h[:8]} repeats unchanged fields {same}: {show(r)}")
                        old.update(delta)
                    else:
                        model["torrents"][h] = dict(delta)
                for h in m.get("torrents_removed", []):
                    model["torrents"].pop(h, None)
                for k, v in m.get("categories", {}).items():
                    model["categories"][k] = v
                for k in m.get("categories_removed", []):
                    model["categories"].pop(k, None)
                model["tags"] |= set(m.get("tags", []))
                model["tags"] -= set(m.get("tags_removed", []))
                ss = m.get("server_state", {})
                same = sorted(k for k, v in ss.items() if model["server_state"].get(k) == v)
                self.soft(not same, f"{what}: server_state repeats unchanged fields {same}: {show(r)}")
                model["server_state"].update(ss)
            model["rid"] = m["rid"]
            return r

        # nothing changed
        r = step("no change")
        self.assertNotEqual(r.json.get("full_update"), True, f"a known rid gives a delta: {show(r)}")
        self.soft(len(r.body) < 1024, f"a delta with nothing changed is {len(r.body)} bytes: {show(r)}")
        quiet = r.json

        # pause X: its state, and nothing unchanged
        r = q.post("torrents/pause", {"hashes": x})
        self.assertEqual(r.status, 200, show(r))
        carried = None
        end = time.monotonic() + 5 * SLOW
        while time.monotonic() < end:
            r = step("pause")
            delta = r.json.get("torrents", {}).get(x)
            if delta and "state" in delta:
                carried = delta
                break
            time.sleep(0.3)
        self.assertIsNotNone(carried, f"no delta carried {x[:8]}'s state after torrents/pause{self.ctx()}")
        self.assertEqual(carried["state"], paused[0], f"delta after pause: {carried}")
        leaked = sorted(set(carried) & {"name", "hash", "size", "total_size", "save_path", "category", "added_on",
                                        "magnet_uri", "infohash_v1", "content_path"})
        self.assertEqual(leaked, [], f"the pause delta repeats unchanged fields: {carried}")

        # addTags on Y: the torrent's tags and the global tag list
        r = q.post("torrents/addTags", {"hashes": y, "tags": "radarr"})
        self.assertEqual(r.status, 200, show(r))
        r = step("addTags")
        self.soft(r.json.get("torrents", {}).get(y, {}).get("tags") == "radarr",
                  f"delta after addTags radarr on {y[:8]}: {show(r)}")
        self.soft("radarr" in r.json.get("tags", []), f"`tags` delta after addTags: {show(r)}")

        # delete Y
        r = q.post("torrents/delete", {"hashes": y, "deleteFiles": "false"})
        self.assertEqual(r.status, 200, show(r))
        r = step("delete")
        self.assertEqual(r.json.get("torrents_removed"), [y], f"delta after delete: {show(r)}")
        self.assertNotIn(y, r.json.get("torrents", {}), show(r))

        # categories
        movies = os.path.join(dl_dir, "movies")
        r = q.post("torrents/createCategory", {"category": "movies", "savePath": movies})
        self.assertEqual(r.status, 200, show(r))
        r = step("createCategory")
        cat = r.json.get("categories", {}).get("movies")
        self.assertIsInstance(cat, dict, f"`categories` delta after createCategory: {show(r)}")
        self.assertEqual(cat.get("name"), "movies", show(r))
        self.assertEqual(os.path.realpath(cat.get("savePath", "")), os.path.realpath(movies), show(r))
        r = q.post("torrents/removeCategories", {"categories": "movies"})
        self.assertEqual(r.status, 200, show(r))
        r = step("removeCategories")
        self.assertEqual(r.json.get("categories_removed"), ["movies"], f"delta after removeCategories: {show(r)}")

        # the model against a new full update
        r = maindata(0)
        again = r.json
        self.assertIs(again.get("full_update"), True, show(r))
        self.assertEqual(set(again["torrents"]), set(model["torrents"]), "torrents: model vs full update")
        for h, t in again["torrents"].items():
            mine = model["torrents"][h]
            diff = {k: (mine.get(k), t.get(k)) for k in STABLE if mine.get(k) != t.get(k)}
            self.soft(not diff, f"model built from deltas differs from the full update on {h[:8]}: {diff}")
        self.assertEqual(again.get("categories"), model["categories"], "categories: model vs full update")
        self.assertEqual(set(again.get("tags", [])), model["tags"], "tags: model vs full update")

        # an unknown rid
        r = maindata(999999)
        self.assertIs(r.json.get("full_update"), True, f"rid=999999: {show(r)}")
        self.assertEqual(set(r.json.get("torrents", {})), {x}, show(r))
        self.assertIn("server_state", r.json, show(r))
        self.verdict()
        self.outcome(f"full update, quiet delta {len(json.dumps(quiet))} B, pause/addTags/delete/category deltas, "
                     f"model == full update, rid=999999 -> full")

    # ============================================================ 3
    def test_03_hostile(self):
        content = self.sw.make_single("Held.bin", 1 * MiB + 3, seed=51)
        held = self.sw.make_torrent(content, 64 * KiB)
        other = self.sw.make_torrent(self.sw.make_single("Other.bin", 256 * KiB, seed=52), 32 * KiB)
        h = held.info_hash
        state, dl_dir = self.dirs()
        d, q = self.daemon(state, dl_dir)
        self.login_ok(q)
        _, paused = self.check_version(q)
        r = self.add_file(q, held, [("paused", "true"), ("category", "held")])
        self.assertEqual((r.status, r.body), (200, b"Ok."), f"paused add: {show(r)}{self.ctx()}")
        first = q.by_hash()
        self.assertEqual(set(first), {h}, first)
        rows, ok = self.wait_rows(q, lambda rs: rs[h]["state"] == paused[1], 10, f"added paused -> {paused[1]}")
        self.assertTrue(ok, f"added paused: state {rows[h]['state']} 10 s later (first {first[h]['state']}), "
                            f"expected {paused[1]}{self.ctx()}")
        sl.log(f"paused add: state {first[h]['state']} at once, {paused[1]} later")
        self.assertEqual(rows[h]["category"], "held", "a category named on add is created (qBittorrent does)")

        def snapshot():
            return ({k: (t["state"], t["category"], t["tags"], t["save_path"]) for k, t in q.by_hash().items()},
                    q.get("torrents/categories").json)
        before = snapshot()
        host = f"{d.host}:{d.port}"

        # -- forged Origin / Referer, with a valid cookie
        forged = [
            ("POST torrents/delete, Origin evil", lambda: q.post(
                "torrents/delete", {"hashes": "all", "deleteFiles": "true"}, headers={"Origin": "http://evil.example"})),
            ("POST torrents/resume, Origin evil", lambda: q.post("torrents/resume", {"hashes": h},
                                                                 headers={"Origin": "http://evil.example"})),
            ("POST createCategory, Referer evil", lambda: q.post("torrents/createCategory", {"category": "evil"},
                                                                 headers={"Referer": "http://evil.example/x"})),
            ("POST torrents/resume, Referer other port", lambda: q.post(
                "torrents/resume", {"hashes": h}, headers={"Referer": f"http://{d.host}:{d.port + 1}/"})),
            ("GET torrents/info, Origin evil", lambda: q.get("torrents/info",
                                                             headers={"Origin": "http://evil.example"})),
        ]
        for what, call in forged:
            r = call()
            self.soft(r.status == 401, f"{what}: {show(r)} (qBittorrent: 401 Unauthorized, 'Origin header & "
                                       f"Target origin mismatch')")
            self.assertNotEqual(r.status, 200, f"{what} was accepted: {show(r)}")
        self.assertEqual(snapshot(), before, "a forged request changed something")
        r = q.get("torrents/categories", headers={"Origin": f"http://{host}"})
        self.assertEqual(r.status, 200, f"same-origin Origin: {show(r)}")
        r = q.post("torrents/setShareLimits", {"hashes": h, "ratioLimit": "-2", "seedingTimeLimit": "-2"},
                   headers={"Origin": f"http://{host}", "Referer": f"http://{host}/index.html"})
        self.assertEqual(r.status, 200, f"same-origin POST: {show(r)}")

        # -- malformed multipart
        with open(held.path, "rb") as f:
            meta = f.read()
        body, ctype = multipart([("paused", "true")], [("torrents", "x.torrent", meta, "application/x-bittorrent")])
        bad_bodies = [
            ("no closing delimiter", body[:body.rindex(b"\r\n--")], ctype),
            ("a part without Content-Disposition", body.replace(b"Content-Disposition: form-data; name=\"paused\"",
                                                                b"X-Nothing: here", 1), ctype),
            ("a boundary the body does not use", body, "multipart/form-data; boundary=somethingelse"),
        ]
        for what, bb, ct in bad_bodies:
            r = q.request("POST", "torrents/add", body=bb, headers={"Content-Type": ct})
            self.assertEqual(r.status, 400, f"malformed multipart ({what}): {show(r)}")
        # a file part that is no torrent
        r = q.post_multipart("torrents/add", [("paused", "true")],
                             [("torrents", "notes.torrent", b"this is not a torrent\n", "application/x-bittorrent")])
        self.soft(r.status == 415, f"torrents/add of a non-torrent file part: {show(r)} (qBittorrent 4.6: 415 "
                                   f"\"Error: 'notes.torrent' is not a valid torrent file.\")")
        self.assertNotEqual(r.body, b"Ok.", show(r))
        self.assertEqual(set(q.by_hash()), {h}, "a bad add added something")
        # the same torrent again: qBittorrent 4.6 adds nothing and answers `Fails.`
        r = self.add_file(q, held, [("paused", "false")])
        self.assertEqual((r.status, r.body), (200, b"Fails."), f"second add of the same torrent: {show(r)}")
        # a save path outside the download dir (corrent's rule): not added, not created
        away = os.path.join(self.sw.tmp, "elsewhere")
        for sp in (away, "../elsewhere"):
            r = self.add_file(q, other, [("paused", "true"), ("savepath", sp)])
            self.assertEqual((r.status, r.body), (200, b"Fails."), f"add with savepath {sp}: {show(r)}")
        self.assertFalse(os.path.exists(away), "an add with a save path outside D created it")
        self.assertEqual(set(q.by_hash()), {h}, "an add outside the download dir added something")

        # -- bad arguments
        checks = [
            ("properties of an unknown hash", q.get("torrents/properties", {"hash": "0" * 40}), 404),
            ("properties of a malformed hash", q.get("torrents/properties", {"hash": "xyz"}), 404),
            ("files of an unknown hash", q.get("torrents/files", {"hash": "1" * 40}), 404),
            ("setCategory to a missing category",
             q.post("torrents/setCategory", {"hashes": h, "category": "nope"}), 409),
            ("createCategory ''", q.post("torrents/createCategory", {"category": ""}), 400),
            ("createCategory outside D",
             q.post("torrents/createCategory", {"category": "away", "savePath": os.path.join(self.sw.tmp, "away")}),
             400),
            ("createCategory '../x' path", q.post("torrents/createCategory",
                                                  {"category": "up", "savePath": "../escape"}), 400),
            ("createCategory existing", q.post("torrents/createCategory", {"category": "held"}), 409),
            ("delete without hashes", q.post("torrents/delete", {"deleteFiles": "true"}), 400),
            ("unknown endpoint torrents/frobnicate", q.post("torrents/frobnicate", {"hashes": h}), 404),
            ("unknown endpoint nothing/here", q.get("nothing/here"), 404),
        ]
        for what, r, want in checks:
            self.assertEqual(r.status, want, f"{what}: {show(r)}")
        self.assertFalse(os.path.exists(os.path.join(self.sw.tmp, "away")), "createCategory outside D created it")
        # where qBittorrent 4.6 answers otherwise than a first guess would
        r = q.post("torrents/createCategory", {"category": "a//b"})
        self.soft(r.status == 409, f"createCategory 'a//b': {show(r)} (qBittorrent 4.6: 409 'Incorrect category "
                                   f"name'; 400 is only for an empty name)")
        self.assertNotEqual(r.status, 200, show(r))
        r = q.get("torrents/properties")
        self.soft(r.status == 400, f"torrents/properties without `hash`: {show(r)} (qBittorrent: 400, "
                                   f"requireParams 'Missing required parameters')")
        r = q.post("torrents/delete", {"hashes": "0" * 40})
        self.soft(r.status == 400, f"torrents/delete without `deleteFiles`: {show(r)} (qBittorrent 4.6: 400, "
                                   f"requireParams({{hashes, deleteFiles}}))")
        r = q.get("torrents/info", {"filter": "bogus"})
        self.soft(r.status == 200 and isinstance(r.json, list) and {t.get("hash") for t in r.json} == {h},
                  f"torrents/info?filter=bogus: {show(r)} (qBittorrent: TorrentFilter::setTypeByName falls "
                  f"back to `all`: 200 with every torrent)")
        self.assertEqual(snapshot(), before, "the bad requests changed something")

        # -- login ban: five wrong passwords, then even the right one is refused from that address
        ban = None
        for i in range(6):
            r = q.login(password=f"wrong-{i}", keep=False)
            if i < 5:
                self.assertEqual((r.status, r.body), (200, b"Fails."), f"wrong password #{i + 1}: {show(r)}")
            else:
                self.soft(r.status == 403, f"the 6th login after 5 failures: {show(r)} (qBittorrent: 403 banned)")
        r = q.login(keep=False)
        self.assertEqual(r.status, 403, f"the right password from a banned address: {show(r)}")
        self.assertIn(BAN_TEXT, r.body.decode(errors="replace").lower(), show(r))
        self.assertIsNone(r.sid, f"a banned login got a cookie: {r.headers}")
        ban = r
        other = Qbt(d)
        r = other.login(source="127.0.0.7")
        self.assertEqual((r.status, r.body), (200, b"Ok."),
                         f"login from 127.0.0.7 while 127.0.0.1 is banned: {show(r)}")
        self.assertIsNotNone(r.sid, r.headers)
        r = other.get("app/version", source="127.0.0.7")
        self.assertEqual(r.status, 200, show(r))

        # -- afterwards: unchanged, still answering (the earlier session is not a login: it still works)
        self.assertTrue(d.alive(), f"the daemon died{self.ctx()}")
        self.assertEqual(snapshot(), before, "the torrent list or the categories changed")
        self.assertEqual({t["hash"] for t in other.info()}, {h})
        self.verdict()
        self.outcome(f"forged origins refused, {len(bad_bodies)} malformed multipart -> 400, bad args, ban "
                     f"({ban.status}) per address; nothing changed")

    # ============================================================ 4
    def test_04_no_password(self):
        content = self.sw.make_single("Open.bin", 512 * KiB + 1, seed=61)
        t = self.sw.make_torrent(content, 32 * KiB)
        state, dl_dir = self.dirs()
        d, q = self.daemon(state, dl_dir, password=False)
        r = q.login(user="anyone", password="anything", keep=False)
        self.assertEqual((r.status, r.body), (200, b"Ok."), f"login without a password set: {show(r)}")
        r = q.login(user="", password="", keep=False)
        self.assertEqual((r.status, r.body), (200, b"Ok."), f"empty login without a password set: {show(r)}")
        api_version, paused = self.check_version(q)  # no cookie from here on
        self.assertIsNone(q.sid)
        for path in ("app/version", "app/preferences", "torrents/categories"):
            r = q.get(path)
            self.assertEqual(r.status, 200, f"{path} without a cookie: {show(r)}")
        self.assertEqual(q.info(), [], "a new daemon lists nothing")
        r = self.add_file(q, t, [("paused", "true"), ("category", "open")])
        self.assertEqual((r.status, r.body), (200, b"Ok."), f"add without a cookie: {show(r)}{self.ctx()}")
        rows, ok = self.wait_rows(q, lambda rs: set(rs) == {t.info_hash} and rs[t.info_hash]["state"] == paused[1],
                                  10, f"added paused -> {paused[1]}")
        self.assertTrue(ok, f"added paused: {rows}{self.ctx()}")
        self.assertEqual(rows[t.info_hash]["progress"], 0, rows)
        r = q.get("sync/maindata", {"rid": 0})
        self.assertEqual(r.status, 200, show(r))
        self.assertIn(t.info_hash, (r.json or {}).get("torrents", {}), show(r))
        r = q.post("torrents/resume", {"hashes": t.info_hash}, headers={"Origin": "http://evil.example"})
        self.soft(r.status == 401, f"forged Origin without a password: {show(r)} (qBittorrent: 401)")
        self.assertNotEqual(r.status, 200, show(r))
        self.assertEqual(q.by_hash()[t.info_hash]["state"], paused[1], "the forged resume resumed it")
        r = q.post("torrents/delete", {"hashes": t.info_hash, "deleteFiles": "true"})
        self.assertEqual(r.status, 200, show(r))
        rows, ok = self.wait_rows(q, lambda rs: not rs, 5, "deleted")
        self.assertTrue(ok, f"still listed after delete: {rows}")
        self.verdict()
        self.outcome(f"Web API {api_version}; login Ok. for anyone, no cookie needed, add/delete")


    # ============================================================ 5
    def test_05_add_by_url(self):
        """Add by URL, as Sonarr/Prowlarr indexers hand out links: an http.server on
        127.0.0.1 serves the .torrent files, a 302 to a magnet link, a 404, an HTML page and
        a 17 MiB body. qBittorrent's `urls`, Transmission's torrent-add `filename` and the
        native API's `uri` each add a linked .torrent (paused, no peers); the magnet redirect
        adds a magnet; the bad links add nothing (qB `Fails.`, Transmission an error result,
        native 400) and the daemon keeps serving."""
        import http.server
        import threading
        specs = [self.sw.make_single(f"Linked{i}.bin", 64 * KiB + i, seed=70 + i) for i in range(4)]
        torrents = [self.sw.make_torrent(c, 16 * KiB) for c in specs]
        files = {}
        for i, t in enumerate(torrents[:3]):
            with open(t.path, "rb") as f:
                files[f"/t{i}.torrent"] = f.read()
        magnet = f"magnet:?xt=urn:btih:{torrents[3].info_hash}&dn=Linked3"
        served = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def reply(self, code, body=b"", ctype="application/x-bittorrent", headers=()):
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                served.append(self.path)
                if self.path in files:
                    self.reply(200, files[self.path])
                elif self.path == "/magnet":
                    self.reply(302, headers=[("Location", magnet)])
                elif self.path == "/page":
                    self.reply(200, b"<html><body>not a torrent</body></html>", "text/html")
                elif self.path == "/huge":
                    self.send_response(200)
                    self.send_header("Content-Length", str(17 << 20))
                    self.end_headers()
                    try:
                        for _ in range(17 * 16):
                            self.wfile.write(b"d" * 65536)
                    except OSError:
                        pass  # the daemon hung up at its limit
                else:
                    self.send_error(404)

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        base = f"http://127.0.0.1:{server.server_address[1]}"
        state, dl_dir = self.dirs()
        d, q = self.daemon(state, dl_dir, password=False)

        # qBittorrent: a link to a .torrent and a link that redirects to a magnet, in one add.
        r = q.post("torrents/add", {"urls": f"{base}/t0.torrent\n{base}/magnet", "paused": "true"})
        self.assertEqual((r.status, r.body), (200, b"Ok."), f"torrents/add (two links): {show(r)}{self.ctx()}")
        rows, ok = self.wait_rows(q, lambda rs: set(rs) == {torrents[0].info_hash, torrents[3].info_hash}, 10,
                                  "the linked .torrent and the magnet listed")
        self.assertTrue(ok, f"after adding by link: {rows} (served {served}){self.ctx()}")
        self.assertEqual(rows[torrents[0].info_hash]["name"], "Linked0.bin", rows)
        # The bad links: nothing added, `Fails.` (no link could be added).
        for path in ("/missing", "/page", "/huge"):
            r = q.post("torrents/add", {"urls": base + path})
            self.assertEqual((r.status, r.body), (200, b"Fails."), f"torrents/add {path}: {show(r)}{self.ctx()}")
        self.assertEqual(set(q.by_hash()), {torrents[0].info_hash, torrents[3].info_hash}, "a bad link added something")
        r = q.post("torrents/add", {"urls": "ftp://127.0.0.1/x.torrent"})
        self.assertEqual((r.status, r.body), (200, b"Fails."), f"an ftp link: {show(r)}")

        # Transmission: torrent-add with `filename` a link (the session-id handshake first).
        def trpc(method, arguments):
            r = d.request("POST", "/transmission/rpc", body=json.dumps({"method": method, "arguments": arguments}).encode())
            sid = r.headers.get("x-transmission-session-id")
            self.assertEqual(r.status, 409, f"no session id: {r.status} {r.body[:200]}")
            r = d.request("POST", "/transmission/rpc", headers={"X-Transmission-Session-Id": sid},
                          body=json.dumps({"method": method, "arguments": arguments}).encode(), timeout=40)
            self.assertEqual(r.status, 200, f"{method}: {r.status} {r.body[:300]}")
            return json.loads(r.body)
        reply = trpc("torrent-add", {"filename": f"{base}/t1.torrent", "paused": True})
        self.assertEqual(reply.get("result"), "success", f"torrent-add of a link: {reply}{self.ctx()}")
        self.assertEqual(reply["arguments"]["torrent-added"]["hashString"], torrents[1].info_hash, reply)
        reply = trpc("torrent-add", {"filename": f"{base}/missing", "paused": True})
        self.assertNotEqual(reply.get("result"), "success", f"torrent-add of a 404 link: {reply}")
        self.assertIn("404", reply.get("result", ""), f"the error names the HTTP status: {reply}")

        # The native API: `uri` may be a link.
        r = d.post_json("/api/v1/torrents", {"uri": f"{base}/t2.torrent", "paused": True}, timeout=40)
        self.assertEqual(r.status, 201, f"native add of a link: {r.status} {r.body[:300]}{self.ctx()}")
        r = d.post_json("/api/v1/torrents", {"uri": f"{base}/page", "paused": True}, timeout=40)
        self.assertEqual(r.status, 400, f"native add of a page: {r.status} {r.body[:300]}")
        want = {torrents[0].info_hash, torrents[1].info_hash, torrents[2].info_hash, torrents[3].info_hash}
        self.assertEqual(set(q.by_hash()), want, f"the list after every add (served {served})")
        self.assertTrue(d.alive(), self.ctx())
        self.verdict()
        self.outcome(f"qB urls (a .torrent link, a magnet redirect), Transmission filename, native uri; "
                     f"404/HTML/17 MiB/ftp refused; {len(served)} requests served")


def print_table():
    if not RESULTS:
        return
    w = max(len(c) for c, _, _ in RESULTS)
    print("\ncorrent qBittorrent Web API: case -> outcome", flush=True)
    for case, verdict, text in RESULTS:
        print(f"  {case.ljust(w)}  {verdict.ljust(5)}  {text}", flush=True)


if __name__ == "__main__":
    if sl.leecher_kind() != "corrent":
        print("skipped: the qBittorrent API tests are for corrent only", flush=True)
        sys.exit(0)
    sl.skip_download_tests_if_requested("qBittorrent Web API")
    atexit.register(print_table)
    seedlib.main("corrent qBittorrent Web API", budget_s=330)
