#!/usr/bin/python3
"""python3-libtorrent peer for corrent's interop tests (seeder, or reference leecher).

  ltpeer.py --role seed  --torrent T --dir CONTENT_PARENT --port P --stats F [--upload-limit B/s]
  ltpeer.py --role leech --torrent T --dir OUT_DIR --port P --stats F [--connect H:P]...
            [--reannounce-every S]
  ltpeer.py --role leech --magnet URI --dir OUT_DIR --port P --stats F --plugins ...

Like ../shared/swarm/lt_peer.py (loopback only; DHT, LSD, UPnP, NAT-PMP, uTP off;
no default plugins, so no ut_pex/ut_metadata/smart_ban; several connections per IP
allowed), plus what the tests need:
  * --upload-limit: a real upload cap on loopback peers (libtorrent puts 127.0.0.1
    in its 'local' peer class, which a plain upload_rate_limit does not throttle);
  * --no-outgoing: never dial peers (a seeder that can only be found, not find);
  * --reannounce-every: re-announce periodically while no peer is connected;
  * the stats file of a leecher has the shape of corrent's --stats (complete,
    downloaded_bytes, hash_failures, peers[address, downloaded, banned, ...]).
Magnet / extension tests (test_magnet.py, test_pex.py, test_fast_extension.py):
  * --plugins: libtorrent's default plugins (ut_metadata: serves and fetches BEP 9
    metadata, ut_pex: BEP 11, smart_ban); without it there are none, as before;
  * --magnet URI: leech from a magnet link (x.pe hints and tr= trackers honoured;
    loopback only) instead of --torrent; needs --plugins to get the metadata;
  * --ip 127.x.y.z: listen and dial from this loopback address (default 127.0.0.1);
  * --redial H:P: dial that peer again every 2 s while not connected to it (for
    transmission, which never dials 127.x peers and hangs up after the metadata);
  * --no-pex: the torrent's disable_pex flag (with --plugins: takes no PEX);
  * --upload-mode: libtorrent upload_mode (has the metadata, downloads nothing);
  * --set NAME=VALUE: any other libtorrent setting (e.g. unchoke_slots_limit=0);
  * the stats file also has has_metadata, metadata_s and, per peer, source
    (libtorrent peer_info source flags: 1 tracker, 2 dht, 4 pex, 8 lsd, 0x10
    resume/x.pe, 0x20 incoming), client, seed and connected (now).
stdin: "connect HOST PORT" (127.0.0.0/8 or ::1 only), "upload-limit B" (B/s, 0 = none), "quit".
Exit: leech 0 when complete, 3 on timeout; seed runs until SIGTERM/quit.
"""
import argparse
import ipaddress
import json
import os
import select
import signal
import sys
import time

import libtorrent as lt

STOP = False


def is_loopback(host):
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _stop(*_):
    global STOP
    STOP = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--role", choices=["seed", "leech"], required=True)
    ap.add_argument("--torrent")
    ap.add_argument("--magnet")
    ap.add_argument("--plugins", action="store_true", help="libtorrent default plugins (ut_metadata, ut_pex)")
    ap.add_argument("--ip", default="127.0.0.1", help="loopback address to listen on and dial from")
    ap.add_argument("--redial", action="append", default=[], help="HOST:PORT to dial every 2 s")
    ap.add_argument("--no-pex", action="store_true")
    ap.add_argument("--upload-mode", action="store_true")
    ap.add_argument("--set", action="append", default=[], help="extra libtorrent setting NAME=VALUE")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--stats")
    ap.add_argument("--upload-limit", type=int, default=0, help="bytes/s, 0 = unlimited")
    ap.add_argument("--no-outgoing", action="store_true")
    ap.add_argument("--connect", action="append", default=[])
    ap.add_argument("--reannounce-every", type=float, default=0)
    ap.add_argument("--timeout", type=float, default=600)
    a = ap.parse_args()
    if bool(a.torrent) == bool(a.magnet):
        ap.error("give exactly one of --torrent and --magnet")
    if not is_loopback(a.ip):
        ap.error("--ip must be a loopback address")
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)

    settings = {
        "listen_interfaces": f"{a.ip}:{a.port}",
        "outgoing_interfaces": a.ip,
        "dht_bootstrap_nodes": "",
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
        "enable_incoming_utp": False, "enable_outgoing_utp": False,
        "enable_incoming_tcp": True, "enable_outgoing_tcp": not a.no_outgoing,
        "allow_multiple_connections_per_ip": True,
        # plaintext when dialling: corrent and the scripted peers speak no MSE, and an
        # encrypted first attempt only delays the plain retry (and fools wire recorders)
        "out_enc_policy": int(lt.enc_policy.disabled),
        "announce_to_all_trackers": True, "announce_to_all_tiers": True,
        "alert_mask": int(lt.alert.category_t.status_notification | lt.alert.category_t.error_notification
                          | lt.alert.category_t.peer_notification
                          # per-block byte counts only for the magnet/extension tests
                          # (--plugins): the other tests keep the leecher as it was
                          | (lt.alert.category_t.block_progress_notification
                             if a.role == "leech" and a.plugins else 0)),
        "user_agent": "corrent-interop-lt/" + lt.__version__,
    }
    for kv in a.set:
        k, v = kv.split("=", 1)
        settings[k] = {"true": True, "false": False}.get(v.lower(), int(v) if v.lstrip("-").isdigit() else v)
    if a.plugins:
        settings["min_reconnect_time"] = 1  # re-dial a peer that hung up after 1 s, not 60
    # flags 0: no default plugins; --plugins: ut_metadata, ut_pex, smart_ban
    ses = lt.session(settings) if a.plugins else lt.session(settings, 0)

    def set_upload_limit(limit):
        for cid in (ses.local_peer_class_id, ses.global_peer_class_id):
            pc = ses.get_peer_class(cid)
            pc["upload_limit"] = limit
            ses.set_peer_class(cid, pc)

    if a.upload_limit:
        set_upload_limit(a.upload_limit)

    if a.magnet:
        atp = lt.parse_magnet_uri(a.magnet)
        for ep in atp.peers:
            if not is_loopback(str(ep[0])):
                raise SystemExit(f"x.pe not on loopback: {ep}")
        import urllib.parse
        for tr in atp.trackers:
            if not is_loopback(urllib.parse.urlparse(tr).hostname or ""):
                raise SystemExit(f"tracker not on loopback: {tr}")
    else:
        atp = lt.add_torrent_params()
        atp.ti = lt.torrent_info(a.torrent)
    atp.save_path = a.dir
    atp.flags &= ~(lt.torrent_flags.auto_managed | lt.torrent_flags.paused)
    if a.no_pex:
        atp.flags |= lt.torrent_flags.disable_pex
    if a.upload_mode:
        atp.flags |= lt.torrent_flags.upload_mode
    h = ses.add_torrent(atp)

    def endpoint(c):
        host, port = c.rsplit(":", 1)
        host = host.strip("[]")
        if not is_loopback(host):
            raise SystemExit(f"not a loopback peer: {c}")
        return host, int(port)

    for c in a.connect:
        h.connect_peer(endpoint(c))
    redial = [endpoint(c) for c in a.redial]
    last_redial = 0.0
    metadata_at = None

    t0 = time.monotonic()
    peers = {}  # "ip:port" -> dict(downloaded, uploaded, banned, hash_failures)
    hash_failures = 0
    ready_at = None
    last_stats = last_reannounce = 0.0
    rc = 0

    def peer(addr):
        return peers.setdefault(addr, dict(address=addr, downloaded=0, uploaded=0, hash_failures=0,
                                           banned=False, source=0, client="", seed=False,
                                           connected=False))

    def write_stats(final=False):
        if not a.stats:
            return
        st = h.status()
        d = dict(role=a.role, port=a.port, complete=bool(st.is_seeding), is_seeding=bool(st.is_seeding),
                 ready_s=ready_at, uploaded=st.total_payload_upload, downloaded=st.total_payload_download,
                 downloaded_bytes=st.total_payload_download, uploaded_bytes=st.total_payload_upload,
                 hash_failures=hash_failures, elapsed_s=round(time.monotonic() - t0, 3),
                 num_peers=st.num_peers, final=final, has_metadata=bool(st.has_metadata),
                 metadata_s=metadata_at, peers=list(peers.values()))
        tmp = a.stats + ".tmp"
        with open(tmp, "w") as f:
            json.dump(d, f)
        os.replace(tmp, a.stats)

    def sample_peers():
        now_connected = set()
        for pi in h.get_peer_info():
            p = peer(f"{pi.ip[0]}:{pi.ip[1]}")
            p["downloaded"] = max(p["downloaded"], pi.total_download)
            p["uploaded"] = max(p["uploaded"], pi.total_upload)
            p["source"] |= int(pi.source)
            p["seed"] = p["seed"] or bool(pi.flags & pi.seed)
            if pi.client:
                p["client"] = pi.client if isinstance(pi.client, str) else pi.client.decode("utf-8", "replace")
            now_connected.add(p["address"])
        for addr, p in peers.items():
            p["connected"] = addr in now_connected
        return now_connected

    def handle_alerts():
        nonlocal hash_failures
        for al in ses.pop_alerts():
            if isinstance(al, lt.hash_failed_alert):
                hash_failures += 1
            elif isinstance(al, lt.peer_ban_alert):
                peer(f"{al.endpoint[0]}:{al.endpoint[1]}")["banned"] = True
            elif isinstance(al, (lt.torrent_error_alert, lt.file_error_alert)):
                print("ltpeer error:", al.message(), file=sys.stderr, flush=True)
            elif isinstance(al, lt.block_finished_alert):
                # per-peer bytes from every block received: peer_info is sampled, and a
                # seed hangs up at once when we complete (the last blocks would be lost)
                try:
                    ti = h.torrent_file()
                    size = min(16384, ti.piece_size(al.piece_index) - 16384 * al.block_index)
                    p = peer(f"{al.endpoint[0]}:{al.endpoint[1]}")
                    p["blocks_bytes"] = p.get("blocks_bytes", 0) + size
                    p["downloaded"] = max(p["downloaded"], p["blocks_bytes"])
                except Exception:  # a counter for the stats file must never end the peer
                    pass

    stdin_open = True
    stdin_buf = b""
    while not STOP:
        now = time.monotonic()
        if now - t0 > a.timeout:
            rc = 3
            break
        handle_alerts()
        connected = sample_peers()
        st = h.status()
        if metadata_at is None and st.has_metadata:
            metadata_at = round(now - t0, 3)
        if ready_at is None and st.is_seeding:
            ready_at = now - t0
        if redial and now - last_redial >= 2.0:
            last_redial = now
            for ep in redial:
                if f"{ep[0]}:{ep[1]}" not in connected:
                    h.connect_peer(ep)
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
                if parts[:1] == ["connect"] and len(parts) == 3 and is_loopback(parts[1]) \
                        and parts[2].isdigit():
                    h.connect_peer((parts[1], int(parts[2])))
                elif parts[:1] == ["upload-limit"] and len(parts) == 2 and parts[1].isdigit():
                    set_upload_limit(int(parts[1]))
                    print(f"ltpeer: upload limit {parts[1]} B/s", file=sys.stderr, flush=True)
                elif parts[:1] == ["quit"]:
                    quit_now = True
            if quit_now:
                break
        ses.wait_for_alert(50)
    end = time.monotonic() + 0.5
    while time.monotonic() < end:  # the last blocks' alerts
        handle_alerts()
        ses.wait_for_alert(100)
    handle_alerts()
    sample_peers()
    write_stats(final=True)
    ses.apply_settings({"stop_tracker_timeout": 1})  # leave quickly: no long 'stopped' round trips
    h = ses = None  # noqa: F841 (destroy the session before exit)
    sys.exit(rc)


if __name__ == "__main__":
    main()
