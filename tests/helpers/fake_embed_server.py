#!/usr/bin/env python3
"""fake_embed_server.py — a stand-in OpenAI-compatible /v1/embeddings server
for rag-ingest's tests. Binds 127.0.0.1 on a free port and writes the port to
--port-file. Answers with deterministic vectors in REVERSED order (so clients
must map results by "index"). --mode picks the behaviour:
  ok          always answer
  429-then-ok answer 429 (Retry-After: --retry-after, default 0) to the first --fail-count requests
  500-then-ok answer 503 to the first --fail-count requests
  slow        sleep --delay seconds before answering
  malformed   answer 200 with a body that is not an embeddings response
  wrong-dims  answer vectors of the wrong length
  bad-base64  answer base64 vectors that are not base64
Vectors are JSON arrays, or base64 float32 (little-endian) when the request
says "encoding_format": "base64" and --ignore-encoding is not given.
Every request is appended to --log as one JSON line (path, auth header seen,
number of inputs, status sent, "t": when it arrived (seconds), and "conn": the client's port, the same for
requests on one kept-alive connection — it speaks HTTP/1.1). Optional --require-key KEY: 401 without it.
Optional --refuse TEXT: 400 to a request any of whose inputs contains TEXT
(before any --mode behaviour, "slow" included); --arrivals FILE: a line with
the number of inputs appended when each request arrives (before any delay).
"""
import argparse
import base64
import hashlib
import json
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

args = None
lock = threading.Lock()
count = {"n": 0}


def vector(text, dims):
    out = []
    i = 0
    while len(out) < dims:
        h = hashlib.sha256(("%d:%s" % (i, text)).encode()).digest()
        out.extend(v / 2**31 for v in struct.unpack("<8i", h))
        i += 1
    return out[:dims]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: every reply has a Content-Length

    def log_message(self, *a):
        pass

    def reply(self, status, body, headers=()):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_POST(self):
        arrived = time.time()
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        with lock:
            count["n"] += 1
            n = count["n"]
        auth = self.headers.get("Authorization")
        try:
            req = json.loads(raw)
            inputs = req["input"]
        except Exception:
            req, inputs = {}, []
        status = 200
        if args.arrivals:
            with open(args.arrivals, "a") as f:
                f.write("%d\n" % len(inputs))
        if args.refuse and any(args.refuse in str(t) for t in inputs):
            status = 400
            self.reply(400, {"error": {"message": "input refused"}})
        elif args.require_key and auth != "Bearer " + args.require_key:
            status = 401
            self.reply(401, {"error": {"message": "bad key"}})
        elif args.mode == "429-then-ok" and n <= args.fail_count:
            status = 429
            self.reply(429, {"error": {"message": "rate limited"}}, [("Retry-After", args.retry_after)])
        elif args.mode == "500-then-ok" and n <= args.fail_count:
            status = 503
            self.reply(503, {"error": {"message": "overloaded"}})
        elif args.mode == "malformed":
            self.reply(200, b'{"object": "list", "data": "not an array"')
        else:
            if args.mode == "slow":
                time.sleep(args.delay)
            dims = args.dims - 1 if args.mode == "wrong-dims" else args.dims
            as_b64 = req.get("encoding_format") == "base64" and not args.ignore_encoding
            def encode(v):
                if args.mode == "bad-base64":
                    return "!" * len(base64.b64encode(struct.pack("<%df" % len(v), *v)))
                return base64.b64encode(struct.pack("<%df" % len(v), *v)).decode() if as_b64 else v
            data = [{"object": "embedding", "index": i, "embedding": encode(vector(t, dims))} for i, t in enumerate(inputs)]
            data.reverse()
            self.reply(200, {"object": "list", "model": req.get("model"), "data": data})
        with open(args.log, "a") as f:
            f.write(json.dumps({"path": self.path, "auth": auth, "inputs": len(inputs), "status": status,
                                "model": req.get("model"), "encoding_format": req.get("encoding_format"),
                                "conn": self.client_address[1], "t": arrived}) + "\n")


def main():
    global args
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--mode", default="ok")
    ap.add_argument("--fail-count", type=int, default=2)
    ap.add_argument("--retry-after", default="0")
    ap.add_argument("--delay", type=float, default=5.0)
    ap.add_argument("--dims", type=int, default=16)
    ap.add_argument("--require-key")
    ap.add_argument("--ignore-encoding", action="store_true")
    ap.add_argument("--refuse")
    ap.add_argument("--arrivals")
    args = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(args.port_file + ".tmp", args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
