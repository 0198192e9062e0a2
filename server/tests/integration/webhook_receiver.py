"""A deployment system for the webhook adapter's tests: verifies every
delivery's signature with the standardwebhooks package (an independent
implementation of Standard Webhooks), answers 500 to the first delivery of
each webhook-id (so Slipway must retry with the same id), then accepts and
calls Slipway back with the deployment's token.

Usage: webhook_receiver.py SECRET MODE LOG
  MODE: ok (report success), fail (report failure), silent (never report),
        down (always answer 500)
Prints the port it listens on, then serves until killed. Appends one JSON
line per delivery to LOG: {"id", "verified", "attempt", "payload"}.
"""

import json
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook

SECRET, MODE, LOG = sys.argv[1], sys.argv[2], sys.argv[3]
WEBHOOK = Webhook(SECRET)
SEEN = {}
LOCK = threading.Lock()


def call_back(callback, reports):
    for state, message in reports:
        req = urllib.request.Request(
            callback["url"],
            data=json.dumps({"state": state, "message": message}).encode(),
            headers={"Authorization": "Bearer " + callback["token"], "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(req, timeout=10) as res:
            assert res.status == 202, res.status


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            payload = WEBHOOK.verify(body, headers)
            verified = True
        except Exception as e:  # noqa: BLE001 - any failure is "not verified"
            payload, verified = {"error": str(e)}, False
        msg_id = headers.get("webhook-id", "")
        with LOCK:
            SEEN[msg_id] = SEEN.get(msg_id, 0) + 1
            attempt = SEEN[msg_id]
        with open(LOG, "a", encoding="utf-8") as log:
            log.write(json.dumps({"id": msg_id, "verified": verified, "attempt": attempt, "payload": payload}) + "\n")
        if not verified:
            self.send_response(401)
            self.end_headers()
            return
        if MODE == "down" or attempt == 1:
            self.send_response(500)
            self.end_headers()
            return
        self.send_response(202)
        self.end_headers()
        if attempt == 2 and MODE in ("ok", "fail"):
            reports = [("running", "rolling out to 3 pods")]
            reports.append(("succeeded", "3/3 pods ready") if MODE == "ok" else ("failed", "pods crash-looping"))
            threading.Thread(target=call_back, args=(payload["callback"], reports), daemon=True).start()


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
