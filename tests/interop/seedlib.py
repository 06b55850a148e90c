"""Seeding-side helpers for corrent's interop tests (run by /usr/bin/python3).

swarmlib.py starts reference *seeders* and a leecher; this module turns it around:
corrent seeds and the reference clients (and other corrents) leech from it.

  * CorrentSeed: `corrent seed T -d DIR --listen 127.0.0.1:P [--peer ..] [--seed-ratio R]
    [--seed-time T] --stats F -v --no-dht` (dht=True leaves --no-dht out), ready once it
    listens and (with a tracker) is counted as a seed by the tracker's scrape;
  * CorrentLeecher: `corrent download T -o OUT --seed [--seed-time T] --stats F --no-dht`;
  * LtLeecher (ltpeer.py --role leech), Aria2Leecher (aria2c, exits when done),
    TransmissionLeecher (transmission-daemon, torrent added over RPC, progress over RPC;
    transmission drops 127.x peers it learns from a tracker, so the seed must dial it);
  * WireClient: a tiny pure-Python BEP 3 peer (plain handshake: no fast/extension bits)
    to poke a seed with hand-made messages;
  * main(): unittest runner with an overall time budget (SIGALRM) and a SUMMARY line.

All of it binds 127.0.0.1 with DHT/LSD/UPnP/NAT-PMP/PEX off and registers every process
with a swarmlib.Swarm, which stops them by process group and removes the temp dir.
"""
import base64
import json
import os
import re
import signal
import socket
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import swarmlib as sl  # noqa: E402

LOOPBACK = sl.LOOPBACK
KiB = sl.KiB
MiB = sl.MiB
log = sl.log


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def corrent_help(sub):
    import subprocess
    try:
        return subprocess.run([sl.corrent_bin(), sub, "--help"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def wait_until(pred, timeout, step=0.2, what="condition", check=None):
    """Poll pred() until true (returns its value) or timeout (returns None).
    check() runs every round (e.g. to raise if a process died)."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if check:
            check()
        if time.monotonic() > end:
            log(f"timed out after {timeout}s waiting for {what}")
            return None
        time.sleep(step)


# ====================================================================== corrent processes
_CONNECTED = re.compile(r"debug peer (\S+) \((.*)\) connected")
_CLOSED = re.compile(r"debug peer (\S+) closed: (.*)$")
# close reasons (src/io/session) that mean "corrent did not like what the peer sent"
PROTOCOL_DROP_REASONS = ("too many queued requests", "have_all or have_none after the first message", "protocol violation",
                         "request out of range", "have for piece out of range", "bad bitfield",
                         "piece message out of range")

class CorrentProc:
    """A corrent child with a --stats file; rc/elapsed/stats once it exited."""
    name = "corrent"

    def _start(self, swarm, name, argv):
        self.swarm = swarm
        self.proc = swarm.start_proc(name, argv)
        self.t0 = time.monotonic()
        self.t_exit = None
        log(f"{name}: {' '.join(str(a) for a in argv)}")

    @property
    def address(self):
        return f"{LOOPBACK}:{self.port}"

    def alive(self):
        alive = self.proc.alive()
        if not alive and self.t_exit is None:
            self.t_exit = time.monotonic()
        return alive

    @property
    def rc(self):
        self.alive()
        return self.proc.rc

    def elapsed(self):
        """Seconds from start to exit (or to now while it runs)."""
        return (self.t_exit if (not self.alive() and self.t_exit) else time.monotonic()) - self.t0

    def wait(self, timeout):
        """Exit code, or None if still running after timeout."""
        end = time.monotonic() + timeout
        while self.alive():
            if time.monotonic() > end:
                return None
            time.sleep(0.05)
        return self.rc

    def stop(self):
        """SIGTERM (then SIGKILL) to its process group; returns the exit code."""
        self.proc.stop(grace=8)
        self.alive()
        return self.proc.rc

    def stats(self):
        return read_json(self.stats_path)

    def log_text(self):
        try:
            with open(self.proc.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def log_tail(self, n=30):
        return self.proc.log_tail(n)

    def peer_events(self):
        """From the -v log: [(address, client, close reason or None while connected)]
        for every peer connection whose handshake completed, in order."""
        conns = []
        open_by_addr = {}
        for line in self.log_text().splitlines():
            m = _CONNECTED.search(line)
            if m:
                open_by_addr[m.group(1)] = len(conns)
                conns.append([m.group(1), m.group(2), None])
                continue
            m = _CLOSED.search(line)
            if m and m.group(1) in open_by_addr:
                conns[open_by_addr.pop(m.group(1))][2] = m.group(2)
        return [tuple(c) for c in conns]

    def protocol_drops(self, client_prefix=None):
        """Connections corrent closed over a protocol complaint (not the peer leaving,
        a timeout or a socket error): [(address, client, reason)]."""
        return [e for e in self.peer_events()
                if e[2] and any(e[2].startswith(r) for r in PROTOCOL_DROP_REASONS)
                and (client_prefix is None or e[1].startswith(client_prefix))]

    def describe(self):
        st = self.stats()
        return (f"{self.proc.name} rc={self.rc} elapsed={self.elapsed():.1f}s\n--- stats: "
                f"{json.dumps(st)[:2000] if st is not None else '(none)'}\n--- log tail ---\n{self.log_tail()}\n---")


class CorrentSeed(CorrentProc, sl.Seeder):
    """`corrent seed` on 127.0.0.1:port serving content (which it hashes first)."""
    kind = "corrent"

    def __init__(self, swarm, torrent, content, name="corrent-seed", peers=(), seed_ratio=None,
                 seed_time=None, extra=(), dht=False):
        self.port = sl.free_port()
        self.torrent = torrent
        self.stats_path = os.path.join(swarm.tmp, f"{name}-stats.json")
        argv = [sl.corrent_bin(), "seed", torrent.path, "-d", content.parent, "--listen", self.address,
                "--stats", self.stats_path, "-v"] + ([] if dht else [sl.NO_DHT])
        for p in peers:
            argv += ["--peer", p]
        if seed_ratio is not None:
            argv += ["--seed-ratio", str(seed_ratio)]
        if seed_time is not None:
            argv += ["--seed-time", str(seed_time)]
        self._start(swarm, name, argv + list(extra))

    def is_ready(self):
        """Listening and done checking its data: "listening on" comes first, and until the
        torrent is seeding, incoming peers are turned away (closed before the handshake)."""
        text = self.log_text()
        return f"listening on {self.address}" in text and "-> seeding" in text

    def check_alive(self):
        if not self.alive():
            raise sl.HarnessError(f"corrent seed exited early:\n{self.describe()}")

    def uploaded(self):
        st = self.stats()
        return st.get("uploaded_bytes") if st else None

    def __repr__(self):
        return f"corrent-seed@{self.address}"


class CorrentLeecher(CorrentProc):
    """`corrent download T -o OUT --seed ...` (or without --seed if seed=False)."""

    def __init__(self, swarm, torrent, name, seed=True, seed_time=None, seed_ratio=None, peers=(), extra=()):
        self.port = sl.free_port()
        self.torrent = torrent
        work = os.path.join(swarm.tmp, name)
        self.out_dir = os.path.join(work, "out")
        os.makedirs(self.out_dir)
        self.stats_path = os.path.join(work, "stats.json")
        argv = [sl.corrent_bin(), "download", torrent.path, "-o", self.out_dir, "--listen", self.address,
                "--stats", self.stats_path, "-v", sl.NO_DHT]
        if seed:
            argv += ["--seed"]
        if seed_time is not None:
            argv += ["--seed-time", str(seed_time)]
        if seed_ratio is not None:
            argv += ["--seed-ratio", str(seed_ratio)]
        for p in peers:
            argv += ["--peer", p]
        self._start(swarm, name, argv + list(extra))

    def __repr__(self):
        return f"{self.proc.name}@{self.address}"


# ====================================================================== reference leechers
class LtLeecher:
    """python3-libtorrent leecher (ltpeer.py): exits 0 once it has everything."""
    kind = "lt"

    def __init__(self, swarm, torrent, name="lt-leech", connect=()):
        self.port = sl.free_port()
        work = os.path.join(swarm.tmp, name)
        self.out_dir = os.path.join(work, "out")
        os.makedirs(self.out_dir)
        self.stats_path = os.path.join(work, "stats.json")
        argv = [sl.PY, sl.LTPEER, "--role", "leech", "--torrent", torrent.path, "--dir", self.out_dir,
                "--port", self.port, "--timeout", "300", "--stats", self.stats_path]
        for c in connect:
            argv += ["--connect", c]
        self.proc = swarm.start_proc(name, argv)
        log(f"{name}: {' '.join(str(a) for a in argv)}")

    def done(self):
        return not self.proc.alive()

    def finish(self):
        self.proc.stop(grace=5)

    def stats(self):
        return read_json(self.stats_path)

    def downloaded_from(self, address):
        return sum(int(p.get("downloaded", 0)) for p in (self.stats() or {}).get("peers", [])
                   if p.get("address") == address)


class Aria2Leecher:
    """aria2c leecher (learns peers only from the tracker); exits 0 once it is done."""
    kind = "aria2"

    def __init__(self, swarm, torrent, name="aria2-leech"):
        self.port = sl.free_port()
        work = os.path.join(swarm.tmp, name)
        self.out_dir = os.path.join(work, "out")
        os.makedirs(self.out_dir)
        argv = sl.leecher_argv("aria2", torrent, self.out_dir, self.port, work)
        self.proc = swarm.start_proc(name, argv, cwd=work)
        log(f"{name}: {' '.join(str(a) for a in argv)}")

    def done(self):
        return not self.proc.alive()

    def finish(self):
        self.proc.stop(grace=5)


class TransmissionLeecher:
    """transmission-daemon 3.00 leeching into out_dir (torrent added over RPC, progress
    read over RPC). It ignores 127.x peers from a tracker but accepts incoming
    connections from them: the seed must be told to dial self.address."""
    kind = "transmission"

    def __init__(self, swarm, torrent, name="tr-leech"):
        self.port = sl.free_port()
        self.rpc_port = sl.free_port()
        work = os.path.join(swarm.tmp, name)
        cfg = os.path.join(work, "cfg")
        os.makedirs(cfg)
        self.out_dir = os.path.join(work, "out")
        os.makedirs(self.out_dir)
        settings = dict(sl.TR_SETTINGS, **{"peer-port": self.port, "rpc-port": self.rpc_port,
                                            "download-dir": self.out_dir})
        with open(os.path.join(cfg, "settings.json"), "w") as f:
            json.dump(settings, f, indent=1)
        argv = ["transmission-daemon", "-f", "-g", cfg, "-p", self.rpc_port, "-r", LOOPBACK,
                "-P", self.port, "-i", LOOPBACK, "-M", "-O", "-Y", "--no-utp", "-et",
                "-w", self.out_dir, "-e", os.path.join(work, "daemon.log")]
        env = {k: v for k, v in os.environ.items() if k != "TR_CURL_VERBOSE"}
        self.proc = swarm.start_proc(name, argv, env=env)
        self._sid = ""
        end = time.monotonic() + 20
        while self._rpc("session-get") is None:
            if not self.proc.alive():
                raise sl.HarnessError(f"transmission-daemon exited: {self.proc.log_tail()}")
            if time.monotonic() > end:
                raise sl.HarnessError("transmission-daemon RPC did not come up")
            time.sleep(0.2)
        with open(torrent.path, "rb") as f:
            meta = base64.b64encode(f.read()).decode()
        if self._rpc("torrent-add", {"metainfo": meta, "download-dir": self.out_dir, "paused": False}) is None:
            raise sl.HarnessError("transmission torrent-add failed")
        log(f"{name}: transmission-daemon peer port {self.port}, rpc {self.rpc_port}")

    @property
    def address(self):
        return f"{LOOPBACK}:{self.port}"

    _rpc = sl.TransmissionSeeder._rpc

    def torrents(self):
        r = self._rpc("torrent-get", {"fields": ["id", "status", "percentDone", "leftUntilDone",
                                                  "downloadedEver", "corruptEver", "error", "errorString",
                                                  "peersConnected"]})
        return r.get("torrents") if r else None

    def done(self):
        ts = self.torrents()
        return bool(ts) and all(t["leftUntilDone"] == 0 and t["percentDone"] >= 1.0 for t in ts)

    def finish(self):
        self.proc.stop(grace=5)


def wait_leecher(leecher, timeout, seed=None):
    """Until leecher.done() (True) or timeout (False); raises HarnessError if the seed died."""
    def check():
        if seed is not None and not seed.alive():
            raise sl.HarnessError(f"the seed exited while {leecher.kind} was downloading:\n{seed.describe()}")
    t0 = time.monotonic()
    ok = wait_until(leecher.done, timeout, what=f"{leecher.kind} leecher", check=check)
    log(f"{leecher.kind} leecher {'done' if ok else 'NOT done'} after {time.monotonic() - t0:.1f}s")
    return bool(ok)


def verify_except_empty(swarm, content, out_dir):
    """swarm.verify(), but 0-byte files may be missing (transmission 3.00 does not
    create them); None if that is the only difference."""
    err = swarm.verify(content, out_dir)
    if not err:
        return None
    empty = {rel for rel, size in content.files if size == 0}
    for rel, size in content.files:
        p = os.path.join(out_dir, rel)
        if not os.path.exists(p):
            if rel in empty:
                continue
            return f"missing {rel}"
        if os.path.getsize(p) != size:
            return f"{rel}: size {os.path.getsize(p)} != {size}"
        if size and sl.file_digest(p) != sl.file_digest(content.abspath(rel)):
            return f"{rel}: content differs"
    if content.multi:
        want = {rel for rel, _ in content.files}
        for root, _, names in os.walk(os.path.join(out_dir, content.name)):
            for n in names:
                rel = os.path.relpath(os.path.join(root, n), out_dir)
                if rel not in want:
                    return f"unexpected file {rel}"
    return None


class RecordingMiniTracker(sl.MiniTracker):
    """swarmlib.MiniTracker that also records each announce's uploaded/downloaded."""

    def _announce(self, q, ip):
        body = super()._announce(q, ip)
        pid = self._param(q, "peer_id").encode("latin-1")
        with self.lock:
            for rec in reversed(self._log):
                if rec["peer_id"] == pid and "uploaded" not in rec:
                    for k in ("uploaded", "downloaded"):
                        try:
                            rec[k] = int(self._param(q, k, "-1"))
                        except ValueError:
                            rec[k] = None
                    break
        return body


# ====================================================================== wire client
class WireClient:
    """A pure-Python BEP 3 peer: plain handshake (reserved bytes zero), then messages.
    recv() returns (id, payload), ('keepalive', b''), None on timeout; raises EOFError
    when the remote closed the connection."""

    CHOKE, UNCHOKE, INTERESTED, NOT_INTERESTED, HAVE, BITFIELD, REQUEST, PIECE, CANCEL = range(9)

    def __init__(self, address, info_hash, timeout=5.0, reserved=bytes(8), source=None):
        """reserved: the handshake's reserved bytes (default zero: plain BEP 3); source: a
        loopback address to dial from (e.g. 127.0.0.7)."""
        host, port = address.rsplit(":", 1)
        self.s = socket.create_connection((host, int(port)), timeout=timeout,
                                          source_address=(source, 0) if source else None)
        self.buf = bytearray()
        self.peer_choking = True
        self.peer_bitfield = None
        self.received = []  # every message, in order: (id, payload)
        self.received_t = []  # monotonic arrival time of each entry of received
        ih = bytes.fromhex(info_hash)
        self.peer_id = b"-PY0002-" + os.urandom(6).hex().encode()
        self.s.sendall(bytes([19]) + b"BitTorrent protocol" + bytes(reserved) + ih + self.peer_id)
        hs = self._read_exact(68, time.monotonic() + timeout)
        if hs is None or hs[0] != 19 or hs[1:20] != b"BitTorrent protocol" or hs[28:48] != ih:
            raise sl.HarnessError(f"bad handshake from {address}: {hs!r}")
        self.remote_reserved = hs[20:28]

    def _fill(self, deadline):
        """Reads what arrives (at most 0.5 s) into self.buf; False once deadline passed."""
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        self.s.settimeout(min(left, 0.5))
        try:
            chunk = self.s.recv(65536)
        except socket.timeout:
            return True
        except ConnectionResetError:
            raise EOFError("connection reset")
        if not chunk:
            raise EOFError("closed")
        self.buf += chunk
        return True

    def _read_exact(self, n, deadline):
        while len(self.buf) < n:
            if not self._fill(deadline):
                return None
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def recv(self, timeout):
        deadline = time.monotonic() + timeout
        # keep partial messages in the buffer across timeouts
        while True:
            if len(self.buf) >= 4:
                (n,) = struct.unpack(">I", self.buf[:4])
                if len(self.buf) >= 4 + n:
                    msg = bytes(self.buf[4:4 + n])
                    del self.buf[:4 + n]
                    if n == 0:
                        return ("keepalive", b"")
                    m = (msg[0], msg[1:])
                    self.received.append(m)
                    self.received_t.append(time.monotonic())
                    if m[0] == self.CHOKE:
                        self.peer_choking = True
                    elif m[0] == self.UNCHOKE:
                        self.peer_choking = False
                    elif m[0] == self.BITFIELD:
                        self.peer_bitfield = m[1]
                    return m
            if not self._fill(deadline):
                return None

    def send(self, mid, payload=b""):
        body = bytes([mid]) + payload
        self.s.sendall(struct.pack(">I", len(body)) + body)

    def interested(self):
        self.send(self.INTERESTED)

    def request(self, index, begin, length):
        self.send(self.REQUEST, struct.pack(">III", index, begin, length))

    def pump(self, seconds):
        """Read messages for this long; returns (messages, closed)."""
        out = []
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return out, False
            try:
                m = self.recv(left)
            except EOFError:
                return out, True
            if m is not None and m[0] != "keepalive":
                out.append(m)

    def wait_for(self, mid, timeout):
        """Messages read until one with id mid arrives (included, last); None on timeout.
        Raises EOFError if the connection closes first."""
        out = []
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            m = self.recv(left)
            if m is None:
                return None
            if m[0] == "keepalive":
                continue
            out.append(m)
            if m[0] == mid:
                return out

    def pieces(self):
        return [m for m in self.received if m[0] == self.PIECE]

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def read_payload(content, torrent, offset, length):
    """length bytes of the torrent's payload at offset, from the content on disk."""
    out = bytearray()
    for path, size, foff in torrent.files:
        if length <= 0:
            break
        if size == 0 or offset >= foff + size or offset + length <= foff:
            continue
        start = offset - foff
        n = min(size - start, length)
        with open(os.path.join(content.parent, path), "rb") as f:
            f.seek(start)
            chunk = f.read(n)
        out += chunk
        offset += n
        length -= n
    return bytes(out)


# ====================================================================== runner
def _alarm(signum, frame):
    raise TimeoutError("test file ran past its time budget")


def main(what, budget_s=600):
    """Run the unittest cases of __main__ (or those named in argv), print a SUMMARY
    line, exit 0 only if all passed. SIGTERM (ctest timeout) and the budget become
    exceptions so every Swarm is still torn down."""
    sl.install_sigterm_handler()
    budget_s = int(float(os.environ.get("CORRENT_TEST_BUDGET_S", budget_s)))
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(budget_s)
    t0 = time.monotonic()
    print(f"{what}: corrent={os.environ.get('CORRENT', '(default path)')}", flush=True)
    mod = sys.modules["__main__"]
    names = sys.argv[1:]
    loader = unittest.defaultTestLoader
    suite = loader.loadTestsFromNames(names, mod) if names else loader.loadTestsFromModule(mod)
    res = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    signal.alarm(0)
    verdict = "PASS" if res.wasSuccessful() else "FAIL"
    print(f"SUMMARY {what}: {verdict} - {res.testsRun} run, {len(res.failures)} failed, {len(res.errors)} errors, "
          f"{len(res.skipped)} skipped, {time.monotonic() - t0:.0f}s", flush=True)
    sys.exit(0 if res.wasSuccessful() else 1)
