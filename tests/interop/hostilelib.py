"""Hostile BitTorrent peers for corrent's interop tests (run by /usr/bin/python3).

A HostilePeer listens on 127.0.0.1 and runs one *script* per accepted connection in a
thread: script(conn) drives the wire by hand through a HostileConn (handshake, bitfield,
raw bytes, serving requests with hooks) and everything that happens is recorded with
monotonic timestamps, above all *who closed the connection and when* (conn.closed_by is
"remote" when corrent hung up, "self" when the script did, "deadline" when it ran out of
time). Every read has a deadline, every loop is bounded, stop() closes every socket.

    peer = HostilePeer(torrent, content, script=my_script)   # peer.address = "127.0.0.1:P"
    ... corrent download T --peer peer.address ...
    peer.stop(); peer.conns[0].closed_by == "remote"

It also has CorrentRun: corrent download with -v, --stats, --no-dht, one output dir, the exact
exit time (a waiter thread), and the "peer X closed: reason" lines of its log.

Extension protocol and fast extension (test_magnet.py, test_fast_extension.py): the
reply handshake may set reserved bits (handshake_ok(reserved=reserved_bits(ext=True,
fast=True))); recv_msg() decodes BEP 10 messages (conn.their_ext: corrent's extended
handshake; conn.ext_received: [(our ext id, dict, tail)]), records the order of
messages (conn.order: [(t, id)]) and the requests (conn.requests_log: [(t, index,
begin, length, choked?)]); send_ext()/send_ext_handshake() speak BEP 10,
serve_metadata() answers BEP 9 requests (honestly, or with a lie).
"""
import json
import os
import random
import re
import select
import socket
import struct
import subprocess
import threading
import time

import swarmlib as sl

PSTR = b"BitTorrent protocol"
BLOCK = 16 * 1024

# message ids
CHOKE, UNCHOKE, INTERESTED, NOT_INTERESTED, HAVE, BITFIELD, REQUEST, PIECE, CANCEL, PORT = range(10)
SUGGEST, HAVE_ALL, HAVE_NONE, REJECT, ALLOWED_FAST = range(13, 18)  # BEP 6
EXTENDED = 20                                                       # BEP 10
FAST_IDS = frozenset(range(13, 18))
# The extension ids this scripted peer assigns (what corrent must use when it sends to us).
OUR_UT_METADATA = 3
OUR_UT_PEX = 1
METADATA_BLOCK = 16 * 1024


def reserved_bits(ext=False, fast=False, dht=False):
    """8 reserved handshake bytes: BEP 10 (byte 5 & 0x10), BEP 6 (byte 7 & 0x04), BEP 5 (byte 7 & 0x01)."""
    r = bytearray(8)
    if ext:
        r[5] |= 0x10
    if fast:
        r[7] |= 0x04
    if dht:
        r[7] |= 0x01
    return bytes(r)


def bdecode_prefix(b, i=0):
    """(value, end) of the bencoded value at b[i:] (strict enough for extension messages)."""
    c = b[i:i + 1]
    if c == b"i":
        j = b.index(b"e", i)
        return int(b[i + 1:j]), j + 1
    if c == b"l":
        i += 1
        out = []
        while b[i:i + 1] != b"e":
            v, i = bdecode_prefix(b, i)
            out.append(v)
        return out, i + 1
    if c == b"d":
        i += 1
        out = {}
        while b[i:i + 1] != b"e":
            k, i = bdecode_prefix(b, i)
            v, i = bdecode_prefix(b, i)
            out[k] = v
        return out, i + 1
    if c.isdigit():
        j = b.index(b":", i)
        n = int(b[i:j])
        if j + 1 + n > len(b):
            raise ValueError("string past the end")
        return b[j + 1:j + 1 + n], j + 1 + n
    raise ValueError(f"bad bencode at {i}")


class RemoteClosed(Exception):
    """corrent closed the connection (EOF or reset)."""


class Deadline(Exception):
    """The script's time ran out while waiting for bytes."""


class Stopped(Exception):
    """HostilePeer.stop() was called."""


def full_bitfield(n):
    bf = bytearray((n + 7) // 8)
    for i in range(n):
        bf[i // 8] |= 0x80 >> (i % 8)
    return bytes(bf)


class HostileConn:
    """One accepted connection as the hostile peer sees it."""

    def __init__(self, peer, sock, idx):
        self.peer = peer
        self.sock = sock
        self.idx = idx
        self.t_accept = time.monotonic()
        self.t_closed = None
        self.closed_by = None       # "remote" | "self" | "deadline" | "stopped" | "error: ..."
        self.events = []            # (t, text)
        self.received = {}          # message id -> count (keep-alive: -1)
        self.requests = []          # (index, begin, length) in arrival order
        self.blocks_sent = 0        # complete, correct piece messages
        self.bytes_sent = 0         # block payload bytes in them
        self.t_offence = None       # when the script did the thing under test
        self.unchoked_us = False    # corrent sent unchoke
        self.handshake = None       # corrent's handshake (dict)
        self.our_reserved = bytes(8)
        self.order = []             # (t, message id) of every message corrent sent, in order
        self.requests_log = []      # (t, index, begin, length, we_were_choking)
        self.choking = True         # do we choke corrent? (kept by serve() and by scripts)
        self.their_ext = None       # corrent's BEP 10 extended handshake (dict, bytes keys)
        self.ext_received = []      # (our ext id, dict or None, tail bytes) of other BEP 10 messages
        self.metadata_requests = []  # (t, piece) ut_metadata requests corrent sent us
        sock.settimeout(30.0)  # bounds sendall; reads wait in select() first

    # -- bookkeeping
    def note(self, text):
        self.events.append((time.monotonic() - self.peer.t0, text))

    def offence(self, text):
        self.t_offence = time.monotonic()
        self.note("OFFENCE " + text)

    def _closed(self, by):
        if self.closed_by is None:
            self.closed_by = by
            self.t_closed = time.monotonic()
            self.note(f"closed by {by}")

    # -- raw I/O
    def recv_exact(self, n, timeout):
        end = time.monotonic() + timeout
        buf = bytearray()
        while len(buf) < n:
            if self.peer.stopping.is_set():
                raise Stopped()
            if time.monotonic() > end:
                raise Deadline(f"waited {timeout}s for {n} bytes, got {len(buf)}")
            try:
                ready, _, _ = select.select([self.sock], [], [], 0.2)
                if not ready:
                    continue
                chunk = self.sock.recv(n - len(buf))
            except (ConnectionResetError, BrokenPipeError):
                self._closed("remote")
                raise RemoteClosed()
            if not chunk:
                self._closed("remote")
                raise RemoteClosed()
            buf += chunk
        return bytes(buf)

    def send_raw(self, data):
        if self.peer.stopping.is_set():
            raise Stopped()
        try:
            self.sock.sendall(data)
        except (ConnectionResetError, BrokenPipeError):
            self._closed("remote")
            raise RemoteClosed()
        except socket.timeout:
            raise Deadline("send blocked for 30 s")
        except OSError:
            if self.peer.stopping.is_set():
                raise Stopped()
            raise

    def send_msg(self, mid, payload=b""):
        self.send_raw(struct.pack(">IB", 1 + len(payload), mid) + payload)

    def send_keep_alive(self, count=1):
        self.send_raw(b"\0\0\0\0" * count)

    # -- handshake
    def recv_handshake(self, timeout=10):
        hs = self.recv_exact(68, timeout)
        self.handshake = dict(pstrlen=hs[0], pstr=hs[1:20], reserved=hs[20:28], info_hash=hs[28:48],
                              peer_id=hs[48:68])
        self.note(f"got handshake from {hs[48:56]!r}")
        return self.handshake

    def send_handshake(self, info_hash=None, pstr=PSTR, reserved=bytes(8), peer_id=None):
        ih = info_hash if info_hash is not None else self.peer.info_hash
        pid = peer_id if peer_id is not None else self.peer.peer_id
        self.send_raw(bytes([len(pstr)]) + pstr + reserved + ih + pid)

    def handshake_ok(self, timeout=10, reserved=bytes(8)):
        """Read corrent's handshake (it dials, so it speaks first), answer correctly
        (with these reserved bits: reserved_bits(ext=..., fast=...))."""
        hs = self.recv_handshake(timeout)
        if hs["info_hash"] != self.peer.info_hash:
            raise sl.HarnessError(f"corrent sent info-hash {hs['info_hash'].hex()}")
        self.our_reserved = reserved
        self.send_handshake(reserved=reserved)

    def choke(self):
        self.send_msg(CHOKE)
        self.choking = True

    def unchoke(self):
        self.send_msg(UNCHOKE)
        self.choking = False

    # -- what both sides negotiated
    def they_set(self, what):
        r = (self.handshake or {}).get("reserved", bytes(8))
        return bool({"ext": r[5] & 0x10, "fast": r[7] & 0x04, "dht": r[7] & 0x01}[what])

    def fast_negotiated(self):
        return self.they_set("fast") and bool(self.our_reserved[7] & 0x04)

    # -- BEP 10
    def send_ext(self, ext_id, d, tail=b""):
        self.send_msg(EXTENDED, bytes([ext_id]) + sl.bencode(d) + tail)

    def send_ext_handshake(self, m=None, **extra):
        d = {"m": m if m is not None else {"ut_metadata": OUR_UT_METADATA}, "v": "corrent-hostile"}
        d.update(extra)
        self.send_ext(0, d)

    def their_ext_id(self, name):
        """The id corrent assigned to extension name (None if it offers none)."""
        m = (self.their_ext or {}).get(b"m", {})
        v = m.get(name.encode()) if isinstance(m, dict) else None
        return v if isinstance(v, int) and v > 0 else None

    def wait_ext_handshake(self, timeout):
        """Read messages until corrent's extended handshake arrived (its dict) or timeout (None)."""
        end = time.monotonic() + timeout
        while self.their_ext is None:
            left = end - time.monotonic()
            if left <= 0:
                return None
            try:
                self.recv_msg(left)
            except Deadline:
                return None
        return self.their_ext

    def first_of(self, ids):
        """The first message id among ids that corrent sent (None if none yet)."""
        for _, mid in self.order:
            if mid in ids:
                return mid
        return None

    def serve_metadata(self, metadata, timeout, lie=None, until=None, sent=None):
        """Answer corrent's ut_metadata requests for this info dict (bytes) until it
        hangs up ("remote"), timeout ("deadline") or until(conn) is true ("until").
        lie(piece, data) -> data to send instead (the size field stays len(metadata));
        sent(piece) is called once a piece is on the wire; other messages are read and
        counted. Requests are in conn.metadata_requests."""
        end = time.monotonic() + timeout
        try:
            while True:
                if until is not None and until(self):
                    return "until"
                left = end - time.monotonic()
                if left <= 0:
                    return "deadline"
                try:
                    mid, payload = self.recv_msg(min(left, 0.5))
                except Deadline:
                    continue
                if mid != EXTENDED or not payload or payload[0] != OUR_UT_METADATA:
                    continue
                _, d, _ = self.ext_received[-1]
                if not isinstance(d, dict) or d.get(b"msg_type") != 0 or not isinstance(d.get(b"piece"), int):
                    continue
                piece = d[b"piece"]
                theirs = self.their_ext_id("ut_metadata")
                if theirs is None:
                    continue
                data = metadata[piece * METADATA_BLOCK:(piece + 1) * METADATA_BLOCK]
                if not data:
                    self.send_ext(theirs, {"msg_type": 2, "piece": piece})
                    continue
                if lie is not None:
                    data = lie(piece, data)
                self.send_ext(theirs, {"msg_type": 1, "piece": piece, "total_size": len(metadata)}, data)
                if sent is not None:
                    sent(piece)
        except RemoteClosed:
            return "remote"

    def send_bitfield(self, payload=None):
        self.send_msg(BITFIELD, full_bitfield(self.peer.num_pieces) if payload is None else payload)

    # -- messages
    def recv_msg(self, timeout):
        """(id, payload) of the next message, (None, b'') for a keep-alive. Counts it."""
        (length,) = struct.unpack(">I", self.recv_exact(4, timeout))
        if length == 0:
            self.received[-1] = self.received.get(-1, 0) + 1
            return None, b""
        if length > (1 << 20) + 64:
            raise sl.HarnessError(f"corrent sent a message of length {length}")
        body = self.recv_exact(length, timeout)
        mid = body[0]
        self.received[mid] = self.received.get(mid, 0) + 1
        now = time.monotonic() - self.peer.t0
        self.order.append((now, mid))
        if mid == EXTENDED and len(body) >= 2:
            try:
                d, end = bdecode_prefix(body, 2)
            except (ValueError, IndexError):
                d, end = None, len(body)
            if body[1] == 0:
                if isinstance(d, dict):
                    self.their_ext = d
                    self.note("got extended handshake")
            else:
                self.ext_received.append((body[1], d, body[end:]))
                if body[1] == OUR_UT_METADATA and isinstance(d, dict) and d.get(b"msg_type") == 0:
                    self.metadata_requests.append((now, d.get(b"piece")))
        if mid == UNCHOKE:
            self.unchoked_us = True
        elif mid == CHOKE:
            self.unchoked_us = False
        elif mid == REQUEST and len(body) == 13:
            self.requests.append(struct.unpack(">III", body[1:]))
            self.requests_log.append((now,) + struct.unpack(">III", body[1:]) + (self.choking,))
        return mid, body[1:]

    def wait_closed(self, timeout):
        """Read (and count) whatever comes until corrent closes the connection (True) or
        timeout seconds pass (False)."""
        end = time.monotonic() + timeout
        try:
            while True:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self.recv_msg(left)
        except RemoteClosed:
            return True
        except Deadline:
            return False

    def idle(self, timeout):
        """Send nothing, read raw bytes (not parsed) until corrent closes the connection
        (True) or timeout seconds pass (False)."""
        end = time.monotonic() + timeout
        try:
            while time.monotonic() < end:
                self.recv_exact(1, end - time.monotonic())
        except RemoteClosed:
            return True
        except Deadline:
            return False
        return False

    def wait_for(self, mid, timeout):
        """Read messages until one with this id arrives (its payload) or timeout (None)."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            try:
                got, payload = self.recv_msg(left)
            except Deadline:
                return None
            if got == mid:
                return payload

    # -- data
    def block(self, index, begin, length):
        return self.peer.read(index * self.peer.piece_length + begin, length)

    def send_block(self, index, begin, data):
        self.send_msg(PIECE, struct.pack(">II", index, begin) + data)

    def serve(self, timeout, on_request=None, on_interested=None, unchoke=True):
        """A seeder loop: unchoke on 'interested', answer each valid 'request' with the
        block (or call on_request(conn, index, begin, length), which sends what it likes
        and returns False to stop serving). Returns "remote" when corrent hangs up,
        "deadline" after timeout seconds, "stopped" when on_request said so."""
        end = time.monotonic() + timeout
        choked = True
        try:
            while True:
                left = end - time.monotonic()
                if left <= 0:
                    return "deadline"
                try:
                    mid, payload = self.recv_msg(min(left, 1.0))
                except Deadline:
                    continue
                if mid == INTERESTED and choked and unchoke:
                    choked = False
                    if on_interested:
                        on_interested(self)
                    self.send_msg(UNCHOKE)
                    self.choking = False
                elif mid == REQUEST and len(payload) == 12:
                    index, begin, length = struct.unpack(">III", payload)
                    if choked or index >= self.peer.num_pieces or length == 0 or length > 128 * 1024 \
                            or begin + length > self.peer.piece_size(index):
                        continue
                    if on_request is not None:
                        if on_request(self, index, begin, length) is False:
                            return "stopped"
                    else:
                        self.send_good_block(index, begin, length)
        except RemoteClosed:
            return "remote"

    def send_good_block(self, index, begin, length):
        self.send_block(index, begin, self.block(index, begin, length))
        self.blocks_sent += 1
        self.bytes_sent += length

    def close(self):
        self._closed("self")
        try:
            self.sock.close()
        except OSError:
            pass

    def summary(self):
        life = (self.t_closed or time.monotonic()) - self.t_accept
        after = (self.t_closed - self.t_offence) if (self.t_closed and self.t_offence) else None
        return dict(idx=self.idx, closed_by=self.closed_by, lifetime_s=round(life, 2),
                    closed_after_offence_s=None if after is None else round(after, 3),
                    requests=len(self.requests), blocks_sent=self.blocks_sent,
                    unchoked_us=self.unchoked_us, received={str(k): v for k, v in sorted(self.received.items())})


HOSTILE_HOST = "127.0.0.2"


class HostilePeer:
    """Listener on 127.0.0.2 (an address of its own: corrent bans by IP, and the honest
    seeder is on 127.0.0.1) that runs script(conn) for every accepted connection.
    The script may raise RemoteClosed/Deadline/Stopped: they only end that connection."""

    def __init__(self, torrent, content, script, host=None):
        self.torrent = torrent
        self.content = content
        self.script = script
        self.info_hash = bytes.fromhex(torrent.info_hash)
        self.num_pieces = torrent.num_pieces
        self.piece_length = torrent.piece_length
        self.peer_id = b"-HO0001-" + os.urandom(6).hex().encode()
        self.t0 = time.monotonic()
        self.lock = threading.Lock()
        self.conns = []
        self.errors = []
        self.encrypted_attempts = 0  # MSE handshakes hung up on (this peer speaks plaintext)
        self.stopping = threading.Event()
        self._threads = []
        self._fds = {}
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.host = host or HOSTILE_HOST  # another 127.x address where a test needs several
        self.listener.bind((self.host, 0))
        self.port = self.listener.getsockname()[1]
        self.listener.listen(16)
        self.listener.settimeout(0.2)
        t = threading.Thread(target=self._accept_loop, name="hostile-accept", daemon=True)
        t.start()
        self._threads.append(t)

    @property
    def address(self):
        return f"{self.host}:{self.port}"

    def piece_size(self, i):
        return self.torrent.piece_size(i)

    def read(self, offset, length):
        out = bytearray()
        for path, size, foff in self.torrent.files:
            if length <= 0:
                break
            if size == 0 or offset >= foff + size or offset + length <= foff:
                continue
            start = offset - foff
            n = min(size - start, length)
            with self.lock:
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

    def _accept_loop(self):
        while not self.stopping.is_set():
            try:
                s, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            if not self._plain_handshake_ahead(s):
                # corrent (--encryption prefer) opens with the MSE handshake; this peer
                # speaks plaintext only and hangs up, as such clients do, so corrent dials
                # again in plaintext. Not counted as a connection.
                with self.lock:
                    self.encrypted_attempts += 1
                try:
                    s.close()
                except OSError:
                    pass
                continue
            with self.lock:
                c = HostileConn(self, s, len(self.conns))
                self.conns.append(c)
            c.note("accepted")
            t = threading.Thread(target=self._run, args=(c,), name=f"hostile-conn{c.idx}", daemon=True)
            t.start()
            self._threads.append(t)

    @staticmethod
    def _plain_handshake_ahead(s, timeout=5.0):
        """Whether the connection starts with a plain BitTorrent handshake (peeked, not
        read); False as soon as a byte differs (an MSE key), True also when nothing comes."""
        want = bytes([len(PSTR)]) + PSTR
        end = time.monotonic() + timeout
        s.settimeout(0.05)
        try:
            while time.monotonic() < end:
                try:
                    got = s.recv(len(want), socket.MSG_PEEK)
                except socket.timeout:
                    continue
                except OSError:
                    return True  # let the script see the error
                if not got or not want.startswith(got):
                    return not got  # EOF: the script sees it
                if len(got) == len(want):
                    return True
                time.sleep(0.002)
            return True
        finally:
            s.settimeout(None)

    def _run(self, c):
        try:
            self.script(c)
        except RemoteClosed:
            pass
        except Deadline as e:
            c.note(f"deadline: {e}")
            c._closed("deadline")
        except Stopped:
            c._closed("stopped")
        except Exception as e:  # a harness bug: keep it for the report
            c.note(f"error: {e!r}")
            c._closed(f"error: {e!r}")
            with self.lock:
                self.errors.append(repr(e))
        finally:
            c.close()  # no-op for closed_by if already set

    def dial_from_own_port(self, port, timeout=5.0):
        """Close the listener, then connect to 127.0.0.1:port *from* this peer's address
        (HOSTILE_HOST:self.port, the one corrent knows it by) and send a correct handshake.
        Returns "refused" (connect refused), "closed" (hung up without answering),
        "answered" (a handshake came back) or "timeout"."""
        try:
            self.listener.close()
        except OSError:
            pass
        self._threads[0].join(timeout=2)  # the accept loop lets go of the listening fd
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.settimeout(timeout)
        try:
            s.bind((self.host, self.port))
            try:
                s.connect((sl.LOOPBACK, port))
            except ConnectionRefusedError:
                return "refused"
            try:
                s.sendall(bytes([19]) + PSTR + bytes(8) + self.info_hash + self.peer_id)
                got = s.recv(68)
            except (ConnectionResetError, BrokenPipeError):
                return "closed"
            except socket.timeout:
                return "timeout"
            return "answered" if got else "closed"
        finally:
            s.close()

    def first(self):
        with self.lock:
            return self.conns[0] if self.conns else None

    def stop(self):
        if self.stopping.is_set():
            return
        self.stopping.set()
        try:
            self.listener.close()
        except OSError:
            pass
        with self.lock:
            conns = list(self.conns)
        for c in conns:  # wakes a thread blocked in sendall
            try:
                c.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for t in self._threads:
            t.join(timeout=5)
        with self.lock:
            for c in self.conns:
                try:
                    c.sock.close()
                except OSError:
                    pass
            for fd in self._fds.values():
                try:
                    os.close(fd)
                except OSError:
                    pass
            self._fds.clear()

    def summary(self):
        with self.lock:
            return dict(connections=len(self.conns), encrypted_attempts=self.encrypted_attempts,
                        conns=[c.summary() for c in self.conns],
                        errors=list(self.errors))


# ====================================================================== corrent runner
_CLOSED_RE = re.compile(r"peer (\S+) closed: (.*)$")


class CorrentRun:
    """corrent download T -o DIR --peer ... --listen 127.0.0.1:P --stats S -v, in its own
    session (swarm.start_proc, so Swarm.close() stops it). wait() records the exit time
    from a waiter thread (t_exit, monotonic). torrent: a swarmlib.Torrent, or a string
    (a magnet link or a path) passed as it is. dht=False (every test but test_dht.py)
    adds --no-dht. wrapper: argv run in front of corrent's (e.g. strace ... -o FILE);
    self.argv stays corrent's own."""

    def __init__(self, swarm, torrent, peers, label, extra=(), dht=False, wrapper=()):
        self.work = os.path.join(swarm.tmp, f"run-{label}")
        self.out_dir = os.path.join(self.work, "out")
        os.makedirs(self.out_dir, exist_ok=True)  # test_dht.py may put a saved DHT table there first
        self.stats_path = os.path.join(self.work, "stats.json")
        self.port = sl.free_port()
        src = torrent if isinstance(torrent, str) else torrent.path
        self.argv = [sl.corrent_bin(), "download", src, "-o", self.out_dir,
                     "--listen", f"{sl.LOOPBACK}:{self.port}", "--stats", self.stats_path, "-v"]
        if not dht:
            self.argv.append(sl.NO_DHT)
        for p in peers:
            self.argv += ["--peer", p]
        self.argv += list(extra)
        self.t_start = time.monotonic()
        self.proc = swarm.start_proc(f"corrent-{label}", list(wrapper) + self.argv, cwd=self.work)
        self.t_exit = None
        self._waiter = threading.Thread(target=self._wait, daemon=True)
        self._waiter.start()

    def _wait(self):
        try:
            self.proc.p.wait(timeout=3600)
        except subprocess.TimeoutExpired:
            return
        self.t_exit = time.monotonic()

    def wait(self, timeout):
        """Exit code, or None after timeout (then it is stopped)."""
        self._waiter.join(timeout)
        if self.t_exit is None:
            self.proc.stop(grace=3)
            self._waiter.join(5)
            return None
        return self.proc.rc

    @property
    def elapsed(self):
        return (self.t_exit or time.monotonic()) - self.t_start

    def stats(self):
        try:
            with open(self.stats_path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def log_text(self):
        try:
            with open(self.proc.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def close_reasons(self, address):
        """Reasons of the 'peer ADDRESS closed: ...' lines of the -v log, in order."""
        out = []
        for line in self.log_text().splitlines():
            m = _CLOSED_RE.search(line)
            if m and m.group(1) == address:
                out.append(m.group(2).strip())
        return out

    def log_lines(self, needle, n=8):
        return [ln for ln in self.log_text().splitlines() if needle in ln][:n]


def garbage(length, seed):
    return random.Random(seed).randbytes(length)
