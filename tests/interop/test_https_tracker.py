#!/usr/bin/python3
"""HTTPS trackers (issue [4]): certificates are verified against the trust store.

A small HTTPS tracker on 127.0.0.1 with a throw-away self-signed certificate
(subjectAltName IP:127.0.0.1) answers scrape requests. `corrent info --scrape --json`:
  * with the certificate trusted (SSL_CERT_FILE) gets the tracker's numbers;
  * without it, refuses the connection with a certificate-verification error;
  * a gzip-encoded reply is decoded.
"""
import http.server
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import unittest
import urllib.parse
import gzip

CORRENT = os.path.abspath(os.environ.get("CORRENT", "build/release/src/cli/corrent"))


def bencode(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, str):
        return bencode(v.encode())
    if isinstance(v, dict):
        return b"d" + b"".join(bencode(k) + bencode(v[k]) for k in sorted(v)) + b"e"
    raise TypeError(v)


class Handler(http.server.BaseHTTPRequestHandler):
    gzip_replies = False

    def do_GET(self):
        query = urllib.parse.urlparse(self.path).query
        raw = b""
        if "info_hash=" in query:
            raw = urllib.parse.unquote_to_bytes(query.split("info_hash=")[1].split("&")[0])
        body = bencode({"files": {raw: {"complete": 7, "downloaded": 11, "incomplete": 3}}})
        headers = {}
        if self.gzip_replies:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


class HttpsTracker(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="corrent-https-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
        cls.cert = os.path.join(cls.tmp, "cert.pem")
        key = os.path.join(cls.tmp, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                        "-out", cls.cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
        cls.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cls.cert, key)
        cls.server.socket = ctx.wrap_socket(cls.server.socket, server_side=True)
        cls.port = cls.server.server_address[1]
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        data = os.path.join(cls.tmp, "data.bin")
        with open(data, "wb") as f:
            f.write(os.urandom(300000))
        cls.torrent = os.path.join(cls.tmp, "t.torrent")
        subprocess.run([CORRENT, "create", data, "-o", cls.torrent, "-q",
                        "-t", f"https://127.0.0.1:{cls.port}/announce"], check=True)

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def scrape(self, trusted):
        env = dict(os.environ)
        env.pop("SSL_CERT_FILE", None)
        if trusted:
            env["SSL_CERT_FILE"] = self.cert
        r = subprocess.run([CORRENT, "info", "--scrape", "--json", self.torrent], env=env,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)["scrape"][0]

    def test_trusted_certificate_scrapes(self):
        Handler.gzip_replies = False
        s = self.scrape(trusted=True)
        self.assertTrue(s["ok"], s)
        self.assertEqual((s["seeders"], s["leechers"], s["completed"]), (7, 3, 11))

    def test_untrusted_certificate_is_refused(self):
        s = self.scrape(trusted=False)
        self.assertFalse(s["ok"], s)
        self.assertIn("certificate verify failed", s["error"])

    def test_gzip_reply_is_decoded(self):
        Handler.gzip_replies = True
        try:
            s = self.scrape(trusted=True)
        finally:
            Handler.gzip_replies = False
        self.assertTrue(s["ok"], s)
        self.assertEqual(s["seeders"], 7)


if __name__ == "__main__":
    res = unittest.main(exit=False, verbosity=2).result
    n, bad = res.testsRun, len(res.failures) + len(res.errors)
    print(f"SUMMARY https tracker: {'PASS' if bad == 0 else 'FAIL'} - {n} run, {bad} failed")
    sys.exit(0 if bad == 0 else 1)
