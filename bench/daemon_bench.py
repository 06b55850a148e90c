#!/usr/bin/python3
"""`corrent daemon` against the figures of its issue (API: docs/DAEMON.md), loopback only.

(1) N small seeding torrents (--torrents, default 2,000: 16-64 KiB random files, 16 KiB
    pieces, announce to a dead http://127.0.0.1:9/announce) in one daemon. Setup: data in
    the download dir, a first daemon gets all N by POST /api/v1/torrents, checks them until
    all seed, SIGTERM (must exit 0). Measured: a second daemon on that state dir.
    startup (process start -> GET /api/v1/torrents?fields=id,state, polled every 50 ms,
    shows all N seeding) <= 5 s; idle CPU (/proc/PID/stat utime+stime over --idle-seconds
    without requests) <= 1 %; peak RssAnon (/proc/PID/status every 100 ms, start to end
    of idle) <= 128 MiB (VmHWM reported too).
(2) With those N loaded, one more torrent (--big-mib, 1 MiB pieces) downloads at full speed
    from a python3-libtorrent seeder found through opentracker; meanwhile 200 sequential
    GET /api/v1/torrents (full listing) on one kept-alive connection: p99 <= 50 ms, with the
    download running during every request (its entry in each response).
(3) w1 (--w1-mib, 1 MiB pieces; one seeder = the swarm harness's `lt` profile,
    ../shared/swarm/lt_peer.py --hp): A) `corrent download --quiet --no-dht --listen
    127.0.0.1:0 --out DIR T` (process wall) vs B) a fresh, otherwise empty daemon (POST of T
    -> its `completed` on GET /api/v1/events, opened before). A and B alternate for --runs
    rounds, fresh output dirs, verified; median(B) / median(A) <= 1.05.
(4) With the N of (1) loaded (issue [14]): --requests sequential GET /api/v2/torrents/info
    (qBittorrent) and POST /transmission/rpc torrent-get with the fields `transmission-remote
    -l` asks for, each on one kept-alive connection: p99 <= 50 ms each; then
    sync/maindata?rid=0 and the next one with nothing changed: < 1 KiB.

  /usr/bin/python3 bench/daemon_bench.py [--torrents 2000] [--idle-seconds 60] [--big-mib 3072]
      [--w1-mib 1024] [--runs 3] [--figures 1,2,3,4] [--json FILE] [--base DIR] [--keep]
      [--announce URL] [--max-load 1.5 --load-wait 60]
Needs a release build (CORRENT=... to override), opentracker, python3-libtorrent and
../shared/swarm. Exit 0 when every bar passes.
"""
import argparse, collections, filecmp, hashlib, http.client, json, os, queue, random  # noqa: E401
import shlex, shutil, signal, statistics, sys, threading, time, urllib.parse  # noqa: E401

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "interop"))
import swarmlib as sl  # noqa: E402  (Swarm, Proc, Tracker, bencode, free_port)

CORRENT = os.path.abspath(os.environ.get("CORRENT", os.path.join(ROOT, "build", "release", "src", "cli", "corrent")))
LT_PEER = os.path.join(os.environ.get("CORRENT_SHARED", os.path.join(ROOT, "..", "shared")), "swarm", "lt_peer.py")
KiB, MiB = 1024, 1024 * 1024
COMMANDS = []  # every command line run, in order
TICK = os.sysconf("SC_CLK_TCK")


def say(*a):
    print(*a, flush=True)


def record(argv):  # every process started is printed and kept for --json
    COMMANDS.append(shlex.join(str(x) for x in argv))
    say("$ " + COMMANDS[-1])


def wait_load(a):
    """Until the 1-minute load average is below --max-load (at most --load-wait s); that load."""
    end = time.monotonic() + a.load_wait
    while os.getloadavg()[0] >= a.max_load and time.monotonic() < end:
        time.sleep(5)
    return round(os.getloadavg()[0], 2)


def pct(v, p):  # nearest rank
    return sorted(v)[max(0, -(-p * len(v) // 100) - 1)]


class Api:
    """One kept-alive HTTP/1.1 connection to the daemon's API."""

    def __init__(self, url, timeout=30):
        u = urllib.parse.urlsplit(url)
        self.host, self.port, self.timeout, self.conn = u.hostname, u.port, timeout, None

    def req(self, method, path, body=None, ctype=None):
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=body, headers={"Content-Type": ctype} if ctype else {})
                r = self.conn.getresponse()
                return r.status, r.read()
            except (OSError, http.client.HTTPException):  # e.g. a kept-alive connection the daemon closed
                self.conn.close()
                self.conn = None
                if attempt:
                    raise

    def json(self, method, path, **kw):
        st, data = self.req(method, path, **kw)
        return st, (json.loads(data) if data else None)

    def states(self):
        return {t["id"]: t["state"] for t in self.json("GET", "/api/v1/torrents?fields=id,state")[1]["torrents"]}


class Daemon:
    def __init__(self, sw, name, state, ddir):
        argv = [CORRENT, "daemon", "--state", state, "--api", "127.0.0.1:0", "--listen", "127.0.0.1:0",
                "--download-dir", ddir, "--no-dht"]
        record(argv)
        self.t0 = time.monotonic()
        self.proc = sw.start_proc(name, argv)
        self.pid, self.api, self.url, self.dir = self.proc.pid, None, None, ddir

    def wait_api(self, timeout=60):
        """The `api http://...` line on stdout (checked every 10 ms); seconds since start."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if not self.proc.alive():
                raise RuntimeError(f"daemon exited rc={self.proc.rc}:\n{self.proc.log_tail()}")
            with open(self.proc.log_path, errors="replace") as f:
                for line in f:
                    if line.startswith("api http://"):
                        self.url = line.split()[1]
                        self.api = Api(self.url)
                        return time.monotonic() - self.t0
            time.sleep(0.01)
        raise RuntimeError("daemon printed no API URL in time")

    def stop(self, timeout=120):
        """SIGTERM to the daemon (pid), wait; (exit code, seconds). SIGKILL if it hangs."""
        t = time.monotonic()
        if self.proc.alive():
            os.kill(self.pid, signal.SIGTERM)
        rc, dt = self.proc.wait(timeout), round(time.monotonic() - t, 3)
        if rc is None:
            self.proc.stop(grace=1)
        return (f"still running {timeout} s after SIGTERM (killed)" if rc is None else rc), dt

    def problems(self):
        """{warning/error line without its time stamp: count} of its log."""
        with open(self.proc.log_path, errors="replace") as f:
            bad = [ln.rstrip().split(" ", 2)[-1] for ln in f if " warning " in ln or " error " in ln]
        return dict(collections.Counter(b for b in bad if "SIGTERM received" not in b))


class MemSampler(threading.Thread):
    """RssAnon and VmHWM (KiB) of pid every 100 ms: samples = [(t since t0, rss_anon, vmhwm)]."""

    def __init__(self, pid, t0):
        super().__init__(daemon=True)
        self.pid, self.t0, self.samples, self.halt = pid, t0, [], threading.Event()

    def run(self):
        while not self.halt.is_set():
            try:
                kv = dict(ln.split(":", 1) for ln in open(f"/proc/{self.pid}/status") if ":" in ln)
                kib = [int(kv[k].split()[0]) for k in ("RssAnon", "VmHWM")]
                self.samples.append((round(time.monotonic() - self.t0, 3), *kib))
            except (OSError, KeyError, ValueError):
                pass
            self.halt.wait(0.1)

    def peak_mib(self, t_from=0.0, t_to=1e18, col=1):
        v = [s[col] for s in self.samples if t_from <= s[0] <= t_to]
        return round(max(v) / 1024, 2) if v else None


def cpu_s(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / TICK


def make_small(n, ddir, tdir, announce, seed=7):
    """n distinct single-file torrents; data in ddir. [(torrent bytes, info-hash)]."""
    rng, out = random.Random(seed), []
    for i in range(n):
        data = rng.randbytes(rng.randint(16 * KiB, 64 * KiB))
        name = f"small-{i:05d}.bin"
        with open(os.path.join(ddir, name), "wb") as f:
            f.write(data)
        info = {"name": name, "length": len(data), "piece length": 16 * KiB,
                "pieces": b"".join(hashlib.sha1(data[o:o + 16 * KiB]).digest() for o in range(0, len(data), 16 * KiB))}
        body = sl.bencode({"announce": announce, "info": info} if announce else {"info": info})
        with open(os.path.join(tdir, name + ".torrent"), "wb") as f:
            f.write(body)
        out.append((body, hashlib.sha1(sl.bencode(info)).hexdigest()))
    return out


def add(api, body, save_path=None):
    q = "?save_path=" + urllib.parse.quote(save_path) if save_path else ""
    st, d = api.json("POST", "/api/v1/torrents" + q, body=body, ctype="application/x-bittorrent")
    if st not in (201, 409):
        raise RuntimeError(f"POST /api/v1/torrents{q} -> {st} {d}")
    return d


def wait_seeding(daemon, ids, timeout, period=0.05, polls=None):
    """Until every id is `seeding` (GET every period s); the time that reply arrived (monotonic)."""
    end, ts = time.monotonic() + timeout, {}
    while True:
        t = time.monotonic()
        try:
            ts = daemon.api.states()
            n = sum(1 for i in ids if ts.get(i) == "seeding")
        except (OSError, http.client.HTTPException, ValueError, KeyError, TypeError):
            n = -1
        if polls is not None:
            polls.append((round(time.monotonic() - daemon.t0, 3), n))
        if n == len(ids):
            return time.monotonic()
        if not daemon.proc.alive() or time.monotonic() > end:
            raise RuntimeError(f"not all {len(ids)} seeding after {timeout}s: "
                               f"{dict(collections.Counter(ts.get(i, 'missing') for i in ids))} "
                               f"(daemon alive: {daemon.proc.alive()})\n{daemon.proc.log_tail()}")
        time.sleep(max(0.0, period - (time.monotonic() - t)))


def lt_seed(sw, torrent, content, tracker, tag, timeout=300):
    """The harness's `lt` seed profile; waits until it seeds and the tracker counts it."""
    port = sl.free_port()
    stats = os.path.join(sw.tmp, f"seed-{tag}.json")
    argv = ["/usr/bin/python3", LT_PEER, "--role", "seed", "--hp", "--torrent", torrent.path,
            "--dir", content.parent, "--port", port, "--stats", stats]
    record(argv)
    p = sw.start_proc(f"lt-seed-{tag}-{port}", argv)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if not p.alive():
            raise RuntimeError(f"seeder exited: {p.log_tail()}")
        try:
            ok = json.load(open(stats)).get("is_seeding") and (tracker.scrape(torrent.info_hash) or [0])[0] >= 1
        except (OSError, ValueError):
            ok = False
        if ok:
            return p
        time.sleep(0.2)
    raise RuntimeError(f"seeder {tag} not ready in {timeout}s")


def figure1(sw, a, R, small):
    state, ddir = os.path.join(sw.tmp, "state"), os.path.join(sw.tmp, "dl")
    ids = [ih for _, ih in small]
    say(f"\n== (1) {len(small)} seeding torrents: setup (add over the API, check, SIGTERM)")
    d = Daemon(sw, "daemon-setup", state, ddir)
    d.wait_api()
    t = time.monotonic()
    for body, _ in small:
        add(d.api, body)
    R["setup_add_s"] = round(time.monotonic() - t, 3)
    R["setup_all_seeding_s"] = round(wait_seeding(d, ids, 60 + len(ids) * 0.05, period=0.5) - t, 3)
    R["setup_exit_code"], R["setup_stop_s"] = d.stop()
    R["setup_log_problems"] = d.problems()
    say(f"  added {len(ids)} in {R['setup_add_s']} s, all seeding after {R['setup_all_seeding_s']} s; "
        f"SIGTERM -> exit {R['setup_exit_code']} in {R['setup_stop_s']} s")
    say("== (1) measured run: restart on the same state dir")
    R["load_before_measured"] = wait_load(a)
    d = Daemon(sw, "daemon-measured", state, ddir)
    mem = MemSampler(d.pid, d.t0)
    mem.start()
    R["api_up_s"] = round(d.wait_api(), 3)
    polls = []
    R["startup_s"] = round(wait_seeding(d, ids, max(60, len(ids) * 0.05), polls=polls) - d.t0, 3)
    R["startup_polls"] = polls
    say(f"  API up after {R['api_up_s']} s, all {len(ids)} seeding after {R['startup_s']} s "
        f"({len(polls)} polls; load before: {R['load_before_measured']})")
    t_idle0, c0, cpu = time.monotonic(), cpu_s(d.pid), []
    if 1 in a.figures:
        say(f"  idle for {a.idle_seconds} s (no API requests)")
        while time.monotonic() - t_idle0 < a.idle_seconds:
            time.sleep(min(1.0, max(0.0, a.idle_seconds - (time.monotonic() - t_idle0))))
            cpu.append((round(time.monotonic() - t_idle0, 3), round(cpu_s(d.pid) - c0, 3)))
    wall = time.monotonic() - t_idle0
    R["idle_wall_s"], R["idle_cpu_s"] = round(wall, 3), round(cpu_s(d.pid) - c0, 3)
    R["idle_cpu_pct"] = round(100 * R["idle_cpu_s"] / wall, 3) if 1 in a.figures else None
    R["idle_cpu_samples"] = cpu
    t_end = time.monotonic() - d.t0
    R["peak_rss_anon_mib"] = mem.peak_mib(0, t_end)
    R["vmhwm_mib"] = mem.peak_mib(0, t_end, col=2)
    say(f"  idle CPU {R['idle_cpu_s']} s over {R['idle_wall_s']} s = {R['idle_cpu_pct']} %; "
        f"peak RssAnon {R['peak_rss_anon_mib']} MiB, VmHWM {R['vmhwm_mib']} MiB")
    return d, mem


def figure2(sw, a, R, d, mem, big, content, tracker, n_small):
    say(f"\n== (2) listing {n_small + 1} torrents while {a.big_mib} MiB download at full speed")
    seeder = lt_seed(sw, big, content, tracker, "big")
    R["load_before_listing"] = wait_load(a)
    t_from = time.monotonic() - d.t0
    body = open(big.path, "rb").read()
    t_post = time.monotonic()
    add(d.api, body)
    end = t_post + 60
    while True:  # first bytes in: the download is under way
        st, t = d.api.json("GET", f"/api/v1/torrents/{big.info_hash}")
        if st == 200 and t["done"] > 0:
            break
        if time.monotonic() > end:
            raise RuntimeError(f"the big download did not start in 60 s: {st} {t}")
        time.sleep(0.02)
    R["big_first_bytes_s"] = round(time.monotonic() - t_post, 3)
    api, lat, big_seen, t_list = Api(d.url), [], [], time.monotonic()
    for _ in range(a.requests):
        t = time.perf_counter()
        st, data = api.req("GET", "/api/v1/torrents")
        lat.append(round((time.perf_counter() - t) * 1000, 3))
        ts = json.loads(data)["torrents"] if st == 200 else []
        bt = next((x for x in ts if x["id"] == big.info_hash), {})
        big_seen.append((st, len(ts), bt.get("state"), bt.get("done")))
    R["list_wall_s"], R["list_latency_ms"], R["list_big_torrent"] = round(time.monotonic() - t_list, 3), lat, big_seen
    R["big_MBps_while_listing"] = round(((big_seen[-1][3] or 0) - (big_seen[0][3] or 0)) / R["list_wall_s"] / 1e6, 1)
    R["list_sizes_ok"] = all(s == 200 and n == n_small + 1 for s, n, _, _ in big_seen)
    running = [s == "downloading" and done < big.total_size for _, _, s, done in big_seen]
    R["download_running_all_requests"] = all(running)
    R["download_running_requests"] = sum(running)
    R["list_p50_ms"], R["list_p99_ms"], R["list_max_ms"] = pct(lat, 50), pct(lat, 99), max(lat)
    say(f"  {a.requests} GETs in {R['list_wall_s']} s: p50 {R['list_p50_ms']} ms, p99 {R['list_p99_ms']} ms, "
        f"max {R['list_max_ms']} ms; download running during {sum(running)}/{len(running)} "
        f"({R['big_MBps_while_listing']} MB/s meanwhile; done at the last: {big_seen[-1][3]} of {big.total_size})")
    try:
        t_done = wait_seeding(d, [big.info_hash], 300, period=0.1)
        R["big_download_s"] = round(t_done - t_post, 3)
        R["big_download_MBps"] = round(big.total_size / (t_done - t_post) / 1e6, 1)
    except RuntimeError as e:
        R["big_download_error"] = str(e)[:300]
    R["peak_rss_anon_mib_fig2"] = mem.peak_mib(t_from)
    say(f"  the download took {R.get('big_download_s')} s ({R.get('big_download_MBps')} MB/s); "
        f"peak RssAnon meanwhile {R['peak_rss_anon_mib_fig2']} MiB")
    seeder.stop(grace=5)


TR_LIST_FIELDS = ["error", "errorString", "eta", "id", "isFinished", "leftUntilDone", "name",
                  "peersGettingFromUs", "peersSendingToUs", "rateDownload", "rateUpload", "sizeWhenDone",
                  "status", "uploadRatio"]  # what `transmission-remote -l` asks for


def figure4(sw, a, R, d, n):
    """The compatible APIs over the same daemon: qBittorrent's torrents/info, Transmission's
    torrent-get with transmission-remote -l's fields, and an idle sync/maindata delta."""
    say(f"\n== (4) compatible APIs with {n} torrents: {a.requests} requests each on one connection")
    R["load_before_compat"] = wait_load(a)
    api = Api(d.url)
    lat = []
    for _ in range(a.requests):
        t = time.perf_counter()
        st, data = api.req("GET", "/api/v2/torrents/info")
        lat.append(round((time.perf_counter() - t) * 1000, 3))
        if st != 200 or len(json.loads(data)) != n:
            raise RuntimeError(f"torrents/info: {st} {data[:200]!r}")
    R["qbt_info_bytes"] = len(data)
    R["qbt_info_p50_ms"], R["qbt_info_p99_ms"], R["qbt_info_max_ms"] = pct(lat, 50), pct(lat, 99), max(lat)
    say(f"  GET /api/v2/torrents/info ({len(data)} B): p50 {R['qbt_info_p50_ms']} ms, "
        f"p99 {R['qbt_info_p99_ms']} ms, max {R['qbt_info_max_ms']} ms")
    conn = http.client.HTTPConnection(api.host, api.port, timeout=30)
    conn.request("POST", "/transmission/rpc", body=b"{}")
    r = conn.getresponse()
    r.read()
    sid = r.getheader("X-Transmission-Session-Id")
    body = json.dumps({"method": "torrent-get", "arguments": {"fields": TR_LIST_FIELDS}, "tag": 4}).encode()
    lat = []
    for _ in range(a.requests):
        t = time.perf_counter()
        conn.request("POST", "/transmission/rpc", body=body, headers={"X-Transmission-Session-Id": sid})
        r = conn.getresponse()
        data = r.read()
        lat.append(round((time.perf_counter() - t) * 1000, 3))
        if r.status != 200 or len(json.loads(data)["arguments"]["torrents"]) != n:
            raise RuntimeError(f"torrent-get: {r.status} {data[:200]!r}")
    conn.close()
    R["tr_get_bytes"] = len(data)
    R["tr_get_p50_ms"], R["tr_get_p99_ms"], R["tr_get_max_ms"] = pct(lat, 50), pct(lat, 99), max(lat)
    say(f"  torrent-get, -l fields ({len(data)} B): p50 {R['tr_get_p50_ms']} ms, p99 {R['tr_get_p99_ms']} ms, "
        f"max {R['tr_get_max_ms']} ms")
    st, full = api.json("GET", "/api/v2/sync/maindata?rid=0")
    st, data = api.req("GET", f"/api/v2/sync/maindata?rid={full['rid']}")
    R["maindata_full_torrents"] = len(full.get("torrents", {}))
    R["maindata_idle_delta_bytes"], R["maindata_idle_delta"] = len(data), data.decode()[:300]
    say(f"  sync/maindata: full update {R['maindata_full_torrents']} torrents; the next one with nothing "
        f"changed: {len(data)} B: {data.decode()[:120]}")


class Events(threading.Thread):
    """GET /api/v1/events, opened now; (arrival, event, data) of every record into self.q."""

    def __init__(self, url):
        super().__init__(daemon=True)
        u = urllib.parse.urlsplit(url)
        self.conn, self.q = http.client.HTTPConnection(u.hostname, u.port), queue.Queue()
        self.conn.request("GET", "/api/v1/events")
        self.resp = self.conn.getresponse()
        if self.resp.status != 200:
            raise RuntimeError(f"GET /api/v1/events -> {self.resp.status}")

    def run(self):
        ev = None
        for ln in iter(self.resp.readline, b""):  # every record's data is one JSON line
            ln = ln.decode().strip()
            if ln.startswith("event:"):
                ev = ln[6:].strip()
            elif ln.startswith("data:") and ev:
                self.q.put((time.monotonic(), ev, json.loads(ln[5:])))
                ev = None

    def completed(self, ih, timeout):
        """When ih's `completed` arrived (RuntimeError on its `error`, queue.Empty on timeout)."""
        end = time.monotonic() + timeout
        while True:
            t, ev, data = self.q.get(timeout=max(0.01, end - time.monotonic()))
            if ev in ("completed", "error") and data.get("id") == ih:
                if ev == "error":
                    raise RuntimeError(f"error event: {data}")
                return t


def w1_round(sw, a, i, mode, d, ev, w1, content):
    """One w1 download, A (corrent download) or B (the daemon); its row."""
    row = dict(round=i, mode=mode, load_before=wait_load(a))
    if mode == "A":
        out = os.path.join(sw.tmp, f"w1-A-{i}")
        argv = [CORRENT, "download", "--quiet", "--no-dht", "--listen", "127.0.0.1:0", "--out", out, w1.path]
        record(argv)
        t = time.monotonic()
        p = sw.start_proc(f"download-{i}", argv)
        row["exit_code"] = p.wait(a.timeout)
        row["wall_s"] = round(time.monotonic() - t, 3)
        if row["exit_code"] is None:
            p.stop()
    else:
        out = os.path.join(d.dir, f"w1-B-{i}")
        while not ev.q.empty():
            ev.q.get()
        t = time.monotonic()
        add(d.api, open(w1.path, "rb").read(), save_path=out)
        try:
            row["wall_s"] = round(ev.completed(w1.info_hash, a.timeout) - t, 3)
        except (queue.Empty, RuntimeError) as e:
            row["error"] = f"no completed event: {e!r}"
    f = os.path.join(out, content.name)
    row["verified"] = os.path.exists(f) and filecmp.cmp(os.path.join(content.parent, content.name), f, shallow=False)
    if mode == "B":  # removed (and its data deleted) only after the check
        row["delete_status"] = d.api.json("DELETE", f"/api/v1/torrents/{w1.info_hash}?delete_data=true")[0]
    row["ok"] = bool(row["verified"] and row.get("wall_s") and row.get("exit_code", 0) == 0)
    shutil.rmtree(out, ignore_errors=True)
    say(f"  round {i} {mode}: wall {row.get('wall_s')} s ok={row['ok']} load={row['load_before']}",
        row.get("error", ""))
    return row


def figure3(sw, a, R, w1, content, tracker):
    say(f"\n== (3) w1 ({a.w1_mib} MiB, 1 MiB pieces, 1 libtorrent seeder): corrent download (A) vs daemon (B)")
    seeder = lt_seed(sw, w1, content, tracker, "w1")
    d = Daemon(sw, "daemon-w1", os.path.join(sw.tmp, "state3"), os.path.join(sw.tmp, "dl3"))
    d.wait_api()
    ev = Events(d.url)
    ev.start()
    rows = R["w1_rows"] = [w1_round(sw, a, i, m, d, ev, w1, content)
                           for i in range(a.runs) for m in (("A", "B") if i % 2 == 0 else ("B", "A"))]
    R["w1_exit_code"], R["w1_stop_s"] = d.stop()
    R["w1_log_problems"] = d.problems()
    seeder.stop(grace=5)
    walls = {m: {r["round"]: r["wall_s"] for r in rows if r["mode"] == m and r["ok"]} for m in "AB"}
    for m in "AB":
        R[f"w1_{m}_median_s"] = statistics.median(walls[m].values()) if walls[m] else None
    if R["w1_A_median_s"] and R["w1_B_median_s"]:
        R["w1_B_over_A"] = round(R["w1_B_median_s"] / R["w1_A_median_s"], 4)
        pairs = [walls["B"][i] / walls["A"][i] for i in walls["A"] if i in walls["B"]]
        R["w1_B_over_A_paired"] = round(statistics.median(pairs), 4) if pairs else None
    say(f"  w1 medians: A {R['w1_A_median_s']} s, B {R['w1_B_median_s']} s, B/A {R.get('w1_B_over_A')} "
        f"(median of the rounds' B/A: {R.get('w1_B_over_A_paired')})")


def prepare(sw, a, R):
    """Payloads and torrents (all before any measurement), and opentracker for the big ones."""
    t, out = time.monotonic(), dict(small=[], big=None, w1=None, tracker=None)
    if a.figures & {1, 2, 4}:
        ddir, tdir = os.path.join(sw.tmp, "dl"), os.path.join(sw.tmp, "small-torrents")
        os.makedirs(ddir)
        os.makedirs(tdir)
        out["small"] = make_small(a.torrents, ddir, tdir, a.announce)
    for key, fig, mib, seed in (("big", 2, a.big_mib, 2), ("w1", 3, a.w1_mib, 1)):
        if fig in a.figures:
            c = out[key + "_content"] = sl.make_single(os.path.join(sw.tmp, "content"), f"{key}.bin", mib * MiB, seed)
            out[key] = sl.make_torrent(c, os.path.join(sw.tmp, f"{key}.base.torrent"), MiB)
    if out["big"] or out["w1"]:
        out["tracker"] = sw.start_tracker([x for x in (out["big"], out["w1"]) if x])
        record(out["tracker"].proc.argv)
        for key in ("big", "w1"):
            out[key] = out[key] and sw.announce_torrent(out[key], out["tracker"])
    R["generate_s"] = round(time.monotonic() - t, 1)
    say(f"generated {len(out['small'])} small torrents, {a.big_mib if out['big'] else 0} MiB big, "
        f"{a.w1_mib if out['w1'] else 0} MiB w1 in {R['generate_s']} s")
    return out


def run(sw, a, R, bars):
    P = prepare(sw, a, R)
    d = None
    try:
        if a.figures & {1, 2, 4}:
            d, mem = figure1(sw, a, R, P["small"])
            if 4 in a.figures:
                figure4(sw, a, R, d, len(P["small"]))
            if 2 in a.figures:
                figure2(sw, a, R, d, mem, P["big"], P["big_content"], P["tracker"], len(P["small"]))
            mem.halt.set()
            R["memory_samples"] = mem.samples
            R["measured_log_problems"] = d.problems()
            R["measured_exit_code"], R["measured_stop_s"] = d.stop()
            say(f"  measured daemon: SIGTERM -> exit {R['measured_exit_code']} in {R['measured_stop_s']} s")
            bars["every daemon exits 0 on SIGTERM"] = R["setup_exit_code"] == 0 and R["measured_exit_code"] == 0
        if 1 in a.figures:
            bars[f"(1) startup of {a.torrents} with resume data <= 5 s"] = (R["startup_s"] <= 5, R["startup_s"], "s")
            bars["(1) idle CPU <= 1 %"] = (R["idle_cpu_pct"] <= 1, R["idle_cpu_pct"], "%")
            bars["(1) peak RssAnon <= 128 MiB"] = (R["peak_rss_anon_mib"] <= 128, R["peak_rss_anon_mib"], "MiB")
        if 2 in a.figures:
            ok = R["list_p99_ms"] <= 50 and R["download_running_all_requests"] and R["list_sizes_ok"]
            bars["(2) list p99 <= 50 ms, download running all along"] = (ok, R["list_p99_ms"], "ms")
        if 4 in a.figures:
            bars["(4) torrents/info p99 <= 50 ms"] = (R["qbt_info_p99_ms"] <= 50, R["qbt_info_p99_ms"], "ms")
            bars["(4) torrent-get (-l fields) p99 <= 50 ms"] = (R["tr_get_p99_ms"] <= 50, R["tr_get_p99_ms"], "ms")
            bars["(4) idle sync/maindata < 1 KiB"] = (R["maindata_idle_delta_bytes"] < 1024,
                                                      R["maindata_idle_delta_bytes"], "B")
        if 3 in a.figures:
            figure3(sw, a, R, P["w1"], P["w1_content"], P["tracker"])
            r = R.get("w1_B_over_A")
            bars["(3) w1 wall daemon / download <= 1.05"] = (r is not None and r <= 1.05, r, "")
            bars["(3) every w1 run ok, the daemon exits 0"] = (all(r["ok"] for r in R["w1_rows"])
                                                               and R["w1_exit_code"] == 0)
    finally:
        if d and d.proc.alive():
            d.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--torrents", type=int, default=2000)
    ap.add_argument("--idle-seconds", type=float, default=60)
    ap.add_argument("--announce", default="http://127.0.0.1:9/announce", help="of the N small ones ('' = none)")
    ap.add_argument("--big-mib", type=int, default=3072, help="the torrent downloading during figure (2): big enough to last the 200 requests at 300+ MB/s")
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--w1-mib", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=300, help="per w1 download")
    ap.add_argument("--figures", default="1,2,3,4", help="a subset; 2 and 4 run the setup of 1")
    ap.add_argument("--max-load", type=float, default=1.5, help="before each measurement, wait for the 1-min load "
                    "average to drop below this ...")
    ap.add_argument("--load-wait", type=float, default=60, help="... for at most this many seconds")
    ap.add_argument("--json", help="write every raw number and the commands here")
    ap.add_argument("--base", default="/dev/shm/corrent-daemon-bench", help="scratch data goes under here")
    ap.add_argument("--keep", action="store_true", help="keep the scratch dir")
    a = ap.parse_args()
    a.figures = {int(x) for x in a.figures.split(",") if x}
    for need in (CORRENT, LT_PEER):
        if not os.path.exists(need):
            raise SystemExit(f"missing {need}")
    os.makedirs(a.base, exist_ok=True)
    os.environ["CORRENT_TEST_TMPDIR"] = a.base  # swarmlib.Swarm makes its temp dir there
    if a.keep:
        os.environ["CORRENT_KEEP_TMP"] = "1"
    sl.install_sigterm_handler()
    R = dict(corrent=CORRENT, args={k: (sorted(v) if isinstance(v, set) else v) for k, v in vars(a).items()},
             load_at_start=round(os.getloadavg()[0], 2), nproc=os.cpu_count())
    bars = {}
    with sl.Swarm("daemon-bench") as sw:
        say(f"scratch dir {sw.tmp}; load {R['load_at_start']}")
        try:
            run(sw, a, R, bars)
        except Exception as e:
            R["error"] = repr(e)
            say(f"ERROR {e!r}\n" + "\n".join(ln for ln in sw.dump_logs().splitlines() if ":9/announce" not in ln))
            bars["bench completed"] = False
    say("\n== results")
    for k in ("setup_log_problems", "measured_log_problems", "w1_log_problems"):
        for line, n in R.get(k, {}).items():
            say(f"{k.split('_')[0]} daemon log: {n} x {line}")
    for name, v in bars.items():
        ok, val, unit = v if isinstance(v, tuple) else (v, None, "")
        say(f"{'PASS' if ok else 'FAIL'}  {name}" + (f"   ({val} {unit})" if val is not None else ""))
    if a.json:
        R["commands"], R["bars"] = COMMANDS, {k: (v[0] if isinstance(v, tuple) else v) for k, v in bars.items()}
        with open(a.json, "w") as f:
            json.dump(R, f, indent=1)
        say(f"wrote {a.json}")
    if not a.keep:
        try:
            os.rmdir(a.base)  # only if empty
        except OSError:
            pass
    return 0 if all((v[0] if isinstance(v, tuple) else v) for v in bars.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
