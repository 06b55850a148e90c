#!/usr/bin/python3
"""A symbolic link planted inside the output directory is never followed (issue [7]).

  * DIR/.corrent-parts -> a directory outside DIR: corrent refuses before writing, names
    the link, exits non-zero, and nothing appears outside;
  * DIR/<name> -> a directory outside DIR, for a multi-file torrent: the download runs in
    the parts directory, but moving the files into place stops at the link with an error
    naming it, exit non-zero; nothing is written outside, the data stays in DIR's parts.
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dltest  # noqa: E402
import swarmlib as sl  # noqa: E402


def tree_files(root):
    out = []
    for base, _, names in os.walk(root):
        out += [os.path.relpath(os.path.join(base, n), root) for n in names]
    return sorted(out)


class PathSafety(dltest.DownloadTest):
    def test_planted_parts_link_is_refused(self):
        content = self.content_single(1 * sl.MiB, name="p.bin", seed=3)
        base = self.sw.make_torrent(content, 64 * sl.KiB)
        torrent = self.sw.announce_torrent(base, [f"http://127.0.0.1:{sl.free_port()}/announce"])
        out = tempfile.mkdtemp(prefix="out-", dir=self.sw.tmp)
        outside = tempfile.mkdtemp(prefix="outside-", dir=self.sw.tmp)
        os.symlink(outside, os.path.join(out, ".corrent-parts"))
        r = subprocess.run([sl.corrent_bin(), "download", torrent.path, "-o", out,
                            "--listen", f"127.0.0.1:{sl.free_port()}", sl.NO_DHT],
                           capture_output=True, text=True, timeout=30)
        self.assertNotEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("symbolic link", r.stderr, r.stderr)
        self.assertIn(".corrent-parts", r.stderr, r.stderr)
        self.assertEqual(tree_files(outside), [], "corrent wrote through the planted link")

    def test_planted_name_link_stops_the_final_move(self):
        content = self.content_multi(nfiles=20, max_size=256 * sl.KiB, name="tree", seed=4)
        base = self.sw.make_torrent(content, 64 * sl.KiB)
        torrent = self.sw.announce_torrent(base, [f"http://127.0.0.1:{sl.free_port()}/announce"])
        seeder = self.sw.lt_seeder(torrent, content)
        self.sw.wait_ready([seeder], None, torrent)
        out = tempfile.mkdtemp(prefix="out-", dir=self.sw.tmp)
        outside = tempfile.mkdtemp(prefix="outside-", dir=self.sw.tmp)
        os.symlink(outside, os.path.join(out, content.name))
        r = subprocess.run([sl.corrent_bin(), "download", torrent.path, "-o", out, "--peer", seeder.address,
                            "--listen", f"127.0.0.1:{sl.free_port()}", sl.NO_DHT],
                           capture_output=True, text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("symbolic link", r.stderr, r.stderr)
        self.assertEqual(tree_files(outside), [], "corrent moved files through the planted link")
        self.assertTrue(os.path.islink(os.path.join(out, content.name)))


if __name__ == "__main__":
    dltest.main("path safety")
