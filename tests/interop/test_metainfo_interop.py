#!/usr/bin/python3
"""corrent's .torrent handling against real clients (issue "[1] Foundation").

  * torrents made by python3-libtorrent (v1_only; single file; a directory with a
    0-byte file, nested dirs and a hidden file) and by mktorrent (single, multi):
    `corrent info --json` reports the same info-hash, name, sizes, piece length and
    count, private flag, trackers and file list (path, size, offset) as libtorrent;
  * the real-world corpus in shared/testdata/torrents (v1 and hybrid): same check;
  * torrents made by `corrent create` (single and multi, trackers in tiers, private,
    comment): load in libtorrent and in transmission-show with the info-hash corrent
    prints; `corrent info --json` agrees with transmission-show (name, total size,
    piece count, file list, privacy) and libtorrent; the piece hashes are right
    (libtorrent checks the original data and finds every piece, a one-byte change
    costs exactly one piece, and an independent hashlib pass agrees);
  * bad input: truncated / garbage / empty files and '../' or '/' in paths make
    `corrent info` exit 2 with one line on stderr naming the problem; `corrent
    create` of a missing path fails with a clear message and writes nothing.

Run: CORRENT=build/release/src/cli/corrent CORRENT_SHARED=../shared \
       /usr/bin/python3 tests/interop/test_metainfo_interop.py
"""
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import swarmlib as sl  # noqa: E402

import libtorrent as lt  # noqa: E402

TRACKER_A = "http://127.0.0.1:9/announce"        # discard port: nothing answers
TRACKER_B = "http://127.0.0.1:9/announce-b"
TRACKER_C = "udp://127.0.0.1:9/announce"


def run(argv, timeout=120, **kw):
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=timeout, **kw)


def corrent(*args, timeout=120):
    return run([sl.corrent_bin(), *args], timeout=timeout)


def corrent_info(path):
    r = corrent("info", "--json", path)
    if r.returncode != 0:
        raise AssertionError(f"corrent info --json {path}: rc={r.returncode} stderr={r.stderr.strip()}")
    return json.loads(r.stdout)


def lt_view(path):
    """What libtorrent says about a .torrent, in the shape of `corrent info --json`."""
    ti = lt.torrent_info(path)
    fs = ti.files()
    files = []
    for i in range(fs.num_files()):
        f = dict(path=fs.file_path(i).replace(os.sep, "/"), size=fs.file_size(i), offset=fs.file_offset(i))
        if fs.file_flags(i) & lt.file_storage.flag_pad_file:
            f["pad"] = True
        files.append(f)
    tiers = {}
    for t in ti.trackers():
        tiers.setdefault(t.tier, []).append(t.url)
    v1 = ti.info_hashes().v1
    # libtorrent shuffles the URLs inside a tier when it loads a torrent (BEP 12 says
    # clients should), so tiers are compared as sorted lists
    return dict(name=ti.name(), info_hash=str(v1), total_size=ti.total_size(), piece_length=ti.piece_length(),
                num_pieces=ti.num_pieces(), private=bool(ti.priv()),
                trackers=[sorted(tiers[k]) for k in sorted(tiers)], files=files)


def corrent_view(info):
    files = []
    for f in info["files"]:
        g = dict(path=f["path"], size=f["size"], offset=f["offset"])
        if f.get("pad"):
            g["pad"] = True
        files.append(g)
    return dict(name=info["name"], info_hash=info["info_hash"], total_size=info["total_size"],
                piece_length=info["piece_length"], num_pieces=info["num_pieces"], private=info["private"],
                trackers=[sorted(t) for t in info["trackers"]], files=files)


# transmission-show prints sizes for people: "300.0 kB", "1.05 MB" (SI units)
_UNITS = {"B": 1, "bytes": 1, "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
          "KiB": 1024, "MiB": 1024 ** 2, "GiB": 1024 ** 3}


def size_close(text, exact):
    """True if transmission's rounded size text can stand for `exact` bytes."""
    m = re.fullmatch(r"\s*([\d.,]+)\s*(\w+)\s*", text)
    if not m or m.group(2) not in _UNITS:
        return False
    num = m.group(1).replace(",", "")
    decimals = len(num.split(".")[1]) if "." in num else 0
    unit = _UNITS[m.group(2)]
    return abs(float(num) * unit - exact) <= unit * 10 ** (-decimals) + 0.5


def transmission_show(path):
    r = run(["transmission-show", "-u", path], timeout=60)  # -u: files in torrent order
    if r.returncode != 0:
        raise AssertionError(f"transmission-show {path} failed rc={r.returncode}: {r.stderr}{r.stdout}")
    out = dict(files=[], raw=r.stdout)
    section = None
    for line in r.stdout.splitlines():
        s = line.strip()
        if s in ("GENERAL", "TRACKERS", "FILES"):
            section = s
            continue
        if section == "GENERAL" and ": " in s:
            k, v = s.split(": ", 1)
            out[k] = v
        elif section == "FILES" and s:
            m = re.fullmatch(r"(.*) \(([^()]*)\)", s)
            if m:
                out["files"].append((m.group(1), m.group(2)))
    return out


def lt_check(torrent_path, save_path, timeout=60):
    """Add the torrent to a libtorrent session over existing data and let it check
    every piece; returns (pieces it has, pieces in total, is_seeding)."""
    ses = lt.session({"listen_interfaces": "127.0.0.1:0", "outgoing_interfaces": "127.0.0.1",
                      "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
                      "enable_outgoing_tcp": False, "enable_incoming_utp": False, "enable_outgoing_utp": False,
                      "alert_mask": 0}, 0)
    try:
        atp = lt.add_torrent_params()
        atp.ti = lt.torrent_info(torrent_path)
        atp.save_path = save_path
        atp.flags = (atp.flags | lt.torrent_flags.stop_when_ready) & ~lt.torrent_flags.auto_managed \
            & ~lt.torrent_flags.paused
        h = ses.add_torrent(atp)
        checking = (lt.torrent_status.checking_files, lt.torrent_status.checking_resume_data,
                    lt.torrent_status.queued_for_checking, lt.torrent_status.allocating)
        end = time.monotonic() + timeout
        t_start = time.monotonic()
        while True:
            st = h.status()
            if st.state not in checking and time.monotonic() - t_start > 0.3:
                break
            if time.monotonic() > end:
                raise AssertionError(f"libtorrent still checking {torrent_path} after {timeout}s")
            time.sleep(0.05)
        return st.num_pieces, atp.ti.num_pieces(), bool(st.is_seeding)
    finally:
        del ses


def hashlib_check(torrent_path, save_path):
    """Independent of libtorrent's checker: SHA-1 every piece of the data laid out as
    the torrent's file list says; returns the indices of pieces that do not match."""
    ti = lt.torrent_info(torrent_path)
    fs = ti.files()
    plen = ti.piece_length()
    bad, buf, idx = [], bytearray(), 0

    def flush(final=False):
        nonlocal buf, idx
        while len(buf) >= plen or (final and buf):
            piece, buf = bytes(buf[:plen]), buf[plen:]
            if hashlib.sha1(piece).digest() != ti.hash_for_piece(idx):
                bad.append(idx)
            idx += 1

    for i in range(fs.num_files()):
        with open(os.path.join(save_path, fs.file_path(i)), "rb") as f:
            while True:
                b = f.read(1 << 20)
                if not b:
                    break
                buf += b
                flush()
    flush(final=True)
    if idx != ti.num_pieces():
        bad.append(f"piece count {idx} != {ti.num_pieces()}")
    return bad


def make_tree(root):
    """A directory with nested dirs, a 0-byte file, a hidden file and files that make
    pieces (16-64 KiB) span several files."""
    spec = [("a.bin", 300_001), ("empty.txt", 0), (".hidden", 37), ("sub/b.bin", 70_000),
            ("sub/deep/er/c.bin", 1_234_567), ("sub/deep/tiny", 1), ("z/last.dat", 65_536)]
    for rel, size in spec:
        sl.write_file(os.path.join(root, rel), size, f"tree-{rel}")
    return spec


class MetainfoBase(unittest.TestCase):
    maxDiff = 8000

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="corrent-it-metainfo-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def newdir(self, name):
        d = os.path.join(self.tmp, f"{self._testMethodName}-{name}")
        os.makedirs(d)
        return d

    def assert_same_as_lt(self, torrent_path):
        c = corrent_view(corrent_info(torrent_path))
        ref = lt_view(torrent_path)
        self.assertEqual(c, ref, f"corrent info --json vs libtorrent for {torrent_path}")
        return c


class TorrentsFromOtherTools(MetainfoBase):
    """Torrents made by libtorrent and mktorrent read the same in corrent and libtorrent."""

    def lt_create(self, parent, name, piece, trackers=(), private=False, comment=None):
        fs = lt.file_storage()
        lt.add_files(fs, os.path.join(parent, name))
        ct = lt.create_torrent(fs, piece, flags=lt.create_torrent.v1_only)
        for tier, url in enumerate(trackers):
            ct.add_tracker(url, tier)
        ct.set_priv(private)
        if comment:
            ct.set_comment(comment)
        lt.set_piece_hashes(ct, parent)
        out = os.path.join(parent, name + ".lt.torrent")
        with open(out, "wb") as f:
            f.write(lt.bencode(ct.generate()))
        return out

    def test_libtorrent_single_file(self):
        d = self.newdir("data")
        sl.write_file(os.path.join(d, "single.bin"), 1_000_001, "single")
        t = self.lt_create(d, "single.bin", 32 * 1024, trackers=[TRACKER_A, TRACKER_B], comment="hi")
        c = self.assert_same_as_lt(t)
        self.assertEqual((c["num_pieces"], c["files"]), (31, [dict(path="single.bin", size=1_000_001, offset=0)]))

    def test_libtorrent_directory(self):
        d = self.newdir("data")
        spec = make_tree(os.path.join(d, "tree"))
        t = self.lt_create(d, "tree", 16 * 1024, trackers=[TRACKER_A], private=True)
        c = self.assert_same_as_lt(t)
        self.assertTrue(c["private"])
        self.assertEqual(sorted(f["path"] for f in c["files"]), sorted(f"tree/{r}" for r, _ in spec),
                         "0-byte, hidden and nested files all listed")
        self.assertEqual(c["total_size"], sum(s for _, s in spec))

    def test_mktorrent_single_file(self):
        d = self.newdir("data")
        sl.write_file(os.path.join(d, "mk.bin"), 777_777, "mk")
        out = os.path.join(d, "mk.torrent")
        r = run(["mktorrent", "-a", TRACKER_A, "-a", TRACKER_B, "-l", "15", "-o", out, os.path.join(d, "mk.bin")])
        self.assertEqual(r.returncode, 0, r.stderr)
        c = self.assert_same_as_lt(out)
        self.assertEqual(c["trackers"], [[TRACKER_A], [TRACKER_B]])

    def test_mktorrent_directory(self):
        d = self.newdir("data")
        make_tree(os.path.join(d, "mktree"))
        out = os.path.join(d, "mktree.torrent")
        r = run(["mktorrent", "-p", "-a", TRACKER_A, "-l", "16", "-o", out, os.path.join(d, "mktree")])
        self.assertEqual(r.returncode, 0, r.stderr)
        c = self.assert_same_as_lt(out)
        self.assertTrue(c["private"])

    def test_real_world_corpus(self):
        d = os.path.join(sl.shared_dir(), "testdata", "torrents")
        if not os.path.isdir(d):
            self.skipTest(f"{d} not found (set CORRENT_SHARED)")
        checked = 0
        for name in sorted(os.listdir(d)):
            if not name.endswith(".torrent"):
                continue
            path = os.path.join(d, name)
            ti = lt.torrent_info(path)
            if not ti.info_hashes().has_v1():
                continue  # v2-only: no v1 info-hash to compare
            with self.subTest(torrent=name):
                self.assert_same_as_lt(path)
                checked += 1
        self.assertGreater(checked, 20, "too few corpus torrents compared")


class TorrentsMadeByCorrent(MetainfoBase):
    """`corrent create` output loads in libtorrent and transmission with the same identity."""

    def create(self, src, out, *args):
        r = corrent("create", src, "-o", out, *args)
        self.assertEqual(r.returncode, 0, f"corrent create failed: {r.stderr}")
        m = re.search(r"info-hash:\s*([0-9a-f]{40})", r.stdout)
        self.assertIsNotNone(m, f"corrent create printed no info-hash: {r.stdout!r}")
        return m.group(1)

    def check_against_transmission(self, torrent, info):
        tr = transmission_show(torrent)
        self.assertEqual(tr.get("Hash"), info["info_hash"], tr["raw"])
        self.assertEqual(tr.get("Name"), info["name"], tr["raw"])
        self.assertEqual(int(tr.get("Piece Count", "-1")), info["num_pieces"], tr["raw"])
        self.assertTrue(size_close(tr.get("Total Size", ""), info["total_size"]),
                        f"transmission total size {tr.get('Total Size')!r} vs {info['total_size']}")
        self.assertEqual(tr.get("Privacy"), "Private torrent" if info["private"] else "Public torrent", tr["raw"])
        self.assertEqual([p for p, _ in tr["files"]], [f["path"] for f in info["files"]], tr["raw"])
        for (p, sz), f in zip(tr["files"], info["files"]):
            self.assertTrue(size_close(sz, f["size"]), f"{p}: transmission says {sz!r}, corrent {f['size']}")

    def check_pieces(self, torrent, save_path, n):
        have, total, seeding = lt_check(torrent, save_path)
        self.assertEqual((have, total, seeding), (n, n, True), "libtorrent's check of the original data")
        self.assertEqual(hashlib_check(torrent, save_path), [], "pieces whose SHA-1 does not match")

    def test_single_file_with_trackers_private(self):
        d = self.newdir("data")
        src = os.path.join(d, "one.bin")
        sl.write_file(src, 5 * 1024 * 1024 + 123, "corrent-single")
        out = os.path.join(d, "one.torrent")
        printed = self.create(src, out, "-t", TRACKER_A, "-t", f"{TRACKER_B},{TRACKER_C}", "--private",
                              "--piece-size", "64KiB", "--comment", "made by corrent", "--no-date")
        info = corrent_info(out)
        self.assertEqual(info["info_hash"], printed)
        self.assertEqual(self.assert_same_as_lt(out)["info_hash"], printed)
        self.assertEqual(info["trackers"], [[TRACKER_A], [TRACKER_B, TRACKER_C]])
        raw = sl.bdecode(open(out, "rb").read())
        self.assertEqual(raw.get(b"announce"), TRACKER_A.encode())
        self.assertEqual(raw.get(b"announce-list"), [[TRACKER_A.encode()], [TRACKER_B.encode(), TRACKER_C.encode()]])
        self.assertEqual((info["name"], info["total_size"], info["piece_length"], info["num_pieces"]),
                         ("one.bin", 5 * 1024 * 1024 + 123, 65536, 81))
        self.assertTrue(info["private"])
        ti = lt.torrent_info(out)
        self.assertEqual((ti.comment(), ti.creation_date()), ("made by corrent", 0))
        self.check_against_transmission(out, info)
        self.check_pieces(out, d, info["num_pieces"])

    def test_directory_tree(self):
        d = self.newdir("data")
        root = os.path.join(d, "tree")
        spec = make_tree(root)
        out = os.path.join(d, "tree.torrent")
        printed = self.create(root, out, "-t", TRACKER_A, "--piece-size", "16KiB")
        info = corrent_info(out)
        self.assertEqual(info["info_hash"], printed)
        self.assert_same_as_lt(out)
        self.assertFalse(info["private"])
        self.assertEqual(sorted((f["path"], f["size"]) for f in info["files"]),
                         sorted((f"tree/{r}", s) for r, s in spec), "every file, incl. 0-byte and hidden")
        self.check_against_transmission(out, info)
        self.check_pieces(out, d, info["num_pieces"])
        # the check can fail: one changed byte in one file costs exactly one piece
        corrupt = os.path.join(self.tmp, "tree-corrupt")
        shutil.copytree(root, os.path.join(corrupt, "tree"))
        with open(os.path.join(corrupt, "tree", "sub", "deep", "er", "c.bin"), "r+b") as f:
            f.seek(500_000)
            b = f.read(1)
            f.seek(500_000)
            f.write(bytes([b[0] ^ 0xFF]))
        have, total, seeding = lt_check(out, corrupt)
        self.assertEqual((have, seeding), (total - 1, False))
        self.assertEqual(len(hashlib_check(out, corrupt)), 1)

    def test_auto_piece_size_and_reproducible(self):
        d = self.newdir("data")
        src = os.path.join(d, "auto.bin")
        sl.write_file(src, 3 * 1024 * 1024, "auto")
        a, b = os.path.join(d, "a.torrent"), os.path.join(d, "b.torrent")
        ha = self.create(src, a, "--no-date")
        hb = self.create(src, b, "--no-date", "--piece-size", "auto")
        self.assertEqual(ha, hb)
        with open(a, "rb") as fa, open(b, "rb") as fb:
            self.assertEqual(fa.read(), fb.read(), "--no-date output is reproducible")
        info = self.assert_same_as_lt(a)
        pl = info["piece_length"]
        self.assertTrue(16 * 1024 <= pl <= 16 * 1024 * 1024 and pl & (pl - 1) == 0, f"piece length {pl}")
        self.check_pieces(a, d, info["num_pieces"])

    def test_existing_output_needs_force(self):
        d = self.newdir("data")
        src = os.path.join(d, "f.bin")
        sl.write_file(src, 100_000, "force")
        out = os.path.join(d, "f.torrent")
        with open(out, "wb") as f:
            f.write(b"keep me")
        r = corrent("create", src, "-o", out)
        self.assertNotEqual(r.returncode, 0, "overwrote an existing file without --force")
        self.assertEqual(open(out, "rb").read(), b"keep me")
        self.create(src, out, "--force")
        self.assert_same_as_lt(out)


class BadInput(MetainfoBase):
    """Broken or hostile .torrent files: exit 2, one clear line on stderr."""

    def good_torrent_bytes(self):
        d = self.newdir("src")
        sl.write_file(os.path.join(d, "x.bin"), 200_000, "bad-input")
        fs = lt.file_storage()
        lt.add_files(fs, os.path.join(d, "x.bin"))
        ct = lt.create_torrent(fs, 16384, flags=lt.create_torrent.v1_only)
        ct.add_tracker(TRACKER_A)
        lt.set_piece_hashes(ct, d)
        return lt.bencode(ct.generate())

    def expect_rejected(self, name, data, keywords):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        for args in (["info", path], ["info", "--json", path]):
            r = corrent(*args, timeout=30)
            lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
            with self.subTest(file=name, args=" ".join(args[:-1])):
                self.assertEqual(r.returncode, 2, f"exit code; stderr={r.stderr!r}")
                self.assertEqual(len(lines), 1, f"want exactly one stderr line, got {r.stderr!r}")
                self.assertEqual(r.stdout.strip(), "", "nothing on stdout")
                self.assertIn(name, lines[0], "the message names the file")
                low = lines[0].lower()
                self.assertTrue(any(k in low for k in keywords), f"message {lines[0]!r} names none of {keywords}")

    def test_truncated(self):
        good = self.good_torrent_bytes()
        self.expect_rejected("truncated.torrent", good[: len(good) // 2],
                             ["end", "truncat", "short", "incomplete", "eof"])

    def test_garbage(self):
        data = random.Random(42).randbytes(4096)
        self.expect_rejected("garbage.torrent", b"\x89PNG" + data,
                             ["bencode", "unexpected", "invalid", "malformed", "not a torrent"])

    def test_empty_file(self):
        self.expect_rejected("empty.torrent", b"", ["empty", "end", "truncat", "eof", "unexpected"])

    def test_not_a_dict(self):
        self.expect_rejected("list.torrent", b"li1ei2ee", ["dict", "info", "not a torrent", "expected"])

    def evil(self, info):
        return sl.bencode({"announce": TRACKER_A, "info": info})

    def test_dotdot_in_file_path(self):
        info = {"name": "evil", "piece length": 16384, "pieces": b"\0" * 20,
                "files": [{"length": 5, "path": ["..", "..", "etc", "passwd"]}]}
        self.expect_rejected("dotdot.torrent", self.evil(info), [".."])

    def test_dotdot_inside_component(self):
        info = {"name": "evil", "piece length": 16384, "pieces": b"\0" * 20,
                "files": [{"length": 5, "path": ["ok", "../../x"]}]}
        self.expect_rejected("slash.torrent", self.evil(info), ["..", "/", "path"])

    def test_dotdot_name(self):
        info = {"name": "..", "piece length": 16384, "pieces": b"\0" * 20, "length": 5}
        self.expect_rejected("dotdotname.torrent", self.evil(info), [".."])

    def test_absolute_name(self):
        info = {"name": "/etc/passwd", "piece length": 16384, "pieces": b"\0" * 20, "length": 5}
        self.expect_rejected("absname.torrent", self.evil(info), ["/", "absolute", "path"])

    def test_pieces_do_not_match_size(self):
        info = {"name": "short", "piece length": 16384, "pieces": b"\0" * 20, "length": 100_000}
        self.expect_rejected("pieces.torrent", self.evil(info), ["piece"])

    def test_create_missing_path(self):
        missing = os.path.join(self.tmp, "does-not-exist")
        out = os.path.join(self.tmp, "missing.torrent")
        r = corrent("create", missing, "-o", out, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertFalse(os.path.exists(out), "a .torrent was written for a missing path")
        err = r.stderr.strip()
        self.assertTrue(err, "no error message")
        self.assertTrue("does-not-exist" in err or "no such file" in err.lower(), f"unclear message: {err!r}")


def _alarm(*_):
    raise TimeoutError("metainfo interop ran past its 300 s budget")


def main():
    sl.install_sigterm_handler()
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(300)
    t0 = time.monotonic()
    print(f"metainfo interop: corrent={sl.corrent_bin()} libtorrent={lt.__version__}", flush=True)
    names = sys.argv[1:]
    loader = unittest.defaultTestLoader
    mod = sys.modules["__main__"]
    suite = loader.loadTestsFromNames(names, mod) if names else loader.loadTestsFromModule(mod)
    res = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    print(f"SUMMARY metainfo interop: {'PASS' if res.wasSuccessful() else 'FAIL'} - {res.testsRun} run, "
          f"{len(res.failures)} failed, {len(res.errors)} errors, {len(res.skipped)} skipped, "
          f"{time.monotonic() - t0:.0f}s", flush=True)
    sys.exit(0 if res.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
