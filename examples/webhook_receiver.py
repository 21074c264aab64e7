#!/usr/bin/env python3
"""A webhook receiver for trying sandbank by hand: verifies each delivery's Stripe-Signature
with the endpoint's secret, as Stripe's SDKs do, and prints one line per event.

    WHSEC=whsec_… python3 examples/webhook_receiver.py [port [host]]   # 4242 127.0.0.1

(`0.0.0.0` as the host when sandbank runs in Docker and delivers to host.docker.internal.)

Only the standard library: the signature is HMAC-SHA256 over "{t}.{body}", hex, in the
header's v1 entry; deliveries older than five minutes are refused (Stripe's default
tolerance). Answers 200 to a verified delivery and 400 otherwise, so sandbank retries.
"""

import hashlib
import hmac
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

SECRET = os.environ["WHSEC"].encode()
TOLERANCE_SECS = 300


def verified(header, body):
    parts = [p.split("=", 1) for p in header.split(",") if "=" in p]
    stamps = [v for k, v in parts if k == "t"]
    signatures = [v for k, v in parts if k == "v1"]
    if not stamps or not stamps[0].isdigit() or abs(time.time() - int(stamps[0])) > TOLERANCE_SECS:
        return False
    expected = hmac.new(SECRET, stamps[0].encode() + b"." + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, s) for s in signatures)


class Receiver(BaseHTTPRequestHandler):
    def do_GET(self):
        """Answers 200, so a script can wait until the receiver is up."""
        self.send_response(200)
        self.end_headers()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        ok = verified(self.headers.get("Stripe-Signature", ""), body)
        event = json.loads(body) if ok else {}
        print(
            f"{event.get('type', '?')} {event.get('id', '?')} signature {'ok' if ok else 'BAD'}",
            flush=True,
        )
        self.send_response(200 if ok else 400)
        self.end_headers()

    def log_message(self, *args):
        pass  # one line per event is printed above; no access log


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 4242
    host = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"
    HTTPServer((host, port), Receiver).serve_forever()
