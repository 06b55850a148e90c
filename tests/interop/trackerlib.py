"""Tracker-side helpers for corrent's tracker interop tests (test_trackers.py); builds on swarmlib.

  * FakeTracker: a small HTTP tracker in this process (threads) on 127.0.0.1 or ::1 with
    one behaviour per URL path: http://HOST:PORT/<name>/announce (and /<name>/scrape).
    Behaviours: peers(...) (compact v4 / dict / peers6), failure(reason), raw(body, status),
    huge(size) (a body past corrent's 1 MiB cap), redirect(location), slow(seconds) (holds
    the request, records when the client gave up). Every request is recorded (hits()).
  * compact4/compact6/many_peers: peer lists for those answers; PortPool: loopback ports
    that refuse connections (bound, never listening) or accept and never answer (tarpits,
    counting how many of corrent's connections are open at once).
  * udp_scrape: a BEP 15 scrape in Python (to compare with corrent's).
  * LtSeeder6: a python3-libtorrent seeder listening on [::1] only (this file run as a
    script: `trackerlib.py ltseed --listen [::1]:PORT ...`).
  * run_corrent: `corrent download ... -v` with its whole log, exit code, time and --stats;
    TcpSampler: how many peer connections (SYN_SENT/ESTABLISHED) a process has, sampled.
All of it binds 127.0.0.1 or ::1 only; bounded waits everywhere.
"""
import json
import os
import random
import re
import select
import socket
import struct
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import swarmlib as sl  # noqa: E402

LOOPBACK6 = "::1"


def have_ipv6_loopback():
    """None if a TCP socket can bind [::1], else why not."""
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    except OSError as e:
        return f"no IPv6 sockets: {e}"
    try:
        s.bind((LOOPBACK6, 0))
        return None
    except OSError as e:
        return f"cannot bind [::1]: {e}"
    finally:
        s.close()


def hostport(host, port):
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


# ====================================================================== peer lists
def compact4(addrs):
    """b'' of 6-byte entries from [(ip, port)]."""
    return b"".join(socket.inet_aton(ip) + struct.pack(">H", port) for ip, port in addrs)


def compact6(addrs):
    return b"".join(socket.inet_pton(socket.AF_INET6, ip) + struct.pack(">H", port) for ip, port in addrs)


# Addresses a client must drop (never dial): port 0, 0.0.0.0/8, multicast, broadcast.
# Port-0 entries use 127.0.0.1, and 0.x.y.z (which Linux dials as this host) low ports where
# nothing listens, so that even a client that dialled them would stay on loopback and
# could not reach another test's process.
def unusable_v4(rng):
    k = rng.randrange(6)
    if k == 0:
        return "127.0.0.1", 0
    if k == 1:
        return "0.0.0.0", rng.choice((1, 7, 9))
    if k == 2:
        return f"0.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 256)}", rng.choice((1, 7, 9))
    if k == 3:
        return f"{rng.randrange(224, 240)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}", \
            rng.randrange(1, 65536)
    if k == 4:
        return "255.255.255.255", rng.randrange(1, 65536)
    return f"{rng.randrange(240, 256)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}", 0


def many_peers(total, usable, seed=1):
    """compact v4 bytes of `total` entries: every address of `usable` at least once (plus
    duplicates of them), the rest addresses a client must drop; shuffled deterministically."""
    rng = random.Random(seed)
    out = list(usable)
    ndup = min(len(usable) * 20, (total - len(usable)) // 4)
    out += [rng.choice(usable) for _ in range(ndup)]
    while len(out) < total:
        out.append(unusable_v4(rng))
    rng.shuffle(out)
    return compact4(out)


class PortPool:
    """Loopback TCP ports we own: `refusing` ones are bound but never listen (a connect gets
    RST at once); `tarpits` accept and then never say a word, and count how many
    connections are open at the same time (max_open)."""

    def __init__(self, swarm, refusing=0, tarpits=0, host=sl.LOOPBACK):
        self.host = host
        self.lock = threading.Lock()
        self.open = 0
        self.max_open = 0
        self.accepted = 0
        self._stop = threading.Event()
        self._held = []
        self.refusing = []
        self.tarpits = []
        self._listeners = []
        for _ in range(refusing):
            s = socket.socket()
            s.bind((host, 0))
            self._held.append(s)
            self.refusing.append((host, s.getsockname()[1]))
        for _ in range(tarpits):
            s = socket.socket()
            s.bind((host, 0))
            s.listen(64)
            self._listeners.append(s)
            self.tarpits.append((host, s.getsockname()[1]))
        self._conns = []
        self._thread = threading.Thread(target=self._loop, name="tarpits", daemon=True)
        self._thread.start()
        swarm.on_close(self.stop)

    def _loop(self):
        import selectors
        sel = selectors.DefaultSelector()  # epoll: no FD_SETSIZE limit
        for s in self._listeners:
            sel.register(s, selectors.EVENT_READ, "listener")
        try:
            while not self._stop.is_set():
                if not self._listeners:
                    self._stop.wait(0.1)
                    continue
                for key, _ in sel.select(0.1):
                    s = key.fileobj
                    if key.data == "listener":
                        try:
                            c, _ = s.accept()
                        except OSError:
                            continue
                        self._conns.append(c)
                        sel.register(c, selectors.EVENT_READ, "conn")
                        with self.lock:
                            self.accepted += 1
                            self.open += 1
                            self.max_open = max(self.max_open, self.open)
                        continue
                    try:
                        data = s.recv(65536)
                    except OSError:
                        data = b""
                    if not data:  # closed by the client: no longer open
                        sel.unregister(s)
                        self._conns.remove(s)
                        s.close()
                        with self.lock:
                            self.open -= 1
                    # anything it sends (its handshake) is read and ignored: never answered
        finally:
            sel.close()

    def stats(self):
        with self.lock:
            return dict(accepted=self.accepted, open=self.open, max_open=self.max_open)

    def stop(self):
        if self._stop.is_set():
            return
        self._stop.set()
        self._thread.join(timeout=3)
        for s in self._held + self._listeners + self._conns:
            try:
                s.close()
            except OSError:
                pass


# ====================================================================== fake HTTP tracker
def _reply(h, status, body, headers=()):
    h.send_response(status)
    h.send_header("Content-Type", "text/plain")
    for k, v in headers:
        h.send_header(k, v)
    if body is not None:
        h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    if body:
        h.wfile.write(body)


def peers(compact=None, dict_peers=None, peers6=None, interval=1800, min_interval=None, extra=None):
    """An announce answer with these peers (compact v4 bytes, a list of dicts, or peers6 bytes)."""
    d = {"interval": interval, "complete": 1, "incomplete": 0}
    if min_interval is not None:
        d["min interval"] = min_interval
    if compact is not None:
        d["peers"] = compact
    elif dict_peers is not None:
        d["peers"] = dict_peers
    else:
        d["peers"] = b""
    if peers6 is not None:
        d["peers6"] = peers6
    d.update(extra or {})
    body = sl.bencode(d)

    def handle(h, kind, q, rec):
        _reply(h, 200, body)
    return handle


def failure(reason):
    body = sl.bencode({"failure reason": reason})

    def handle(h, kind, q, rec):
        _reply(h, 200, body)
    return handle


def raw(body, status=200):
    def handle(h, kind, q, rec):
        _reply(h, status, body)
    return handle


def huge(size, content_length=True):
    """A 200 answer of `size` bytes that starts like a bencoded dictionary, sent in 64 KiB
    chunks until the client hangs up; with or without Content-Length."""
    def handle(h, kind, q, rec):
        head = b"d8:intervali1800e5:peers%d:" % (size - 30)
        h.send_response(200)
        h.send_header("Content-Type", "text/plain")
        if content_length:
            h.send_header("Content-Length", str(size))
        h.send_header("Connection", "close")
        h.end_headers()
        sent = 0
        chunk = bytes(64 * 1024)
        try:
            h.wfile.write(head)
            sent = len(head)
            while sent < size:
                n = min(len(chunk), size - sent)
                h.wfile.write(chunk[:n])
                sent += n
        except OSError:
            pass
        rec["body_bytes_sent"] = sent
        h.close_connection = True
    return handle


def redirect(location_for, status=302):
    """location_for(handler_path, kind) -> the Location header."""
    def handle(h, kind, q, rec):
        loc = location_for(h.path, kind)
        rec["location"] = loc
        _reply(h, status, b"", headers=[("Location", loc)])
    return handle


def slow(seconds, then=None):
    """Hold the request for `seconds` (or until the tracker stops), noticing when the client
    hangs up (rec['client_closed_after'] = seconds after the request arrived); then answer
    with `then` (a behaviour) if the client is still there."""
    def handle(h, kind, q, rec):
        sock = h.connection
        t0 = time.monotonic()
        end = t0 + seconds
        while time.monotonic() < end and not h.server.stop_event.is_set():
            r, _, _ = select.select([sock], [], [], 0.1)
            if r:
                try:
                    data = sock.recv(1, socket.MSG_PEEK)
                except OSError:
                    data = b""
                if not data:
                    rec["client_closed_after"] = round(time.monotonic() - t0, 2)
                    h.close_connection = True
                    return
                sock.recv(4096)  # unexpected bytes: drop them
        if then is not None and not h.server.stop_event.is_set():
            try:
                then(h, kind, q, rec)
            except OSError:
                pass
    return handle


class FakeTracker:
    """HTTP tracker with one behaviour per path prefix: url(name) is
    http://HOST:PORT/<name>/announce; /<name>/scrape goes to the same behaviour (kind
    'scrape'). Unknown names get 404. hits(name) lists the recorded requests:
    dict(t, name, kind, path, query, client, + what the behaviour noted)."""

    def __init__(self, swarm, host=sl.LOOPBACK, label="fake-tracker"):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        self.host = host
        self.behaviours = {}
        self.lock = threading.Lock()
        self._hits = []
        self.t0 = time.monotonic()
        self._logf = open(os.path.join(swarm.logdir, f"{label}.log"), "a")
        tracker = self

        class Server(ThreadingHTTPServer):
            address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
            daemon_threads = True
            request_queue_size = 64

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt, *args):
                tracker._write_log(f"{self.client_address[0]} {fmt % args}")

            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                parts = url.path.strip("/").split("/")
                q = urllib.parse.parse_qsl(url.query, keep_blank_values=True, encoding="latin-1")
                name = parts[0] if parts else ""
                kind = parts[-1] if len(parts) > 1 else ""
                rec = dict(t=round(time.monotonic() - tracker.t0, 3), name=name, kind=kind, path=self.path,
                           query=dict(q), client=self.client_address[0])
                with tracker.lock:
                    tracker._hits.append(rec)
                    beh = tracker.behaviours.get(name)
                tracker._write_log(f"{self.client_address[0]} {name}/{kind} event="
                                   f"{dict(q).get('event', '-')} port={dict(q).get('port')}")
                try:
                    if beh is None or kind not in ("announce", "scrape"):
                        _reply(self, 404, b"no such tracker path")
                    else:
                        beh(self, kind, q, rec)
                except OSError as e:  # the client went away
                    rec["error"] = repr(e)
                    self.close_connection = True

        self.server = Server((host, 0), Handler)
        self.server.stop_event = threading.Event()
        self.port = self.server.server_address[1]
        self.base = f"http://{hostport(host, self.port)}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=label, daemon=True)
        self._thread.start()
        self._stopped = False
        swarm.on_close(self.stop)
        sl.log(f"fake tracker on {self.base}")

    def _write_log(self, line):
        try:
            self._logf.write(f"{time.monotonic() - self.t0:9.3f} {line}\n")
            self._logf.flush()
        except (OSError, ValueError):
            pass

    def add(self, name, behaviour):
        with self.lock:
            self.behaviours[name] = behaviour
        return self.url(name)

    def url(self, name):
        return f"{self.base}/{name}/announce"

    def hits(self, name=None, kind="announce"):
        with self.lock:
            return [dict(r) for r in self._hits if (name is None or r["name"] == name)
                    and (kind is None or r["kind"] == kind)]

    def stop(self):
        if self._stopped:
            return
        self._stopped = True
        self.server.stop_event.set()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=3)
        self._logf.close()


# ====================================================================== UDP scrape (BEP 15)
def udp_scrape(host, port, infohash_hex, timeout=5.0):
    """(seeders, completed, leechers) from a UDP tracker, or raises OSError/ValueError."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    try:
        s.settimeout(timeout)
        s.connect((host, port))
        tid = random.getrandbits(32)
        s.send(struct.pack(">QII", 0x41727101980, 0, tid))
        r = s.recv(2048)
        action, rtid, cid = struct.unpack(">IIQ", r[:16])
        if action != 0 or rtid != tid:
            raise ValueError(f"bad connect reply {r!r}")
        tid = random.getrandbits(32)
        s.send(struct.pack(">QII", cid, 2, tid) + bytes.fromhex(infohash_hex))
        r = s.recv(2048)
        action, rtid = struct.unpack(">II", r[:8])
        if action != 2 or rtid != tid or len(r) < 20:
            raise ValueError(f"bad scrape reply {r!r}")
        return struct.unpack(">III", r[8:20])
    finally:
        s.close()


class UdpSink:
    """A UDP 'tracker' on loopback that receives and never answers (a silent dead tracker);
    packets() lists (seconds since start, action) of what arrived (BEP 15 action at 8..12)."""

    def __init__(self, swarm, host=sl.LOOPBACK):
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.url = f"udp://{hostport(host, self.port)}/announce"
        self.t0 = time.monotonic()
        self.lock = threading.Lock()
        self._pk = []
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._loop, name="udp-sink", daemon=True)
        self._t.start()
        swarm.on_close(self.stop)

    def _loop(self):
        while not self._stop.is_set():
            try:
                data, _ = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                break
            action = struct.unpack(">I", data[8:12])[0] if len(data) >= 12 else None
            with self.lock:
                self._pk.append((round(time.monotonic() - self.t0, 3), action))

    def packets(self):
        with self.lock:
            return list(self._pk)

    def stop(self):
        if not self._stop.is_set():
            self._stop.set()
            self._t.join(timeout=3)
            self.sock.close()


class FakeUdpTracker:
    """A BEP 15 tracker in this process (one thread) on 127.0.0.1 or ::1: answers connect,
    then announce with `peers` [(ip, port)] (6-byte entries over IPv4, 18-byte over IPv6,
    as BEP 15 says) or, if `error` is set, with an error packet (action 3) carrying it.
    requests() lists dict(t, action, event, port) of what arrived."""

    EVENTS = {0: "", 1: "completed", 2: "started", 3: "stopped"}

    def __init__(self, swarm, host=sl.LOOPBACK, peers=(), error=None, interval=1800):
        self.v6 = ":" in host
        self.sock = socket.socket(socket.AF_INET6 if self.v6 else socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.url = f"udp://{hostport(host, self.port)}/announce"
        self.peers = list(peers)
        self.error = error
        self.interval = interval
        self.t0 = time.monotonic()
        self.lock = threading.Lock()
        self._req = []
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._loop, name="fake-udp-tracker", daemon=True)
        self._t.start()
        swarm.on_close(self.stop)
        sl.log(f"fake UDP tracker on {self.url}")

    def _loop(self):
        while not self._stop.is_set():
            try:
                data, src = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                break
            if len(data) < 16:
                continue
            cid, action, tid = struct.unpack(">QII", data[:16])
            rec = dict(t=round(time.monotonic() - self.t0, 3), action=action)
            if action == 1 and len(data) >= 98:
                rec["event"] = self.EVENTS.get(struct.unpack(">I", data[80:84])[0], "?")
                rec["port"] = struct.unpack(">H", data[96:98])[0]
            with self.lock:
                self._req.append(rec)
            if action == 0 and cid == 0x41727101980:
                reply = struct.pack(">IIQ", 0, tid, 0x1234567890ABCDEF)
            elif self.error is not None:
                reply = struct.pack(">II", 3, tid) + self.error.encode()
            elif action == 1:
                pk = compact6(self.peers) if self.v6 else compact4(self.peers)
                reply = struct.pack(">IIIII", 1, tid, self.interval, 0, len(self.peers)) + pk
            elif action == 2:
                reply = struct.pack(">IIIII", 2, tid, len(self.peers), 0, 0)
            else:
                continue
            try:
                self.sock.sendto(reply, src)
            except OSError:
                pass

    def requests(self):
        with self.lock:
            return [dict(r) for r in self._req]

    def stop(self):
        if not self._stop.is_set():
            self._stop.set()
            self._t.join(timeout=3)
            self.sock.close()


# ====================================================================== torrents
def write_torrent(base, out, announce=None, announce_list=None):
    """Copy of base (a swarmlib.Torrent) with exactly these keys: `announce` (str or None:
    no key) and `announce-list` (list of tiers of str, or None: no key)."""
    e = sl.bdecode(open(base.path, "rb").read())
    e.pop(b"announce", None)
    e.pop(b"announce-list", None)
    if announce is not None:
        e[b"announce"] = announce.encode()
    if announce_list is not None:
        e[b"announce-list"] = [[u.encode() for u in tier] for tier in announce_list]
    with open(out, "wb") as f:
        f.write(sl.bencode(e))
    t = sl.Torrent(out)
    assert t.info_hash == base.info_hash
    return t


# ====================================================================== corrent runs
class Run:
    def __init__(self, **kw):
        self.__dict__.update(kw)

    def describe(self, tail=40):
        lines = self.log.splitlines()
        st = json.dumps(self.stats)[:800] if self.stats is not None else "(none)"
        return (f"rc={self.rc} elapsed={self.elapsed:.1f}s timed_out={self.timed_out}\n--- argv: "
                f"{' '.join(self.argv)}\n--- stats: {st}\n--- corrent log (last {tail} lines) ---\n"
                + "\n".join(lines[-tail:]) + "\n---")

    def grep(self, pattern):
        return [ln for ln in self.log.splitlines() if re.search(pattern, ln)]


def run_corrent(swarm, torrent, name, peers=(), listen_host=sl.LOOPBACK, extra=(), timeout=60.0,
                during=None, stop_when=None):
    """`corrent download TORRENT -o DIR --listen HOST:PORT -v --stats F --no-dht [--peer P]... EXTRA`
    until it exits or `timeout` s (then SIGTERM/SIGKILL). during(elapsed, proc) runs every
    ~0.1 s; stop_when(elapsed) returning True stops it (SIGTERM) early (rc as it exits)."""
    work = os.path.join(swarm.tmp, f"run-{name}")
    out_dir = os.path.join(work, "out")
    os.makedirs(out_dir)
    port = sl.free_port() if ":" not in listen_host else _free_port6()
    stats = os.path.join(work, "stats.json")
    argv = [sl.corrent_bin(), "download", torrent.path, "-o", out_dir, "--listen",
            hostport(listen_host, port), "-v", "--stats", stats, sl.NO_DHT]
    for p in peers:
        argv += ["--peer", p]
    argv += [str(a) for a in extra]
    sl.log(f"corrent [{name}]: {' '.join(argv)}")
    proc = swarm.start_proc(f"corrent-{name}", argv, cwd=work)
    t0 = time.monotonic()
    timed_out = stopped = False
    while proc.alive():
        el = time.monotonic() - t0
        if el > timeout:
            timed_out = True
            break
        if stop_when and stop_when(el):
            stopped = True
            break
        if during:
            during(el, proc)
        time.sleep(0.1)
    if timed_out or stopped:
        proc.stop(grace=10)
    elapsed = time.monotonic() - t0
    st = None
    if os.path.exists(stats):
        try:
            with open(stats) as f:
                st = json.load(f)
        except ValueError as e:
            st = {"_unparseable": str(e)}
    try:
        with open(proc.log_path, "rb") as f:
            text = f.read().decode(errors="replace")
    except OSError:
        text = ""
    sl.log(f"corrent [{name}] rc={proc.rc} in {elapsed:.1f}s" + (" (TIMEOUT)" if timed_out else ""))
    return Run(name=name, argv=argv, rc=proc.rc, elapsed=elapsed, timed_out=timed_out, stopped=stopped,
               out_dir=out_dir, stats=st, log=text, port=port, pid=proc.pid)


def _free_port6():
    s = socket.socket(socket.AF_INET6)
    s.bind((LOOPBACK6, 0))
    p = s.getsockname()[1]
    s.close()
    return p


class TcpSampler:
    """Samples (every `period` s, in a thread) how many TCP connections process `pid` has in
    SYN_SENT or ESTABLISHED, leaving out those with a remote port in `ignore_remote_ports`
    (e.g. the tracker's) or a local port in `ignore_local_ports` (its listening port: the
    incoming ones), i.e. the peer connections it dialled. max_count is the peak,
    peak_detail its [(state, local port, remote port)]."""

    STATES = {"01", "02"}  # ESTABLISHED, SYN_SENT

    def __init__(self, pid, ignore_remote_ports=(), ignore_local_ports=(), period=0.05):
        self.pid = pid
        self.ignore = set(ignore_remote_ports)
        self.ignore_local = set(ignore_local_ports)
        self.period = period
        self.max_count = 0
        self.peak_detail = []
        self.samples = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._loop, name="tcp-sampler", daemon=True)
        self._t.start()

    def _inodes(self):
        out = set()
        d = f"/proc/{self.pid}/fd"
        try:
            for fd in os.listdir(d):
                try:
                    link = os.readlink(os.path.join(d, fd))
                except OSError:
                    continue
                if link.startswith("socket:["):
                    out.add(link[8:-1])
        except OSError:
            pass
        return out

    def count(self):
        return len(self.connections())

    def connections(self):
        """[(state, local port, remote port)] of the counted sockets."""
        inodes = self._inodes()
        out = {}  # by inode: /proc/net/tcp is not read atomically and can list a socket twice
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                with open(table) as f:
                    next(f)
                    for line in f:
                        parts = line.split()
                        if len(parts) < 10 or parts[9] not in inodes or parts[3] not in self.STATES:
                            continue
                        rport = int(parts[2].rsplit(":", 1)[1], 16)
                        lport = int(parts[1].rsplit(":", 1)[1], 16)
                        if rport in self.ignore or lport in self.ignore_local:
                            continue
                        out[parts[9]] = ({"01": "ESTABLISHED", "02": "SYN_SENT"}[parts[3]], lport, rport)
            except OSError:
                pass
        return sorted(out.values())

    def _loop(self):
        while not self._stop.is_set():
            conns = self.connections()
            self.samples += 1
            if len(conns) > self.max_count:
                self.max_count = len(conns)
                self.peak_detail = conns
            self._stop.wait(self.period)

    def stop(self):
        self._stop.set()
        self._t.join(timeout=3)


# ====================================================================== IPv6 libtorrent seeder
class LtSeeder6(sl.Seeder):
    """python3-libtorrent seeding on [::1]:port only (this file as a script, mode 'ltseed')."""
    kind = "lt6"

    def __init__(self, swarm, torrent, content, host=LOOPBACK6):
        self.host = host
        self.port = _free_port6()
        self.stats = os.path.join(swarm.tmp, f"lt6-seed-{self.port}.json")
        argv = [sl.PY, os.path.abspath(__file__), "ltseed", "--listen", hostport(host, self.port),
                "--torrent", torrent.path, "--dir", content.parent, "--stats", self.stats]
        self.proc = swarm.start_proc(f"lt6-seed-{self.port}", argv)

    @property
    def address(self):
        return hostport(self.host, self.port)

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

    def check_alive(self):
        if not self.proc.alive():
            raise sl.HarnessError(f"lt6 seeder exited rc={self.proc.rc}: {self.proc.log_tail()}")

    def wait_ready(self, timeout=60):
        end = time.monotonic() + timeout
        while not self.is_ready():
            self.check_alive()
            if time.monotonic() > end:
                raise sl.HarnessError(f"lt6 seeder not ready in {timeout}s: {self.proc.log_tail()}")
            time.sleep(0.2)

    def stop(self):
        self.proc.stop(grace=5)


def _ltseed_main(args):
    import argparse
    import signal
    import libtorrent as lt
    ap = argparse.ArgumentParser(prog="trackerlib.py ltseed")
    ap.add_argument("--listen", required=True)
    ap.add_argument("--torrent", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--stats", required=True)
    ap.add_argument("--timeout", type=float, default=900)
    a = ap.parse_args(args)
    host = a.listen.rsplit(":", 1)[0].strip("[]")
    if host not in (sl.LOOPBACK, LOOPBACK6):
        raise SystemExit("loopback only")
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    ses = lt.session({
        "listen_interfaces": a.listen, "outgoing_interfaces": host,
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
        "enable_incoming_utp": False, "enable_outgoing_utp": False, "enable_outgoing_tcp": False,
        "allow_multiple_connections_per_ip": True,
        "alert_mask": int(lt.alert.category_t.error_notification | lt.alert.category_t.status_notification),
        "user_agent": "corrent-interop-lt6/" + lt.__version__,
    }, 0)
    atp = lt.add_torrent_params()
    e = sl.bdecode(open(a.torrent, "rb").read())
    e.pop(b"announce", None)  # never announce anywhere: it is handed to corrent directly
    e.pop(b"announce-list", None)
    atp.ti = lt.torrent_info(lt.bdecode(sl.bencode(e)))
    atp.save_path = a.dir
    atp.flags &= ~(lt.torrent_flags.auto_managed | lt.torrent_flags.paused)
    h = ses.add_torrent(atp)
    t0 = time.monotonic()
    last = 0.0
    while not stop and time.monotonic() - t0 < a.timeout:
        for al in ses.pop_alerts():
            if isinstance(al, (lt.torrent_error_alert, lt.file_error_alert, lt.listen_failed_alert)):
                print("lt6 error:", al.message(), file=sys.stderr, flush=True)
        if time.monotonic() - last >= 0.25:
            st = h.status()
            d = dict(is_seeding=bool(st.is_seeding), uploaded=st.total_payload_upload, num_peers=st.num_peers,
                     listen_port=ses.listen_port())
            with open(a.stats + ".tmp", "w") as f:
                json.dump(d, f)
            os.replace(a.stats + ".tmp", a.stats)
            last = time.monotonic()
        ses.wait_for_alert(100)
    h = ses = None  # noqa: F841


if __name__ == "__main__":
    if sys.argv[1:2] == ["ltseed"]:
        _ltseed_main(sys.argv[2:])
    else:
        raise SystemExit("usage: trackerlib.py ltseed --listen [::1]:PORT --torrent T --dir D --stats F")
