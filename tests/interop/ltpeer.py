#!/usr/bin/python3
"""python3-libtorrent peer for corrent's interop tests (seeder, or reference leecher).

  ltpeer.py --role seed  --torrent T --dir CONTENT_PARENT --port P --stats F [--upload-limit B/s]
  ltpeer.py --role leech --torrent T --dir OUT_DIR --port P --stats F [--connect H:P]...
            [--reannounce-every S]

Like ../shared/swarm/lt_peer.py (loopback only; DHT, LSD, UPnP, NAT-PMP, uTP off;
no default plugins, so no ut_pex/ut_metadata/smart_ban; several connections per IP
allowed), plus what the tests need:
  * --upload-limit: a real upload cap on loopback peers (libtorrent puts 127.0.0.1
    in its 'local' peer class, which a plain upload_rate_limit does not throttle);
  * --no-outgoing: never dial peers (a seeder that can only be found, not find);
  * --reannounce-every: re-announce periodically while no peer is connected;
  * the stats file of a leecher has the shape of corrent's --stats (complete,
    downloaded_bytes, hash_failures, peers[address, downloaded, banned, ...]).
stdin: "connect HOST PORT" (127.0.0.1 only), "upload-limit B" (B/s, 0 = none), "quit".
Exit: leech 0 when complete, 3 on timeout; seed runs until SIGTERM/quit.
"""
import argparse
import json
import os
import select
import signal
import sys
import time

import libtorrent as lt

STOP = False


def _stop(*_):
    global STOP
    STOP = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--role", choices=["seed", "leech"], required=True)
    ap.add_argument("--torrent", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--stats")
    ap.add_argument("--upload-limit", type=int, default=0, help="bytes/s, 0 = unlimited")
    ap.add_argument("--no-outgoing", action="store_true")
    ap.add_argument("--connect", action="append", default=[])
    ap.add_argument("--reannounce-every", type=float, default=0)
    ap.add_argument("--timeout", type=float, default=600)
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)

    settings = {
        "listen_interfaces": f"127.0.0.1:{a.port}",
        "outgoing_interfaces": "127.0.0.1",
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
        "enable_incoming_utp": False, "enable_outgoing_utp": False,
        "enable_incoming_tcp": True, "enable_outgoing_tcp": not a.no_outgoing,
        "allow_multiple_connections_per_ip": True,
        "announce_to_all_trackers": True, "announce_to_all_tiers": True,
        "alert_mask": int(lt.alert.category_t.status_notification | lt.alert.category_t.error_notification
                          | lt.alert.category_t.peer_notification),
        "user_agent": "corrent-interop-lt/" + lt.__version__,
    }
    ses = lt.session(settings, 0)

    def set_upload_limit(limit):
        for cid in (ses.local_peer_class_id, ses.global_peer_class_id):
            pc = ses.get_peer_class(cid)
            pc["upload_limit"] = limit
            ses.set_peer_class(cid, pc)

    if a.upload_limit:
        set_upload_limit(a.upload_limit)

    atp = lt.add_torrent_params()
    atp.ti = lt.torrent_info(a.torrent)
    atp.save_path = a.dir
    atp.flags &= ~(lt.torrent_flags.auto_managed | lt.torrent_flags.paused)
    h = ses.add_torrent(atp)
    for c in a.connect:
        host, port = c.rsplit(":", 1)
        h.connect_peer((host, int(port)))

    t0 = time.monotonic()
    peers = {}  # "ip:port" -> dict(downloaded, uploaded, banned, hash_failures)
    hash_failures = 0
    ready_at = None
    last_stats = last_reannounce = 0.0
    rc = 0

    def peer(addr):
        return peers.setdefault(addr, dict(address=addr, downloaded=0, uploaded=0, hash_failures=0,
                                           banned=False))

    def write_stats(final=False):
        if not a.stats:
            return
        st = h.status()
        d = dict(role=a.role, port=a.port, complete=bool(st.is_seeding), is_seeding=bool(st.is_seeding),
                 ready_s=ready_at, uploaded=st.total_payload_upload, downloaded=st.total_payload_download,
                 downloaded_bytes=st.total_payload_download, uploaded_bytes=st.total_payload_upload,
                 hash_failures=hash_failures, elapsed_s=round(time.monotonic() - t0, 3),
                 num_peers=st.num_peers, final=final, peers=list(peers.values()))
        tmp = a.stats + ".tmp"
        with open(tmp, "w") as f:
            json.dump(d, f)
        os.replace(tmp, a.stats)

    def sample_peers():
        for pi in h.get_peer_info():
            p = peer(f"{pi.ip[0]}:{pi.ip[1]}")
            p["downloaded"] = max(p["downloaded"], pi.total_download)
            p["uploaded"] = max(p["uploaded"], pi.total_upload)

    stdin_open = True
    stdin_buf = b""
    while not STOP:
        now = time.monotonic()
        if now - t0 > a.timeout:
            rc = 3
            break
        for al in ses.pop_alerts():
            if isinstance(al, lt.hash_failed_alert):
                hash_failures += 1
            elif isinstance(al, lt.peer_ban_alert):
                peer(f"{al.endpoint[0]}:{al.endpoint[1]}")["banned"] = True
            elif isinstance(al, (lt.torrent_error_alert, lt.file_error_alert)):
                print("ltpeer error:", al.message(), file=sys.stderr, flush=True)
        sample_peers()
        st = h.status()
        if ready_at is None and st.is_seeding:
            ready_at = now - t0
        if a.role == "leech" and st.is_seeding:
            break
        if a.reannounce_every and st.num_peers == 0 and now - last_reannounce >= a.reannounce_every:
            h.force_reannounce(0, -1, lt.reannounce_flags_t.ignore_min_interval)
            last_reannounce = now
        if now - last_stats >= 0.25:
            write_stats()
            last_stats = now
        if stdin_open:
            # Raw reads, not readline(): a buffered readline would hold back a second
            # command that arrived in the same read until a third one came.
            r, _, _ = select.select([sys.stdin], [], [], 0)
            if r:
                chunk = os.read(sys.stdin.fileno(), 4096)
                if not chunk:
                    stdin_open = False
                stdin_buf += chunk
            quit_now = False
            while b"\n" in stdin_buf:
                line, stdin_buf = stdin_buf.split(b"\n", 1)
                parts = line.decode(errors="replace").split()
                if parts[:1] == ["connect"] and len(parts) == 3 and parts[1] in ("127.0.0.1", "::1"):
                    h.connect_peer((parts[1], int(parts[2])))
                elif parts[:1] == ["upload-limit"] and len(parts) == 2 and parts[1].isdigit():
                    set_upload_limit(int(parts[1]))
                    print(f"ltpeer: upload limit {parts[1]} B/s", file=sys.stderr, flush=True)
                elif parts[:1] == ["quit"]:
                    quit_now = True
            if quit_now:
                break
        ses.wait_for_alert(50)
    sample_peers()
    write_stats(final=True)
    ses.apply_settings({"stop_tracker_timeout": 1})  # leave quickly: no long 'stopped' round trips
    h = ses = None  # noqa: F841 (destroy the session before exit)
    sys.exit(rc)


if __name__ == "__main__":
    main()
