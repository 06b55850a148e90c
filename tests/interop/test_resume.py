#!/usr/bin/python3
"""corrent resumes: kill -9, damaged resume files, damaged finished files, existing data,
disk full, resume speed (issue "[3] Resume").

Every case downloads with `corrent download T -o DIR --peer SEEDER --stats F` (info log
level, so the "resuming: V of N pieces verified (T from the resume file, H re-hashed)"
line can be checked) from a python3-libtorrent seeder on 127.0.0.1, and measures what is
good on disk with `corrent verify --json` (which hashes the parts dir while unfinished).
"Good on disk" below means: hashes right according to verify.

1. kill -9 loop (64 MiB, 256 KiB pieces, seeder capped at 1.25 MB/s): corrent is
   stopped 24 times at seeded random moments, 20 by SIGKILL (right after a checkpoint
   replaced the resume file, right after the part file grew, at random delays, very
   early while it restores) and 4 by SIGTERM; then an uncapped final run completes.
   After each stop: pieces good on disk before are still good; the resume file is
   absent or decodes (atomic replace) and records only pieces that are good on disk
   (after SIGTERM: exactly those); the next start restores every good piece (so pieces
   written but not yet recorded are not fetched again); each stopped run wasted at most
   PER_STOP_BOUND of the seeder's upload; a SIGTERM run's downloaded_bytes is at most
   what was missing at its start. The final run downloads exactly what was missing,
   files are byte-identical, and the seeder's total upload minus the torrent size is
   at most stops x PER_STOP_BOUND (the measured overhead is printed).
   Bound per stop: corrent keeps at most 1024 requests of 16 KiB outstanding to a
   peer and assembles whole pieces in memory; a stop loses at most the outstanding
   requests plus the received blocks of the pieces they belong to and pieces hashed
   but not yet written: 1024 x 16 KiB + 4 pieces.
2. resume file damaged while stopped (SIGINT midway, then: truncated to half, zeroed,
   replaced by the resume file of another torrent with the same name/size/piece size
   but other content, one random bit flipped; 2b: the one bit of the verified bitfield
   flipped that marks a piece which is NOT on disk as verified): the next run completes
   byte-identical, restores exactly the pieces good on disk, trusts nothing from an
   unusable file and says so in its log, downloads exactly the bytes of the pieces that
   were not good, and `corrent verify` then finds every piece good.
3. one byte flipped in a finished file (a middle piece, then the short last piece):
   verify exits 1 and reports exactly that piece; download re-fetches exactly that
   piece (downloaded_bytes == its size); verify exits 0; byte-identical.
4. the complete files already in a fresh DIR (single 64 MiB file, and a file tree):
   download exits 0 within seconds with downloaded_bytes == 0, no peer, and the
   torrent's tracker (a listening socket that never answers) is never contacted.
5. disk full (tmpfs of 40 MiB, 64 MiB torrent): exit 1 with "No space left on device",
   --stats not complete, no final file, the resume file records only good pieces;
   after growing the tmpfs to 200 MiB the next run completes byte-identical,
   downloading exactly what was not good on disk. Skipped if tmpfs cannot be mounted.
6. resume speed (256 MiB): SIGINT midway, restart: every verified piece comes from the
   resume file (0 re-hashed) and --stats first_byte_s < 0.5 s (printed, with the
   first_byte_s of a restart that has to re-hash because its resume file is gone).

Run: CORRENT=build/release/src/cli/corrent /usr/bin/python3 tests/interop/test_resume.py [Resume.test_x]
corrent only (LEECHER=aria2|lt: skipped). CORRENT_SKIP_DOWNLOAD=1: skipped.
"""
import concurrent.futures
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dltest  # noqa: E402
import seedlib  # noqa: E402
import swarmlib as sl  # noqa: E402

KiB, MiB = sl.KiB, sl.MiB
BLOCK = 16 * KiB
PIECE = 256 * KiB
MAX_REQUEST_QUEUE = 1024  # blocks per peer (corrent requests 64..1024 blocks ahead)
PIECES_IN_MEMORY = 4      # partial pieces at the queue's edges + pieces hashed, not yet written
PER_STOP_BOUND = MAX_REQUEST_QUEUE * BLOCK + PIECES_IN_MEMORY * PIECE

SEED = 20240611
N_SIGKILL = 20
N_SIGTERM = 4
KILL_RATE = 1_250_000     # B/s: the seeder's cap during the kill loop
PARTIAL_RATE = 4_000_000  # B/s: the seeder's cap while a run is to be stopped midway
DISK_FULL_RATE = 10_000_000  # B/s: 40 MiB fill up in ~4 s, after a checkpoint or two
FIRST_BYTE_LIMIT_S = 0.5

RESUMING_RE = re.compile(r"resuming: (\d+) of (\d+) pieces verified \((\d+) from the resume file, "
                         r"(\d+) re-hashed\)(?:; ([^\n]*))?")


def piece_bytes(torrent, pieces):
    return sum(torrent.piece_size(p) for p in pieces)


def resume_verified_offset(raw):
    """Offset of the verified-pieces bitfield's first byte in a raw resume file."""
    m = re.search(rb"8:verified(\d+):", raw)
    if not m:
        raise AssertionError(f"no verified bitfield in the resume file: {raw[:200]!r}")
    return m.end()


class Resume(dltest.DownloadTest):
    def setUp(self):
        super().setUp()
        if self.leecher != "corrent":
            self.skipTest("resume tests are for corrent only (resume files, corrent verify)")

    # ------------------------------------------------------------ helpers
    def dead_tracker_torrent(self, base, url=None):
        """Copy of the torrent announcing to a loopback port where nothing listens."""
        url = url or f"http://127.0.0.1:{sl.free_port()}/announce"
        e = sl.bdecode(open(base.path, "rb").read())
        e[b"announce"] = url.encode()
        e.pop(b"announce-list", None)
        path = os.path.join(self.sw.tmp, f"{base.name}.{sl.free_port()}.torrent")
        with open(path, "wb") as f:
            f.write(sl.bencode(e))
        t = sl.Torrent(path)
        self.assertEqual(t.info_hash, base.info_hash)
        return t

    def out_dir(self, label):
        d = os.path.join(self.sw.tmp, f"out-{label}")
        os.makedirs(d)
        return d

    def parts_paths(self, torrent, out):
        parts = os.path.join(out, ".corrent-parts", torrent.info_hash)
        return parts, parts + ".resume"

    def start(self, torrent, out, name, peers=(), env=None):
        stats = os.path.join(self.sw.tmp, f"{name}.stats.json")
        if os.path.exists(stats):
            os.unlink(stats)
        argv = [sl.corrent_bin(), "download", torrent.path, "-o", out, "--listen",
                f"127.0.0.1:{sl.free_port()}", "--stats", stats, sl.NO_DHT]
        for p in peers:
            argv += ["--peer", p]
        proc = self.sw.start_proc(name, argv, env=env)
        proc.stats_path = stats
        return proc

    def finish(self, proc, timeout):
        """Wait (bounded) for proc; returns (rc, stats or None, whole log). Stops it on timeout."""
        rc = proc.wait(timeout)
        if rc is None:
            proc.stop(grace=3)
            self.fail_with_logs(f"{proc.name} did not exit within {timeout}s")
        st = None
        if os.path.exists(proc.stats_path):
            with open(proc.stats_path) as f:
                st = json.load(f)
        with open(proc.log_path, "rb") as f:
            text = f.read().decode(errors="replace")
        return rc, st, text

    def run_corrent(self, torrent, out, name, peers=(), timeout=90):
        t0 = time.monotonic()
        proc = self.start(torrent, out, name, peers)
        rc, st, text = self.finish(proc, timeout)
        return rc, st, text, time.monotonic() - t0

    def signal_and_finish(self, proc, sig, timeout=20):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        return self.finish(proc, timeout)

    def verify_json(self, torrent, d):
        r = subprocess.run([sl.corrent_bin(), "verify", torrent.path, "-d", d, "--json"],
                           capture_output=True, timeout=120)
        try:
            j = json.loads(r.stdout)
        except ValueError:
            j = None
        return r.returncode, j, (r.stdout + r.stderr).decode(errors="replace")

    def good_pieces(self, torrent, out):
        """Pieces good on disk (the final files, or the parts dir while unfinished)."""
        parts, _ = self.parts_paths(torrent, out)
        if not os.path.isdir(parts) and not any(os.path.exists(os.path.join(out, p)) for p, _, _ in torrent.files):
            return set()
        rc, j, text = self.verify_json(torrent, out)
        self.assertIsNotNone(j, f"corrent verify --json printed no JSON (rc={rc}): {text[:500]}")
        return set(range(torrent.num_pieces)) - set(j["bad_pieces"]) - set(j["missing_pieces"])

    def recorded_pieces(self, torrent, out):
        """(raw bytes, pieces the resume file records as verified), or (None, None) if it is absent.
        A resume file that exists must decode (it is replaced atomically) and name our torrent."""
        _, path = self.parts_paths(torrent, out)
        try:
            with open(path, "rb") as f:
                raw = f.read()
        except FileNotFoundError:
            return None, None
        try:
            d = sl.bdecode(raw)
            bf = d[b"verified"]
            ih = d[b"info-hash"]
        except Exception as e:  # noqa: BLE001 (any decoding problem is the finding)
            raise AssertionError(f"resume file {path} ({len(raw)} bytes) does not decode: {e!r}: {raw[:120]!r}")
        self.assertEqual(ih.hex(), torrent.info_hash, f"resume file {path} names another torrent")
        return raw, {p for p in range(torrent.num_pieces) if bf[p // 8] & (0x80 >> (p % 8))}

    def resuming_line(self, text):
        """(verified, total, trusted, rehashed, note) from the last 'resuming:' log line, or None."""
        ms = list(RESUMING_RE.finditer(text))
        if not ms:
            return None
        m = ms[-1]
        return int(m[1]), int(m[2]), int(m[3]), int(m[4]), m[5] or ""

    def seeder_uploaded_settled(self, seeder, timeout=5.0):
        """The seeder's upload counter once it stopped moving (it is written every 0.25 s):
        the same value read over >= 0.3 s (read every 0.05 s: no longer than needed)."""
        end = time.monotonic() + timeout
        last, since = seeder.uploaded(), time.monotonic()
        while time.monotonic() < end:
            time.sleep(0.05)
            now = seeder.uploaded()
            if now != last or now is None:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= 0.3:
                return now
        self.fail(f"the seeder's upload counter did not settle: {last}")

    def set_rate(self, seeder, rate, timeout=5.0):
        """seeder.set_upload_limit(rate), then until ltpeer logged that it applied it (it
        applies a command within ~50 ms; one at a time: it reads stdin line by line)."""
        applied = f"ltpeer: upload limit {int(rate)} B/s"

        def count():
            try:
                with open(seeder.proc.log_path, errors="replace") as f:
                    return f.read().count(applied)
            except OSError:
                return 0
        before = count()
        seeder.set_upload_limit(rate)
        if not seedlib.wait_until(lambda: count() > before, timeout, step=0.01, what=applied):
            raise sl.HarnessError(f"the seeder did not apply upload limit {rate} in {timeout}s")

    def assert_finished_dir(self, content, out, what):
        err = self.sw.verify(content, out)
        if err:
            self.fail_with_logs(f"{what}: not byte-identical: {err}")
        left = sorted(set(os.listdir(out)) - {content.name})
        self.assertEqual(left, [], f"{what}: {out} holds more than {content.name} (parts/resume files left?)")

    def assert_verify_all_good(self, torrent, out, what):
        rc, j, text = self.verify_json(torrent, out)
        self.assertEqual(rc, 0, f"{what}: corrent verify exit code: {text[:800]}")
        self.assertEqual((j["good"], j["bad"], j["missing"]), (torrent.num_pieces, 0, 0), f"{what}: {text[:800]}")

    def note(self, msg):
        print(f"\n  [{self.id().split('.', 1)[-1]}] {msg}", file=sys.stderr, flush=True)

    # ------------------------------------------------------------ 1. kill -9 loop
    def test_1_kill9_loop(self):
        content = self.content_single(64 * MiB + 12345, name="killme.bin", seed=11)
        torrent, tracker = self.torrent_with_tracker(content, PIECE)
        seeder = self.sw.lt_seeder(torrent, content, upload_limit=KILL_RATE)
        self.sw.wait_ready([seeder], tracker, torrent)
        out = self.out_dir("kill")
        parts, resume_path = self.parts_paths(torrent, out)
        part_file = os.path.join(parts, torrent.files[0][0])
        rng = random.Random(SEED)
        n, size = torrent.num_pieces, torrent.total_size

        plan = []  # one entry per stop: every 6th a SIGTERM, the others SIGKILL in 4 styles
        styles = ["checkpoint", "write", "random", "early", "write"]
        for i in range(N_SIGKILL + N_SIGTERM):
            if i % 6 == 5:
                plan.append(("SIGTERM", rng.uniform(0.5, 2.5)))
                continue
            style = styles[(i - i // 6) % len(styles)]
            arg = {"checkpoint": rng.choice([1, 1, 2]),  # kill right after the 1st/2nd checkpoint of the run
                   "write": rng.uniform(0.2, 2.5),        # then kill right after the part file grows
                   "random": rng.uniform(0.05, 3.0),
                   "early": rng.uniform(0.0, 0.25)}[style]  # while restoring / connecting
            plan.append((style, arg))
        self.assertEqual(sum(1 for s, _ in plan if s != "SIGTERM"), N_SIGKILL)

        good, prev_recorded = set(), None
        up_before = self.seeder_uploaded_settled(seeder)
        self.assertEqual(up_before, 0)
        stops = []  # dict per stop
        loop_deadline = time.monotonic() + 150
        verifier = concurrent.futures.ThreadPoolExecutor(1)
        self.addCleanup(verifier.shutdown)
        for i, (style, arg) in enumerate(plan):
            self.assertLess(time.monotonic(), loop_deadline, f"kill loop too slow; stops so far: {stops}")
            name = f"kill{i:02d}-{style}"
            try:
                st0 = os.stat(resume_path)
                resume_id0 = (st0.st_ino, st0.st_mtime_ns)
            except FileNotFoundError:
                resume_id0 = None
            proc = self.start(torrent, out, name, peers=[seeder.address])
            t0 = time.monotonic()
            landed = style
            if style == "checkpoint":
                # kill within a few ms after the arg-th resume file replacement of this run
                seen, rid = 0, resume_id0
                while seen < arg and time.monotonic() - t0 < 2.5 * arg + 3 and proc.alive():
                    try:
                        s = os.stat(resume_path)
                        now_id = (s.st_ino, s.st_mtime_ns)
                    except FileNotFoundError:
                        now_id = None
                    if now_id is not None and now_id != rid:
                        seen += 1
                        rid = now_id
                    else:
                        time.sleep(0.002)
                if seen < arg:
                    landed = f"checkpoint-not-seen({seen}/{arg})"
            elif style == "write":
                time.sleep(arg)
                try:
                    b0 = os.stat(part_file).st_blocks
                except FileNotFoundError:
                    b0 = None
                end = time.monotonic() + 1.5
                while time.monotonic() < end and proc.alive():
                    try:
                        if os.stat(part_file).st_blocks != b0:
                            break
                    except FileNotFoundError:
                        pass
                    time.sleep(0.001)
                else:
                    landed = "write-not-seen"
            else:
                time.sleep(arg)
            if not proc.alive():
                rc, st, text = self.finish(proc, 5)
                self.fail_with_logs(f"{name}: corrent exited (rc={rc}) before the stop landed; the download "
                                    f"must still be running (stats {st})")
            run_s = time.monotonic() - t0
            sig = signal.SIGTERM if style == "SIGTERM" else signal.SIGKILL
            rc, st, text = self.signal_and_finish(proc, sig)
            # `corrent verify` of the parts (corrent is gone: they no longer change) runs
            # while the seeder's upload counter settles
            verifying = verifier.submit(self.good_pieces, torrent, out)
            up_after = self.seeder_uploaded_settled(seeder)
            new_good = verifying.result(timeout=150)
            raw, recorded = self.recorded_pieces(torrent, out)
            line = self.resuming_line(text)
            lost = sorted(good - new_good)
            self.assertEqual(lost, [], f"{name}: pieces good on disk before this run are no longer good")
            if recorded is not None:
                self.assertEqual(sorted(recorded - new_good), [],
                                 f"{name}: the resume file records pieces that are not good on disk")
            if good and line is not None:
                self.assertEqual(line[0], len(good), f"{name}: restored {line} but {len(good)} pieces were good "
                                                     f"on disk (unrecorded pieces must be re-hashed, not fetched)")
                self.assertLessEqual(line[2], len(prev_recorded or ()),
                                     f"{name}: trusted more pieces than the resume file recorded: {line}")
            gained = piece_bytes(torrent, new_good - good)
            waste = (up_after - up_before) - gained
            rec = dict(name=name, run_s=round(run_s, 2), rc=rc, uploaded=up_after - up_before, gained=gained,
                       waste=waste, good=len(new_good), recorded=None if recorded is None else len(recorded),
                       resuming=line[:4] if line else None, landed=landed)
            stops.append(rec)
            sl.log(f"stop {i}: {rec}")
            self.assertLessEqual(waste, PER_STOP_BOUND, f"{name}: wasted more than the per-stop bound: {rec}")
            if sig == signal.SIGTERM:
                self.assertEqual(rc, 1, f"{name}: SIGTERM exit code\n{text[-1500:]}")
                self.assertIsNotNone(st, f"{name}: no --stats after SIGTERM")
                self.assertFalse(st["complete"], st)
                self.assertTrue(st.get("interrupted"), st)
                missing_before = size - piece_bytes(torrent, good)
                self.assertLessEqual(st["downloaded_bytes"], missing_before,
                                     f"{name}: downloaded more than was missing at its start: {st}")
                self.assertGreaterEqual(st["downloaded_bytes"], gained, f"{name}: {st}")
                self.assertIsNotNone(recorded, f"{name}: no resume file after SIGTERM")
                self.assertEqual(sorted(new_good - recorded), [],
                                 f"{name}: after SIGTERM the resume file must record every piece on disk")
            else:
                self.assertEqual(rc, -signal.SIGKILL, f"{name}: expected death by SIGKILL, rc={rc}")
            good, up_before, prev_recorded = new_good, up_after, recorded
            self.assertLess(len(good), n, f"{name}: download finished inside the kill loop (raise the size)")

        # final run, uncapped
        self.set_rate(seeder, 0)
        missing = size - piece_bytes(torrent, good)
        rc, st, text, el = self.run_corrent(torrent, out, "kill-final", peers=[seeder.address], timeout=90)
        line = self.resuming_line(text)
        total_up = seeder.final_uploaded()
        nstops = len(stops)
        overhead = total_up - size
        bound = nstops * PER_STOP_BOUND
        wastes = [s["waste"] for s in stops]
        self.note(f"{nstops} stops ({N_SIGKILL} SIGKILL, {N_SIGTERM} SIGTERM), styles "
                  f"{[s['landed'] for s in stops]}; run lengths {[s['run_s'] for s in stops]}; "
                  f"good pieces before the final run {len(good)}/{n}; final run rc={rc} {el:.1f}s "
                  f"downloaded_bytes={st and st.get('downloaded_bytes')} (missing {missing}) resuming={line}; "
                  f"seeder uploaded {total_up} for {size}: overhead {overhead} B ({overhead / MiB:.2f} MiB) "
                  f"<= bound {nstops} x {PER_STOP_BOUND} = {bound} B; per stop: max {max(wastes)} "
                  f"mean {sum(wastes) / len(wastes):.0f} B")
        self.assertEqual(rc, 0, f"final run exit code\n{text[-2000:]}")
        self.assert_finished_dir(content, out, "kill loop")
        self.assertIsNotNone(st)
        self.assertTrue(st["complete"], st)
        self.assertEqual(st["hash_failures"], 0, st)
        self.assertIsNotNone(line, f"final run logged no 'resuming:' line\n{text[-2000:]}")
        self.assertEqual(line[0], len(good), f"final run restored {line}, {len(good)} pieces were good on disk")
        self.assertEqual(st["downloaded_bytes"], missing,
                         f"final run must download exactly the {missing} bytes not good on disk: {st}")
        self.assertGreaterEqual(overhead, 0)
        self.assertLessEqual(overhead, bound, f"seeder overhead {overhead} > {nstops} stops x {PER_STOP_BOUND}")
        self.assertGreaterEqual(sum(1 for s in stops if s["uploaded"] > 0), nstops // 2,
                                f"most stops should land while data flows: {stops}")

    # ------------------------------------------------------------ 2. damaged resume files
    def _stopped_midway(self, torrent, out, name, seeder, min_pieces=6, timeout=20):
        """Run (the seeder capped by the caller) until the resume file records >= min_pieces,
        then SIGINT. Returns (good, raw resume)."""
        proc = self.start(torrent, out, name, peers=[seeder.address])
        end = time.monotonic() + timeout
        while time.monotonic() < end and proc.alive():
            try:
                _, rec = self.recorded_pieces(torrent, out)
            except AssertionError:
                rec = None  # (re-read next round; the final check below is strict)
            if rec and len(rec) >= min_pieces:
                break
            time.sleep(0.1)
        self.assertTrue(proc.alive(), f"{name} exited before it could be stopped midway\n{proc.log_tail()}")
        rc, st, text = self.signal_and_finish(proc, signal.SIGINT)
        self.assertEqual(rc, 1, f"{name}: SIGINT exit code\n{text[-1500:]}")
        self.assertTrue(st and st.get("interrupted") and not st["complete"], f"{name}: {st}")
        good = self.good_pieces(torrent, out)
        raw, recorded = self.recorded_pieces(torrent, out)
        self.assertIsNotNone(raw, f"{name}: no resume file after SIGINT")
        self.assertEqual(recorded, good, f"{name}: after SIGINT the resume file must record exactly the good pieces")
        self.assertTrue(0 < len(good) < torrent.num_pieces, f"{name}: not midway: {len(good)} good")
        return good, raw

    def _damaged_resume_cases(self, cases, with_other_torrent=False):
        """For each (label, damage(raw, good) -> bytes, unusable): a fresh DIR, a run stopped
        midway by SIGINT (these runs side by side), the resume file replaced by damage(...),
        then a run to completion.
        The failures of all cases are collected and reported together."""
        size = 48 * MiB + 777
        content = self.content_single(size, name="damaged.bin", seed=21)
        torrent = self.dead_tracker_torrent(self.sw.make_torrent(content, PIECE))
        seeder = self.sw.lt_seeder(torrent, content, upload_limit=PARTIAL_RATE)
        ready = [seeder]
        extra = {}
        if with_other_torrent:
            # another torrent with the same name, size and piece size but other content:
            # only the info-hash tells its resume file apart
            oc = sl.make_single(os.path.join(self.sw.tmp, "content-other"), content.name, size, seed=22)
            other = self.dead_tracker_torrent(sl.make_torrent(oc, os.path.join(self.sw.tmp, "other.base.torrent"),
                                                              PIECE))
            self.assertNotEqual(other.info_hash, torrent.info_hash)
            self.assertEqual((other.num_pieces, other.name), (torrent.num_pieces, torrent.name))
            other_seeder = self.sw.lt_seeder(other, oc, upload_limit=PARTIAL_RATE)
            ready.append(other_seeder)
        self.sw.wait_ready(ready, None, torrent)
        # The runs stopped midway (a DIR each) are independent: all at once, their seeder
        # capped (PARTIAL_RATE, shared), each checked as before; then the damaged resumes,
        # one at a time.
        partials = [(torrent, self.out_dir(label), f"{label}-partial", seeder) for label, _, _ in cases]
        if with_other_torrent:
            partials.append((other, self.out_dir("other"), "other-partial", other_seeder))
        for sd in ready:
            self.set_rate(sd, PARTIAL_RATE)
        with concurrent.futures.ThreadPoolExecutor(len(partials)) as ex:
            stopped = [ex.submit(self._stopped_midway, *args) for args in partials]
            stopped = [f.result(timeout=120) for f in stopped]
        if with_other_torrent:
            other_good, extra["other_raw"] = stopped.pop()
            other_seeder.stop()
            sl.log(f"resume file of the other torrent: {len(extra['other_raw'])} bytes, "
                   f"{len(other_good)} pieces recorded")
        self.set_rate(seeder, 0)
        results = []
        failures = []
        for (label, damage, unusable), (_, out, _, _), (good, raw) in zip(cases, partials, stopped):
            _, resume_path = self.parts_paths(torrent, out)
            with open(resume_path, "wb") as f:
                f.write(damage(raw, good, torrent, extra))
            rc, st, text, el = self.run_corrent(torrent, out, f"{label}-resume", peers=[seeder.address], timeout=60)
            line = self.resuming_line(text)
            missing = torrent.total_size - piece_bytes(torrent, good)
            vrc, vj, vtext = self.verify_json(torrent, out)
            results.append((label, len(good), line, st and st.get("downloaded_bytes"), missing, rc, vrc))
            problems = []
            if rc != 0:
                problems.append(f"exit code {rc}")
            err = self.sw.verify(content, out)
            if err:
                problems.append(f"not byte-identical: {err}")
            if vrc != 0:
                problems.append(f"corrent verify exit {vrc}: bad pieces {vj and vj.get('bad_pieces')}")
            if line is None:
                problems.append("no 'resuming:' log line")
            else:
                if line[0] != len(good):
                    problems.append(f"restored {line[0]} pieces, {len(good)} were good on disk")
                if unusable and line[2] != 0:
                    problems.append(f"trusted {line[2]} pieces from an unusable resume file")
                if unusable and "resume" not in line[4].lower():
                    problems.append(f"log does not mention the resume file problem: {line}")
            if st is None or st.get("downloaded_bytes") != missing:
                problems.append(f"downloaded_bytes {st and st.get('downloaded_bytes')} != {missing} "
                                f"(the bytes of the pieces not good on disk)")
            if problems:
                failures.append(f"{label}: {problems}\n    log: {text[-700:]}")
        self.note("case, good pieces before, resuming (verified, total, trusted, rehashed, note), downloaded_bytes, "
                  "missing, rc, verify rc:\n    " + "\n    ".join(map(str, results)))
        self.assertEqual(failures, [], "damaged resume files:\n  " + "\n  ".join(failures))

    def test_2_damaged_resume_file(self):
        rng = random.Random(SEED + 2)

        def truncated(raw, good, torrent, extra):
            return raw[:len(raw) // 2]

        def zeroed(raw, good, torrent, extra):
            return bytes(len(raw))

        def other_torrent(raw, good, torrent, extra):
            return extra["other_raw"]

        def flip_random_bit(raw, good, torrent, extra):
            bit = rng.randrange(len(raw) * 8)
            b = bytearray(raw)
            b[bit // 8] ^= 0x80 >> (bit % 8)
            sl.log(f"flipping bit {bit} of {len(raw) * 8}: byte {bit // 8} in "
                   f"{raw[max(0, bit // 8 - 12):bit // 8]!r} [{raw[bit // 8:bit // 8 + 1]!r}] "
                   f"{raw[bit // 8 + 1:bit // 8 + 12]!r}")
            return bytes(b)

        self._damaged_resume_cases([("truncated", truncated, True), ("zeroed", zeroed, True),
                                    ("other-torrent", other_torrent, True),
                                    ("bitflip-random", flip_random_bit, False)], with_other_torrent=True)

    def test_2b_resume_bit_for_absent_piece(self):
        """The worst single bit flip: a piece that is not on disk (a hole in the part file)
        marked verified in the resume file, whose files keep their recorded size and mtime."""
        def flip_verified_bit(raw, good, torrent, extra):
            absent = sorted(set(range(torrent.num_pieces)) - good)
            p = absent[len(absent) // 2]
            off = resume_verified_offset(raw) + p // 8
            b = bytearray(raw)
            b[off] ^= 0x80 >> (p % 8)
            sl.log(f"marking piece {p} (not on disk) as verified in the resume file")
            return bytes(b)

        self._damaged_resume_cases([("bitflip-verified-absent-piece", flip_verified_bit, False)])

    # ------------------------------------------------------------ 3. flipped byte in a finished file
    def test_3_flipped_byte_in_finished_file(self):
        content = self.content_single(64 * MiB + 1234, name="flipme.bin", seed=31)
        torrent = self.dead_tracker_torrent(self.sw.make_torrent(content, PIECE))
        seeder = self.sw.lt_seeder(torrent, content)
        self.sw.wait_ready([seeder], None, torrent)
        out = self.out_dir("flip")
        rc, st, text, el = self.run_corrent(torrent, out, "flip-first", peers=[seeder.address])
        self.assertEqual(rc, 0, text[-1500:])
        self.assert_finished_dir(content, out, "first download")
        rng = random.Random(SEED + 3)
        n = torrent.num_pieces
        last_size = torrent.piece_size(n - 1)
        self.assertLess(last_size, PIECE)
        path = os.path.join(out, torrent.files[0][0])
        offsets = [rng.randrange(PIECE, (n - 1) * PIECE), (n - 1) * PIECE + rng.randrange(last_size)]
        for k, off in enumerate(offsets):
            idx = off // torrent.piece_length
            with open(path, "r+b") as f:
                f.seek(off)
                b = f.read(1)
                f.seek(off)
                f.write(bytes([b[0] ^ 0xFF]))
            vrc, vj, vtext = self.verify_json(torrent, out)
            self.assertEqual(vrc, 1, f"verify after flipping byte {off}: {vtext[:500]}")
            self.assertEqual((vj["bad_pieces"], vj["missing_pieces"], vj["good"], vj["bad"]), ([idx], [], n - 1, 1),
                             f"verify must report exactly piece {idx} (byte {off}): {vtext[:800]}")
            self.assertEqual([(f["status"], f["bad_pieces"]) for f in vj["files"]], [("bad", 1)], vtext[:800])
            r = subprocess.run([sl.corrent_bin(), "verify", torrent.path, "-d", out], capture_output=True, timeout=60)
            txt = r.stdout.decode(errors="replace")
            self.assertEqual(r.returncode, 1, txt)
            self.assertIn(f"{n - 1} good, 1 bad, 0 missing of {n} pieces", txt)
            self.assertIn(f"piece {idx} bad", txt)
            rc, st, text, el = self.run_corrent(torrent, out, f"flip-refetch{k}", peers=[seeder.address], timeout=60)
            self.note(f"flipped byte {off} -> piece {idx} (size {torrent.piece_size(idx)}): re-download rc={rc} "
                      f"{el:.2f}s downloaded_bytes={st and st.get('downloaded_bytes')}")
            self.assertEqual(rc, 0, text[-1500:])
            self.assertIsNotNone(st)
            self.assertEqual(st["downloaded_bytes"], torrent.piece_size(idx),
                             f"must re-fetch exactly piece {idx}: {st}\n{text[-1000:]}")
            self.assert_verify_all_good(torrent, out, f"after re-fetching piece {idx}")
            self.assert_finished_dir(content, out, f"after re-fetching piece {idx}")

    # ------------------------------------------------------------ 4. existing complete data
    def test_4_existing_complete_data(self):
        single = self.content_single(64 * MiB + 99, name="already.bin", seed=41)
        tree = self.content_multi(nfiles=120, max_size=2 * MiB, name="alreadytree", seed=42)
        # the tracker: a socket that listens but never answers (an announce would hang)
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        silent.setblocking(False)
        self.sw.on_close(silent.close)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/announce"
        for content in (single, tree):
            torrent = self.dead_tracker_torrent(self.sw.make_torrent(content, PIECE), url)
            out = self.out_dir(content.name)
            for rel, _ in content.files:
                dst = os.path.join(out, rel)
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                shutil.copy2(content.abspath(rel), dst)
            before = {rel: os.stat(os.path.join(out, rel)).st_mtime_ns for rel, _ in content.files}
            rc, st, text, el = self.run_corrent(torrent, out, f"existing-{content.name}", timeout=30)
            self.note(f"{content.name}: {len(content.files)} file(s), {content.total_size} B already there: "
                      f"rc={rc} in {el:.2f}s, downloaded_bytes={st and st.get('downloaded_bytes')}")
            self.assertEqual(rc, 0, text[-1500:])
            self.assertLess(el, 10.0, f"should finish within seconds (hashing only): {el:.1f}s")
            self.assertTrue(st and st["complete"], st)
            self.assertEqual(st["downloaded_bytes"], 0, st)
            self.assertEqual(st["peers"], [], st)
            self.assert_finished_dir(content, out, content.name)
            after = {rel: os.stat(os.path.join(out, rel)).st_mtime_ns for rel, _ in content.files}
            self.assertEqual(after, before, "complete files were rewritten")
        try:
            conn, _ = silent.accept()
            conn.close()
            self.fail("corrent contacted the tracker although the data was already complete")
        except BlockingIOError:
            pass

    # ------------------------------------------------------------ 5. disk full
    def test_5_disk_full(self):
        content = self.content_single(64 * MiB + 4321, name="toobig.bin", seed=51)
        torrent = self.dead_tracker_torrent(self.sw.make_torrent(content, PIECE))
        # capped so that a few checkpoints are written before the disk fills up
        seeder = self.sw.lt_seeder(torrent, content, upload_limit=DISK_FULL_RATE)
        mnt = os.path.join(self.sw.tmp, "small-fs")
        os.makedirs(mnt)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=40m", "tmpfs", mnt], capture_output=True, timeout=30)
        if r.returncode != 0:
            print(f"skipped: cannot mount tmpfs ({r.stderr.decode(errors='replace').strip()})", flush=True)
            self.skipTest("cannot mount tmpfs")
        try:
            self.sw.wait_ready([seeder], None, torrent)
            out = os.path.join(mnt, "out")
            os.makedirs(out)
            rc, st, text, el = self.run_corrent(torrent, out, "full-first", peers=[seeder.address], timeout=60)
            good = self.good_pieces(torrent, out)
            _, recorded = self.recorded_pieces(torrent, out)
            leftovers = sorted(os.listdir(os.path.join(out, ".corrent-parts")))
            err_line = [ln for ln in text.splitlines() if "space" in ln.lower() or "ENOSPC" in ln]
            self.note(f"40 MiB tmpfs, {torrent.total_size} B torrent: rc={rc} in {el:.1f}s; "
                      f"error lines {err_line[-3:]}; stats error={st and st.get('error')!r}; good on disk "
                      f"{len(good)}, recorded {None if recorded is None else len(recorded)}; .corrent-parts/: {leftovers}")
            self.assertEqual(rc, 1, f"disk full must exit 1\n{text[-1500:]}")
            self.assertTrue(re.search(r"No space left on device|ENOSPC", text),
                            f"no 'No space left on device' in the output:\n{text[-1500:]}")
            self.assertNotIn("done:", text)
            self.assertIsNotNone(st, "no --stats after the disk error")
            self.assertFalse(st["complete"], st)
            self.assertFalse(os.path.exists(os.path.join(out, content.name)), "final file exists after a disk error")
            self.assertIsNotNone(recorded, "no resume file: no checkpoint before the disk filled up (lower the rate)")
            self.assertGreater(len(recorded), 0)
            self.assertEqual(sorted(recorded - good), [], "the resume file records pieces that are not on disk")
            self.assertEqual(leftovers, [torrent.info_hash, torrent.info_hash + ".resume"],
                             "stray files beside the parts dir after the disk error")
            r = subprocess.run(["mount", "-o", "remount,size=200m", mnt], capture_output=True, timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
            missing = torrent.total_size - piece_bytes(torrent, good)
            self.set_rate(seeder, 0)
            rc, st, text, el = self.run_corrent(torrent, out, "full-second", peers=[seeder.address], timeout=60)
            line = self.resuming_line(text)
            self.note(f"after growing to 200 MiB: rc={rc} in {el:.1f}s, downloaded_bytes="
                      f"{st and st.get('downloaded_bytes')} (missing {missing}), resuming={line}")
            self.assertEqual(rc, 0, text[-1500:])
            self.assertIsNotNone(line, text[-1500:])
            self.assertEqual(line[0], len(good), f"must restore every piece good on disk: {line}")
            self.assert_finished_dir(content, out, "after the disk grew")
            self.assertEqual(st["downloaded_bytes"], missing, f"must fetch exactly what was not good on disk: {st}")
        finally:
            for p in self.sw.procs:
                if p.name.startswith("full-") and p.alive():
                    p.stop(grace=2)
            r = subprocess.run(["umount", mnt], capture_output=True, timeout=30)
            if r.returncode != 0:
                subprocess.run(["umount", "-l", mnt], capture_output=True, timeout=30)

    # ------------------------------------------------------------ 5b. a failed flush
    SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
/* The first fdatasync of a file in .corrent-parts fails with EIO and, like a lost
   writeback, the data written to it so far is gone (the file keeps its size). The
   writeback takes 600 ms first, so that pieces are written beside it (on the other disk
   thread): their data is lost too. */
static int failed;
int fdatasync(int fd) {
  static int (*real)(int);
  if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
  char link[64], path[4096];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, path, sizeof path - 1);
  if (!failed && n > 0) {
    path[n] = 0;
    if (strstr(path, ".corrent-parts/")) {
      struct stat st;
      if (fstat(fd, &st) == 0 && st.st_size > 0) {
        failed = 1;
        usleep(600000);
        if (ftruncate(fd, 0) == 0 && ftruncate(fd, st.st_size) == 0) {
          fprintf(stderr, "shim: fdatasync of %s failed (EIO), its data dropped\n", path);
        }
        errno = EIO;
        return -1;
      }
    }
  }
  return real(fd);
}
"""

    def build_shim(self):
        shim_c = os.path.join(self.sw.tmp, "fail_sync.c")
        shim = os.path.join(self.sw.tmp, "fail_sync.so")
        with open(shim_c, "w") as f:
            f.write(self.SHIM)
        r = subprocess.run(["gcc", "-shared", "-fPIC", "-O1", "-o", shim, shim_c, "-ldl"], capture_output=True,
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        env = dict(os.environ)
        env["LD_PRELOAD"] = shim
        if os.environ.get("CORRENT_SANITIZED", "0") not in ("", "0"):  # ASan's runtime must come first
            asan = subprocess.run(["gcc", "-print-file-name=libasan.so"], capture_output=True, text=True).stdout.strip()
            env["LD_PRELOAD"] = f"{os.path.realpath(asan)}:{shim}"
        return env

    def test_5b_failed_flush_is_never_vouched_for(self):
        """Linux reports a lost writeback once: a later flush succeeds. The resume file
        must never vouch for the pieces written before the failed one."""
        env = self.build_shim()
        content = self.content_single(16 * MiB + 4321, name="flush.bin", seed=52)
        torrent = self.dead_tracker_torrent(self.sw.make_torrent(content, PIECE))
        seeder = self.sw.lt_seeder(torrent, content, upload_limit=2_000_000)  # ~8 s: a few checkpoints
        self.sw.wait_ready([seeder], None, torrent)
        out = self.out_dir("flush")
        proc = self.start(torrent, out, "flush-first", peers=[seeder.address], env=env)
        _, resume = self.parts_paths(torrent, out)
        failed_at = None
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and proc.alive():
            with open(proc.log_path, "rb") as f:
                log = f.read().decode(errors="replace")
            if failed_at is None and "shim: fdatasync" in log:
                failed_at = time.monotonic()
            # a checkpoint that worked after the failure: the resume file is newer
            if failed_at and os.path.exists(resume) and os.path.getmtime(resume) > time.time() - 1 \
                    and time.monotonic() - failed_at > 2.5:
                break
            time.sleep(0.1)
        self.assertIsNotNone(failed_at, f"the shim never failed a flush:\n{log[-1500:]}")
        self.assertTrue(proc.alive(), f"the download ended before a checkpoint after the failure:\n{log[-1500:]}")
        rc, st, text = self.signal_and_finish(proc, signal.SIGKILL)
        good = self.good_pieces(torrent, out)
        _, recorded = self.recorded_pieces(torrent, out)
        self.note(f"killed {time.monotonic() - failed_at:.1f}s after the failed flush: good on disk {len(good)}, "
                  f"recorded {None if recorded is None else len(recorded)}")
        self.assertIsNotNone(recorded, "no resume file after the failed flush")
        self.assertEqual(sorted(recorded - good), [], "the resume file vouches for pieces lost in the failed flush")
        self.assertIn("flushing to disk failed", text)
        seeder.set_upload_limit(0)
        rc, st, text, el = self.run_corrent(torrent, out, "flush-second", peers=[seeder.address], timeout=60)
        self.assertEqual(rc, 0, text[-1500:])
        self.assert_finished_dir(content, out, "after the failed flush")

    def test_5c_failed_flush_then_the_download_completes(self):
        """The same failed flush, and the run goes on to the end: it must not declare the
        files done with pieces that may be lost; the next run checks them and finishes."""
        env = self.build_shim()
        content = self.content_single(8 * MiB + 4321, name="flush2.bin", seed=53)
        torrent = self.dead_tracker_torrent(self.sw.make_torrent(content, PIECE))
        seeder = self.sw.lt_seeder(torrent, content, upload_limit=2_000_000)
        self.sw.wait_ready([seeder], None, torrent)
        out = self.out_dir("flush2")
        proc = self.start(torrent, out, "flush2-first", peers=[seeder.address], env=env)
        rc, st, text = self.finish(proc, 60)
        self.assertIn("shim: fdatasync", text, "the shim never failed a flush (the download was too quick?)")
        self.assertNotEqual(rc, 0, f"declared done after a failed flush:\n{text[-1500:]}")
        self.assertIn("failed flush", text)
        self.assertFalse(os.path.exists(os.path.join(out, content.name)), "moved into place after a failed flush")
        seeder.set_upload_limit(0)
        rc, st, text, el = self.run_corrent(torrent, out, "flush2-second", peers=[seeder.address], timeout=60)
        self.assertEqual(rc, 0, text[-1500:])
        self.assert_finished_dir(content, out, "after the failed flush")

    # ------------------------------------------------------------ 6. resume speed
    def test_6_resume_speed(self):
        content = self.content_single(256 * MiB + 4321, name="big.bin", seed=61)
        torrent = self.dead_tracker_torrent(self.sw.make_torrent(content, PIECE))
        seeder = self.sw.lt_seeder(torrent, content, upload_limit=100_000_000)
        self.sw.wait_ready([seeder], None, torrent, timeout=90)
        out = self.out_dir("speed")
        proc = self.start(torrent, out, "speed-first", peers=[seeder.address])
        end = time.monotonic() + 60
        while proc.alive() and time.monotonic() < end and (seeder.uploaded() or 0) < torrent.total_size // 2:
            time.sleep(0.05)
        self.assertTrue(proc.alive(), f"first run ended before midway\n{proc.log_tail()}")
        rc, st, text = self.signal_and_finish(proc, signal.SIGINT)
        self.assertEqual(rc, 1, text[-1500:])
        good = self.good_pieces(torrent, out)
        _, recorded = self.recorded_pieces(torrent, out)
        self.assertEqual(recorded, good, "after SIGINT the resume file must record exactly the good pieces")
        self.assertTrue(0 < len(good) < torrent.num_pieces, f"{len(good)} good")
        # for comparison: the same parts without the resume file (everything re-hashed)
        out2 = self.out_dir("speed-rehash")
        subprocess.run(["cp", "-a", "--sparse=always", os.path.join(out, ".corrent-parts"), out2], check=True,
                       timeout=120)
        os.unlink(self.parts_paths(torrent, out2)[1])
        self.set_rate(seeder, 0)
        rc, st, text, el = self.run_corrent(torrent, out, "speed-resume", peers=[seeder.address], timeout=90)
        line = self.resuming_line(text)
        p2 = self.start(torrent, out2, "speed-rehash", peers=[seeder.address])
        time.sleep(0.8)
        rc2, st2, text2 = self.signal_and_finish(p2, signal.SIGINT)
        fb = st and st.get("first_byte_s")
        self.note(f"{torrent.total_size} B, {len(good)}/{torrent.num_pieces} pieces before the restart: "
                  f"first_byte_s={fb} with the resume file ({line}), "
                  f"{st2 and st2.get('first_byte_s')} without it ({self.resuming_line(text2)}); "
                  f"restart finished rc={rc} in {el:.1f}s")
        self.assertEqual(rc, 0, text[-1500:])
        self.assert_finished_dir(content, out, "resume speed")
        self.assertIsNotNone(line, text[-1500:])
        self.assertEqual(line[:4], (len(good), torrent.num_pieces, len(good), 0),
                         f"a valid resume file must restore every piece without re-hashing: {line}")
        self.assertEqual(st["downloaded_bytes"], torrent.total_size - piece_bytes(torrent, good), st)
        self.assertIsInstance(fb, (int, float))
        self.assertGreaterEqual(fb, 0, st)
        self.assertLess(fb, FIRST_BYTE_LIMIT_S, f"first payload byte after {fb}s: {st}")


if __name__ == "__main__":
    dltest.main("resume")
