#!/usr/bin/python3
"""`corrent daemon`'s Transmission RPC (legacy format, ../shared/docs/RPC.md section 1) driven by
Debian 12's real transmission-remote 3.00, differentially against a real transmission-daemon
3.00: the same script, torrents and seeders; every command's exit code and stdout compared
after masking what legitimately differs (trrpclib.MASKS, each rule with its why; -l rows are
normalised to `ID=.. Done=.. Have=..`, Up/Down masked).

Swarm: three torrents made with python3-libtorrent: 1 "tree", 9 files (nested dirs, a 0-byte
file) ~3 MiB in 64 KiB pieces, with a comment, a creator and a creation date; 2 "single.bin",
4 MiB in 256 KiB pieces, private; 3 "paused.bin", added paused and never downloaded. ltpeer.py
seeders of 1 and 2 on 127.0.0.2-3 announce to a MiniTracker that never hands out 127.0.0.1, where both
daemons are: each meets the seeders only, never the other daemon, and both hear the same counts.
transmission-daemon never dials 127.x peers it learns from a tracker, so the seeders dial it;
corrent finds them through the tracker. Once both are complete (and have announced
"completed"), the seeders stop and a watcher (ltpeer in upload mode, no tracker, 127.0.0.9)
connects to torrent 1 on both: -ip shows one row, -i "connected to 1" for 1 and 0 for 2.

1. the script, no auth: -a T1 (a local file: sent as metainfo), -a D/T2.torrent (a 0600 file in
   the daemon's download dir; the remote runs as uid 65534 so it cannot read it and sends
   {"filename"}, which the daemon opens), -a T3 -S (paused), -a T1 again (duplicate: success),
   -a D/missing.torrent (rc 1, "Error: invalid or corrupt torrent file"), -t 9 -i (nothing),
   -l (ids and names only: still downloading), -l polled until 1 and 2 are complete (<= 60 s;
   files byte-identical), then -l, -t 1 -i, -t 1 -f, -t 1 -it, -t 1 -ip, -t 2 -i, -t 2 -f,
   -t 3 -i, -t <hash of 2> -i, -si, -st, -t 1 -S, -l, -t 1 -s, -l, -t 1 -v, -l (once checked),
   -t all -l, -t 1,3 -l, -t active -l (compared only < 50 s after the adds: "recently active"
   is 60 s), -t 1 -r (data kept), -t 2 -rad (data deleted), -t 3 -r, -l (empty). Each command:
   same exit code and masked stdout, else the case fails with the command, the diff of the
   masked outputs and both raw outputs (all differing commands at once).
2. the same script with auth: transmission-daemon -t -u alice -v secret, corrent
   --api-password-file (holding "secret") --api-user alice; transmission-remote -n
   alice:secret. Without -n, with -n alice:wrong and -n bob:secret: non-zero exit on both;
   raw requests without or with wrong credentials: 401 + WWW-Authenticate: Basic.
3. hostile requests (http.client, auth on): no credentials / a wrong password -> 401 +
   WWW-Authenticate: Basic (before any session-id check, as 3.00 does); no session id -> 409 +
   X-Transmission-Session-Id, a wrong one -> 409 with the same id, which session-get also
   returns; then 25 bodies, answered as transmission-daemon 3.00 answers them (status,
   "result", tag, #torrents): malformed JSON of 10 kinds (not JSON, truncated, binary, empty,
   an array, no/non-string method...) -> 200 "no method name" (3.00 never answers 400);
   unknown method -> "method name not recognized" with its tag; tag echoed; torrent-get of
   unknown ids (99, [98, 99], an unknown hash) -> success, empty list; no fields -> "no fields
   specified"; torrent-add of garbage base64 / a bencoded non-torrent / text -> "invalid or
   corrupt torrent file", of nothing -> the same result as 3.00, of a missing file in D ->
   likewise; a body cut short and 5000 nested arrays -> any 200 JSON result. corrent only: a
   {"filename"} outside D (absolute and via ..) and a download-dir outside D -> 200 with a
   non-success result, nothing added or created (3.00 adds both). Afterwards: the same
   torrents on both, still serving.
4. JSON-RPC 2.0 (corrent only: 3.00 answers "method name not recognized"):
   {"jsonrpc":"2.0","method":"torrent_get","params":{"fields":["id","name"]},"id":7} ->
   {"jsonrpc":"2.0","result":{"torrents":[{"id":1,"name":...}]},"id":7}, the legacy format
   still served beside it. In every case no raw reply (409s included) of either daemon carries
   X-Transmission-Rpc-Version.

The harness was proven with RPC_SUBJECT=transmission: a second transmission-daemon 3.00 in
corrent's place (the reference against itself; the masked outputs were equal in repeated
runs); the corrent-only checks are then skipped. If corrent's /transmission/rpc does not
answer 409/200 the case fails at once saying so. RPC_DUMP=1 prints every raw and masked output.
Run as root for the {"filename"} add (else the remote reads the file and sends metainfo: noted).

Run: CORRENT=build/release/src/cli/corrent CORRENT_SHARED=../shared \
       /usr/bin/python3 tests/interop/test_transmission_rpc.py [TransmissionRpcTest.test_01_...]
corrent only (LEECHER=aria2|lt: skipped). CORRENT_SKIP_DOWNLOAD=1: skipped.
"""
import atexit
import base64
import json
import os
import re
import shutil
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import magnetlib as ml  # noqa: E402
import seedlib  # noqa: E402
import swarmlib as sl  # noqa: E402
import trrpclib as tl  # noqa: E402

KiB, MiB = sl.KiB, sl.MiB
SLOW = tl.SLOW
RESULTS = []  # (case, verdict, text)
SUBJECT = tl.subject_kind()
DUMP = os.environ.get("RPC_DUMP", "") not in ("", "0")
AUTH = ("alice", "secret")

# -l rows as transmission-remote 3.00 prints them ("%4d%c  %4s  %9s  %-8s  %6.1f  %6.1f  %5s  %-11s  %s")
ROW = re.compile(r"^\s*(?P<id>\d+)(?P<err>[* ])\s+(?P<done>\d+%|n/a)\s+(?P<have>\S+(?: [kMGT]?B)?)\s+"
                 r"(?P<eta>\S+(?: \S+)?)\s+(?P<up>-?[\d.]+)\s+(?P<down>-?[\d.]+)\s+(?P<ratio>\S+)\s+"
                 r"(?P<status>\S.*?)\s{2,}(?P<name>\S.*)$")
SUM = re.compile(r"^Sum:\s+(?P<have>\S+(?: [kMGT]?B)?)\s+(?P<up>-?[\d.]+)\s+(?P<down>-?[\d.]+)\s*$")


def parse_list(out):
    """[dict(id, err, done, have, eta, up, down, ratio, status, name)] of a -l output."""
    return [m.groupdict() for m in map(ROW.match, out.split("\n")) if m]


def norm_list(text, full=True):
    """-l output with each row as `ID=.. Done=.. ...` (the remote pads columns; the rates Up
    and Down are what moved in the last seconds: masked). full=False keeps ids and names
    only (while torrents are still downloading, everything else is a snapshot)."""
    out = []
    for ln in text.split("\n"):
        m = ROW.match(ln)
        s = SUM.match(ln)
        if m:
            g = m.groupdict()
            if full:
                out.append(f"ID={g['id']}{g['err'].strip()} Done={g['done']} Have={g['have']} ETA={g['eta']} "
                           f"Up=<RATE> Down=<RATE> Ratio={g['ratio']} Status={g['status']} Name={g['name']}")
            else:
                out.append(f"ID={g['id']} Name={g['name']}")
        elif s:
            out.append(f"Sum: Have={s['have']} Up=<RATE> Down=<RATE>" if full else "Sum:")
        else:
            out.append(ln)
    return "\n".join(out)


def verify(content, out_dir):
    """swarmlib verify, but a 0-byte file may be missing: transmission-daemon 3.00 does not
    create empty files (seen here), and what is on disk is not what this test is about."""
    files = [(rel, size) for rel, size in content.files
             if size or os.path.exists(os.path.join(out_dir, rel))]
    return sl.Swarm.verify(None, sl.Content(content.parent, content.name, files), out_dir)


class Step:
    """One command of the script, run on both daemons: runs[i] is daemon i's Run."""

    def __init__(self, label, mode):
        self.label = label
        self.mode = mode  # "exact": masked stdout + rc; "rows": -l ids/names + rc; "rc": exit code only
        self.runs = []
        self.note = ""


class TransmissionRpcTest(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.sw = sl.Swarm(f"trrpc-{self._testMethodName}"[:40])
        self.t0 = time.monotonic()
        self.daemons = []
        self.bad = []

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

    def soft(self, cond, msg):
        """Record a deviation without stopping the case (verdict() fails on them)."""
        if not cond:
            sl.log(f"DEVIATION: {msg[:300]}")
            self.bad.append(msg)
        return cond

    def verdict(self):
        if self.bad:
            self.fail(f"{len(self.bad)} deviation(s):\n\n" + "\n\n".join(self.bad) + self.ctx())

    def ctx(self, n=25):
        return "\n" + "\n".join(d.describe() for d in self.daemons)

    # ------------------------------------------------------------ daemons
    def start_daemons(self, auth=None):
        """[reference transmission-daemon, subject] (the subject: corrent, or with
        RPC_SUBJECT=transmission a second transmission-daemon)."""
        ref = tl.RefDaemon(self.sw, "tr-ref", auth=auth)
        self.daemons.append(ref)
        if SUBJECT == "transmission":
            sub = tl.RefDaemon(self.sw, "tr-subject", auth=auth)
        else:
            sub = tl.CorrentDaemon(self.sw, "corrent", auth=auth)
        self.daemons.append(sub)
        why = sub.has_rpc()
        if why:
            self.fail(f"{sub.name} has no Transmission RPC at {sub.hostport}{tl.RPC_PATH}: {why}{self.ctx()}")
        return ref, sub

    # ------------------------------------------------------------ swarm
    def swarm(self, specs):
        """specs: [(content, piece_length, opts)]; opts: private (bool), extra (top-level keys
        of the .torrent: comment, created by, creation date), seed (default True). A
        HiddenDaemonsTracker; an ltpeer seeder on 127.0.0.(2+i) for each torrent i with seed.
        Returns (tracker, torrents, seeders)."""
        bases = []
        for c, p, opts in specs:
            out = os.path.join(self.sw.tmp, f"{c.name}.base.torrent")
            b = sl.make_torrent(c, out, p, private=opts.get("private", False))
            if opts.get("extra"):
                with open(out, "rb") as f:
                    e = sl.bdecode(f.read())
                e.update(opts["extra"])
                with open(out, "wb") as f:
                    f.write(sl.bencode(e))
                b = sl.Torrent(out)
            bases.append(b)
        tracker = tl.HiddenDaemonsTracker(self.sw, [b.info_hash for b in bases], interval=1800, min_interval=60)
        torrents = [self.sw.announce_torrent(b, tracker) for b in bases]
        seeders = []
        for i, (t, (c, _, opts)) in enumerate(zip(torrents, specs)):
            if opts.get("seed", True):
                s = ml.LtPeer(self.sw, f"lt-seed{i}", "seed", torrent=t, content=c, host=f"127.0.0.{2 + i}",
                              plugins=False, timeout=600)
                seeders.append(s)
                self.sw.wait_ready([s], tracker, t)
        return tracker, torrents, seeders

    def contents(self):
        """1: a tree (an empty file, nested dirs) with a comment, a creator and a creation
        date; 2: one private file; 3: one small file (added paused, never downloaded)."""
        layout = [("docs/readme.txt", 1234), ("docs/manual.pdf", 700 * KiB + 5), ("a.bin", 1 * MiB + 17),
                  ("b/c/deep.bin", 900 * KiB), ("b/empty.dat", 0), ("b/small.bin", 33), ("z.bin", 300 * KiB + 1),
                  ("b/c/tiny.bin", 1), ("m.bin", 64 * KiB)]
        c1 = self.sw.make_multi("tree", layout, seed=11)
        c2 = self.sw.make_single("single.bin", 4 * MiB + 4321, seed=12)
        c3 = self.sw.make_single("paused.bin", 200 * KiB + 3, seed=13)
        extra = {b"comment": "corrent interop: Transmission RPC".encode(), b"created by": b"trrpc test/1.0",
                 b"creation date": 1700000000}
        return [(c1, 64 * KiB, {"extra": extra}), (c2, 256 * KiB, {"private": True}), (c3, 32 * KiB, {"seed": False})]

    # ------------------------------------------------------------ the script
    def step(self, steps, label, mode, argv_of, **kw):
        """Run `transmission-remote HOST:PORT <argv_of(d)>` on every daemon (in order)."""
        st = Step(label, mode)
        for d in self.daemons:
            args = argv_of(d) if callable(argv_of) else argv_of
            r = d.remote(*args, label=label, **kw)
            st.runs.append(r)
            if DUMP:
                print(f"\n[{d.name}] {r!r}", flush=True)
        steps.append(st)
        return st

    def wait_all(self, what, pred, timeout, step=0.5, tick=None):
        """Poll pred(d) for every daemon (bounded); returns {name: last value}, None where
        it never came true (recorded as a deviation)."""
        end = time.monotonic() + timeout * SLOW
        last = {}
        pending = list(self.daemons)
        while pending:
            for d in list(pending):
                try:
                    v = pred(d)
                except AssertionError as e:
                    v = None
                    last[d.name] = f"error: {e}"
                if v:
                    last[d.name] = v
                    pending.remove(d)
                if tick:
                    tick(d, bool(v))
            if not pending:
                break
            if time.monotonic() > end:
                for d in pending:
                    self.soft(False, f"{d.name}: {what}: not within {timeout}s (last: {last.get(d.name)!r})")
                    last[d.name] = None
                break
            time.sleep(step)
        return last

    def status_of(self, d, tid):
        ts = d.torrents(["id", "status", "leftUntilDone", "peersConnected", "haveValid", "recheckProgress"],
                        ids=[tid])
        return ts[0] if ts else None

    def script(self, tracker, torrents, contents, seeders):
        """The CLI script on both daemons (module docstring, case 1); returns the Steps."""
        steps = []
        t1, t2, t3 = torrents
        c1, c2, c3 = contents
        # the .torrent of 2 inside each daemon's download dir, 0600: only the daemon (root) reads it
        in_dir = {}
        for d in self.daemons:
            p = os.path.join(d.dl_dir, "incoming-" + os.path.basename(t2.path))
            shutil.copyfile(t2.path, p)
            os.chmod(p, 0o600)
            in_dir[d.name] = p
        t_add = time.monotonic()
        self.step(steps, "-a T1 (local file: metainfo)", "exact", ["-a", t1.path])
        as_filename = os.geteuid() == 0
        self.step(steps, "-a D/T2 (daemon-side file: filename)", "exact", lambda d: ["-a", in_dir[d.name]],
                  as_nobody=True)
        if not as_filename:
            steps[-1].note = "not root: the remote could read D/T2 itself, so it was sent as metainfo"
        self.step(steps, "-a T3 -S (paused)", "exact", ["-a", t3.path, "-S"])
        self.step(steps, "-a T1 (again: a duplicate)", "exact", ["-a", t1.path])
        self.step(steps, "-a D/missing.torrent", "exact",
                  lambda d: ["-a", os.path.join(d.dl_dir, "missing.torrent")])
        self.step(steps, "-t 9 -i (no such id)", "exact", ["-t", "9", "-i"])
        self.step(steps, "-l (downloading)", "rows", ["-l"])

        # until 1 and 2 are complete: -l polled; transmission is dialled by the seeders
        def complete(d):
            r = d.remote("-l", label="-l (poll)")
            d.runs.pop()  # polls are not part of the compared script
            rows = {int(x["id"]): x for x in parse_list(r.out)}
            done = all(rows.get(i, {}).get("done") == "100%" and rows[i]["eta"] == "Done" for i in (1, 2))
            return done and r.out

        dialled = {}

        def dial(d, ok):
            if ok or not isinstance(d, tl.RefDaemon):
                return
            if time.monotonic() - dialled.get(d.name, 0) >= 3:
                dialled[d.name] = time.monotonic()
                for s in seeders:
                    s.connect(d.peer_address)
        self.wait_all("torrents 1 and 2 complete (-l)", complete, 60, step=1.0, tick=dial)
        for d in self.daemons:
            for c in (c1, c2):
                err = verify(c, d.dl_dir)
                self.soft(err is None, f"{d.name}: {c.name} not byte-identical in {d.dl_dir}: {err}")
        # the "completed" announces (their reply is -it's "Got a list of N peers") before the
        # seeders go: afterwards the tracker would list nobody
        want = {(d.peer_port, t.info_hash) for d in self.daemons for t in (t1, t2)}
        def completed():
            return {(a["port"], a["info_hash"]) for a in tracker.announces() if a["event"] == "completed"}
        if not seedlib.wait_until(lambda: want <= completed(), 15 * SLOW,
                                  what="a 'completed' announce from each daemon for 1 and 2"):
            sl.log(f"'completed' announces {sorted(completed())}, wanted {sorted(want)} (-it may differ)")
        # the seeders go (their connections with them); a watcher that wants nothing stays on 1
        for s in seeders:
            s.stop()
        notrack = sl.with_trackers(t1, os.path.join(self.sw.tmp, "watch-" + os.path.basename(t1.path)), [])
        watcher = ml.LtPeer(self.sw, "lt-watcher", "leech", torrent=notrack, host="127.0.0.9", plugins=False,
                            upload_mode=True, timeout=600, connect=[d.peer_address for d in self.daemons],
                            settings={"close_redundant_connections": "false"})
        wanted = {1: 1, 2: 0, 3: 0}

        def settled(d):
            got = {t["id"]: t for t in d.torrents(["id", "status", "peersConnected", "secondsSeeding"])}
            ok = all(got.get(i, {}).get("peersConnected") == n for i, n in wanted.items())
            ok = ok and all(got.get(i, {}).get("status") == 6 and got[i].get("secondsSeeding", 0) >= 1
                            for i in (1, 2))
            return ok and got

        def redial(d, ok):
            if not ok and time.monotonic() - dialled.get("w" + d.name, 0) >= 3:
                dialled["w" + d.name] = time.monotonic()
                watcher.connect(d.peer_address)
        self.wait_all("seeders gone, the watcher on torrent 1, seeding for >= 1 s", settled, 20, tick=redial)

        self.step(steps, "-l (complete)", "exact", ["-l"])
        for args in (["-t", "1", "-i"], ["-t", "1", "-f"], ["-t", "1", "-it"], ["-t", "1", "-ip"],
                     ["-t", "2", "-i"], ["-t", "2", "-f"], ["-t", "3", "-i"], ["-t", t2.info_hash, "-i"],
                     ["-si"], ["-st"]):
            self.step(steps, " ".join(args), "exact", args)
        self.step(steps, "-t 1 -S", "exact", ["-t", "1", "-S"])
        self.wait_all("torrent 1 stopped", lambda d: (self.status_of(d, 1) or {}).get("status") == 0, 10)
        self.step(steps, "-l (1 stopped)", "exact", ["-l"])
        self.step(steps, "-t 1 -s", "exact", ["-t", "1", "-s"])
        self.wait_all("torrent 1 seeding again", lambda d: (self.status_of(d, 1) or {}).get("status") == 6, 20)
        self.step(steps, "-l (1 started)", "exact", ["-l"])
        self.step(steps, "-t 1 -v", "exact", ["-t", "1", "-v"])
        time.sleep(0.5)
        def verified(d):
            t = self.status_of(d, 1)
            return t and t["status"] == 6 and t["haveValid"] == t1.total_size
        self.wait_all("torrent 1 verified and seeding", verified, 30)
        self.step(steps, "-l (1 verified)", "exact", ["-l"])
        self.step(steps, "-t all -l", "exact", ["-t", "all", "-l"])
        self.step(steps, "-t 1,3 -l", "exact", ["-t", "1,3", "-l"])
        age = time.monotonic() - t_add
        st = self.step(steps, "-t active -l", "exact" if age < 50 else "rc", ["-t", "active", "-l"])
        if age >= 50:
            st.note = f"{age:.0f} s after the adds: 'recently active' (60 s) is a race, only the exit code compared"
        self.step(steps, "-t 1 -r", "exact", ["-t", "1", "-r"])
        self.step(steps, "-t 2 -rad", "exact", ["-t", "2", "-rad"])
        self.wait_all("torrent 2's data deleted (-rad)",
                      lambda d: not os.path.exists(os.path.join(d.dl_dir, c2.name)), 10, step=0.2)
        for d in self.daemons:
            err = verify(c1, d.dl_dir)
            self.soft(err is None, f"{d.name}: after -t 1 -r the data of 1 must stay: {err}")
        self.step(steps, "-t 3 -r", "exact", ["-t", "3", "-r"])
        self.step(steps, "-l (empty)", "exact", ["-l"])
        watcher.stop()
        return steps

    def compare_steps(self, steps):
        """A deviation per step whose masked outputs or exit codes differ; the number compared."""
        ref, sub = self.daemons[0], self.daemons[1]
        n = 0
        for st in steps:
            a, b = st.runs
            if st.mode == "rc":
                ma = mb = ""
            else:
                ma, mb = tl.mask(a.out, ref, st.label), tl.mask(b.out, sub, st.label)
                if "-l" in st.label.split() or st.label.startswith("-l"):
                    ma, mb = norm_list(ma, st.mode == "exact"), norm_list(mb, st.mode == "exact")
            if DUMP:
                print(f"\n[masked, {ref.name}] {st.label} (rc={a.rc})\n{ma}", flush=True)
            diff = tl.compare(st.label, a, ma, b, mb)
            if diff:
                self.soft(False, diff + (f"\n(note: {st.note})" if st.note else ""))
            n += 1
        return n

    def check_no_rpc_version_header(self):
        for d in self.daemons:
            bad = [(what, status) for what, status, h in d.headers_seen if "x-transmission-rpc-version" in h]
            self.soft(not bad, f"{d.name}: replies with X-Transmission-Rpc-Version (a 4.1 remote would switch "
                               f"to JSON-RPC 2.0): {bad[:5]}")

    def cli_case(self, auth):
        specs = self.contents()
        tracker, torrents, seeders = self.swarm(specs)
        self.start_daemons(auth=auth)
        steps = self.script(tracker, torrents, [c for c, _, _ in specs], seeders)
        n = self.compare_steps(steps)
        self.check_no_rpc_version_header()
        return steps, n

    # ============================================================ 1
    def test_01_remote_script_no_auth(self):
        if tl.dl.SANITIZED:
            self.skipTest("ASan build: test_02 runs the same script (with a password) through the same code")
        steps, n = self.cli_case(None)
        self.verdict()
        self.outcome(f"{n} transmission-remote commands, same exit codes and masked output on both "
                     f"({SUBJECT} vs transmission-daemon 3.00)")

    # ============================================================ 2
    def test_02_remote_script_with_auth(self):
        steps, n = self.cli_case(AUTH)
        for d in self.daemons:
            for creds, what in ((None, "no -n"), ("alice:wrong", "-n alice:wrong"), ("bob:secret", "-n bob:secret")):
                r = d.remote("-l", creds=creds, label=f"-l ({what})")
                self.soft(r.rc not in (0, "timeout"), f"{d.name}: `{r.cmd}` must fail: {r!r}")
                self.soft("Sum:" not in r.out, f"{d.name}: `{r.cmd}` printed a list: {r!r}")
            for hdr in (None, "Basic " + base64.b64encode(b"alice:wrong").decode()):
                rep = d.http({"method": "session-get"}, auth=False, sid=None,
                             headers={"Authorization": hdr} if hdr else None)
                self.soft(rep.status == 401 and rep.headers.get("www-authenticate", "").lower().startswith("basic"),
                          f"{d.name}: session-get with Authorization {hdr!r}: expected 401 with "
                          f"WWW-Authenticate: Basic, got {rep!r} {rep.headers}")
        self.verdict()
        self.outcome(f"{n} commands with -n alice:secret equal on both; no/wrong credentials fail on both (401)")

    # ============================================================ 3
    def small_torrent(self, name, seed):
        c = self.sw.make_single(name, 300 * KiB + seed, seed=seed)
        t = self.sw.make_torrent(c, 32 * KiB)
        with open(t.path, "rb") as f:
            return t, base64.b64encode(f.read()).decode()

    def add_paused(self, meta):
        for d in self.daemons:
            rep = d.rpc("torrent-add", {"metainfo": meta, "paused": True}, tag=8)
            self.assertEqual(rep.get("result"), "success",
                             f"{d.name}: torrent-add {{metainfo, paused}}: {rep}{self.ctx()}")
            self.assertEqual(rep.get("tag"), 8, f"{d.name}: torrent-add tag: {rep}")
        # a new torrent is checked first (status 1, 2), then stopped (0): the snapshots want 0
        self.wait_all("the paused torrent stopped (status 0)",
                      lambda d: all(t["status"] == 0 for t in d.torrents(["id", "status"])), 10, step=0.2)

    def listing(self, d):
        return sorted((t["id"], t["name"], t["hashString"], t["totalSize"], t["status"])
                      for t in d.torrents(["id", "name", "hashString", "totalSize", "status"]))

    def transport_checks(self, table):
        """Credentials first (3.00 checks them before the session id), then the session id."""
        sid_h = tl.SID_HEADER.lower()
        wrong = {"Authorization": "Basic " + base64.b64encode(b"alice:wrong").decode()}
        for d in self.daemons:
            for what, hdr in (("no credentials, no session id", None), ("a wrong password", wrong)):
                r = d.http({"method": "session-get"}, auth=False, sid=None, headers=hdr)
                self.soft(r.status == 401 and r.headers.get("www-authenticate", "").lower().startswith("basic"),
                          f"{d.name}: {what}: expected 401 + WWW-Authenticate: Basic: {r!r} {r.headers}")
            r1 = d.http({"method": "session-get"}, sid=None)
            sid1 = r1.headers.get(sid_h, "")
            self.soft(r1.status == 409 and sid1,
                      f"{d.name}: no session id: expected 409 + {tl.SID_HEADER}: {r1!r} {r1.headers}")
            r2 = d.http({"method": "session-get"}, sid="0" * 48)
            self.soft(r2.status == 409 and r2.headers.get(sid_h) == sid1,
                      f"{d.name}: wrong session id: expected 409 with the same {tl.SID_HEADER} {sid1!r}: "
                      f"{r2!r} {r2.headers}")
            d.sid = sid1
            r3 = d.http({"method": "session-get"}, auth=False)
            self.soft(r3.status == 401, f"{d.name}: the right session id but no credentials: expected 401: {r3!r}")
            r4 = d.http({"method": "session-get", "tag": 1})
            ok = r4.status == 200 and isinstance(r4.json, dict) and r4.json.get("result") == "success"
            self.soft(ok, f"{d.name}: session-get with credentials and session id: {r4!r}")
            if ok:
                got = r4.json.get("arguments", {}).get("session-id")
                self.soft(got == sid1, f"{d.name}: session-get's session-id {got!r} != the header's {sid1!r}")
            table.append(("transport: 409, 409, 401, 200", d.name, [r.status for r in (r1, r2, r3, r4)]))

    def test_03_hostile_requests(self):
        t, meta = self.small_torrent("hostile.bin", 31)
        self.start_daemons(auth=AUTH)
        self.add_paused(meta)
        before = {d.name: self.listing(d) for d in self.daemons}
        table = []  # (what, daemon, summary) for RPC_DUMP
        self.transport_checks(table)

        def obj(o):
            return json.dumps(o).encode()

        def get(**args):
            return obj({"method": "torrent-get", "arguments": {"fields": ["id"], **args}})

        def add(**args):
            return obj({"method": "torrent-add", "arguments": args})
        missing = "<D>/missing.torrent"  # the body is made per daemon
        # (what, body, kind, result): kind "same": the subject's (status, result, tag, #torrents)
        # = the reference's; "robust": any 200 JSON reply with a "result" (3.00's JSON reader
        # takes an object cut short as it stands: {"method":"x" is a request there). result:
        # the expected "result" (on both daemons), or None
        cases = [
            ("not JSON", b"not json at all", "same", "no method name"),
            ("truncated JSON", b'{"method":', "same", "no method name"),
            ("unquoted keys", b"{method: session-get}", "same", "no method name"),
            ("trailing garbage", b'{"method":"session-stats"} xyz', "same", "no method name"),
            ("binary", b"\xff\xfe\x00garbage", "same", "no method name"),
            ("empty body", b"", "same", "no method name"),
            ("a JSON array", b"[1,2]", "same", "no method name"),
            ("a JSON string", b'"session-get"', "same", "no method name"),
            ("no method", obj({"arguments": {}}), "same", "no method name"),
            ("method not a string", obj({"method": 5}), "same", "no method name"),
            ("unterminated object", b'{"method":"session-stats"', "robust", None),
            ("5000 nested arrays", b'{"method":"session-stats","arguments":' + b"[" * 5000 + b"]" * 5000 + b"}",
             "robust", None),
            ("unknown method, tag 5", obj({"method": "frobnicate", "tag": 5}), "same", "method name not recognized"),
            ("tag echoed", obj({"method": "session-stats", "tag": 4242}), "same", "success"),
            ("form content type (as the remote sends)", obj({"method": "session-stats", "tag": 3}), "same",
             "success"),
            ("torrent-get ids 99", obj({"method": "torrent-get", "arguments": {"fields": ["id", "name"], "ids": 99},
                                        "tag": 1}), "same", "success"),
            ("torrent-get ids [98, 99]", get(ids=[98, 99]), "same", "success"),
            ("torrent-get unknown hash", get(ids="0123456789abcdef0123456789abcdef01234567"), "same", "success"),
            ("torrent-get without fields", obj({"method": "torrent-get", "arguments": {}}), "same",
             "no fields specified"),
            ("torrent-add garbage base64", add(metainfo="!!!notbase64***"), "same", "invalid or corrupt torrent file"),
            ("torrent-add base64 of a non-torrent", add(metainfo=base64.b64encode(b"d3:foo3:bare").decode()), "same",
             "invalid or corrupt torrent file"),
            ("torrent-add base64 of text", add(metainfo=base64.b64encode(b"hello world").decode()), "same",
             "invalid or corrupt torrent file"),
            ("torrent-add without a source", add(paused=True), "same", None),
            ("torrent-add of a missing file in D", missing, "same", None),
            ("torrent-remove unknown ids", obj({"method": "torrent-remove", "arguments": {"ids": [77]}}), "same",
             "success"),
        ]
        for what, body, kind, want in cases:
            got = {}
            for d in self.daemons:
                b = add(filename=os.path.join(d.dl_dir, "missing.torrent")) if body is missing else body
                form = "form" in what
                r = d.http(b, headers={"Content-Type": "application/x-www-form-urlencoded"} if form else None,
                           path=tl.RPC_PATH + ("/" if form else ""))
                j = r.json if isinstance(r.json, dict) else {}
                ts = (j.get("arguments") or {}).get("torrents") if j.get("result") == "success" else None
                got[d.name] = (r.status, j.get("result"), j.get("tag", "<no tag>"),
                               len(ts) if isinstance(ts, list) else None)
                table.append((what, d.name, got[d.name]))
                if kind == "robust":
                    self.soft(r.status == 200 and isinstance(j.get("result"), str),
                              f"{d.name}: {what}: expected a 200 JSON reply with a result: {r!r}")
                if want is not None:
                    self.soft(r.status == 200 and j.get("result") == want,
                              f"{d.name}: {what}: expected 200 with result {want!r}: {r!r}")
                try:
                    tag = json.loads(b).get("tag")
                except (ValueError, AttributeError, RecursionError):
                    tag = None
                if isinstance(tag, int):
                    self.soft(j.get("tag") == tag, f"{d.name}: {what}: tag {tag} not echoed: {r!r}")
                if what.startswith("torrent-get") and want == "success":
                    self.soft((j.get("arguments") or {}).get("torrents") == [],
                              f"{d.name}: {what}: expected success with an empty list: {r!r}")
            if kind == "same":
                a, b_ = (got[d.name] for d in self.daemons)
                self.soft(a == b_, f"{what}: (status, result, tag, #torrents) {b_} (subject) != {a} "
                                   f"(transmission-daemon)")

        # corrent only: nothing read or written outside the download dir (3.00 adds both)
        outside = os.path.join(self.sw.tmp, "outside")
        os.makedirs(outside)
        out_torrent = os.path.join(outside, "x.torrent")
        shutil.copyfile(t.path, out_torrent)
        out_dl = os.path.join(self.sw.tmp, "outside-downloads")
        sub = self.daemons[1]
        if SUBJECT == "corrent":
            dotdot = os.path.join(sub.dl_dir, "..", "..", "outside", "x.torrent")
            for what, args in (("filename outside D", {"filename": out_torrent, "paused": True}),
                               ("filename D/../../outside", {"filename": dotdot, "paused": True}),
                               ("download-dir outside D", {"metainfo": meta, "download-dir": out_dl, "paused": True})):
                r = sub.http({"method": "torrent-add", "arguments": args, "tag": 8})
                j = r.json if isinstance(r.json, dict) else {}
                table.append((what, sub.name, (r.status, j.get("result"))))
                self.soft(r.status == 200 and isinstance(j.get("result"), str) and j["result"] != "success",
                          f"{sub.name}: torrent-add {what}: expected 200 with a non-success result: {r!r}")
            self.soft(not os.path.exists(out_dl), f"{sub.name}: {out_dl} was created")
        # afterwards: the same torrents, still serving
        for d in self.daemons:
            self.soft(d.alive(), f"{d.name} died")
            now = self.listing(d)
            self.soft(now == before[d.name], f"{d.name}: the torrent list changed: {now} != {before[d.name]}")
        self.check_no_rpc_version_header()
        if DUMP:
            for row in table:
                print("  ", row, flush=True)
        self.verdict()
        self.outcome(f"{len(cases)} request bodies + transport checks answered as transmission-daemon does"
                     + ("; outside-D adds refused" if SUBJECT == "corrent" else " (corrent-only checks skipped)"))

    # ============================================================ 4
    def test_04_jsonrpc2(self):
        t, meta = self.small_torrent("jsonrpc.bin", 41)
        ref, sub = self.start_daemons()
        self.add_paused(meta)
        req = {"jsonrpc": "2.0", "method": "torrent_get", "params": {"fields": ["id", "name"]}, "id": 7}
        for d in self.daemons:
            r = d.http(req, sid=None)
            self.soft(r.status == 409, f"{d.name}: a JSON-RPC 2.0 request without a session id: {r!r}")
        rr = ref.post(req)
        sl.log(f"transmission-daemon 3.00 on JSON-RPC 2.0: {rr!r}")
        note = ""
        if SUBJECT == "corrent":
            r = sub.post(req)
            want = {"jsonrpc": "2.0", "result": {"torrents": [{"id": 1, "name": t.name}]}, "id": 7}
            self.soft(r.status == 200 and r.json == want,
                      f"{sub.name}: JSON-RPC 2.0 torrent_get: expected 200 {want}, got {r!r}")
            # the legacy format still works on the same endpoint
            leg = sub.rpc("torrent-get", {"fields": ["id", "name"]}, tag=9)
            self.soft(leg.get("result") == "success" and leg.get("tag") == 9
                      and leg.get("arguments", {}).get("torrents") == [{"id": 1, "name": t.name}],
                      f"{sub.name}: legacy torrent-get after JSON-RPC 2.0: {leg}")
        else:
            note = " (JSON-RPC 2.0 reply: corrent only, skipped)"
        self.check_no_rpc_version_header()
        self.verdict()
        self.outcome(f"torrent_get answered in JSON-RPC 2.0; no X-Transmission-Rpc-Version on any reply "
                     f"(409s included){note}")


def print_table():
    if not RESULTS:
        return
    w = max(len(c) for c, _, _ in RESULTS)
    print(f"\ntransmission RPC ({SUBJECT} vs transmission-daemon 3.00): case -> outcome", flush=True)
    for case, verdict, text in RESULTS:
        print(f"  {case.ljust(w)}  {verdict.ljust(5)}  {text}", flush=True)


if __name__ == "__main__":
    if sl.leecher_kind() != "corrent":
        print("skipped: the Transmission RPC tests are for corrent only", flush=True)
        sys.exit(0)
    missing = tl.which_missing()
    if missing:
        print(f"FAIL: {', '.join(missing)} not installed (Debian: transmission-cli transmission-daemon util-linux)",
              flush=True)
        sys.exit(1)
    sl.skip_download_tests_if_requested("transmission RPC")
    atexit.register(print_table)
    seedlib.main(f"transmission RPC ({SUBJECT})", budget_s=400)
