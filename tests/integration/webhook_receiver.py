#!/usr/bin/env python3
"""webhook_receiver.py — a recording webhook receiver for the watch tests.

Listens on 127.0.0.1:PORT (0 = pick a free one; the port is written to
--port-file once listening) and appends one JSON line per POST to --log:
{"ts": epoch seconds, "path": ..., "status": the code answered, "body": the
parsed JSON body (or null) , "raw": the body text}. The answer is 200 unless
the file --status-file exists and holds another code (e.g. 500), so a test
can make it fail and recover without restarting it; to simulate "down", the
test kills it and later starts it again on the same port.
"""
import argparse
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--status-file", default="")
    args = ap.parse_args()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(n).decode("utf-8", "replace")
            status = 200
            if args.status_file and os.path.exists(args.status_file):
                try:
                    status = int(open(args.status_file).read().strip() or 200)
                except ValueError:
                    status = 500
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            line = json.dumps({"ts": time.time(), "path": self.path, "status": status,
                               "body": body, "raw": raw})
            with open(args.log, "a") as f:
                f.write(line + "\n")
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, fmt, *a):
            pass

    HTTPServer.allow_reuse_address = True
    srv = HTTPServer(("127.0.0.1", args.port), Handler)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
