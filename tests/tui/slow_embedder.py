#!/usr/bin/env python3
"""slow_embedder.py PORT DELAY_S DIMS — an OpenAI-compatible /v1/embeddings
server on 127.0.0.1 that waits DELAY_S per request, so a real rag-ingest run
lasts long enough for the console tests to watch its progress bar."""
import hashlib, json, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, DELAY, DIMS = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])

class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        time.sleep(DELAY)
        data = []
        for i, text in enumerate(body.get("input", [])):
            h = hashlib.sha256(text.encode()).digest()
            data.append({"index": i, "embedding": [(h[k % 32] - 127.5) / 128 for k in range(DIMS)]})
        out = json.dumps({"object": "list", "data": data, "model": body.get("model", "")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

ThreadingHTTPServer(("127.0.0.1", PORT), H).serve_forever()
