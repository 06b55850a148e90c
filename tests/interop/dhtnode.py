"""Scripted hostile KRPC (BEP 5) nodes and tools, for test_dht_hostile.py and bench/dht_bench.py.

Pure Python, stdlib only (importable from bench/ without the test libraries); every socket
binds an address of 127.0.0.0/8 and every datagram goes to one.

  * bencode()/bdecode() (None on anything malformed); query(), response(), compact_*();
  * Node: a KRPC node on its own 127.x address (a thread): records the queries it gets,
    learns the client under test (`client`: the first endpoint that queried it), answers
    through on_query() and calls on_tick() every ~20 ms; GarbageNode, BogusNodesNode and
    UnsolicitedNode are the attacks of test_dht_hostile.py;
  * Flooder: queries at a fixed rate from one socket (10 ms batches), counting replies;
  * Prober: a well-behaved node pinging a target from another IP (is the DHT still serving?);
  * TcpCanary / BlackHoles: listeners (TCP; UDP sockets that never answer) on addresses only
    a hostile message names: anything arriving there means corrent acted on that message;
  * ProcWatch and /proc readers: VmHWM, VmRSS, utime+stime, the kernel's UDP drops.
"""
import os
import random
import select
import socket
import struct
import threading
import time


# ====================================================================== bencode
def bencode(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, (bytes, bytearray)):
        return b"%d:%s" % (len(v), bytes(v))
    if isinstance(v, (list, tuple)):
        return b"l" + b"".join(bencode(x) for x in v) + b"e"
    if isinstance(v, dict):
        items = sorted((k.encode() if isinstance(k, str) else k, x) for k, x in v.items())
        return b"d" + b"".join(bencode(k) + bencode(x) for k, x in items) + b"e"
    raise TypeError(type(v))


def bdecode(b):
    """The value of one bencoded datagram (trailing bytes ignored), or None if malformed."""
    def dec(i, depth):
        if depth > 32:
            raise ValueError("deep")
        c = b[i:i + 1]
        if c == b"i":
            j = b.index(b"e", i)
            return int(b[i + 1:j]), j + 1
        if c in (b"l", b"d"):
            i += 1
            out = [] if c == b"l" else {}
            while b[i:i + 1] != b"e":
                v, i = dec(i, depth + 1)  # past the end: b[i:i+1] is b"", int(b"") raises
                if c == b"l":
                    out.append(v)
                elif isinstance(v, bytes):
                    out[v], i = dec(i, depth + 1)
                else:
                    raise ValueError("key")
            return out, i + 1
        j = b.index(b":", i)
        n = int(b[i:j])
        if n < 0 or j + 1 + n > len(b):
            raise ValueError("string")
        return b[j + 1:j + 1 + n], j + 1 + n
    try:
        return dec(0, 0)[0]
    except (ValueError, IndexError):
        return None


# ====================================================================== KRPC
def rand_id():
    return os.urandom(20)


def close_id(target, bits=24):
    """An id sharing its first `bits` bits with target: closer to it than any honest node."""
    n = int.from_bytes(target, "big") ^ random.getrandbits(160 - bits)
    return n.to_bytes(20, "big")


def compact_peer(ip, port):
    return socket.inet_aton(ip) + struct.pack(">H", port)


def compact_node(nid, ip, port):
    return nid + compact_peer(ip, port)


def parse_nodes(s):
    """[(id, ip, port)] of a compact `nodes` string (26 bytes each)."""
    return [(s[i:i + 20], socket.inet_ntoa(s[i + 20:i + 24]), struct.unpack(">H", s[i + 24:i + 26])[0])
            for i in range(0, len(s) - len(s) % 26, 26)]


def query(t, q, args):
    return bencode({"t": t, "y": "q", "q": q, "a": args})


def response(t, r, ip=None):
    return bencode({"t": t, "y": "r", "r": r, **({"ip": ip} if ip is not None else {})})


def dead_addr(rng):
    """A loopback address and port where nothing listens (127.77-127.99.x.y, a random high port)."""
    return f"127.{rng.randrange(77, 100)}.{rng.randrange(1, 255)}.{rng.randrange(1, 255)}", rng.randrange(20000, 60000)


# ====================================================================== plumbing
def udp(host, port=0, rcvbuf=None):
    """A non-blocking UDP socket bound to host:port."""
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if rcvbuf:
        u.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    u.bind((host, port))
    u.setblocking(False)
    return u


class Service:
    """A daemon thread calling self.step() until stop(), which then closes self.socks."""

    def _run(self):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self):
        while not self._stop.is_set():
            self.step()

    def stop(self):
        self._stop.set()
        self._thread.join(3)
        for u in getattr(self, "socks", []):
            u.close()
        return self


# ====================================================================== nodes
class Node(Service):
    """A KRPC node on host:port (UDP), served by a daemon thread until stop(); `side`: a
    second socket (on side_host, default host) for messages from another address."""

    def __init__(self, host="127.0.0.5", port=0, seed=1, side_host=None):
        self.host = host
        self.sock = udp(host, port, rcvbuf=1 << 20)
        self.side = udp(side_host or host)
        self.socks = [self.sock, self.side]
        self.port = self.sock.getsockname()[1]
        self.id = rand_id()
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.queries = []  # [{"from", "q", "t", "a", "at"}]
        self.others = []   # datagrams that were not queries: [(from, raw)]
        # the first endpoint that queried us, its id (a.id), when; datagrams sent: all, those
        # starting with 'd' (KRPC to corrent's eyes); send errors
        self.client = self.client_id = self.first_query_at = None
        self.sent = self.sent_d = self.errors = 0
        self._run()

    @property
    def address(self):
        return f"{self.host}:{self.port}"

    def send(self, data, to=None, sock=None):
        to = to or self.client
        try:
            (sock or self.sock).sendto(data, to)
        except OSError:
            self.errors += 1
            return
        self.sent += 1
        if data[:1] == b"d":
            self.sent_d += 1

    def from_client(self, *qs):
        """The queries the client sent us (of methods qs; all if none given)."""
        with self.lock:
            return [x for x in self.queries if x["from"] == self.client and (not qs or x["q"] in qs)]

    def step(self):
        r, _, _ = select.select([self.sock], [], [], 0.02)
        for _ in range(256 if r else 0):
            try:
                data, frm = self.sock.recvfrom(65536)
            except (BlockingIOError, InterruptedError):
                break
            self._datagram(data, frm)
        try:
            self.on_tick(time.monotonic())
        except Exception as e:  # a script bug must not kill the node silently
            print(f"dhtnode {self.address}: on_tick: {e!r}", flush=True)

    def _datagram(self, data, frm):
        m = bdecode(data)
        if not (isinstance(m, dict) and m.get(b"y") == b"q" and isinstance(m.get(b"a"), dict)):
            with self.lock:
                self.others.append((frm, data))
            return
        q = m.get(b"q", b"").decode(errors="replace")
        a = m[b"a"]
        with self.lock:
            self.queries.append({"from": frm, "q": q, "t": m.get(b"t", b""), "a": a, "at": time.monotonic()})
            if self.client is None:
                self.client, self.client_id = frm, a.get(b"id")
                self.first_query_at = time.monotonic()
        try:
            self.on_query(frm, q, m.get(b"t", b""), a)
        except Exception as e:
            print(f"dhtnode {self.address}: on_query: {e!r}", flush=True)

    # -- what subclasses change
    def on_query(self, frm, q, t, a):
        """Default: an honest-looking answer with no nodes (and no values)."""
        r = {"id": self.id}
        if q == "get_peers":
            r["token"] = b"tok"
        self.send(response(t, r), frm)

    def on_tick(self, now):
        pass


# ====================================================================== the attacks
def garbage_variants(t, my_id, client_id, rng):
    """Broken KRPC answers to a query with transaction id t: [(what, bytes)]."""
    good = response(t, {"id": my_id, "nodes": b"", "token": b"x"})
    tail = b"e1:t%d:%s1:y1:re" % (len(t), t)
    return [
        ("short id, foreign t", b"d1:rd2:id3:abce1:t2:xx1:y1:re"),
        ("short id", b"d1:rd2:id3:abc" + tail),
        ("truncated", good[:len(good) // 2]),
        ("random d-bytes", b"d" + os.urandom(rng.randrange(8, 1400))),
        ("random bytes", bytes([rng.randrange(0x30, 0x64)]) + os.urandom(rng.randrange(8, 600))),
        ("r is a list", b"d1:rl2:id20:" + my_id + tail),
        ("t is an int", b"d1:rd2:id20:" + my_id + b"e1:ti7e1:y1:re"),
        ("y unknown", b"d1:rd2:id20:" + my_id + b"e1:t%d:%s1:y1:ze" % (len(t), t)),
        ("deep nesting", b"d1:rd2:id20:" + my_id + b"1:x" + b"l" * 40 + b"e" * 40 + tail),
        ("huge int", b"d1:rd2:id20:" + my_id + b"4:porti" + b"9" * 400 + b"ee1:t%d:%s1:y1:re" % (len(t), t)),
        ("string length overflow", b"d1:rd2:id99999999999999999999:" + my_id + tail),
        ("long t", response(os.urandom(200), {"id": my_id})),
        ("oversized", response(t, {"id": my_id, "nodes": os.urandom(26 * 120)})),
        ("nodes of 25 bytes", response(t, {"id": my_id, "nodes": os.urandom(25 * 7)})),
        ("nodes not a string", response(t, {"id": my_id, "nodes": [1, 2, 3]})),
        ("values of junk", response(t, {"id": my_id, "token": b"t", "values": [
            b"12345", 7, [b"x"], compact_peer("0.0.0.0", 0), compact_peer("255.255.255.255", 1),
            compact_peer("127.0.0.1", 0)]})),
        ("our own id", response(t, {"id": client_id or my_id, "nodes": compact_node(close_id(my_id), "127.0.0.1", 1)})),
        ("error of junk", bencode({"t": t, "y": "e", "e": {"x": [b"y"]}})),
        ("empty dict", b"de"),
        ("unsorted duplicate keys", b"d1:y1:r1:t%d:%s1:rd2:id20:" % (len(t), t) + my_id + b"e1:y1:qe"),
        ("malformed query", b"d1:ad2:id3:abce1:q4:ping1:t2:mq1:y1:qe"),
        ("query with a bad target", query(b"mf", "find_node", {"id": my_id, "target": b"short"})),
        ("announce without token", query(b"ma", "announce_peer", {"id": my_id, "info_hash": my_id, "port": 1})),
    ]


class GarbageNode(Node):
    """Answers every query with all of garbage_variants(), one more of them every ~50 ms
    (after the first query), and an honest-looking reply with the query's t from another
    socket (a reply from an address the query did not go to)."""

    def __init__(self, host="127.0.0.5", seed=1, stream_s=3.0):
        self.sent_by_kind = {}
        self.stream_s = stream_s
        self._next = 0.0
        super().__init__(host, seed=seed)

    def _emit(self, what, data, to, sock=None):
        self.sent_by_kind[what] = self.sent_by_kind.get(what, 0) + 1
        self.send(data, to, sock)

    def on_query(self, frm, q, t, a):
        for what, data in garbage_variants(t, self.id, a.get(b"id"), self.rng):
            self._emit(what, data, frm)
        self._emit("reply from another port", response(t, {"id": self.id}), frm, self.side)

    def on_tick(self, now):
        if self.client is None or now - self.first_query_at > self.stream_s or now < self._next:
            return
        self._next = now + 0.05
        vs = garbage_variants(os.urandom(2), self.id, self.client_id, self.rng)
        what, data = vs[self.rng.randrange(len(vs))]
        self._emit(what, data, self.client)


class BogusNodesNode(Node):
    """Every find_node/get_peers: oversized datagrams (~64 KB: `per_big` compact nodes each,
    refused by corrent's 2048-byte limit, at most 4 an answer) while fewer than `total`
    nodes went out, then one answer that fits (`per_reply` nodes, ~1.9 KB). The nodes: this
    node itself under fresh ids (1 in 10), the silent sockets of `holes` (BlackHoles), and
    dead loopback addresses (dead_addr()); ids close to the target (close=True) or random.
    get_peers answers also carry `values` of dead peers. It answers under a new id each time."""

    def __init__(self, host="127.0.0.5", seed=1, total=10000, per_big=2500, per_reply=70, close=True,
                 holes=()):
        self.total, self.per_big, self.per_reply, self.close = total, per_big, per_reply, close
        self.holes = list(holes)
        # compact nodes sent: in all, in datagrams of at most 2048 bytes; 64 KB datagrams sent
        self.nodes_sent = self.nodes_fitting = self.big_sent = 0
        self.dead = set()  # every dead address named
        super().__init__(host, seed=seed)

    def _nodes(self, target, n, holes=()):
        out = []
        holes = list(holes)
        for i in range(n):
            nid = close_id(target) if (self.close and target) else rand_id()
            if i % 10 == 0:
                out.append(compact_node(nid, self.host, self.port))
            elif holes:
                out.append(compact_node(nid, *holes.pop()))
            else:
                ip, port = dead_addr(self.rng)
                self.dead.add((ip, port))
                out.append(compact_node(nid, ip, port))
        return b"".join(out)

    def on_query(self, frm, q, t, a):
        if q not in ("find_node", "get_peers"):
            return super().on_query(frm, q, t, a)
        target = a.get(b"target") or a.get(b"info_hash") or b""
        target = target if len(target) == 20 else b""
        self.id = rand_id()
        for _ in range(4):
            if self.nodes_sent >= self.total:
                break
            self.send(response(t, {"id": self.id, "nodes": self._nodes(target, self.per_big), "token": b"tk"}), frm)
            self.nodes_sent += self.per_big
            self.big_sent += 1
        holes = self.rng.sample(self.holes, min(len(self.holes), self.per_reply // 3))
        r = {"id": self.id, "nodes": self._nodes(target, self.per_reply, holes)}
        if q == "get_peers":
            r["token"] = b"tk"
            r["values"] = [compact_peer(*dead_addr(self.rng)) for _ in range(8)]
        data = response(t, r)
        self.send(data, frm)
        self.nodes_sent += self.per_reply
        if len(data) <= 2048:
            self.nodes_fitting += self.per_reply


class UnsolicitedNode(Node):
    """Answers queries with no nodes; once it knows the client, sends it `rate` "y":"r"
    messages a second with random transaction ids (none it was ever sent), half of them
    from a second socket on another IP, naming a UDP canary (nodes) and a TCP canary
    (values), until `duration` s after the first query."""

    def __init__(self, host="127.0.0.5", other_host="127.0.0.8", seed=1, rate=30, duration=4.0,
                 canary_udp=None, canary_tcp=None):
        self.rate, self.duration = rate, duration
        self.canary_udp, self.canary_tcp = canary_udp, canary_tcp
        self.unsolicited = 0
        self.seen_t = set()
        self._next = 0.0
        super().__init__(host, seed=seed, side_host=other_host)

    def on_query(self, frm, q, t, a):
        self.seen_t.add(t)
        super().on_query(frm, q, t, a)

    def on_tick(self, now):
        if self.client is None or now - self.first_query_at > self.duration or now < self._next:
            return
        self._next = now + 1.0 / self.rate
        t = os.urandom(self.rng.choice((1, 2, 2, 2, 4, 8)))
        while t in self.seen_t:
            t = os.urandom(2)
        r = {"id": rand_id(), "token": b"tk"}
        if self.canary_udp:
            r["nodes"] = b"".join(compact_node(close_id(self.client_id or rand_id()), *self.canary_udp)
                                  for _ in range(4))
        if self.canary_tcp:
            r["values"] = [compact_peer(*self.canary_tcp)]
        sock = self.side if self.unsolicited % 2 else self.sock
        self.send(response(t, r, ip=compact_peer(*self.client)), self.client, sock)
        self.unsolicited += 1


# ====================================================================== load and probes
class Flooder:
    """`rate` KRPC queries a second (ping, find_node, get_peers in turn, fresh transaction
    ids) from host to target for `seconds`, in 10 ms batches; counts the replies (and
    KRPC errors) per second. run() blocks; start() runs it in self.thread."""

    def __init__(self, target, host="127.0.0.9", rate=10000, seconds=10.0, info_hash=None):
        self.target, self.rate, self.seconds = target, rate, seconds
        self.sock = udp(host, rcvbuf=1 << 20)
        me, ih = rand_id(), info_hash or rand_id()
        self.templates = []
        for q, a in (("ping", {"id": me}), ("find_node", {"id": me, "target": rand_id()}),
                     ("get_peers", {"id": me, "info_hash": ih})):
            m = query(b"TTTT", q, a)
            i = m.index(b"1:t4:TTTT") + 5
            self.templates.append((m[:i], m[i + 4:]))
        self.sent = self.replies = self.errors_in = self.send_errors = 0
        self.replies_by_s, self.t0, self.t1 = [], None, None

    def _drain(self):
        while True:
            try:
                data, _ = self.sock.recvfrom(65536)
            except (BlockingIOError, InterruptedError):
                return
            y = data.find(b"1:y1:")  # "y" sorts last: the first match is it (but for 1e-9)
            kind = data[y + 5:y + 6] if y >= 0 else b""
            if kind == b"r":
                self.replies += 1
                s = int(time.monotonic() - self.t0)
                self.replies_by_s += [0] * (s + 1 - len(self.replies_by_s))
                self.replies_by_s[s] += 1
            self.errors_in += kind == b"e"

    def run(self):
        self.t0 = time.monotonic()
        n = 0
        while True:
            now = time.monotonic()
            el = now - self.t0
            if el >= self.seconds:
                break
            want = min(int(el * self.rate) + self.rate // 100, int(self.seconds * self.rate))
            while self.sent < want:
                pre, post = self.templates[n % 3]
                n += 1
                try:
                    self.sock.sendto(pre + struct.pack(">I", n) + post, self.target)
                    self.sent += 1
                except OSError:  # a full send buffer: the rest of this batch waits
                    self.send_errors += 1
                    break
            self._drain()
            time.sleep(max(0.0, 0.01 - (time.monotonic() - now)))
        self.t1 = time.monotonic()
        end = self.t1 + 0.5  # late replies
        while time.monotonic() < end:
            self._drain()
            time.sleep(0.02)
        self.sock.close()
        return self

    def start(self):
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        return self

    @property
    def duration(self):
        return (self.t1 or time.monotonic()) - (self.t0 or time.monotonic())


class Prober(Service):
    """A well-behaved node on its own IP: pings target every `interval` s; `pings`:
    [[sent_at, answered_after_s or None]]."""

    def __init__(self, target, host="127.0.0.10", interval=0.25):
        self.target, self.interval = target, interval
        self.sock = udp(host)
        self.socks = [self.sock]
        self.id = rand_id()
        self.pings, self._out, self._next, self._n = [], {}, 0.0, 0
        self._run()

    def step(self):
        now = time.monotonic()
        if now >= self._next:
            self._next, self._n = now + self.interval, self._n + 1
            t = struct.pack(">H", self._n & 0xffff)
            self._out[t] = len(self.pings)
            self.pings.append([now, None])
            try:
                self.sock.sendto(query(t, "ping", {"id": self.id}), self.target)
            except OSError:
                pass
        r, _, _ = select.select([self.sock], [], [], 0.02)
        try:
            data = self.sock.recvfrom(65536)[0] if r else b""
        except OSError:
            return
        m = bdecode(data)
        if isinstance(m, dict) and m.get(b"y") == b"r" and m.get(b"t") in self._out:
            i = self._out.pop(m[b"t"])
            self.pings[i][1] = time.monotonic() - self.pings[i][0]

    def answered(self, since=0.0, until=None, grace=1.0):
        """(answered, sent) among pings sent in [since, until] (older than grace s)."""
        until = min(until or time.monotonic(), time.monotonic() - grace)
        ps = [p for p in self.pings if since <= p[0] <= until]
        return sum(1 for p in ps if p[1] is not None), len(ps)


class TcpCanary(Service):
    """A TCP listener on host: counts the connections it accepts."""

    def __init__(self, host="127.0.0.6"):
        self.sock = socket.socket()
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.socks, self.addr, self.connections = [self.sock], self.sock.getsockname(), 0
        self._run()

    def step(self):
        try:
            self.sock.accept()[0].close()
            self.connections += 1
        except OSError:
            pass


class BlackHoles(Service):
    """n UDP sockets on host that never answer: `hits[(ip, port)]` counts the datagrams each
    got; hits_from(sender) only those from one endpoint."""

    def __init__(self, host="127.0.0.7", n=1):
        self.socks = [udp(host) for _ in range(n)]
        self.addrs = [u.getsockname() for u in self.socks]
        self.hits = {a: 0 for a in self.addrs}
        self.by_sender = {}  # (hole, sender) -> datagrams
        self._run()

    @property
    def total(self):
        return sum(self.hits.values())

    def hits_from(self, sender):
        return {h: self.by_sender.get((h, sender), 0) for h in self.addrs}

    def step(self):
        r, _, _ = select.select(self.socks, [], [], 0.05)
        for u in r:
            try:
                _, frm = u.recvfrom(65536)
            except OSError:
                continue
            hole = u.getsockname()
            self.hits[hole] += 1
            self.by_sender[(hole, frm)] = self.by_sender.get((hole, frm), 0) + 1


# ====================================================================== process metrics
CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_status_kb(pid, key):
    """A `key:  N kB` line of /proc/PID/status (VmHWM, VmRSS), in kB; None if gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_seconds(pid):
    """utime + stime of /proc/PID/stat, in seconds (None if gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
        return (int(rest[11]) + int(rest[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return None


def udp_rcvbuf_errors():
    """The kernel's Udp RcvbufErrors counter (datagrams dropped: a receive buffer was full)."""
    try:
        with open("/proc/net/snmp") as f:
            rows = [ln.split() for ln in f if ln.startswith("Udp:")]
        return int(rows[1][rows[0].index("RcvbufErrors")])
    except (OSError, IndexError, ValueError):
        return None


class ProcWatch(Service):
    """Polls a process every `step_s` s: the peak VmHWM (kB) seen, the last VmRSS."""

    def __init__(self, pid, step_s=0.05):
        self.pid, self.step_s, self.hwm_kb, self.rss_kb = pid, step_s, 0, None
        self._run()

    def step(self):
        h = proc_status_kb(self.pid, "VmHWM")
        if h is None:
            self._stop.set()  # gone
            return
        self.hwm_kb = max(self.hwm_kb, h)
        self.rss_kb = proc_status_kb(self.pid, "VmRSS")
        time.sleep(self.step_s)

    def stop(self):
        super().stop()
        return self.hwm_kb
