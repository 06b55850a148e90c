"""Helpers of the magnet / extension-protocol interop tests (run by /usr/bin/python3):
test_magnet.py (BEP 9 + BEP 10 + magnet links), test_pex.py (BEP 11) and
test_fast_extension.py (BEP 6).

  * magnet_uri(): a magnet link (hex or base32 xt, dn, tr, x.pe); info_section(): the
    raw info dict of a .torrent (what ut_metadata serves);
  * the client under test ("subject"): corrent, or with LEECHER=lt python3-libtorrent
    in its place (ltpeer.py --plugins), which proves the harness of every scenario:
    start_download() (a magnet or .torrent download, corrent `download ... -v --stats`
    or ltpeer --role leech) and start_seed() (`corrent seed -v --stats` or ltpeer
    --role seed --plugins);
  * LtPeer: ltpeer.py with libtorrent's default plugins (ut_metadata, ut_pex), any
    127.x address, x.pe/tr= honoured, --redial for transmission;
  * Aria2: aria2c as a seeder, a .torrent leecher or a magnet leecher, any 127.x
    address, PEX on or off, JSON-RPC counters;
  * Transmission: transmission-daemon 3.00 (DHT/PEX/LPD off, never its DHT) with a
    .torrent or a magnet added over RPC;
  * WireRelay: a TCP relay that records both directions of the BitTorrent stream
    (handshake reserved bits, every message id in order, extended handshakes), to see
    what corrent and a real client say to each other;
  * DhtSwarm: ../shared/swarm/dht_swarm.py serve (--nodes 0: no DHT at all, e.g. the PEX
    swarm: a hub with the metadata but no data, seeders reachable only through the hub's
    ut_pex; or, in test_dht.py, N libtorrent DHT nodes on 127.x).

Everything binds to 127.0.0.0/8; DHT (corrent: --no-dht, unless a test_dht.py case turns
it on with 127.x bootstrap nodes), LSD, UPnP and NAT-PMP are off in every client;
every process is started through a swarmlib.Swarm (stopped by process group, temp dir
removed).
"""
import base64
import hashlib
import json
import os
import select
import socket
import struct
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostilelib as hl  # noqa: E402
import seedlib  # noqa: E402
import swarmlib as sl  # noqa: E402

log = sl.log
KiB = sl.KiB
MiB = sl.MiB


# ====================================================================== magnets
def b32(info_hash):
    """The base32 form of a hex v1 info-hash (32 characters, as in old magnet links)."""
    return base64.b32encode(bytes.fromhex(info_hash)).decode()


def magnet_uri(info_hash, name=None, trackers=(), peers=(), base32=False):
    """magnet:?xt=urn:btih:<hex|base32>[&dn=..][&tr=..]*[&x.pe=H:P]*"""
    parts = [f"xt=urn:btih:{b32(info_hash) if base32 else info_hash}"]
    if name is not None:
        parts.append("dn=" + urllib.parse.quote(name, safe=""))
    for t in trackers:
        parts.append("tr=" + urllib.parse.quote(t, safe=""))
    for p in peers:
        parts.append("x.pe=" + p)
    return "magnet:?" + "&".join(parts)


def info_section(torrent):
    """The raw bencoded info dict of a .torrent (its SHA-1 is the info-hash)."""
    import libtorrent as lt
    raw = bytes(lt.torrent_info(torrent.path).info_section())
    if hashlib.sha1(raw).hexdigest() != torrent.info_hash:
        raise sl.HarnessError("info_section does not hash to the info-hash")
    return raw


def strip_torrent(torrent, out, keep=(b"info", b"announce", b"announce-list")):
    """A copy of a .torrent with only these top-level keys (what a magnet + metadata
    can rebuild: no 'created by', 'comment', ...)."""
    e = sl.bdecode(open(torrent.path, "rb").read())
    e = {k: v for k, v in e.items() if k in keep}
    with open(out, "wb") as f:
        f.write(sl.bencode(e))
    t = sl.Torrent(out)
    assert t.info_hash == torrent.info_hash
    return t


def stats_by_host(stats, host):
    """(downloaded, uploaded, entries) summed over the --stats peer entries of one IP
    (incoming connections are listed with their ephemeral port)."""
    d = u = 0
    entries = []
    for p in (stats or {}).get("peers", []):
        if str(p.get("address", "")).rsplit(":", 1)[0] == host:
            d += int(p.get("downloaded", 0))
            u += int(p.get("uploaded", 0))
            entries.append(p)
    return d, u, entries


# ====================================================================== the client under test
def subject_kind():
    """corrent (default), or lt with LEECHER=lt (libtorrent in corrent's place: checks
    the harness). LEECHER=aria2 makes no sense here: the caller skips."""
    return sl.leecher_kind()


class LtPeer(sl.Seeder):
    """ltpeer.py with libtorrent's default plugins (ut_metadata, ut_pex, smart_ban) on
    host:port. role seed (torrent + content) or leech (torrent or magnet)."""
    kind = "lt"

    def __init__(self, swarm, name, role, torrent=None, content=None, magnet=None, host=sl.LOOPBACK,
                 connect=(), redial=(), upload_limit=0, no_pex=False, upload_mode=False, plugins=True,
                 timeout=300, out_dir=None, settings=None):
        self.swarm = swarm
        self.name = name
        self.role = role
        self.host = host
        self.port = sl.free_port()
        work = os.path.join(swarm.tmp, name)
        os.makedirs(work, exist_ok=True)
        self.stats_path = os.path.join(work, "stats.json")
        if role == "seed":
            self.out_dir = content.parent
        else:
            self.out_dir = out_dir or os.path.join(work, "out")
            os.makedirs(self.out_dir, exist_ok=True)
        argv = [sl.PY, sl.LTPEER, "--role", role, "--dir", self.out_dir, "--port", self.port,
                "--stats", self.stats_path, "--ip", host, "--timeout", int(timeout)]
        argv += ["--magnet", magnet] if magnet else ["--torrent", torrent.path]
        if plugins:
            argv += ["--plugins"]
        for c in connect:
            argv += ["--connect", c]
        for c in redial:
            argv += ["--redial", c]
        if upload_limit:
            argv += ["--upload-limit", int(upload_limit)]
        if no_pex:
            argv += ["--no-pex"]
        if upload_mode:
            argv += ["--upload-mode"]
        for k, v in (settings or {}).items():
            argv += ["--set", f"{k}={v}"]
        self.argv = [str(a) for a in argv]
        self.proc = swarm.start_proc(name, argv, stdin=True)
        self.t0 = time.monotonic()
        self.t_exit = None
        log(f"{name}: {' '.join(self.argv)}")

    @property
    def address(self):
        return f"{self.host}:{self.port}"

    def stats(self):
        return seedlib.read_json(self.stats_path)

    def is_ready(self):
        s = self.stats()
        return bool(s and s.get("is_seeding")) if self.role == "seed" else self.proc.alive()

    def alive(self):
        a = self.proc.alive()
        if not a and self.t_exit is None:
            self.t_exit = time.monotonic()
        return a

    def done(self):
        return not self.alive()

    def uploaded(self):
        s = self.stats()
        return s.get("uploaded") if s else None

    def connect(self, address):
        host, port = address.rsplit(":", 1)
        self.proc.send(f"connect {host} {port}")

    def set_upload_limit(self, limit):
        """New upload cap (B/s, 0 = none), applied within ~50 ms."""
        self.proc.send(f"upload-limit {int(limit)}")

    def connected_peers(self):
        """Addresses of the peers it is connected to now (from its stats, 0.25 s old at most)."""
        return [p["address"] for p in (self.stats() or {}).get("peers", []) if p.get("connected")]

    def check_alive(self):
        if not self.proc.alive():
            raise sl.HarnessError(f"{self.name} exited rc={self.proc.rc}: {self.proc.log_tail()}")

    def stop(self):
        self.proc.stop(grace=5)

    def __repr__(self):
        return f"lt-{self.role}@{self.address}"


def wait_run(run, timeout, during=None, step=0.2):
    """run.wait(timeout) (a CorrentRun or LtRun), calling during() every step seconds
    while it runs."""
    end = time.monotonic() + timeout
    while during is not None and run.proc.alive() and time.monotonic() < end:
        during()
        time.sleep(step)
    return run.wait(max(0.5, end - time.monotonic()))


class LtRun:
    """LEECHER=lt: ltpeer.py --role leech --plugins in corrent's place, with the
    interface of hostilelib.CorrentRun (wait, stats, out_dir, port, t_exit, elapsed...)."""

    def __init__(self, swarm, source, peers, label, extra=(), host=sl.LOOPBACK):
        magnet = source if isinstance(source, str) and source.startswith("magnet:") else None
        torrent = None if magnet else (source if not isinstance(source, str) else _PathTorrent(source))
        self.peer = LtPeer(swarm, f"lt-run-{label}", "leech", torrent=torrent, magnet=magnet, host=host,
                           connect=peers, timeout=600)
        self.argv = self.peer.argv
        self.proc = self.peer.proc
        self.port = self.peer.port
        self.out_dir = self.peer.out_dir
        self.stats_path = self.peer.stats_path
        self.t_start = self.peer.t0
        self.t_exit = None

    @property
    def address(self):
        return self.peer.address

    def wait(self, timeout):
        end = time.monotonic() + timeout
        while self.proc.alive():
            if time.monotonic() > end:
                self.proc.stop(grace=3)
                return None
            time.sleep(0.05)
        self.t_exit = self.t_exit or time.monotonic()
        return self.proc.rc

    def alive(self):
        a = self.proc.alive()
        if not a and self.t_exit is None:
            self.t_exit = time.monotonic()
        return a

    @property
    def elapsed(self):
        return (self.t_exit or time.monotonic()) - self.t_start

    def stats(self):
        return self.peer.stats()

    def log_text(self):
        try:
            with open(self.proc.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def close_reasons(self, address):
        return []

    def log_lines(self, needle, n=8):
        return [ln for ln in self.log_text().splitlines() if needle in ln][:n]


class _PathTorrent:
    def __init__(self, path):
        self.path = path


def start_download(swarm, source, label, peers=(), extra=(), kind=None, dht=False):
    """The subject downloads source (a magnet link, a .torrent path or a swarmlib.Torrent):
    corrent `download SOURCE -o OUT --listen 127.0.0.1:P --stats S -v --no-dht [--peer ..]`
    (dht=True: without --no-dht; test_dht.py), or ltpeer.py with LEECHER=lt. Returns a
    hostilelib.CorrentRun or an LtRun."""
    kind = kind or subject_kind()
    if kind == "corrent":
        run = hl.CorrentRun(swarm, source, list(peers), label, extra, dht=dht)
        run.address = f"{sl.LOOPBACK}:{run.port}"
        log(f"corrent-{label}: {' '.join(run.argv)}")
        return run
    return LtRun(swarm, source, list(peers), label, extra)


def start_seed(swarm, torrent, content, label, peers=(), extra=(), kind=None, upload_limit=0, dht=False):
    """The subject seeds torrent: `corrent seed T -d DIR --listen 127.0.0.1:P --stats S -v
    --no-dht [--peer ..]` (seedlib.CorrentSeed; dht=True: without --no-dht), or with
    LEECHER=lt ltpeer.py --role seed --plugins (dials peers, again every 2 s while not
    connected). upload_limit: B/s (corrent --max-upload-rate)."""
    kind = kind or subject_kind()
    if kind == "corrent":
        ex = list(extra)
        if upload_limit:
            ex += ["--max-upload-rate", str(int(upload_limit))]
        return seedlib.CorrentSeed(swarm, torrent, content, name=f"corrent-{label}", peers=peers, extra=ex,
                                   dht=dht)
    # --redial: like corrent, which dials its --peer peers again when they hang up
    return LtPeer(swarm, f"lt-{label}", "seed", torrent=torrent, content=content, redial=peers,
                  upload_limit=upload_limit)


def listening(address):
    """True if something listens on this TCP address (from /proc/net/tcp: no connection
    is made, so no client sees a stray peer)."""
    host, port = address.rsplit(":", 1)
    want = {"%08X:%04X" % (struct.unpack("<I", socket.inet_aton(h))[0], int(port)) for h in (host, "0.0.0.0")}
    try:
        with open("/proc/net/tcp") as f:
            next(f)
            return any(ln.split()[1] in want and ln.split()[3] == "0A" for ln in f)
    except (OSError, StopIteration, IndexError):
        return False


def wait_listening(peer, timeout=20):
    """Until peer (anything with .address) listens; a HarnessError after timeout. A
    client dialled before it listens is only dialled again after the dialler's back-off."""
    if not seedlib.wait_until(lambda: listening(peer.address), timeout, step=0.05, what=f"{peer!r} listening"):
        raise sl.HarnessError(f"{peer!r} not listening after {timeout}s")


def wait_seed(seed, timeout=60):
    ok = seedlib.wait_until(seed.is_ready, timeout, what=f"{seed!r} ready",
                            check=seed.check_alive)
    if not ok:
        raise sl.HarnessError(f"{seed!r} not ready after {timeout}s")


# ====================================================================== lying metadata peers
LIAR_VARIANTS = {
    "honest": "the real info dict (the control)",
    "size": "metadata_size 5000 bytes too large: the info dict and 5000 bytes of garbage",
    "corrupt": "the right size, one byte of the last metadata piece flipped",
    "wrong_info": "a well-formed info dict of the same size with another name (hashes wrong)",
}


def fake_info(metadata):
    """A valid bencoded info dict of the same length as metadata, with another name."""
    d = sl.bdecode(metadata)
    if sl.bencode(d) != metadata:
        raise sl.HarnessError("info dict is not canonical bencode")
    name = d[b"name"]
    d[b"name"] = name[:-1] + (b"X" if name[-1:] != b"X" else b"Y")
    out = sl.bencode(d)
    assert len(out) == len(metadata) and out != metadata
    return out


def liar_payload(variant, metadata):
    """What a liar serves as the metadata (its metadata_size is the length of this)."""
    if variant == "honest":
        return metadata
    if variant == "size":
        return metadata + hl.garbage(5000, 99)
    if variant == "corrupt":
        b = bytearray(metadata)
        b[len(b) - 10] ^= 0x5A  # inside 'pieces', the last key: still parses
        return bytes(b)
    if variant == "wrong_info":
        return fake_info(metadata)
    raise ValueError(variant)


def liar_script(variant, metadata, offence_event, timeout=60):
    """hostilelib script: BEP 10 handshake (extension bit, no fast bit, no bitfield: it
    has no data), offers ut_metadata with the lie's size and answers every request
    with the lie; offence_event is set once every piece of the lie was sent."""
    payload = liar_payload(variant, metadata)
    npieces = -(-len(payload) // hl.METADATA_BLOCK)

    def script(c):
        c.handshake_ok(reserved=hl.reserved_bits(ext=True))
        c.send_ext_handshake({"ut_metadata": hl.OUR_UT_METADATA}, metadata_size=len(payload))
        done = set()

        def sent(piece):
            done.add(piece)
            if len(done) == npieces and c.t_offence is None:
                c.offence(f"{variant}: all {npieces} piece(s) of the lie sent")
                offence_event.set()
        how = c.serve_metadata(payload, timeout, sent=sent)
        c.note(f"serve_metadata ended: {how}")
    return script


# ====================================================================== aria2
ARIA2_BASE = ["--no-conf=true", "--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false",
              "--disable-ipv6=true", "--bt-max-peers=0", "--summary-interval=0",
              "--console-log-level=warn", "--log-level=notice", "--bt-save-metadata=false",
              "--auto-save-interval=0", "--file-allocation=none", "--check-certificate=false"]


class Aria2(sl.Seeder):
    """aria2c on host (--interface) with JSON-RPC counters.
    role seed: --check-integrity, seeds forever; role leech: a .torrent or a magnet link
    (aria2 ignores x.pe and has no way to be handed a peer: it learns peers from tr=
    trackers, PEX, or they dial it), exits once done (--seed-time=0).
    pex: --enable-peer-exchange (aria2 leaves peers on the recipient's own IP out of
    its ut_pex: give every peer its own 127.x address). rpc: JSON-RPC on (default for
    a seed; with RPC on aria2 never exits, so a leecher that should exit has it off).
    seed_time: minutes a leecher seeds once done (0: it exits at once).

    Found by trying (aria2 1.36.0, libtorrent in corrent's place first):
      * metadata source: plain seeding of the .torrent (--check-integrity=true
        --seed-ratio=0.0) is enough: its extended handshake offers ut_metadata with
        metadata_size and it answers a request at once (after have_all + 10 allowed_fast);
      * magnet leecher without DHT: ARIA2_BASE + --interface=127.x --listen-port=P
        --dht-listen-port=Q --enable-peer-exchange=false --seed-time=0
        --bt-stop-timeout=0, no --enable-rpc (with it aria2 never exits), and the
        magnet's tr= must be an HTTP tracker (aria2 ignores x.pe and has no UDP tracker
        client while DHT is off); it logs "[METADATA]<name>" once it has the metadata;
      * PEX hub: --enable-peer-exchange=true; it sends ut_pex right after the extended
        handshake, with its peers' listen ports (from their 'p'), leaving out those on
        the recipient's IP. --max-overall-download-limit stalls aria2's handling of
        *every* message (it reads nothing while over the limit): a hub with it answers
        no ut_metadata request and sends no ut_pex, so keep a hub nearly empty by
        capping the seeders that feed it instead."""
    kind = "aria2"

    def __init__(self, swarm, name, role, torrent=None, content=None, magnet=None, host=sl.LOOPBACK,
                 pex=False, upload_limit=0, download_limit=0, extra=(), rpc=None, seed_time=0):
        self.name = name
        self.role = role
        self.host = host
        self.port = sl.free_port()
        self.rpc_port = sl.free_port()
        work = os.path.join(swarm.tmp, name)
        os.makedirs(work, exist_ok=True)
        if role == "seed":
            data = sl.mirror_tree(content, os.path.join(work, "data"))
            self.out_dir = data.parent
        else:
            self.out_dir = os.path.join(work, "out")
            os.makedirs(self.out_dir)
        argv = ["aria2c"] + ARIA2_BASE + [
            f"--interface={host}", f"--listen-port={self.port}", f"--dht-listen-port={sl.free_port()}",
            f"--enable-peer-exchange={'true' if pex else 'false'}", f"--log={work}/aria2.log",
            f"--dir={self.out_dir}", f"--max-overall-upload-limit={int(upload_limit)}",
            f"--max-overall-download-limit={int(download_limit)}"]
        if rpc is None:
            rpc = role == "seed"
        if rpc:
            argv += ["--enable-rpc=true", "--rpc-listen-all=false", f"--rpc-listen-port={self.rpc_port}"]
        if role == "seed":
            argv += ["--check-integrity=true", "--seed-ratio=0.0"]
        else:
            argv += [f"--seed-time={seed_time}", "--bt-stop-timeout=0"]
        argv += list(extra)
        argv.append(magnet if magnet else torrent.path)
        self.argv = argv
        self.log_path = os.path.join(work, "aria2.log")
        self.proc = swarm.start_proc(f"{name}-{self.port}", argv, cwd=work)
        log(f"{name}: {' '.join(str(a) for a in argv)}")

    @property
    def address(self):
        return f"{self.host}:{self.port}"

    _rpc = sl.Aria2Seeder._rpc

    def active(self, keys=("gid", "seeder", "completedLength", "totalLength", "uploadLength",
                           "downloadLength", "numPeers", "infoHash", "followedBy", "belongsTo")):
        return self._rpc("aria2.tellActive", list(keys))

    def is_ready(self):
        if self.role != "seed":
            return self.proc.alive()
        return sl.Aria2Seeder.is_ready(self)

    def uploaded(self):
        act = self.active(("uploadLength",))
        return sum(int(a["uploadLength"]) for a in act) if act else None

    def peers(self):
        """[(ip, port)] of aria2's peers (aria2.getPeers of every active download)."""
        out = []
        for a in self.active(("gid",)) or []:
            for p in self._rpc("aria2.getPeers", a["gid"]) or []:
                out.append((p.get("ip"), int(p.get("port", 0))))
        return out

    def done(self):
        return not self.proc.alive()

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def check_alive(self):
        if not self.proc.alive():
            raise sl.HarnessError(f"{self.name} exited rc={self.proc.rc}: {self.proc.log_tail()}")

    def stop(self):
        self.proc.stop(grace=5)

    def __repr__(self):
        return f"aria2-{self.role}@{self.address}"


# ====================================================================== transmission
class Transmission(sl.Seeder):
    """transmission-daemon 3.00 on 127.0.0.1 (swarmlib.TR_SETTINGS: DHT, PEX, LPD, uTP,
    port forwarding off; its DHT is never enabled: outside a netns it drops 127/8 DHT
    traffic and then resolves dht.transmissionbt.com). add_torrent() / add_magnet()
    over RPC. It never dials 127.x peers it learns of (tracker, x.pe, PEX): they must
    dial it; as a magnet leecher it hangs up once it has the metadata, so the seed must
    dial it again.

    Found by trying (transmission-daemon 3.00, libtorrent in corrent's place first):
      * metadata source: seeding a .torrent added with torrent-add {metainfo}; dialled by
        the client (x.pe), it offers ut_metadata + metadata_size at once but answers the
        request ~2.5 s later; data follows after its 10 s rechoke (~14 s for 2 MiB);
      * magnet leecher: torrent-add {"filename": "magnet:?...", "download-dir": D,
        "paused": false} with swarmlib.TR_SETTINGS (dht/pex/lpd/utp/port forwarding off,
        bind 127.0.0.1) and `-M -O -Y --no-utp -et`; the seed dials its peer port
        (corrent seed --peer 127.0.0.1:P; ltpeer --redial) and dials again when it hangs
        up after the metadata: metadata in ~1-2 s, 2 MiB in ~16 s."""
    kind = "transmission"

    def __init__(self, swarm, name, content=None):
        self.name = name
        self.host = sl.LOOPBACK
        self.port = sl.free_port()
        self.rpc_port = sl.free_port()
        work = os.path.join(swarm.tmp, name)
        cfg = os.path.join(work, "cfg")
        os.makedirs(cfg)
        if content is not None:
            self.data = sl.mirror_tree(content, os.path.join(work, "data"))
            self.out_dir = self.data.parent
        else:
            self.out_dir = os.path.join(work, "out")
            os.makedirs(self.out_dir)
        settings = dict(sl.TR_SETTINGS, **{"peer-port": self.port, "rpc-port": self.rpc_port,
                                            "download-dir": self.out_dir})
        assert settings["dht-enabled"] is False and settings["pex-enabled"] is False
        with open(os.path.join(cfg, "settings.json"), "w") as f:
            json.dump(settings, f, indent=1)
        self.daemon_log = os.path.join(work, "daemon.log")
        argv = ["transmission-daemon", "-f", "-g", cfg, "-p", self.rpc_port, "-r", sl.LOOPBACK,
                "-P", self.port, "-i", sl.LOOPBACK, "-M", "-O", "-Y", "--no-utp", "-et",
                "-w", self.out_dir, "-e", self.daemon_log]
        env = {k: v for k, v in os.environ.items() if k != "TR_CURL_VERBOSE"}
        self.proc = swarm.start_proc(f"{name}-{self.port}", argv, env=env)
        self._sid = ""
        end = time.monotonic() + 20
        while self._rpc("session-get") is None:
            self.check_alive()
            if time.monotonic() > end:
                raise sl.HarnessError("transmission-daemon RPC did not come up")
            time.sleep(0.2)
        log(f"{name}: transmission-daemon peer port {self.port}, rpc {self.rpc_port}")

    _rpc = sl.TransmissionSeeder._rpc

    def add_torrent(self, torrent):
        with open(torrent.path, "rb") as f:
            meta = base64.b64encode(f.read()).decode()
        if self._rpc("torrent-add", {"metainfo": meta, "download-dir": self.out_dir, "paused": False}) is None:
            raise sl.HarnessError("transmission torrent-add (metainfo) failed")

    def add_magnet(self, uri):
        if self._rpc("torrent-add", {"filename": uri, "download-dir": self.out_dir, "paused": False}) is None:
            raise sl.HarnessError("transmission torrent-add (magnet) failed")

    def torrents(self):
        r = self._rpc("torrent-get", {"fields": ["id", "status", "percentDone", "leftUntilDone",
                                                  "metadataPercentComplete",
                                                  "downloadedEver", "uploadedEver", "corruptEver", "error",
                                                  "errorString", "peersConnected", "name", "totalSize"]})
        return r.get("torrents") if r else None

    def has_metadata(self):
        ts = self.torrents()
        return bool(ts) and all(t["metadataPercentComplete"] >= 1.0 for t in ts)

    def done(self):
        ts = self.torrents()
        return bool(ts) and all(t["metadataPercentComplete"] >= 1.0 and t["leftUntilDone"] == 0
                                and t["percentDone"] >= 1.0 for t in ts)

    def is_ready(self):
        ts = self.torrents()
        return bool(ts) and all(t["percentDone"] >= 1.0 and t["status"] == 6 for t in ts)

    def uploaded(self):
        ts = self.torrents()
        return sum(t["uploadedEver"] for t in ts) if ts else None

    def check_alive(self):
        if not self.proc.alive():
            raise sl.HarnessError(f"transmission-daemon exited rc={self.proc.rc}: {self.proc.log_tail()}")

    def stop(self):
        self.proc.stop(grace=5)

    def __repr__(self):
        return f"transmission@{self.address}"


# ====================================================================== wire relay
MSG_NAMES = {0: "choke", 1: "unchoke", 2: "interested", 3: "not_interested", 4: "have", 5: "bitfield",
             6: "request", 7: "piece", 8: "cancel", 9: "port", 13: "suggest", 14: "have_all",
             15: "have_none", 16: "reject", 17: "allowed_fast", 20: "extended"}


class StreamLog:
    """One direction of a relayed connection, parsed: handshake, then messages."""

    def __init__(self, t0):
        self.t0 = t0
        self.buf = bytearray()
        self.handshake = None      # dict(reserved, info_hash, peer_id)
        self.not_bittorrent = None  # the first bytes, if they were no BitTorrent handshake
        self.messages = []         # (t, id, payload[:16] or summary)
        self.ext_handshake = None  # bdecoded dict
        self.bytes = 0

    def feed(self, data):
        self.bytes += len(data)
        if self.not_bittorrent is not None:
            return
        self.buf += data
        if self.handshake is None:
            if len(self.buf) < 68:
                return
            if self.buf[:20] != b"\x13BitTorrent protocol":
                self.not_bittorrent = bytes(self.buf[:20])
                return
            hs = bytes(self.buf[:68])
            del self.buf[:68]
            self.handshake = dict(reserved=hs[20:28], info_hash=hs[28:48].hex(), peer_id=hs[48:68])
        while len(self.buf) >= 4:
            (n,) = struct.unpack(">I", self.buf[:4])
            if len(self.buf) < 4 + n:
                return
            body = bytes(self.buf[4:4 + n])
            del self.buf[:4 + n]
            t = time.monotonic() - self.t0
            if n == 0:
                self.messages.append((t, -1, b""))
                continue
            mid = body[0]
            if mid == 20 and len(body) >= 2 and body[1] == 0:
                try:
                    self.ext_handshake, _ = hl.bdecode_prefix(body, 2)
                except (ValueError, IndexError):
                    self.ext_handshake = {}
            self.messages.append((t, mid, body[1:17] if mid != 7 else body[1:9]))

    def ids(self):
        return [m[1] for m in self.messages if m[1] >= 0]

    def first_of(self, ids):
        for m in self.messages:
            if m[1] in ids:
                return m[1]
        return None

    def count(self, mid):
        return sum(1 for m in self.messages if m[1] == mid)

    def sets(self, what):
        r = (self.handshake or {}).get("reserved", bytes(8))
        return bool({"ext": r[5] & 0x10, "fast": r[7] & 0x04, "dht": r[7] & 0x01}[what])

    def summary(self, n=12):
        return dict(handshake=None if self.handshake is None else
                    dict(reserved=self.handshake["reserved"].hex(), peer_id=repr(self.handshake["peer_id"][:8])),
                    not_bittorrent=self.not_bittorrent, bytes=self.bytes,
                    first=[MSG_NAMES.get(m[1], m[1]) for m in self.messages[:n]],
                    counts={MSG_NAMES.get(k, k): v for k, v in sorted(
                        {mid: self.count(mid) for mid in set(self.ids())}.items())})


class RelayConn:
    def __init__(self, idx, t0):
        self.idx = idx
        self.dialer = StreamLog(t0)  # what the side that dialed the relay sent
        self.target = StreamLog(t0)  # what the relay's target sent
        self.closed_by = None        # "dialer" | "target" | "stopped" | "connect failed"

    def summary(self):
        return dict(idx=self.idx, closed_by=self.closed_by, dialer=self.dialer.summary(),
                    target=self.target.summary())


class WireRelay:
    """Listens on host:port (its own 127.x address) and forwards every connection to
    target (HOST:PORT), dialling from host as well; records both directions
    (RelayConn.dialer / .target: StreamLog). Every loop is bounded by stop()."""

    def __init__(self, swarm, target, host="127.0.0.20"):
        self.target = target
        self.host = host
        self.t0 = time.monotonic()
        self.lock = threading.Lock()
        self.conns = []
        self.stopping = threading.Event()
        self._threads = []
        self._socks = []
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((host, 0))
        self.port = self.listener.getsockname()[1]
        self.listener.listen(16)
        self.listener.settimeout(0.2)
        t = threading.Thread(target=self._accept_loop, name="relay-accept", daemon=True)
        t.start()
        self._threads.append(t)
        swarm.on_close(self.stop)
        log(f"relay {self.address} -> {target}")

    @property
    def address(self):
        return f"{self.host}:{self.port}"

    def _accept_loop(self):
        while not self.stopping.is_set():
            try:
                a, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            with self.lock:
                c = RelayConn(len(self.conns), self.t0)
                self.conns.append(c)
                self._socks.append(a)
            t = threading.Thread(target=self._pump, args=(c, a), name=f"relay{c.idx}", daemon=True)
            t.start()
            self._threads.append(t)

    def _pump(self, c, a):
        host, port = self.target.rsplit(":", 1)
        b = socket.socket()
        try:
            b.bind((self.host, 0))
            b.settimeout(5)
            b.connect((host, int(port)))
        except OSError:
            c.closed_by = "connect failed"
            a.close()
            b.close()
            return
        with self.lock:
            self._socks.append(b)
        a.setblocking(False)
        b.setblocking(False)
        peers = {a: (b, c.dialer, "dialer"), b: (a, c.target, "target")}
        pending = {a: b"", b: b""}  # bytes waiting to be written to that socket
        try:
            while not self.stopping.is_set():
                wl = [s for s, p in pending.items() if p]
                r, w, _ = select.select([a, b], wl, [], 0.2)
                for s in w:
                    n = s.send(pending[s])
                    pending[s] = pending[s][n:]
                for s in r:
                    other, logger, who = peers[s]
                    if len(pending[other]) > (4 << 20):
                        continue  # back-pressure: the other side is not reading
                    try:
                        data = s.recv(65536)
                    except BlockingIOError:
                        continue
                    except OSError:  # reset
                        data = b""
                    if not data:
                        c.closed_by = who
                        # flush what is left towards the other side, then close it
                        end = time.monotonic() + 2
                        while pending[other] and time.monotonic() < end:
                            try:
                                n = other.send(pending[other])
                                pending[other] = pending[other][n:]
                            except BlockingIOError:
                                time.sleep(0.01)
                            except OSError:
                                break
                        return
                    logger.feed(data)
                    pending[other] += data
            c.closed_by = c.closed_by or "stopped"
        except OSError as e:
            c.closed_by = c.closed_by or f"error {e!r}"
        finally:
            for s in (a, b):
                try:
                    s.close()
                except OSError:
                    pass

    def summary(self):
        with self.lock:
            return [c.summary() for c in self.conns]

    def stop(self):
        if self.stopping.is_set():
            return
        self.stopping.set()
        try:
            self.listener.close()
        except OSError:
            pass
        for t in self._threads:
            t.join(timeout=3)


# ====================================================================== dht_swarm.py
DHT_SWARM = "dht_swarm.py"


class DhtSwarm:
    """../shared/swarm/dht_swarm.py serve with the given flags (--nodes 0 unless dht=True:
    no DHT; libtorrent sessions built with DHT/LSD/UPnP/NAT-PMP off on 127.x; with
    dht=True, test_dht.py: N libtorrent DHT nodes on 127.x, never bootstrapped from the
    Internet), content cache and scratch dir inside the swarm's temp dir. info: its JSON
    summary (magnet, magnet_hint, bootstrap, dht_nodes, seeder, hub, pex_seeders,
    content_dir, content_file, torrent, ...). events=True: --events FILE (self.events_path;
    read with events())."""

    def __init__(self, swarm, *flags, timeout=90, dht=False, events=False, name="dht-swarm"):
        script = os.path.join(sl.shared_dir(), "swarm", DHT_SWARM)
        if not os.path.exists(script):
            raise sl.HarnessError(f"{script} not found (set CORRENT_SHARED)")
        flags = [str(f) for f in flags]
        if not dht and ("--nodes" not in flags or flags[flags.index("--nodes") + 1] != "0"):
            raise sl.HarnessError("DhtSwarm without dht=True is only used with --nodes 0 (no DHT)")
        self.script = script
        work = os.path.join(swarm.tmp, name)
        os.makedirs(work)
        self.json_path = os.path.join(work, "summary.json")
        self.events_path = os.path.join(work, "events.jsonl") if events else None
        if events:
            flags += ["--events", self.events_path]
        argv = [sl.PY, script, "serve"] + flags + [
            "--cache", os.path.join(work, "cache"), "--work", os.path.join(work, "work"),
            "--json", self.json_path, "--seconds", "600", "--ready-timeout", str(int(timeout) - 5)]
        self.proc = swarm.start_proc(name, argv, stdin=True)
        log(f"dht_swarm: {' '.join(argv)}")
        end = time.monotonic() + timeout
        self.info = None
        while self.info is None:
            self.info = seedlib.read_json(self.json_path)
            if self.info is not None:
                break
            if not self.proc.alive():
                raise sl.HarnessError(f"dht_swarm.py exited rc={self.proc.rc}:\n{self.proc.log_tail(40)}")
            if time.monotonic() > end:
                raise sl.HarnessError(f"dht_swarm.py not ready after {timeout}s:\n{self.proc.log_tail(40)}")
            time.sleep(0.2)
        log(f"dht_swarm ready: {json.dumps(self.info)[:600]}")

    def send(self, line):
        self.proc.send(line)

    def events(self):
        """The --events JSON lines so far (dicts: kind dht_query {from, q, info_hash|target,
        port, implied_port, node}, dht_announce {ip, port, info_hash}, peer_connect, ...)."""
        out = []
        try:
            with open(self.events_path) as f:
                for line in f:
                    try:
                        out.append(json.loads(line))
                    except ValueError:
                        pass  # a line being written
        except (OSError, TypeError):
            pass
        return out


# ====================================================================== test scaffolding
RESULTS = []  # (test, verdict, outcome) for the table printed at the end


class MagnetTestBase:
    """Mixin for unittest.TestCase: one Swarm per test, content helpers, checks, and
    an outcome table (self.outcome(text) on success; failures recorded by run())."""
    maxDiff = 4000
    subject = subject_kind()

    def setUp(self):
        self.sw = sl.Swarm(f"{type(self).__name__}-{self._testMethodName}"[:60])
        self.t0 = time.monotonic()

    def tearDown(self):
        if hasattr(self, "sw"):
            self.sw.close()

    def run(self, result=None):
        before = (len(result.failures), len(result.errors), len(result.skipped)) if result else None
        n_rows = len(RESULTS)
        out = super().run(result)
        if result is not None:
            name = f"{type(self).__name__}.{self._testMethodName}"
            if len(result.failures) > before[0] or len(result.errors) > before[1]:
                del RESULTS[n_rows:]  # a subTest failed after outcome() was recorded
            if len(result.failures) > before[0]:
                RESULTS.append((name, "FAIL", first_line(result.failures[-1][1])))
            elif len(result.errors) > before[1]:
                RESULTS.append((name, "ERROR", first_line(result.errors[-1][1])))
            elif len(result.skipped) > before[2]:
                RESULTS.append((name, "SKIP", result.skipped[-1][1]))
        return out

    def outcome(self, text):
        RESULTS.append((f"{type(self).__name__}.{self._testMethodName}", "PASS",
                        f"{text} [{time.monotonic() - self.t0:.1f}s]"))

    def corrent_only(self, why="corrent's own behaviour"):
        if self.subject != "corrent":
            self.skipTest(f"LEECHER={self.subject}: {why}")

    # -- content
    def single(self, size, name="payload.bin", seed=1):
        return self.sw.make_single(name, size, seed)

    def tree(self, nfiles=300, max_size=512 * KiB, name="tree", seed=1):
        return self.sw.make_multi(name, sl.multi_layout(nfiles, seed, max_size), seed)

    def big_info_tree(self, seed):
        """A 450-file tree (~4.5 MB) in 16 KiB pieces: its info dict (~23 KB) spans two
        ut_metadata pieces."""
        return self.tree(nfiles=450, max_size=256 * KiB, seed=seed), 16 * KiB

    def torrent(self, content, piece_length, trackers=()):
        base = self.sw.make_torrent(content, piece_length)
        if trackers:
            return self.sw.announce_torrent(base, list(trackers))
        return base

    def logs(self):
        return self.sw.dump_logs(30)

    # -- checks
    def assert_complete(self, run, rc, content, what="download", extra=""):
        """Exited 0 in time, byte-identical files, --stats complete (shape checked for corrent)."""
        st = run.stats()
        d = (f"\n{' '.join(str(a) for a in run.argv)}\nrc={rc} elapsed={run.elapsed:.1f}s "
             f"stats={json.dumps(st)[:1500]}\n{extra}\n{self.logs()}")
        self.assertIsNotNone(rc, f"{what}: did not finish in time{d}")
        err = self.sw.verify(content, run.out_dir)
        self.assertIsNone(err, f"{what}: not byte-identical: {err}{d}")
        self.assertEqual(rc, 0, f"{what}: exit code{d}")
        self.assertIsNotNone(st, f"{what}: no --stats file{d}")
        if self.subject == "corrent":
            self.assertEqual(sl.check_stats_shape(st), [], f"--stats shape{d}")
        self.assertTrue(st.get("complete"), f"{what}: --stats not complete{d}")
        return st


def first_line(tb):
    lines = [ln for ln in tb.strip().splitlines() if ln.strip()]
    for pick in (lambda ln: ln.startswith(("AssertionError", "TimeoutError", "HarnessError")),
                 lambda ln: "Error:" in ln):
        for ln in lines:
            if pick(ln):
                return ln[:300]
    return lines[-1][:300] if lines else ""


def print_table(title):
    if not RESULTS:
        return
    w = max(len(c) for c, _, _ in RESULTS)
    print(f"\n{title}: test -> outcome (subject: {subject_kind()})", flush=True)
    for case, verdict, text in RESULTS:
        print(f"  {case.ljust(w)}  {verdict.ljust(5)}  {text}", flush=True)


def main(what, budget_s=600):
    """seedlib.main (time budget, SUMMARY line) + the outcome table. LEECHER=aria2 is
    not a stand-in for corrent here: skipped; so is everything with CORRENT_SKIP_DOWNLOAD=1."""
    if subject_kind() == "aria2":
        print(f"skipped: {what} (LEECHER=aria2 cannot stand in for corrent here; use LEECHER=lt)", flush=True)
        sys.exit(0)
    sl.skip_download_tests_if_requested(what)
    import atexit
    atexit.register(print_table, what)
    seedlib.main(what, budget_s)
