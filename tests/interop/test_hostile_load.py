#!/usr/bin/python3
"""Peers that cost corrent memory without breaking a rule (issue [9], items 9 and 10),
against `corrent seed` on loopback:

  * a leecher that asks for blocks and never reads them (a tiny receive buffer, then
    nothing read; keep-alives every 10 s so that it looks alive): dropped within 60-90 s
    with "not reading what we send", and the seed's memory stays bounded;
  * 20,000 connections that handshake and hang up, from 100 addresses: the seed's
    resident memory does not grow with them (each connection left a record before).

The churn (a seed of its own, ~6 s of CPU) runs in the background from the start of the
file (setUpClass): the first case spends its minute waiting for corrent's timer. The churn
case then checks what the background run measured.
"""
import os
import socket
import struct
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seedlib  # noqa: E402
import swarmlib as sl  # noqa: E402

SANITIZED = os.environ.get("CORRENT_SANITIZED", "0") not in ("", "0")
MiB = 1 << 20
PSTR = b"BitTorrent protocol"


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def handshake(info_hash, tag):
    return bytes([19]) + PSTR + bytes(8) + info_hash + tag + os.urandom(6).hex().encode()


def start_seed(sw, size):
    content = sw.make_single("payload.bin", size, seed=41)
    torrent = sw.make_torrent(content, 256 * 1024)
    seed = seedlib.CorrentSeed(sw, torrent, content)
    sw.wait_ready([seed], None, torrent, timeout=60)  # listening and seeding
    return torrent, seed


class Churn:
    """test_connection_churn_keeps_memory_flat's scenario, in a thread: a 1 MiB seed, 4,000
    handshake-and-hang-up connections to warm up, RSS, 16,000 more, RSS one second later."""

    def __init__(self):
        self.sw = sl.Swarm("load-churn")
        self.result = None  # dict once done
        self.error = None   # the exception if the scenario itself failed
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="churn", daemon=True)
        self.thread.start()

    def _run(self):
        try:
            torrent, seed = start_seed(self.sw, 1 * MiB)
            ih = bytes.fromhex(torrent.info_hash)
            addrs = [f"127.0.3.{i}" for i in range(1, 101)]

            def cycles(n):
                done = 0
                for i in range(n):
                    if self.stop.is_set():
                        break
                    s = socket.socket()
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST: no TIME_WAIT
                    try:
                        s.bind((addrs[i % len(addrs)], 0))
                        s.settimeout(5)
                        s.connect((sl.LOOPBACK, seed.port))
                        s.sendall(handshake(ih, b"-CH0001-"))
                        if len(s.recv(68)) > 0:
                            done += 1
                    except OSError:
                        pass
                    finally:
                        s.close()
                return done

            warm = cycles(4000)
            before = rss_kb(seed.proc.pid)
            t0 = time.monotonic()
            more = cycles(16000)
            el = time.monotonic() - t0
            time.sleep(1)
            after = rss_kb(seed.proc.pid)
            self.result = dict(warm=warm, more=more, el=el, before=before, after=after, alive=seed.alive(),
                               describe=seed.describe())
        except BaseException as e:  # reported by the churn case
            self.error = e

    def wait(self, timeout):
        self.thread.join(timeout)
        return not self.thread.is_alive()

    def close(self):
        self.stop.set()
        self.thread.join(30)
        self.sw.close()


class HostileLoad(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.churn = Churn()

    @classmethod
    def tearDownClass(cls):
        cls.churn.close()

    def setUp(self):
        self.sw = sl.Swarm(f"load-{self._testMethodName}"[:50])

    def tearDown(self):
        self.sw.close()

    def seed(self, size):
        return start_seed(self.sw, size)

    def test_a_leecher_that_never_reads_is_dropped(self):
        torrent, seed = self.seed(32 * MiB)
        ih = bytes.fromhex(torrent.info_hash)
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: a small window
        s.bind(("127.0.0.7", 0))
        s.connect((sl.LOOPBACK, seed.port))
        me = s.getsockname()
        s.sendall(handshake(ih, b"-NR0001-"))
        s.settimeout(10)
        def recv_some():
            data = s.recv(4096)
            if not data:
                self.fail(f"the seed closed the connection\n{seed.describe()}")
            return data
        got = b""
        while len(got) < 68:
            got += recv_some()
        got = got[68:]
        s.sendall(struct.pack(">IB", 1, 2))  # interested; then read until we are unchoked
        unchoked = False
        deadline = time.monotonic() + 30
        while not unchoked and time.monotonic() < deadline:
            while len(got) >= 4 and len(got) >= 4 + struct.unpack(">I", got[:4])[0]:
                n = struct.unpack(">I", got[:4])[0]
                if n > 0 and got[4] == 1:
                    unchoked = True
                got = got[4 + n:]
            if not unchoked:
                got += recv_some()
        self.assertTrue(unchoked, "the seed never unchoked us")
        # requests for the first 64 pieces' blocks; from now on nothing is read
        msgs = b""
        for piece in range(64):
            for begin in range(0, 256 * 1024, 16384):
                msgs += struct.pack(">IBIII", 13, 6, piece, begin, 16384)
        s.sendall(msgs[:2 * 1024])
        rest = msgs[2 * 1024:]
        s.setblocking(False)
        t0 = time.monotonic()
        closed_line = None
        peak = 0
        while time.monotonic() - t0 < 120:
            try:  # the rest of the requests, then a keep-alive every 10 s; never a recv
                if rest:
                    n = s.send(rest)
                    rest = rest[n:]
                elif int(time.monotonic() - t0) % 10 == 0:
                    s.send(struct.pack(">I", 0))
            except BlockingIOError:
                pass
            except OSError:
                pass
            peak = max(peak, rss_kb(seed.proc.pid))
            lines = [ln for ln in seed.log_text().splitlines()
                     if f"{me[0]}:{me[1]}" in ln and "closed" in ln]
            if lines:
                closed_line = lines[-1]
                break
            time.sleep(1)
        el = time.monotonic() - t0
        s.close()
        self.assertIsNotNone(closed_line, f"still connected after {el:.0f}s\n{seed.describe()}")
        self.assertIn("not reading what we send", closed_line)
        self.assertGreater(el, 55, f"dropped too soon: {closed_line}")
        self.assertLess(el, 95, f"dropped after {el:.0f}s: {closed_line}")
        if not SANITIZED:
            self.assertLess(peak, 64 * 1024, f"seed peak RSS {peak} KiB while the peer did not read")

    def test_connection_churn_keeps_memory_flat(self):
        churn = self.churn  # started in setUpClass, in the background
        self.assertTrue(churn.wait(300), "the churn did not finish within 300 s")
        if churn.error is not None:
            raise churn.error
        r = churn.result
        warm, more, el, before, after = r["warm"], r["more"], r["el"], r["before"], r["after"]
        print(f"\n  churn: {warm} + {more} handshakes in {el:.1f}s; RSS {before} -> {after} KiB", file=sys.stderr)
        self.assertGreater(warm + more, 19000, "most handshakes were not answered")
        self.assertTrue(r["alive"], r["describe"])
        if not SANITIZED:
            self.assertLess(after - before, 4096, f"RSS grew {after - before} KiB over 16,000 connections")


if __name__ == "__main__":
    unittest.main(verbosity=2)
