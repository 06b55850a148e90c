"""Loopback swarm helpers for corrent's interop tests (run by /usr/bin/python3).

Everything here binds to 127.0.0.1, turns DHT/LSD/UPnP/NAT-PMP/PEX off in every
client it starts (corrent: NO_DHT on every download, seed and info MAGNET), keeps all
state in one temporary directory per swarm and stops only the processes it started
(by process group id, which is the child's pid because every child gets its own
session).

    with Swarm("lt-single") as sw:
        content = sw.make_single("payload.bin", 16 * MiB)
        torrent = sw.make_torrent(content, piece_length=256 * KiB)
        tracker = sw.start_tracker([torrent])
        torrent = sw.announce_torrent(torrent, tracker)   # copy with the tracker's URL
        seeder = sw.lt_seeder(torrent, content)
        sw.wait_ready([seeder], tracker, torrent)
        result = sw.run_leecher(torrent)                  # LEECHER=corrent|aria2|lt
        sw.verify(content, result.out_dir)

Pieces:
  * content: deterministic bytes (random.Random(seed)), single file or a tree with
    hundreds of files (0-byte files, nested dirs, pieces spanning many files);
  * torrents: pure v1 (libtorrent create_torrent v1_only, no pad files);
  * opentracker (whitelist, chroot dir, drops to nobody) with HTTP scrape;
  * MiniTracker: a small in-process HTTP tracker with a chosen interval/min interval;
  * seeders: python3-libtorrent (../shared/swarm/lt_peer.py), aria2c (JSON-RPC for
    counters), transmission-daemon (RPC for counters), and ScriptedPeer, a tiny pure
    Python seeder that can corrupt chosen pieces;
  * leechers: corrent (the client under test), or aria2c / libtorrent to check the
    harness itself (env LEECHER=aria2 or LEECHER=lt).

Env: CORRENT (binary), CORRENT_SHARED (shared/ dir), LEECHER, CORRENT_SKIP_DOWNLOAD=1,
CORRENT_TEST_TMPDIR (where temp dirs go; default /dev/shm), CORRENT_KEEP_TMP=1 (keep them).
"""
import atexit
import base64
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

PY = "/usr/bin/python3"
LOOPBACK = "127.0.0.1"
KiB = 1024
MiB = 1024 * 1024
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

# urllib honours http_proxy & co: never let a loopback request go through a proxy.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class HarnessError(Exception):
    """The swarm could not be set up (not a verdict on the client under test)."""


def log(*a):
    print(f"[swarm {time.strftime('%H:%M:%S')}]", *a, file=sys.stderr, flush=True)


# ====================================================================== environment
def corrent_bin():
    p = os.environ.get("CORRENT") or os.path.join(REPO, "build", "release", "src", "cli", "corrent")
    if not os.access(p, os.X_OK):
        raise HarnessError(f"corrent binary not found at {p} (set CORRENT)")
    return os.path.abspath(p)  # children run in their own cwd: a relative CORRENT must still work


# Every session the interop tests start (`corrent download`, `corrent seed`, `corrent info
# MAGNET`) gets --no-dht: the DHT is on by default and, with no --dht-bootstrap and no saved
# table, bootstraps from public routers on the Internet. Only test_dht.py turns it on, always
# with --dht-bootstrap 127.x (or a saved table of 127.x nodes).
NO_DHT = "--no-dht"
_HELP = {}


def corrent_help_text(binary, sub):
    """`binary sub --help` (stdout + stderr), asked once per (binary, sub)."""
    key = (binary, sub)
    if key not in _HELP:
        try:
            r = subprocess.run([binary, sub, "--help"], capture_output=True, text=True, timeout=10,
                               stdin=subprocess.DEVNULL)
            _HELP[key] = r.stdout + r.stderr
        except (OSError, subprocess.SubprocessError):
            _HELP[key] = ""
    return _HELP[key]


def no_dht_args(binary, sub="download"):
    """[NO_DHT] if that corrent build's `sub --help` lists it, else [] (a build from before the
    DHT has none to turn off). For the benchmarks, which may run an older baseline build; the
    tests pass NO_DHT unconditionally."""
    return [NO_DHT] if NO_DHT in corrent_help_text(binary, sub) else []


def shared_dir():
    return os.environ.get("CORRENT_SHARED") or os.path.join(os.path.dirname(REPO), "shared")


LTPEER = os.path.join(HERE, "ltpeer.py")


def leecher_kind():
    k = os.environ.get("LEECHER", "corrent").strip().lower() or "corrent"
    if k not in ("corrent", "aria2", "lt"):
        raise SystemExit(f"LEECHER={k!r}: expected corrent, aria2 or lt")
    return k


def skip_download_tests_if_requested(what):
    """Exit 0 with 'skipped: ...' when CORRENT_SKIP_DOWNLOAD=1 and corrent is the leecher."""
    if os.environ.get("CORRENT_SKIP_DOWNLOAD", "") not in ("", "0") and leecher_kind() == "corrent":
        print(f"skipped: {what} (CORRENT_SKIP_DOWNLOAD is set)", flush=True)
        sys.exit(0)


def tmp_base():
    d = os.environ.get("CORRENT_TEST_TMPDIR")
    if d:
        return d
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        return "/dev/shm"
    return tempfile.gettempdir()


_port_next = None


def free_port():
    """A loopback TCP port nothing listens on now. With CORRENT_PORT_RANGE=LO-HI (ctest sets
    a different range per build, since the release and ASan interop suites run side by
    side) ports come from that range, one after another from a random start, each checked
    by binding it, so two suites never pick the same one; otherwise the kernel picks."""
    global _port_next
    spec = os.environ.get("CORRENT_PORT_RANGE", "")
    if "-" not in spec:
        s = socket.socket()
        s.bind((LOOPBACK, 0))
        p = s.getsockname()[1]
        s.close()
        return p
    lo, hi = (int(x) for x in spec.split("-", 1))
    if _port_next is None:
        _port_next = lo + random.Random(os.getpid() ^ time.time_ns()).randrange(hi - lo)
    for _ in range(hi - lo):
        p = _port_next
        _port_next = lo + (_port_next + 1 - lo) % (hi - lo)
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):  # trackers listen on UDP too
            s = socket.socket(socket.AF_INET, kind)
            try:
                s.bind((LOOPBACK, p))
            except OSError:
                break
            finally:
                s.close()
        else:
            return p
    raise HarnessError(f"no free port in CORRENT_PORT_RANGE={spec}")


def install_sigterm_handler():
    """ctest kills a test that runs past its TIMEOUT with SIGTERM: turn that into an
    exception so every finally: block (process and temp dir cleanup) still runs."""
    def _term(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, _term)


def http_get(url, timeout=3.0):
    with _OPENER.open(url, timeout=timeout) as r:
        return r.read()


def http_post_json(url, obj, headers=None, timeout=3.0):
    req = urllib.request.Request(url, data=json.dumps(obj).encode(), method="POST",
                                 headers={"Content-Type": "application/json", **(headers or {})})
    with _OPENER.open(req, timeout=timeout) as r:
        return json.loads(r.read())


# ====================================================================== bencode
def bdecode(b):
    def dec(i):
        c = b[i:i + 1]
        if c == b"i":
            j = b.index(b"e", i)
            return int(b[i + 1:j]), j + 1
        if c == b"l":
            i += 1
            out = []
            while b[i:i + 1] != b"e":
                v, i = dec(i)
                out.append(v)
            return out, i + 1
        if c == b"d":
            i += 1
            out = {}
            while b[i:i + 1] != b"e":
                k, i = dec(i)
                v, i = dec(i)
                out[k] = v
            return out, i + 1
        j = b.index(b":", i)
        n = int(b[i:j])
        return b[j + 1:j + 1 + n], j + 1 + n
    return dec(0)[0]


def bencode(v):
    if isinstance(v, bool):
        raise TypeError("bool in bencode")
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, (bytes, bytearray)):
        return b"%d:%s" % (len(v), bytes(v))
    if isinstance(v, list):
        return b"l" + b"".join(bencode(x) for x in v) + b"e"
    if isinstance(v, dict):
        items = sorted((k.encode() if isinstance(k, str) else k, x) for k, x in v.items())
        return b"d" + b"".join(bencode(k) + bencode(x) for k, x in items) + b"e"
    raise TypeError(type(v))


# ====================================================================== content
class Content:
    """Payload on disk: <parent>/<name> (a file, or a directory tree).
    files: [(path relative to parent, starting with name, size)]."""

    def __init__(self, parent, name, files):
        self.parent = parent
        self.name = name
        self.files = files
        self.total_size = sum(s for _, s in files)
        self.multi = not (len(files) == 1 and files[0][0] == name)

    def abspath(self, rel):
        return os.path.join(self.parent, rel)


def write_file(path, size, seed):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    rng = random.Random(seed)
    with open(path, "wb") as f:
        left = size
        while left > 0:
            n = min(4 * MiB, left)
            f.write(rng.randbytes(n))
            left -= n


def multi_layout(nfiles=300, seed=1, max_size=3 * MiB, big_every=40, empty_every=25):
    """Deterministic [(relpath, size)] for a tree of nfiles files: mostly small files
    (log-uniform 1 B .. 64 KiB, so one piece spans many files), every big_every-th file
    large (up to max_size, so pieces also lie inside one file), every empty_every-th file
    empty, nested directories up to 3 levels and one hidden file."""
    import math
    rng = random.Random(f"layout-{seed}")
    out = []
    for i in range(nfiles):
        if i % empty_every == 7:
            size = 0
        elif i % big_every == 3:
            size = rng.randint(max_size // 3, max_size)
        else:
            size = int(round(math.exp(rng.uniform(0, math.log(64 * KiB)))))
        depth = i % 4
        parts = [f"d{(i // 7) % 5}", f"e{(i // 3) % 3}", f"g{i % 2}"][:depth]
        fname = f".hidden{i:04d}" if i == 11 else f"f{i:04d}.bin"
        out.append(("/".join(parts + [fname]), size))
    return out


def make_single(parent, name, size, seed=1):
    write_file(os.path.join(parent, name), size, f"single-{seed}")
    return Content(parent, name, [(name, size)])


def make_multi(parent, name, layout, seed=1):
    files = []
    for rel, size in layout:
        path = os.path.join(parent, name, rel)
        write_file(path, size, f"multi-{seed}-{rel}")
        files.append((f"{name}/{rel}", size))
    return Content(parent, name, files)


# ====================================================================== torrents
class Torrent:
    """A .torrent on disk with what libtorrent says about it."""

    def __init__(self, path):
        import libtorrent as lt
        self.path = path
        ti = lt.torrent_info(path)
        self.info_hash = str(ti.info_hashes().v1)
        self.name = ti.name()
        self.total_size = ti.total_size()
        self.piece_length = ti.piece_length()
        self.num_pieces = ti.num_pieces()
        fs = ti.files()
        self.files = [(fs.file_path(i), fs.file_size(i), fs.file_offset(i)) for i in range(fs.num_files())]
        self.piece_hashes = [ti.hash_for_piece(i) for i in range(self.num_pieces)]

    def piece_size(self, i):
        return min(self.piece_length, self.total_size - i * self.piece_length)


def make_torrent(content, out, piece_length, trackers=(), private=False):
    """Pure v1 torrent of content with libtorrent (no pad files, no creation date)."""
    import libtorrent as lt
    fs = lt.file_storage()
    lt.add_files(fs, os.path.join(content.parent, content.name))
    ct = lt.create_torrent(fs, piece_length, flags=lt.create_torrent.v1_only)
    for tier, url in enumerate(trackers):
        ct.add_tracker(url, tier)
    ct.set_priv(private)
    lt.set_piece_hashes(ct, content.parent)
    e = ct.generate()
    e.pop(b"creation date", None)
    with open(out, "wb") as f:
        f.write(lt.bencode(e))
    t = Torrent(out)
    fs2 = lt.torrent_info(out).files()
    if any(fs2.file_flags(i) & lt.file_storage.flag_pad_file for i in range(fs2.num_files())):
        raise HarnessError("torrent has pad files; expected pure v1")
    return t


def with_trackers(torrent, out, urls):
    """Copy of a torrent with a new announce URL list (the info-hash does not change)."""
    e = bdecode(open(torrent.path, "rb").read())
    e[b"announce"] = urls[0].encode() if urls else b""
    if not urls:
        e.pop(b"announce")
    if len(urls) > 1:
        e[b"announce-list"] = [[u.encode()] for u in urls]
    else:
        e.pop(b"announce-list", None)
    with open(out, "wb") as f:
        f.write(bencode(e))
    t = Torrent(out)
    assert t.info_hash == torrent.info_hash
    return t


# ====================================================================== processes
class Proc:
    """A child in its own session (pgid == pid), output to a log file; stopped only
    through that process group."""

    def __init__(self, name, argv, logdir, cwd=None, env=None, stdin=None):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.log_path = os.path.join(logdir, f"{name}.log")
        self._out = open(self.log_path, "wb")
        self.p = subprocess.Popen(self.argv, cwd=cwd, env=env, stdout=self._out, stderr=subprocess.STDOUT,
                                  stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                  start_new_session=True)
        self.pid = self.p.pid
        self.t_start = time.monotonic()

    def alive(self):
        return self.p.poll() is None

    @property
    def rc(self):
        return self.p.poll()

    def send(self, line):
        try:
            self.p.stdin.write(line.encode() + b"\n")
            self.p.stdin.flush()
        except (OSError, ValueError, AttributeError):
            pass

    def wait(self, timeout):
        try:
            return self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, grace=5.0):
        if self.p.poll() is None:
            for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(self.pid, sig)
                except ProcessLookupError:
                    break
                if self.wait(wait) is not None:
                    break
        try:  # whatever of the group ignored SIGTERM
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.wait(5.0)
        for f in (self.p.stdin, self._out):
            try:
                if f:
                    f.close()
            except OSError:
                pass

    def log_tail(self, n=40):
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().decode(errors="replace").splitlines()
            return "\n".join(lines[-n:])
        except OSError:
            return ""


# ====================================================================== tracker
class Tracker:
    """opentracker on 127.0.0.1 (HTTP + UDP on one port) with an info-hash whitelist.
    Debian's opentracker chroots into its dir and drops to 'nobody' when started as
    root, so the dir and the whitelist are made world-readable."""

    def __init__(self, swarm, infohashes):
        self.dir = os.path.join(swarm.tmp, "tracker")
        os.makedirs(self.dir)
        os.chmod(self.dir, 0o755)
        wl = os.path.join(self.dir, "whitelist.txt")
        with open(wl, "w") as f:
            for ih in infohashes:
                f.write(ih + "\n")
        os.chmod(wl, 0o644)
        self.port = free_port()
        # -i must come before -p/-P: it sets the bind address of the ports that follow.
        argv = ["opentracker", "-i", LOOPBACK, "-p", self.port, "-P", self.port, "-d", self.dir,
                "-w", "whitelist.txt"]
        self.proc = swarm.start_proc("opentracker", argv, cwd=self.dir)
        end = time.monotonic() + 10
        while True:
            if not self.proc.alive():
                raise HarnessError("opentracker exited: " + self.proc.log_tail())
            try:
                socket.create_connection((LOOPBACK, self.port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > end:
                    raise HarnessError("opentracker did not start listening")
                time.sleep(0.05)
        self.http = f"http://{LOOPBACK}:{self.port}/announce"
        self.udp = f"udp://{LOOPBACK}:{self.port}/announce"
        # opentracker loads the whitelist in a background thread after it starts
        # listening: wait until it accepts our info-hashes. The probe must be a 'started'
        # announce (a 'stopped' one is answered before the whitelist is loaded: seen on a
        # loaded machine); the probe peer is removed with 'stopped' right after.
        while infohashes:
            probe = b"-PROBE0-" + os.urandom(6).hex().encode()
            try:
                for ih in infohashes:
                    self.announce(ih, probe, 1, left=1, event="started")
                    self.announce(ih, probe, 1, left=1, event="stopped")
                break
            except (HarnessError, OSError, ValueError) as e:
                if time.monotonic() > end + 10:
                    raise HarnessError(f"opentracker whitelist not loaded: {e}")
                time.sleep(0.1)

    def scrape(self, infohash):
        """(complete, incomplete, downloaded) or None."""
        url = (f"http://{LOOPBACK}:{self.port}/scrape?info_hash="
               + urllib.parse.quote_from_bytes(bytes.fromhex(infohash)))
        try:
            d = bdecode(http_get(url, timeout=2))
            f = d[b"files"].get(bytes.fromhex(infohash), {})
            return f.get(b"complete", 0), f.get(b"incomplete", 0), f.get(b"downloaded", 0)
        except Exception:
            return None

    def announce(self, infohash, peer_id, port, left=0, event="started", uploaded=0, downloaded=0,
                 source=None):
        """source: the address the announce comes from (the tracker records the peer there)."""
        q = urllib.parse.urlencode(dict(port=port, uploaded=uploaded, downloaded=downloaded, left=left,
                                        compact=1, event=event, numwant=50))
        path = ("/announce?info_hash=" + urllib.parse.quote_from_bytes(bytes.fromhex(infohash))
                + "&peer_id=" + urllib.parse.quote_from_bytes(peer_id) + "&" + q)
        if source:
            import http.client
            conn = http.client.HTTPConnection(LOOPBACK, int(self.port), timeout=3,
                                              source_address=(source, 0))
            try:
                conn.request("GET", path)
                d = bdecode(conn.getresponse().read())
            finally:
                conn.close()
        else:
            d = bdecode(http_get(self.http.rsplit("/announce", 1)[0] + path, timeout=3))
        if b"failure reason" in d:
            raise HarnessError("announce failed: " + d[b"failure reason"].decode(errors="replace"))
        return d


class MiniTracker:
    """A small HTTP tracker inside this process (threads; 127.0.0.1 only) for tests that
    need tracker timing opentracker does not offer (it sends interval ~1800 s and
    min interval ~900 s). /announce answers BEP 3/23 (compact or dict peers) with
    {interval, min interval, complete, incomplete, peers} from an in-memory swarm per
    info-hash (whitelist: the torrents given); 'stopped' removes the peer, 'completed'
    counts a download. /scrape as usual. Every announce is recorded (self.announces())."""

    def __init__(self, swarm, infohashes, interval=1800, min_interval=5):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        self.interval = int(interval)
        self.min_interval = int(min_interval)
        self.allowed = {bytes.fromhex(h) for h in infohashes}
        self.lock = threading.Lock()
        self.peers = {ih: {} for ih in self.allowed}  # ih -> {peer_id: dict(ip, port, left, seen)}
        self.completed = {ih: 0 for ih in self.allowed}
        self._log = []  # dict(t, info_hash, peer_id, ip, port, event, left, returned)
        self.t0 = time.monotonic()
        self._logf = open(os.path.join(swarm.logdir, "minitracker.log"), "a")
        tracker = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, fmt, *args):
                tracker._write_log(f"{self.client_address[0]} {fmt % args}")

            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                # latin-1 keeps every %XX byte of info_hash / peer_id as one character
                q = urllib.parse.parse_qsl(url.query, keep_blank_values=True, encoding="latin-1")
                try:
                    if url.path == "/announce":
                        body = tracker._announce(q, self.client_address[0])
                    elif url.path == "/scrape":
                        body = tracker._scrape(q)
                    else:
                        self.send_error(404)
                        return
                except (KeyError, ValueError) as e:
                    body = bencode({"failure reason": f"bad request: {e}"})
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError as e:  # the client gave up (e.g. a 'stopped' announce at exit)
                    tracker._write_log(f"{self.client_address[0]} reply not sent: {e!r}")

        self.server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.http = f"http://{LOOPBACK}:{self.port}/announce"
        self.udp = None
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="minitracker", daemon=True)
        self._thread.start()
        self._stopped = False
        swarm.on_close(self.stop)
        log(f"mini tracker on {self.http} (interval {self.interval}, min interval {self.min_interval})")

    def _write_log(self, line):
        try:
            self._logf.write(f"{time.monotonic() - self.t0:9.3f} {line}\n")
            self._logf.flush()
        except (OSError, ValueError):
            pass

    @staticmethod
    def _param(q, key, default=None):
        for k, v in q:
            if k == key:
                return v
        if default is None:
            raise KeyError(key)
        return default

    def _announce(self, q, ip):
        ih = self._param(q, "info_hash").encode("latin-1")
        if ih not in self.allowed:
            return bencode({"failure reason": "info_hash not whitelisted"})
        pid = self._param(q, "peer_id").encode("latin-1")
        port = int(self._param(q, "port"))
        left = int(self._param(q, "left", "0"))
        event = self._param(q, "event", "")
        numwant = int(self._param(q, "numwant", "50"))
        compact = self._param(q, "compact", "1") != "0"
        now = time.monotonic()
        with self.lock:
            sw = self.peers[ih]
            for k in [k for k, p in sw.items() if now - p["seen"] > self.interval + 120]:
                del sw[k]
            if event == "stopped":
                sw.pop(pid, None)
            else:
                sw[pid] = dict(ip=ip, port=port, left=left, seen=now)
                if event == "completed":
                    self.completed[ih] += 1
            others = [p for k, p in sw.items() if k != pid][:max(0, numwant)]
            complete = sum(1 for p in sw.values() if p["left"] == 0)
            incomplete = len(sw) - complete
            rec = dict(t=now - self.t0, info_hash=ih.hex(), peer_id=pid, ip=ip, port=port, event=event,
                       left=left, returned=[f"{p['ip']}:{p['port']}" for p in others])
            self._log.append(rec)
        self._write_log(f"announce {ih.hex()[:8]} {ip}:{port} event={event or '-'} left={left} "
                        f"-> {rec['returned']}")
        if compact:
            peers = b"".join(socket.inet_aton(p["ip"]) + struct.pack(">H", p["port"]) for p in others)
        else:
            peers = [{"ip": p["ip"], "port": p["port"]} for p in others]
        return bencode({"interval": self.interval, "min interval": self.min_interval, "complete": complete,
                        "incomplete": incomplete, "peers": peers})

    def _scrape(self, q):
        want = [v.encode("latin-1") for k, v in q if k == "info_hash"] or sorted(self.allowed)
        files = {}
        with self.lock:
            for ih in want:
                if ih in self.peers:
                    sw = self.peers[ih]
                    c = sum(1 for p in sw.values() if p["left"] == 0)
                    files[ih] = {"complete": c, "incomplete": len(sw) - c, "downloaded": self.completed[ih]}
        return bencode({"files": files})

    # the same client-side helpers as the opentracker wrapper (over HTTP)
    scrape = Tracker.scrape
    announce = Tracker.announce

    def announces(self, port=None):
        """Recorded announces (optionally only those of the peer listening on port), oldest first."""
        with self.lock:
            return [dict(r) for r in self._log if port is None or r["port"] == port]

    def stop(self):
        if self._stopped:
            return
        self._stopped = True
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=3)
        self._logf.close()


# ====================================================================== seeders
class Seeder:
    kind = "?"
    port = 0

    @property
    def address(self):
        return f"{LOOPBACK}:{self.port}"

    def is_ready(self):
        return True

    def uploaded(self):
        """Payload bytes uploaded as the client reports it, or None if unknown."""
        return None

    def final_uploaded(self):
        """uploaded() once the client is done (may stop it)."""
        return self.uploaded()

    def check_alive(self):
        pass

    def stop(self):
        pass

    def __repr__(self):
        return f"{self.kind}@{self.address}"


class LtSeeder(Seeder):
    """python3-libtorrent seeder (ltpeer.py beside this file): full hash check first,
    then seeds; stats JSON (is_seeding, uploaded) every 0.25 s and at exit.
    upload_limit (B/s) really throttles loopback peers; outgoing=False makes it a seeder
    that never dials anyone (it can only be found through the tracker)."""
    kind = "lt"

    def __init__(self, swarm, torrent, content, idx=0, upload_limit=0, outgoing=True):
        self.port = free_port()
        self.stats = os.path.join(swarm.tmp, f"lt-seed{idx}-{self.port}.json")
        argv = [PY, LTPEER, "--role", "seed", "--torrent", torrent.path, "--dir", content.parent,
                "--port", self.port, "--stats", self.stats]
        if upload_limit:
            argv += ["--upload-limit", int(upload_limit)]
        if not outgoing:
            argv += ["--no-outgoing"]
        self.proc = swarm.start_proc(f"lt-seed{idx}-{self.port}", argv, stdin=True)

    def _stats(self):
        try:
            with open(self.stats) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def is_ready(self):
        s = self._stats()
        return bool(s and s.get("is_seeding"))

    def uploaded(self):
        s = self._stats()
        return s.get("uploaded") if s else None

    def final_uploaded(self):
        self.stop()  # it writes exact final counters when it exits
        return self.uploaded()

    def connect(self, port):
        self.proc.send(f"connect {LOOPBACK} {port}")

    def set_upload_limit(self, limit):
        """Change the upload cap (B/s, 0 = none) while it runs (applied within ~50 ms)."""
        self.proc.send(f"upload-limit {int(limit)}")

    def check_alive(self):
        if not self.proc.alive():
            raise HarnessError(f"lt seeder exited rc={self.proc.rc}: {self.proc.log_tail()}")

    def stop(self):
        self.proc.stop(grace=5)


def mirror_tree(content, dst_parent):
    """Hard-linked copy of the payload, so a foreign client can not rename/replace ours."""
    for rel, _ in content.files:
        dst = os.path.join(dst_parent, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        os.link(content.abspath(rel), dst)
    return Content(dst_parent, content.name, content.files)


class Aria2Seeder(Seeder):
    """aria2c seeding (checks the data first); counters over its JSON-RPC on 127.0.0.1."""
    kind = "aria2"

    def __init__(self, swarm, torrent, content, idx=0, upload_limit=0):
        self.port = free_port()
        self.rpc_port = free_port()
        work = os.path.join(swarm.tmp, f"aria2-seed{idx}")
        data = mirror_tree(content, os.path.join(work, "data"))
        argv = ["aria2c", "--no-conf=true", "--enable-dht=false", "--enable-dht6=false",
                "--bt-enable-lpd=false", "--enable-peer-exchange=false", "--disable-ipv6=true",
                "--interface=127.0.0.1", f"--listen-port={self.port}", f"--dht-listen-port={free_port()}",
                "--bt-max-peers=0", "--summary-interval=0", "--console-log-level=warn",
                f"--log={work}/aria2.log", "--log-level=notice", "--bt-save-metadata=false",
                "--auto-save-interval=0", f"--dir={data.parent}", "--check-integrity=true",
                "--seed-ratio=0.0", "--enable-rpc=true", "--rpc-listen-all=false",
                f"--rpc-listen-port={self.rpc_port}", f"--max-overall-upload-limit={int(upload_limit)}",
                torrent.path]
        self.proc = swarm.start_proc(f"aria2-seed{idx}-{self.port}", argv)

    def _rpc(self, method, *params):
        try:
            r = http_post_json(f"http://{LOOPBACK}:{self.rpc_port}/jsonrpc",
                               {"jsonrpc": "2.0", "id": "t", "method": method, "params": list(params)})
            return r.get("result")
        except (OSError, ValueError):
            return None

    def is_ready(self):
        act = self._rpc("aria2.tellActive", ["gid", "seeder", "completedLength", "totalLength"])
        return bool(act) and all(a.get("seeder") == "true" and a["completedLength"] == a["totalLength"]
                                 for a in act)

    def uploaded(self):
        act = self._rpc("aria2.tellActive", ["uploadLength"])
        return sum(int(a["uploadLength"]) for a in act) if act else None

    def check_alive(self):
        if not self.proc.alive():
            raise HarnessError(f"aria2 seeder exited rc={self.proc.rc}: {self.proc.log_tail()}")

    def stop(self):
        self.proc.stop(grace=5)


TR_SETTINGS = {
    "dht-enabled": False, "lpd-enabled": False, "pex-enabled": False, "utp-enabled": False,
    "port-forwarding-enabled": False, "blocklist-enabled": False,
    "bind-address-ipv4": "127.0.0.1", "bind-address-ipv6": "::1",
    "peer-port-random-on-start": False, "rpc-enabled": True, "rpc-bind-address": "127.0.0.1",
    "rpc-whitelist": "127.0.0.1", "rpc-whitelist-enabled": True, "rpc-authentication-required": False,
    "incomplete-dir-enabled": False, "rename-partial-files": False, "watch-dir-enabled": False,
    "start-added-torrents": True, "speed-limit-down-enabled": False, "speed-limit-up-enabled": False,
    "alt-speed-enabled": False, "ratio-limit-enabled": False, "idle-seeding-limit-enabled": False,
    "peer-limit-global": 200, "peer-limit-per-torrent": 50, "encryption": 0, "message-level": 2,
    "cache-size-mb": 4,
}


class TransmissionSeeder(Seeder):
    """transmission-daemon 3.00 seeding; torrent added and counters read over its RPC.
    It accepts incoming connections from 127.0.0.1 (it only drops 127.x peers that
    come from a tracker), so a leecher can reach it through the tracker."""
    kind = "transmission"

    def __init__(self, swarm, torrent, content, idx=0):
        self.port = free_port()
        self.rpc_port = free_port()
        work = os.path.join(swarm.tmp, f"tr-seed{idx}")
        cfg = os.path.join(work, "cfg")
        os.makedirs(cfg)
        data = mirror_tree(content, os.path.join(work, "data"))
        settings = dict(TR_SETTINGS, **{"peer-port": self.port, "rpc-port": self.rpc_port,
                                         "download-dir": data.parent})
        with open(os.path.join(cfg, "settings.json"), "w") as f:
            json.dump(settings, f, indent=1)
        argv = ["transmission-daemon", "-f", "-g", cfg, "-p", self.rpc_port, "-r", LOOPBACK,
                "-P", self.port, "-i", LOOPBACK, "-M", "-O", "-Y", "--no-utp", "-et",
                "-w", data.parent, "-e", os.path.join(work, "daemon.log")]
        env = {k: v for k, v in os.environ.items() if k != "TR_CURL_VERBOSE"}
        self.proc = swarm.start_proc(f"tr-seed{idx}-{self.port}", argv, env=env)
        self._sid = ""
        end = time.monotonic() + 20
        while self._rpc("session-get") is None:
            self.check_alive()
            if time.monotonic() > end:
                raise HarnessError("transmission-daemon RPC did not come up")
            time.sleep(0.2)
        with open(torrent.path, "rb") as f:
            meta = base64.b64encode(f.read()).decode()
        r = self._rpc("torrent-add", {"metainfo": meta, "download-dir": data.parent, "paused": False})
        if r is None:
            raise HarnessError("transmission torrent-add failed")

    def _rpc(self, method, args=None):
        url = f"http://{LOOPBACK}:{self.rpc_port}/transmission/rpc"
        body = {"method": method, "arguments": args or {}}
        for _ in range(3):
            try:
                r = http_post_json(url, body, headers={"X-Transmission-Session-Id": self._sid})
                return r.get("arguments") if r.get("result") == "success" else None
            except urllib.error.HTTPError as e:
                if e.code == 409:
                    self._sid = e.headers.get("X-Transmission-Session-Id", "")
                    continue
                return None
            except (OSError, ValueError):
                return None
        return None

    def _torrents(self):
        r = self._rpc("torrent-get", {"fields": ["id", "status", "percentDone", "uploadedEver", "error",
                                                  "errorString"]})
        return r.get("torrents") if r else None

    def is_ready(self):
        ts = self._torrents()
        return bool(ts) and all(t["percentDone"] >= 1.0 and t["status"] == 6 for t in ts)

    def uploaded(self):
        ts = self._torrents()
        return sum(t["uploadedEver"] for t in ts) if ts else None

    def check_alive(self):
        if not self.proc.alive():
            raise HarnessError(f"transmission-daemon exited rc={self.proc.rc}: {self.proc.log_tail()}")

    def stop(self):
        self.proc.stop(grace=5)


# ====================================================================== scripted peer
class ScriptedPeer(Seeder):
    """A tiny BitTorrent seeder in pure Python (threads + sockets) for hostile-peer tests.

    Plain BEP 3 only (reserved bytes zero: no fast/extension protocol): handshake,
    full bitfield, unchoke on 'interested', answers each 'request' with a 'piece'.
    Blocks of the pieces for which corrupt(index) is true get one byte flipped, so
    those pieces fail their SHA-1. It announces itself to the tracker as a seed.
    Counters: connections, requests, blocks_sent, corrupt_blocks, corrupt_pieces."""
    kind = "scripted"

    _next_host = 10

    def __init__(self, swarm, torrent, content, corrupt=lambda index: False):
        self.torrent = torrent
        self.content = content
        self.corrupt = corrupt
        # An address of its own in 127.0.0.0/8: corrent bans by IP, and the other peers of
        # the test share 127.0.0.1.
        self.host = f"127.0.0.{ScriptedPeer._next_host}"
        ScriptedPeer._next_host = 10 + (ScriptedPeer._next_host - 9) % 200
        self.port = free_port()
        self.peer_id = b"-PY0001-" + os.urandom(6).hex().encode()
        self.lock = threading.Lock()
        self.connections = 0
        self.requests = 0
        self.blocks_sent = 0
        self.corrupt_blocks = 0
        self.corrupt_pieces = set()
        self.bytes_sent = 0
        self.messages = {}  # message id -> count received
        self.errors = []
        self._stop = threading.Event()
        self._socks = []
        self._fds = {}
        self._threads = []
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((self.host, self.port))
        self.listener.listen(16)
        self.listener.settimeout(0.5)
        t = threading.Thread(target=self._accept_loop, name="scripted-accept", daemon=True)
        t.start()
        self._threads.append(t)
        self.tracker = None
        self.announced = False
        swarm.on_close(self.stop)

    @property
    def address(self):
        return f"{self.host}:{self.port}"

    def announce_to(self, tracker):
        tracker.announce(self.torrent.info_hash, self.peer_id, self.port, left=0, event="started",
                         source=self.host)
        self.tracker = tracker
        self.announced = True

    def is_ready(self):
        return not self._stop.is_set()

    def uploaded(self):
        with self.lock:
            return self.bytes_sent

    def summary(self):
        with self.lock:
            return dict(connections=self.connections, requests=self.requests, blocks_sent=self.blocks_sent,
                        corrupt_blocks=self.corrupt_blocks, corrupt_pieces=sorted(self.corrupt_pieces),
                        bytes_sent=self.bytes_sent, messages=dict(self.messages),
                        errors=list(self.errors[:5]))

    # -- data
    def _read(self, offset, length):
        out = bytearray()
        for path, size, foff in self.torrent.files:
            if length <= 0:
                break
            if size == 0 or offset >= foff + size or offset + length <= foff:
                continue
            start = offset - foff
            n = min(size - start, length)
            fd = self._fds.get(path)
            if fd is None:
                fd = os.open(os.path.join(self.content.parent, path), os.O_RDONLY)
                self._fds[path] = fd
            chunk = os.pread(fd, n, start)
            if len(chunk) != n:
                raise OSError(f"short read {path}")
            out += chunk
            offset += n
            length -= n
        return bytes(out)

    # -- network
    def _accept_loop(self):
        while not self._stop.is_set():
            try:
                s, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            with self.lock:
                self.connections += 1
                self._socks.append(s)
            t = threading.Thread(target=self._serve, args=(s,), name="scripted-conn", daemon=True)
            t.start()
            self._threads.append(t)

    def _recv_exact(self, s, n, deadline):
        buf = bytearray()
        while len(buf) < n:
            if self._stop.is_set() or time.monotonic() > deadline:
                raise EOFError("stopped or idle")
            try:
                chunk = s.recv(n - len(buf))
            except socket.timeout:
                continue
            if not chunk:
                raise EOFError("peer closed")
            buf += chunk
        return bytes(buf)

    def _send(self, s, payload):
        s.sendall(struct.pack(">I", len(payload)) + payload)

    def _serve(self, s):
        ih = bytes.fromhex(self.torrent.info_hash)
        n = self.torrent.num_pieces
        idle = 120.0
        try:
            s.settimeout(0.5)
            hs = self._recv_exact(s, 68, time.monotonic() + 30)
            if hs[0] != 19 or hs[1:20] != b"BitTorrent protocol" or hs[28:48] != ih:
                raise EOFError("bad handshake")
            s.sendall(bytes([19]) + b"BitTorrent protocol" + bytes(8) + ih + self.peer_id)
            bf = bytearray((n + 7) // 8)
            for i in range(n):
                bf[i // 8] |= 0x80 >> (i % 8)
            self._send(s, b"\x05" + bytes(bf))
            choked = True
            while not self._stop.is_set():
                (length,) = struct.unpack(">I", self._recv_exact(s, 4, time.monotonic() + idle))
                if length == 0:
                    continue  # keep-alive
                if length > 1 << 20:
                    raise EOFError(f"message too long {length}")
                msg = self._recv_exact(s, length, time.monotonic() + idle)
                mid = msg[0]
                with self.lock:
                    self.messages[mid] = self.messages.get(mid, 0) + 1
                if mid == 2 and choked:  # interested
                    choked = False
                    self._send(s, b"\x01")
                elif mid == 6 and len(msg) == 13:  # request
                    index, begin, blen = struct.unpack(">III", msg[1:])
                    with self.lock:
                        self.requests += 1
                    if choked or index >= n or blen == 0 or blen > 128 * KiB \
                            or begin + blen > self.torrent.piece_size(index):
                        continue
                    data = bytearray(self._read(index * self.torrent.piece_length + begin, blen))
                    bad = bool(self.corrupt(index))
                    if bad:
                        data[len(data) // 2] ^= 0x5A
                    self._send(s, b"\x07" + struct.pack(">II", index, begin) + bytes(data))
                    with self.lock:
                        self.blocks_sent += 1
                        self.bytes_sent += blen
                        if bad:
                            self.corrupt_blocks += 1
                            self.corrupt_pieces.add(index)
                # choke(0) unchoke(1) not-interested(3) have(4) bitfield(5) cancel(8) port(9): ignored
        except (EOFError, OSError, struct.error) as e:
            if not isinstance(e, EOFError):
                with self.lock:
                    self.errors.append(repr(e))
        finally:
            try:
                s.close()
            except OSError:
                pass

    def stop(self):
        if self._stop.is_set():
            return
        self._stop.set()
        try:
            self.listener.close()
        except OSError:
            pass
        with self.lock:
            socks = list(self._socks)
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for t in self._threads:
            t.join(timeout=3)
        for fd in self._fds.values():
            try:
                os.close(fd)
            except OSError:
                pass
        self._fds.clear()


# ====================================================================== leechers
class LeechResult:
    def __init__(self, kind, out_dir, rc, elapsed, stats, log_tail, timed_out):
        self.kind = kind
        self.out_dir = out_dir
        self.rc = rc
        self.elapsed = elapsed
        self.stats = stats  # corrent --stats JSON (dict) or None
        self.log_tail = log_tail
        self.timed_out = timed_out

    def describe(self):
        st = json.dumps(self.stats)[:1500] if self.stats is not None else "(none)"
        return (f"leecher={self.kind} rc={self.rc} elapsed={self.elapsed:.1f}s timed_out={self.timed_out}"
                f"\n--- stats: {st}\n--- leecher log tail ---\n{self.log_tail}\n---")


def leecher_argv(kind, torrent, out_dir, port, work, peers=(), stats=None, extra=()):
    if kind == "corrent":
        argv = [corrent_bin(), "download", torrent.path, "-o", out_dir, "--listen", f"{LOOPBACK}:{port}",
                "--quiet", NO_DHT]
        for p in peers:
            argv += ["--peer", p]
        if stats:
            argv += ["--stats", stats]
    elif kind == "aria2":
        # aria2 has no way to be handed a peer: it only learns peers from the tracker.
        argv = ["aria2c", "--no-conf=true", "--enable-dht=false", "--enable-dht6=false",
                "--bt-enable-lpd=false", "--enable-peer-exchange=false", "--disable-ipv6=true",
                "--interface=127.0.0.1", f"--listen-port={port}", f"--dht-listen-port={free_port()}",
                "--bt-max-peers=0", "--summary-interval=0", "--console-log-level=warn",
                f"--log={work}/aria2.log", "--log-level=notice", "--bt-save-metadata=false",
                "--auto-save-interval=0", f"--dir={out_dir}", "--seed-time=0", "--file-allocation=none",
                "--bt-stop-timeout=0", torrent.path]
    elif kind == "lt":
        argv = [PY, LTPEER, "--role", "leech", "--torrent", torrent.path, "--dir", out_dir,
                "--port", port, "--timeout", "600", "--stats", stats]
        for p in peers:
            argv += ["--connect", p]
    else:
        raise ValueError(kind)
    return argv + list(extra)


# ====================================================================== the swarm
_LIVE = []  # swarms not closed yet: closed at exit even if a KeyboardInterrupt skipped tearDown


@atexit.register
def _close_live_swarms():
    for sw in list(_LIVE):
        sw.close()


class Swarm:
    """One test scenario: a temp dir, the processes started in it, and their teardown."""

    def __init__(self, label):
        self.label = label
        self.tmp = tempfile.mkdtemp(prefix=f"corrent-it-{label}-", dir=tmp_base())
        os.chmod(self.tmp, 0o755)  # opentracker runs as nobody inside it
        self.logdir = os.path.join(self.tmp, "logs")
        os.makedirs(self.logdir)
        self.procs = []
        self._closers = []
        self.seeders = []
        self.closed = False
        _LIVE.append(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def on_close(self, fn):
        self._closers.append(fn)

    def start_proc(self, name, argv, cwd=None, env=None, stdin=False):
        p = Proc(name, argv, self.logdir, cwd=cwd, env=env, stdin=stdin)
        self.procs.append(p)
        return p

    def close(self):
        if self.closed:
            return
        self.closed = True
        if self in _LIVE:
            _LIVE.remove(self)
        for fn in reversed(self._closers):
            try:
                fn()
            except Exception as e:  # keep tearing down
                log(f"cleanup: {e!r}")
        for p in reversed(self.procs):
            p.stop(grace=3)
        if os.environ.get("CORRENT_KEEP_TMP", "") not in ("", "0"):
            log(f"kept {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def dump_logs(self, n=25):
        """Tails of every process log (for failure messages)."""
        out = []
        for p in self.procs:
            out.append(f"--- {p.name} (rc={p.rc}) ---\n{p.log_tail(n)}")
        return "\n".join(out)

    # -- content & torrents
    def make_single(self, name, size, seed=1):
        return make_single(os.path.join(self.tmp, "content"), name, size, seed)

    def make_multi(self, name, layout, seed=1):
        return make_multi(os.path.join(self.tmp, "content"), name, layout, seed)

    def make_torrent(self, content, piece_length):
        return make_torrent(content, os.path.join(self.tmp, f"{content.name}.base.torrent"), piece_length)

    def start_tracker(self, torrents):
        self.tracker = Tracker(self, [t.info_hash for t in torrents])
        return self.tracker

    def start_mini_tracker(self, torrents, interval=1800, min_interval=5):
        self.tracker = MiniTracker(self, [t.info_hash for t in torrents], interval, min_interval)
        return self.tracker

    def announce_torrent(self, torrent, urls):
        if isinstance(urls, (Tracker, MiniTracker)):
            urls = [urls.http]
        return with_trackers(torrent, os.path.join(self.tmp, f"{torrent.name}.torrent"), list(urls))

    # -- seeders
    def lt_seeder(self, torrent, content, upload_limit=0, outgoing=True):
        s = LtSeeder(self, torrent, content, idx=len(self.seeders), upload_limit=upload_limit,
                     outgoing=outgoing)
        self.seeders.append(s)
        return s

    def aria2_seeder(self, torrent, content, upload_limit=0):
        s = Aria2Seeder(self, torrent, content, idx=len(self.seeders), upload_limit=upload_limit)
        self.seeders.append(s)
        return s

    def transmission_seeder(self, torrent, content):
        s = TransmissionSeeder(self, torrent, content, idx=len(self.seeders))
        self.seeders.append(s)
        return s

    def scripted_peer(self, torrent, content, corrupt=lambda i: False):
        s = ScriptedPeer(self, torrent, content, corrupt)
        self.seeders.append(s)
        return s

    def wait_ready(self, seeders, tracker, torrent, timeout=60.0):
        """Until every seeder reports itself complete and the tracker counts them all as seeds."""
        t0 = time.monotonic()
        end = t0 + timeout
        sc = None
        while True:
            for s in seeders:
                s.check_alive()
            sc = tracker.scrape(torrent.info_hash) if tracker else None
            if all(s.is_ready() for s in seeders) and (tracker is None or (sc and sc[0] >= len(seeders))):
                log(f"{len(seeders)} seeder(s) ready in {time.monotonic() - t0:.1f}s: {seeders}")
                return
            if time.monotonic() > end:
                raise HarnessError(f"seeders not ready after {timeout}s (scrape={sc}, "
                                   f"ready={[s.is_ready() for s in seeders]})\n{self.dump_logs()}")
            time.sleep(0.2)

    # -- leecher
    def run_leecher(self, torrent, kind=None, peers=(), timeout=90.0, extra=(), during=None):
        """Run the leecher until it exits (or timeout); returns a LeechResult.
        during(elapsed_s) is called every ~0.2 s while it runs (e.g. to start a late seeder)."""
        kind = kind or leecher_kind()
        work = os.path.join(self.tmp, f"leech-{kind}")
        out_dir = os.path.join(work, "out")
        os.makedirs(out_dir)
        port = free_port()
        stats = os.path.join(work, "stats.json") if kind in ("corrent", "lt") else None
        argv = leecher_argv(kind, torrent, out_dir, port, work, peers, stats, extra)
        log(f"leecher: {' '.join(str(a) for a in argv)}")
        proc = self.start_proc(f"leech-{kind}", argv, cwd=work)
        self.leecher_port = port
        t0 = time.monotonic()
        timed_out = False
        while proc.alive():
            el = time.monotonic() - t0
            if el > timeout:
                timed_out = True
                break
            if during:
                during(el)
            time.sleep(0.2)
        elapsed = time.monotonic() - t0
        if timed_out:
            proc.stop(grace=5)
        rc = proc.rc
        st = None
        if stats and os.path.exists(stats):
            try:
                with open(stats) as f:
                    st = json.load(f)
            except ValueError as e:
                st = {"_unparseable": str(e)}
        res = LeechResult(kind, out_dir, rc, elapsed, st, proc.log_tail(), timed_out)
        log(f"leecher {kind} rc={rc} in {elapsed:.1f}s" + (" (TIMEOUT)" if timed_out else ""))
        return res

    # -- verification
    def verify(self, content, out_dir):
        """None if out_dir/<name> holds exactly the content's files byte for byte, else why not."""
        for rel, size in content.files:
            p = os.path.join(out_dir, rel)
            try:
                st = os.stat(p)
            except FileNotFoundError:
                return f"missing {rel}"
            if st.st_size != size:
                return f"{rel}: size {st.st_size} != {size}"
            if size and file_digest(p) != file_digest(content.abspath(rel)):
                return f"{rel}: content differs"
        if content.multi:
            want = {rel for rel, _ in content.files}
            have = set()
            for root, _, names in os.walk(os.path.join(out_dir, content.name)):
                for n in names:
                    have.add(os.path.relpath(os.path.join(root, n), out_dir))
            extra = sorted(have - want)
            if extra:
                return f"unexpected files in {content.name}/: {extra[:5]}"
        return None

    def uploads(self):
        """{seeder: uploaded bytes} now (lt seeders report every 0.25 s)."""
        return {repr(s): s.uploaded() for s in self.seeders}

    def final_uploads(self):
        """{seeder: uploaded bytes} at the end (stops the lt seeders to get exact numbers)."""
        return {repr(s): s.final_uploaded() for s in self.seeders}


def file_digest(path):
    h = hashlib.sha1()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                return h.hexdigest()
            h.update(b)


def stats_peer(stats, address):
    """Sum of the --stats entries for one peer address: (downloaded, hash_failures, banned)."""
    d = hf = 0
    banned = False
    found = False
    for p in (stats or {}).get("peers", []):
        if p.get("address") == address:
            found = True
            d += int(p.get("downloaded", 0))
            hf += int(p.get("hash_failures", 0))
            banned = banned or bool(p.get("banned"))
    return (d, hf, banned) if found else None


def check_stats_shape(stats):
    """Problems with a corrent --stats JSON object (empty list if it has the contract's shape)."""
    errs = []
    if not isinstance(stats, dict):
        return [f"stats is not a JSON object: {stats!r}"]
    for k, t in (("complete", bool), ("downloaded_bytes", int), ("uploaded_bytes", int),
                 ("hash_failures", int), ("elapsed_s", (int, float)), ("peers", list)):
        if not isinstance(stats.get(k), t) or (t is int and isinstance(stats.get(k), bool)):
            errs.append(f"stats[{k!r}] missing or not {t}: {stats.get(k)!r}")
    for p in stats.get("peers", []) if isinstance(stats.get("peers"), list) else []:
        for k, t in (("address", str), ("downloaded", int), ("uploaded", int), ("hash_failures", int),
                     ("banned", bool)):
            if not isinstance(p.get(k), t):
                errs.append(f"peer entry {p!r}: {k!r} missing or not {t}")
                break
    return errs
