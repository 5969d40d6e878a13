#!/usr/bin/env python3
"""probe.py — a single health prober, the way a console, kubelet or
Prometheus probes: every INTERVAL seconds a new TCP connection, one
GET URL-PATH, read the whole response, close. Runs for DURATION seconds
(stops by itself) and prints one line:
  RESULT n=<probes> p50=<ms> p99=<ms> max=<ms> errors=<failed probes>
A probe that fails (refused, reset, no 2xx/5xx status, 1 s timeout) counts
as an error and as 1000 ms.
usage: probe.py PORT PATH [--duration 20] [--interval 0.05]"""
import argparse, socket, time

ap = argparse.ArgumentParser()
ap.add_argument("port", type=int)
ap.add_argument("path")
ap.add_argument("--duration", type=float, default=20)
ap.add_argument("--interval", type=float, default=0.05)
a = ap.parse_args()
req = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" % a.path).encode()
lat, errors = [], 0
end = time.monotonic() + a.duration
while time.monotonic() < end:
    t0 = time.monotonic()
    ok = False
    try:
        with socket.create_connection(("127.0.0.1", a.port), timeout=1) as s:
            s.sendall(req)
            data = b""
            while True:
                b = s.recv(65536)
                if not b:
                    break
                data += b
            ok = data.startswith(b"HTTP/1.1 2") or data.startswith(b"HTTP/1.1 5")
    except OSError:
        pass
    ms = (time.monotonic() - t0) * 1000
    if not ok:
        errors += 1
        ms = max(ms, 1000.0)
    lat.append(ms)
    time.sleep(max(0.0, a.interval - (time.monotonic() - t0)))
lat.sort()
pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else 0
print("RESULT n=%d p50=%.2f p99=%.2f max=%.2f errors=%d" % (len(lat), pick(0.5), pick(0.99), lat[-1] if lat else 0, errors))
