#!/usr/bin/python3
"""The main job on an embedded default: a real download on 127.0.0.1.

Builds a loopback swarm with the project's interop harness (tests/interop/swarmlib.py):
256 MiB of generated content, a v1 torrent made by python3-libtorrent, opentracker, and a
python3-libtorrent seeder. Then `corrent download` fetches it (its status line shows on
this terminal), the bytes are compared with the content, and `corrent verify` re-checks
every piece. Exit 0 only if the download is byte-identical.
"""
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "interop"))
import swarmlib as sl  # noqa: E402

corrent = os.environ.get("CORRENT") or os.path.join(HERE, "..", "build", "release", "src", "cli", "corrent")


def main():
    with sl.Swarm("demo") as sw:
        content = sw.make_single("demo-video.bin", 256 * sl.MiB)
        base = sw.make_torrent(content, 1 * sl.MiB)
        tracker = sw.start_tracker([base])
        torrent = sw.announce_torrent(base, tracker)
        seeder = sw.lt_seeder(torrent, content)
        sw.wait_ready([seeder], tracker, torrent)
        out = os.path.join(sw.tmp, "downloads")
        os.makedirs(out)
        print(f"\n$ corrent download {os.path.basename(torrent.path)} -o {out} --no-dht", flush=True)
        t0 = time.monotonic()
        rc = subprocess.call([corrent, "download", torrent.path, "-o", out,
                              "--listen", f"127.0.0.1:{sl.free_port()}", sl.NO_DHT], timeout=300)
        elapsed = time.monotonic() - t0
        if rc != 0:
            print(f"demo: corrent download failed (exit {rc})\n{sw.dump_logs()}")
            return 1
        problem = sw.verify(content, out)
        if problem:
            print(f"demo: download is NOT byte-identical: {problem}")
            return 1
        print(f"demo: {content.total_size} bytes downloaded in {elapsed:.2f} s and byte-identical")
        print(f"\n$ corrent verify {os.path.basename(torrent.path)} -d {out}", flush=True)
        return subprocess.call([corrent, "verify", torrent.path, "-d", out], timeout=120)


if __name__ == "__main__":
    sys.exit(main())
