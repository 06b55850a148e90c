"""Helpers for test_daemon.py: `corrent daemon` as a child process, its native HTTP API
(docs/DAEMON.md) over http.client, and a Server-Sent Events reader for /api/v1/events.

  * Daemon: `corrent daemon --state S --api 127.0.0.1:0 --listen 127.0.0.1:P --no-dht
    [--download-dir D]`, registered with a swarmlib.Swarm (stopped by process group at
    teardown). url(): the `api http://HOST:PORT/` line of its stdout (bounded wait);
    request()/get()/post_json()/post_raw()/delete(): one HTTP/1.1 request per connection,
    never through a proxy, every one with a socket timeout; term()/kill9().
  * EventStream: GET /api/v1/events on its own connection, read line by line by a
    thread (socket timeout 40 s: longer than the 15 s keep-alive comment period, so a
    timeout means the server went silent); events are kept with their id, type, parsed
    data and arrival time; wait_for(pred, timeout) is a bounded wait on a condition.

Only the Python standard library is used for HTTP. Everything is on 127.0.0.1.
"""
import http.client
import json
import os
import re
import signal
import socket
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import swarmlib as sl  # noqa: E402

log = sl.log
SANITIZED = os.environ.get("CORRENT_SANITIZED", "0") not in ("", "0")
SLOW = 2.0 if SANITIZED else 1.0  # ASan/UBSan builds are slower: time bounds scale with this

STATES = ("fetching_metadata", "checking", "downloading", "seeding", "paused", "finished", "error")
TORRENT_FIELDS = ("id", "name", "state", "progress", "size", "done", "down_rate", "up_rate", "peers",
                  "downloaded", "uploaded", "downloaded_session", "uploaded_session", "save_path", "added_at",
                  "error")
STATS_FIELDS = ("torrents", "down_rate", "up_rate", "downloaded", "uploaded", "peers", "dht_nodes")
API_LINE = re.compile(r"^api (http://([0-9.]+):(\d+)/)\s*$", re.M)


class Reply:
    def __init__(self, method, path, status, headers, body):
        self.method = method
        self.path = path
        self.status = status
        self.headers = headers  # lowercase name -> value
        self.body = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    @property
    def ctype(self):
        return self.headers.get("content-type", "")

    def __repr__(self):
        return (f"{self.method} {self.path} -> {self.status} [{self.ctype}] "
                f"{self.body[:400].decode(errors='replace')!r}")


class Daemon:
    def __init__(self, swarm, state, name="daemon", download_dir=None, listen_port=None, api="127.0.0.1:0",
                 extra=()):
        self.swarm = swarm
        self.state = state
        self.listen_port = listen_port or sl.free_port()
        argv = [sl.corrent_bin(), "daemon", "--state", state, "--api", api,
                "--listen", f"{sl.LOOPBACK}:{self.listen_port}", sl.NO_DHT]
        if download_dir:
            argv += ["--download-dir", download_dir]
        argv += list(extra)
        self.argv = [str(a) for a in argv]
        self.proc = swarm.start_proc(name, self.argv)
        self.pid = self.proc.pid
        self.name = name
        self.base = None
        self.host = None
        self.port = None
        self.headers = {}  # sent with every request (credentials), unless a request overrides them
        log(f"{name}: {' '.join(self.argv)}")

    # -- process
    def alive(self):
        return self.proc.alive()

    def log_text(self):
        try:
            with open(self.proc.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def log_tail(self, n=40):
        return self.proc.log_tail(n)

    def url(self, timeout=20.0):
        """The API base URL from the daemon's stdout line `api http://HOST:PORT/` (bounded
        wait). Raises AssertionError if it does not come or the daemon exits."""
        if self.base:
            return self.base
        end = time.monotonic() + timeout * SLOW
        while True:
            m = API_LINE.search(self.log_text())
            if m:
                self.base, self.host, self.port = m[1], m[2], int(m[3])
                log(f"{self.name}: API at {self.base}")
                return self.base
            if not self.alive():
                raise AssertionError(f"{self.name} exited rc={self.proc.rc} before printing its API line:\n"
                                     f"{self.log_tail()}")
            if time.monotonic() > end:
                api_url = read_text(os.path.join(self.state, "api-url"))
                raise AssertionError(f"{self.name}: no 'api http://HOST:PORT/' line on stdout within {timeout}s "
                                     f"(state/api-url holds {api_url!r}; stdout not flushed?):\n{self.log_tail()}")
            time.sleep(0.05)

    def wait_exit(self, timeout):
        return self.proc.wait(timeout)

    def term(self, timeout=15.0):
        """SIGTERM the daemon (its process group); its exit code, or None if it is still
        running after timeout (then it is killed)."""
        try:
            os.killpg(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        rc = self.proc.wait(timeout * SLOW)
        if rc is None:
            self.proc.stop(grace=1)
        return rc

    def kill9(self):
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        return self.proc.wait(10)

    # -- HTTP
    def request(self, method, path, body=None, headers=None, timeout=10.0, source=None):
        """One request on its own connection; `source`: the local address to connect from."""
        self.url()
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout * SLOW,
                                          source_address=(source, 0) if source else None)
        try:
            conn.request(method, path, body=body, headers={**self.headers, **(headers or {})})
            r = conn.getresponse()
            data = r.read()
            return Reply(method, path, r.status, {k.lower(): v for k, v in r.getheaders()}, data)
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post_json(self, path, obj, **kw):
        body = obj if isinstance(obj, (bytes, bytearray)) else json.dumps(obj).encode()
        headers = {"Content-Type": "application/json", **kw.pop("headers", {})}
        return self.request("POST", path, body=bytes(body), headers=headers, **kw)

    def post_raw(self, path, data, ctype="application/x-bittorrent", **kw):
        headers = {"Content-Type": ctype, **kw.pop("headers", {})}
        return self.request("POST", path, body=data, headers=headers, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, body=b"", **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def torrents(self, query=""):
        r = self.get("/api/v1/torrents" + (f"?{query}" if query else ""))
        if r.status != 200 or not isinstance(r.json, dict) or not isinstance(r.json.get("torrents"), list):
            raise AssertionError(f"list torrents: {r!r}")
        return r.json["torrents"]

    def torrent(self, tid):
        r = self.get(f"/api/v1/torrents/{tid}")
        if r.status != 200 or not isinstance(r.json, dict):
            raise AssertionError(f"get torrent: {r!r}")
        return r.json

    def events(self, last_event_id=None):
        return EventStream(self, last_event_id)


def read_text(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def torrent_problems(t):
    """Problems with one torrent object of the API (empty list if it has the contract's shape)."""
    if not isinstance(t, dict):
        return [f"not an object: {t!r}"]
    errs = [f"missing field {k!r}" for k in TORRENT_FIELDS if k not in t]
    num = (int, float)
    for k, typ in (("id", str), ("name", str), ("state", str), ("save_path", str), ("error", str),
                   ("progress", num), ("down_rate", num), ("up_rate", num), ("size", int), ("done", int),
                   ("peers", int), ("downloaded", int), ("uploaded", int),
                   ("downloaded_session", int), ("uploaded_session", int), ("added_at", int)):
        if k in t and (not isinstance(t[k], typ) or isinstance(t[k], bool)):
            errs.append(f"{k}={t[k]!r} is not {typ}")
    if isinstance(t.get("id"), str) and not re.fullmatch(r"[0-9a-f]{40}", t["id"]):
        errs.append(f"id {t['id']!r} is not 40 lowercase hex digits")
    if "state" in t and t["state"] not in STATES:
        errs.append(f"state {t['state']!r} not one of {STATES}")
    if isinstance(t.get("size"), int) and isinstance(t.get("done"), int) and isinstance(t.get("progress"), num):
        want = t["done"] / t["size"] if t["size"] else 0.0
        if abs(t["progress"] - want) > 1e-3:
            errs.append(f"progress {t['progress']} != done/size {want}")
    return errs


class EventStream:
    """GET /api/v1/events read by a thread. self.events: [dict(id, type, data, raw, t)]."""

    def __init__(self, daemon, last_event_id=None, sock_timeout=40.0):
        daemon.url()
        self.daemon = daemon
        self.events = []
        self.comments = []
        self.problems = []  # things that broke the SSE format (recorded, asserted by the tests)
        self.cond = threading.Condition()
        self.closed = False
        self.ended = None  # why the reader stopped
        self.conn = http.client.HTTPConnection(daemon.host, daemon.port, timeout=10 * SLOW)
        headers = {**daemon.headers, "Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.conn.request("GET", "/api/v1/events", headers=headers)
        self.sock = self.conn.sock  # getresponse() drops conn.sock when the reply is "will close"
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.headers = {k.lower(): v for k, v in self.resp.getheaders()}
        if self.status != 200:
            self.body = self.resp.read()
            self.conn.close()
            self.closed = True
            self.ended = f"status {self.status}"
            return
        self.sock.settimeout(sock_timeout * SLOW)
        self.thread = threading.Thread(target=self._read, name="sse", daemon=True)
        self.thread.start()
        daemon.swarm.on_close(self.close)

    @property
    def ctype(self):
        return self.headers.get("content-type", "")

    def _read(self):
        cur = {"id": None, "event": None, "data": []}
        try:
            while True:
                line = self.resp.readline()
                if not line:
                    raise EOFError("the server closed the stream")
                text = line.decode("utf-8", errors="replace")
                if not text.endswith("\n"):
                    raise EOFError(f"stream ended inside a line: {text!r}")
                text = text.rstrip("\n").rstrip("\r")
                if text == "":
                    if cur["data"] or cur["event"]:
                        self._dispatch(cur)
                    cur = {"id": None, "event": None, "data": []}
                    continue
                if text.startswith(":"):
                    with self.cond:
                        self.comments.append((time.monotonic(), text))
                    continue
                field, _, value = text.partition(":")
                if value.startswith(" "):
                    value = value[1:]
                if field == "id":
                    cur["id"] = value
                elif field == "event":
                    cur["event"] = value
                elif field == "data":
                    cur["data"].append(value)
                elif field == "retry":
                    pass
                else:
                    with self.cond:
                        self.problems.append(f"unknown SSE field line {text!r}")
        except Exception as e:  # noqa: BLE001 (the reason is kept for the failure message)
            with self.cond:
                self.ended = repr(e)
                self.cond.notify_all()

    def _dispatch(self, cur):
        raw = "\n".join(cur["data"])
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        ev = dict(id=cur["id"], type=cur["event"] or "message", data=data, raw=raw, t=time.monotonic())
        with self.cond:
            if data is None:
                self.problems.append(f"event data is not JSON: {ev}")
            if cur["id"] is None or not cur["id"].isdigit():
                self.problems.append(f"event without a numeric id: {ev}")
            else:
                ev["id"] = int(cur["id"])
            self.events.append(ev)
            self.cond.notify_all()

    def snapshot(self):
        with self.cond:
            return list(self.events)

    def of(self, etype, tid=None):
        return [e for e in self.snapshot()
                if e["type"] == etype and (tid is None or (isinstance(e["data"], dict) and e["data"].get("id") == tid))]

    def wait_for(self, pred, timeout, what="event"):
        """The first event (in arrival order) with pred(event) true; None after timeout."""
        end = time.monotonic() + timeout * SLOW
        with self.cond:
            while True:
                for e in self.events:
                    if pred(e):
                        return e
                left = end - time.monotonic()
                if left <= 0 or self.ended:
                    log(f"no {what} within {timeout}s (stream ended: {self.ended})")
                    return None
                self.cond.wait(min(left, 0.5))

    def wait_all(self, etype, ids, timeout):
        """Until an `etype` event came for every id in ids (bounded); returns {id: event} of those seen."""
        end = time.monotonic() + timeout * SLOW
        want = set(ids)
        with self.cond:
            while True:
                seen = {}
                for e in self.events:
                    if e["type"] == etype and isinstance(e["data"], dict) and e["data"].get("id") in want:
                        seen.setdefault(e["data"]["id"], e)
                left = end - time.monotonic()
                if len(seen) == len(want) or left <= 0 or self.ended:
                    return seen
                self.cond.wait(min(left, 0.5))

    def describe(self, n=40):
        ev = self.snapshot()
        lines = [f"  #{e['id']} {e['type']} {e['raw'][:200]}" for e in ev if e["type"] != "stats"][-n:]
        nstats = sum(1 for e in ev if e["type"] == "stats")
        return (f"events ({len(ev)}, {nstats} stats; ended={self.ended}; problems={self.problems[:5]}):\n"
                + "\n".join(lines))

    def close(self):
        if self.closed:
            return
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except (OSError, AttributeError):
            pass
        try:
            self.conn.close()
        except OSError:
            pass
        t = getattr(self, "thread", None)
        if t:
            t.join(timeout=3)


def quote(s):
    return urllib.parse.quote(s, safe="")
