"""Helpers of test_transmission_rpc.py: the Transmission RPC (legacy format, as Debian 12's
transmission-remote 3.00 speaks it; docs: ../shared/docs/RPC.md section 1) of `corrent
daemon`, compared with a real transmission-daemon 3.00.

  * RefDaemon: transmission-daemon 3.00 with swarmlib.TR_SETTINGS (DHT, PEX, LPD, uTP,
    port forwarding off; its DHT is never enabled), RPC and peers on 127.0.0.1, `-w` its
    download dir, `-ep` (encryption preferred: what corrent's default `prefer` means),
    optionally `-t -u USER -v PASS`. It never dials 127.x peers it learns from a tracker,
    so the test has the seeders dial it (LtPeer.connect to .peer_address);
  * CorrentDaemon: `corrent daemon --state S --api 127.0.0.1:0 --listen 127.0.0.1:P
    --no-dht --download-dir D [--api-password-file F --api-user U]` (daemonlib.Daemon);
  * both (class Endpoint): .remote(args) runs transmission-remote 3.00 against it (bounded
    in time, LC_ALL=C, no proxy variables; as_nobody=True runs it as uid 65534 when we are
    root, so a 0600 .torrent inside the download dir is not readable by the remote and
    `-a PATH` is sent as {"filename": PATH}, which the daemon opens itself); .http() one
    raw HTTP request on its own connection (http.client; replies are daemonlib.Reply);
    .rpc() a legacy request with the 409 handshake; .tokens: its directories, masked;
  * HiddenDaemonsTracker: a swarmlib.MiniTracker that never hands out 127.0.0.1 (where
    both daemons listen) and leaves 127.0.0.1 out of its counts: the daemons meet the
    seeders only, never each other, and the tracker tells both the same numbers;
  * mask() / MASKS: the masking rules of the differential comparison, each with why;
    compare() gives a readable diff of two masked outputs.

Everything is on 127.0.0.0/8; every process is started through a swarmlib.Swarm.
"""
import base64
import difflib
import http.client
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemonlib as dl  # noqa: E402
import swarmlib as sl  # noqa: E402

log = sl.log
SLOW = dl.SLOW
REMOTE = "transmission-remote"
TR_DAEMON = "transmission-daemon"
RPC_PATH = "/transmission/rpc"
SID_HEADER = "X-Transmission-Session-Id"
NOBODY = 65534


def subject_kind():
    """RPC_SUBJECT=transmission puts a second transmission-daemon 3.00 in corrent's place:
    the reference against itself, which proves the script and the masks (harness check)."""
    k = os.environ.get("RPC_SUBJECT", "corrent").strip().lower() or "corrent"
    if k not in ("corrent", "transmission"):
        raise SystemExit(f"RPC_SUBJECT={k!r}: expected corrent or transmission")
    return k


def remote_env():
    """The environment of transmission-remote: no proxy (curl honours *_proxy), C locale
    (number and date formats), no curl verbosity from the caller's environment."""
    env = {k: v for k, v in os.environ.items()
           if not k.lower().endswith("_proxy") and not k.startswith("TR_") and not k.startswith("LC_")}
    env["LC_ALL"] = "C"
    env["LANG"] = "C"
    env["TZ"] = "UTC"
    return env


class Run:
    """One transmission-remote run: argv (as typed, host:port included), rc, out, err."""

    def __init__(self, label, argv, rc, out, err, elapsed):
        self.label = label
        self.argv = argv
        self.rc = rc
        self.out = out
        self.err = err
        self.elapsed = elapsed

    @property
    def cmd(self):
        return " ".join(self.argv)

    def __repr__(self):
        return f"$ {self.cmd}\n# rc={self.rc}\n{self.out}{('# stderr: ' + self.err) if self.err else ''}"


# ====================================================================== the daemons
class Endpoint:
    kind = "?"
    name = "?"
    host = sl.LOOPBACK
    port = 0  # RPC port
    peer_port = 0
    dl_dir = ""
    user = None
    password = None

    def __init__(self):
        self.sid = ""
        self.headers_seen = []  # (request summary, lowercase reply headers) of every raw request
        self.runs = []

    @property
    def hostport(self):
        return f"{self.host}:{self.port}"

    @property
    def peer_address(self):
        return f"{sl.LOOPBACK}:{self.peer_port}"

    @property
    def tokens(self):
        """[(path, token)]: this daemon's own directories, replaced in its output."""
        return []

    def creds(self):
        return f"{self.user}:{self.password}" if self.user else None

    # -- transmission-remote
    def remote(self, *args, creds="default", as_nobody=False, label=None, timeout=30.0):
        creds = self.creds() if creds == "default" else creds
        argv = [REMOTE, self.hostport] + (["-n", creds] if creds else []) + [str(a) for a in args]
        full = list(argv)
        if as_nobody and os.geteuid() == 0:
            full = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"] + argv
        t0 = time.monotonic()
        try:
            p = subprocess.run(full, capture_output=True, timeout=timeout * SLOW, env=remote_env(),
                               stdin=subprocess.DEVNULL, cwd="/")
            rc, out, err = p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
        except subprocess.TimeoutExpired as e:
            rc, out = "timeout", (e.stdout or b"").decode(errors="replace")
            err = (e.stderr or b"").decode(errors="replace") + f"\n(killed after {timeout}s)"
        r = Run(label or " ".join(str(a) for a in args), argv, rc, out, err, time.monotonic() - t0)
        self.runs.append(r)
        return r

    # -- raw HTTP
    def http(self, body=b"", headers=None, path=RPC_PATH, method="POST", auth=True, sid=True, timeout=10.0):
        """One request on its own connection. auth: Basic credentials if the daemon has
        any; sid: True = the session id learnt so far, a str = that id, None = none."""
        h = {"Content-Type": "application/json"}
        if auth and self.user:
            h["Authorization"] = "Basic " + base64.b64encode(self.creds().encode()).decode()
        if sid is True:
            h[SID_HEADER] = self.sid
        elif isinstance(sid, str):
            h[SID_HEADER] = sid
        h.update(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout * SLOW)
        try:
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            data = r.read()
            rep = dl.Reply(method, path, r.status, {k.lower(): v for k, v in r.getheaders()}, data)
        finally:
            conn.close()
        self.headers_seen.append((f"{method} {path} {body[:80]!r}", rep.status, rep.headers))
        return rep

    def learn_sid(self):
        r = self.http({"method": "session-get"}, sid=None)
        if r.status == 409 and r.headers.get(SID_HEADER.lower()):
            self.sid = r.headers[SID_HEADER.lower()]
        return r

    def post(self, obj, **kw):
        """A request with the session id, learning it first (one 409 round) if needed."""
        r = self.http(obj, **kw)
        if r.status == 409 and r.headers.get(SID_HEADER.lower()) and kw.get("sid", True) is True:
            self.sid = r.headers[SID_HEADER.lower()]
            r = self.http(obj, **kw)
        return r

    def rpc(self, method, arguments=None, tag=None):
        """The legacy request's reply as a dict (AssertionError unless a 200 JSON object)."""
        obj = {"method": method, "arguments": arguments or {}}
        if tag is not None:
            obj["tag"] = tag
        r = self.post(obj)
        if r.status != 200 or not isinstance(r.json, dict):
            raise AssertionError(f"{self.name}: {method} {json.dumps(arguments)[:200]}: {r!r}")
        return r.json

    def torrents(self, fields, ids=None):
        args = {"fields": list(fields)}
        if ids is not None:
            args["ids"] = ids
        rep = self.rpc("torrent-get", args)
        ts = (rep.get("arguments") or {}).get("torrents")
        if rep.get("result") != "success" or not isinstance(ts, list):
            raise AssertionError(f"{self.name}: torrent-get: {rep}")
        return ts

    def has_rpc(self):
        """None if POST /transmission/rpc speaks the protocol (a 409 or a 200), else why not."""
        try:
            r = self.http({"method": "session-get"}, sid=None)
        except OSError as e:
            return f"POST {RPC_PATH}: {e!r}"
        if r.status in (409, 200):
            return None
        if r.status == 401 and self.user:
            r = self.http({"method": "session-get"}, sid=None, auth=True)
            if r.status in (409, 200):
                return None
        return f"POST {RPC_PATH} answered {r.status} {r.body[:200]!r} (no Transmission RPC there?)"


class RefDaemon(Endpoint):
    """transmission-daemon 3.00 on 127.0.0.1 (see the module docstring)."""
    kind = "transmission"

    def __init__(self, swarm, name, auth=None):
        super().__init__()
        self.swarm = swarm
        self.name = name
        self.port = sl.free_port()
        self.peer_port = sl.free_port()
        work = os.path.join(swarm.tmp, name)
        self.cfg = os.path.join(work, "cfg")
        self.dl_dir = os.path.join(work, "downloads")
        os.makedirs(self.cfg)
        os.makedirs(self.dl_dir)
        if auth:
            self.user, self.password = auth
        settings = dict(sl.TR_SETTINGS, **{"peer-port": self.peer_port, "rpc-port": self.port,
                                            "download-dir": self.dl_dir, "encryption": 1})
        assert settings["dht-enabled"] is False and settings["pex-enabled"] is False
        assert settings["lpd-enabled"] is False and settings["utp-enabled"] is False
        with open(os.path.join(self.cfg, "settings.json"), "w") as f:
            json.dump(settings, f, indent=1)
        self.log_path = os.path.join(work, "daemon.log")
        argv = [TR_DAEMON, "-f", "-g", self.cfg, "-p", self.port, "-r", sl.LOOPBACK,
                "-P", self.peer_port, "-i", sl.LOOPBACK, "-M", "-O", "-Y", "--no-utp", "-ep",
                "-w", self.dl_dir, "-e", self.log_path]
        if auth:
            argv += ["-t", "-u", self.user, "-v", self.password]
        else:
            argv += ["-T"]
        self.argv = [str(a) for a in argv]
        env = {k: v for k, v in os.environ.items() if not k.startswith("TR_")}
        self.proc = swarm.start_proc(f"{name}-{self.port}", self.argv, env=env)
        self.pid = self.proc.pid
        end = time.monotonic() + 20 * SLOW
        while True:
            try:
                r = self.learn_sid()
                if r.status in (409, 401):
                    break
            except OSError:
                pass
            if not self.proc.alive():
                raise sl.HarnessError(f"{name}: transmission-daemon exited rc={self.proc.rc}:\n"
                                      f"{self.proc.log_tail()}\n{self.log_tail()}")
            if time.monotonic() > end:
                raise sl.HarnessError(f"{name}: transmission-daemon RPC did not come up in 20 s")
            time.sleep(0.2)
        log(f"{name}: transmission-daemon rpc {self.hostport}, peers {self.peer_address}: {' '.join(self.argv)}")

    @property
    def tokens(self):
        return [(self.dl_dir, "<DL>"), (self.cfg, "<CFG>")]

    def alive(self):
        return self.proc.alive()

    def log_tail(self, n=30):
        try:
            with open(self.log_path, "rb") as f:
                return "\n".join(f.read().decode(errors="replace").splitlines()[-n:])
        except OSError:
            return self.proc.log_tail(n)

    def describe(self):
        return f"--- {self.name} (transmission-daemon, rc={self.proc.rc}) {' '.join(self.argv)}\n{self.log_tail()}"


class CorrentDaemon(Endpoint):
    """`corrent daemon` with its download dir (see the module docstring)."""
    kind = "corrent"

    def __init__(self, swarm, name, auth=None):
        super().__init__()
        self.swarm = swarm
        self.name = name
        work = os.path.join(swarm.tmp, name)
        os.makedirs(work)
        self.state = os.path.join(work, "state")  # not created: the daemon makes it
        self.dl_dir = os.path.join(work, "downloads")
        os.makedirs(self.dl_dir)
        extra = []
        if auth:
            self.user, self.password = auth
            pw = os.path.join(work, "api-password")
            with open(pw, "w") as f:
                f.write(self.password + "\n")
            os.chmod(pw, 0o600)
            extra = ["--api-password-file", pw, "--api-user", self.user]
        self.d = dl.Daemon(swarm, self.state, name=name, download_dir=self.dl_dir, extra=extra)
        self.d.url()
        self.port = self.d.port
        self.peer_port = self.d.listen_port
        self.pid = self.d.pid
        self.argv = self.d.argv

    @property
    def tokens(self):
        return [(self.dl_dir, "<DL>"), (self.state, "<CFG>")]

    def alive(self):
        return self.d.alive()

    def log_tail(self, n=30):
        return self.d.log_tail(n)

    def describe(self):
        return f"--- {self.name} (corrent, rc={self.d.proc.rc}) {' '.join(self.argv)}\n{self.log_tail()}"


# ====================================================================== tracker
class HiddenDaemonsTracker(sl.MiniTracker):
    """MiniTracker that hands out no peer on HIDDEN (127.0.0.1, where both daemons
    announce from) and leaves those peers out of complete/incomplete (announce and
    scrape): each daemon is told of the seeders only (never of the other daemon, which
    would otherwise feed it or be fed), and both hear the same counts."""
    HIDDEN = sl.LOOPBACK

    def _announce(self, q, ip):
        ih = self._param(q, "info_hash").encode("latin-1")
        if ih not in self.allowed:
            return sl.bencode({"failure reason": "info_hash not whitelisted"})
        pid = self._param(q, "peer_id").encode("latin-1")
        port = int(self._param(q, "port"))
        left = int(self._param(q, "left", "0"))
        event = self._param(q, "event", "")
        numwant = int(self._param(q, "numwant", "50"))
        compact = self._param(q, "compact", "1") != "0"
        now = time.monotonic()
        with self.lock:
            sw = self.peers[ih]
            if event == "stopped":
                sw.pop(pid, None)
            else:
                sw[pid] = dict(ip=ip, port=port, left=left, seen=now)
                if event == "completed":
                    self.completed[ih] += 1
            visible = [p for p in sw.values() if p["ip"] != self.HIDDEN]
            others = [p for k, p in sw.items() if k != pid and p["ip"] != self.HIDDEN][:max(0, numwant)]
            complete = sum(1 for p in visible if p["left"] == 0)
            incomplete = len(visible) - complete
            rec = dict(t=now - self.t0, info_hash=ih.hex(), peer_id=pid, ip=ip, port=port, event=event,
                       left=left, returned=[f"{p['ip']}:{p['port']}" for p in others])
            self._log.append(rec)
        self._write_log(f"announce {ih.hex()[:8]} {ip}:{port} event={event or '-'} left={left} "
                        f"-> {rec['returned']}")
        if compact:
            peers = b"".join(socket.inet_aton(p["ip"]) + struct.pack(">H", p["port"]) for p in others)
        else:
            peers = [{"ip": p["ip"], "port": p["port"]} for p in others]
        return sl.bencode({"interval": self.interval, "min interval": self.min_interval, "complete": complete,
                           "incomplete": incomplete, "peers": peers})

    def _scrape(self, q):
        want = [v.encode("latin-1") for k, v in q if k == "info_hash"] or sorted(self.allowed)
        files = {}
        with self.lock:
            for ih in want:
                if ih in self.peers:
                    vis = [p for p in self.peers[ih].values() if p["ip"] != self.HIDDEN]
                    c = sum(1 for p in vis if p["left"] == 0)
                    files[ih] = {"complete": c, "incomplete": len(vis) - c, "downloaded": 0}
        return sl.bencode({"files": files})


# ====================================================================== masking
# Each rule: (name, regex applied to every output line, replacement (None: drop the line), only,
# why); `only`: the rule applies to the outputs of that command (e.g. "-si") or of all (None).
# Applied in this order, after each daemon's own directories became <DL> / <CFG> and its RPC
# host:port became <RPC>. Everything not masked here must match byte for byte (-l rows are
# also normalised by the test: norm_list, Up and Down columns masked).
# tr_strltime(): "5 seconds (5 seconds)", "29 minutes (1795 seconds)", "1 day, 2 hours (93600 seconds)"
UNIT = r"\d+ (?:days?|hours?|minutes?|seconds?)"
DUR = rf"{UNIT}(?:, {UNIT})*(?: \(\d+ seconds?\))?"
DATE = r"\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}"  # ctime()
MASKS = [
    # -- wall-clock times and durations: when the script ran, how fast the download went
    ("date", re.compile(rf"^(\s*(?:Date added|Date finished|Date started|Latest activity):\s*){DATE}$"), r"\1<DATE>",
     "-i", "when the script ran (ctime of unix seconds); Date created is the .torrent's own: compared"),
    ("seeding-time", re.compile(r"^(\s*Seeding Time:\s*).*$"), r"\1<DUR>", "-i",
     "how long it has seeded (the test waits until both seeded >= 1 s, so the line is on both)"),
    ("downloading-time", re.compile(r"^\s*Downloading Time:"), None, "-i",
     "the line is dropped: printed only if secondsDownloading > 0, and a few MiB on loopback may take "
     "under a second"),
    ("session-duration", re.compile(r"^(\s*Duration:\s*).*$"), r"\1<DUR>", "-st", "the session's age"),
    ("ago", re.compile(rf"\b{DUR} ago\b"), "<DUR> ago", "-it", "seconds since the last announce / scrape"),
    ("in-dur", re.compile(rf"\bin {DUR}"), "in <DUR>", "-it", "seconds until the next announce / scrape"),
    # -- rates: what moved in the last seconds
    ("speed", re.compile(r"^(\s*(?:Download|Upload) Speed:\s*)[\d.]+ [kMGT]B/s$"), r"\1<RATE>", "-i",
     "transfer rates at the moment of the query"),
    # -- payload + overhead counters (the payload itself is compared as Have / Total size)
    ("downloaded", re.compile(r"^(\s*Downloaded:\s*).*$"), r"\1<BYTES>", None,
     "-i downloadedEver / -st downloadedBytes: what each daemon counts besides the payload (discarded "
     "blocks, duplicates) differs. Uploaded and Ratio stay compared: nobody downloads from the daemons"),
    # -- -si: this daemon's build and its own configuration, not a protocol fact
    ("version", re.compile(r"^(\s*Daemon version:\s*).*$"), r"\1<VERSION>", "-si",
     "3.00 (bb6b5a062e) vs 3.00 (corrent x.y)"),
    ("config-dir", re.compile(r"^(\s*Configuration directory:\s*).*$"), r"\1<CFG>", "-si",
     "transmission's -g dir vs corrent's state dir (both are also tokenised; the value is a daemon detail)"),
    ("peer-port", re.compile(r"^(\s*Listenport:\s*)\d+$"), r"\1<PEERPORT>", "-si", "each daemon's own peer port"),
    ("pex", re.compile(r"^(\s*Peer exchange allowed:\s*).*$"), r"\1<PEX>", "-si",
     "transmission runs with PEX off (the test rule for it); corrent's PEX is its own default"),
    ("cache", re.compile(r"^(\s*Maximum memory cache size:\s*).*$"), r"\1<CACHE>", "-si",
     "disk cache size: an implementation detail (transmission: TR_SETTINGS 4 MiB)"),
    ("global-peer-limit", re.compile(r"^(\s*Peer limit:\s*)\d+$"), r"\1<N>", "-si",
     "the global peer limit is each daemon's default (transmission: TR_SETTINGS 200); -i's per-torrent "
     "Peer limit stays compared"),
    ("disabled-limits", re.compile(r"\((Disabled|Enabled) limit: [^;]*; (Disabled|Enabled) turtle limit: [^)]*\)"),
     r"(\1 limit: <N>; \2 turtle limit: <N>)", "-si",
     "the values of limits that are off (transmission's defaults 100 / 50 kB/s); whether they are on stays"),
    # -- -ip rows
    ("peer-row", re.compile(r"^(127\.\d+\.\d+\.\d+)\s+(\S*)\s+([\d.]+)\s+[\d.]+\s+[\d.]+\s+(.*)$"),
     r"\1  <FLAGS>  \3  <DN> <UP>  <CLIENT>", "-ip",
     "flags (choke/interest/encryption/incoming) are implementation choices, rates are now, the client "
     "name is each daemon's parse of the same libtorrent peer's id; address and Done stay compared"),
]


def mask(text, d, label=""):
    """The output of a transmission-remote run (command `label`) against daemon d, masked."""
    for path, tok in sorted(d.tokens, key=lambda pt: -len(pt[0])):
        text = text.replace(os.path.realpath(path), tok).replace(path, tok)
    text = text.replace(d.hostport, "<RPC>")
    words = label.split()
    rules = [(rx, rep) for _, rx, rep, only, _ in MASKS if only is None or only in words]
    out = []
    for ln in text.split("\n"):
        for rx, rep in rules:
            if rep is None:  # drop the line
                if rx.search(ln):
                    ln = None
                    break
            else:
                ln = rx.sub(rep, ln)
        if ln is not None:
            out.append(ln.rstrip())
    return "\n".join(out)


def compare(label, ref_run, ref_masked, sub_run, sub_masked):
    """None if the two masked outputs and exit codes agree, else a message with the command,
    the unified diff of the masked outputs and both raw outputs."""
    if ref_run.rc == sub_run.rc and ref_masked == sub_masked:
        return None
    diff = "\n".join(difflib.unified_diff(ref_masked.split("\n"), sub_masked.split("\n"),
                                          "transmission-daemon (masked)", "subject (masked)", lineterm="", n=2))
    return (f"[{label}] `transmission-remote HOST:PORT {ref_run.label}`: rc {ref_run.rc} (reference) vs "
            f"{sub_run.rc} (subject)\n{diff}\n--- reference raw:\n{ref_run.out}{ref_run.err}\n"
            f"--- subject raw:\n{sub_run.out}{sub_run.err}")


def which_missing():
    return [t for t in (REMOTE, TR_DAEMON, "setpriv") if shutil.which(t) is None]
