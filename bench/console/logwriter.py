#!/usr/bin/env python3
"""logwriter.py FILE RATE SECONDS — append RATE JSON log lines per second to
FILE for SECONDS (in 10 ms slices, one write() per slice, O_APPEND), then
print how many lines were written."""
import json, os, sys, time

path, rate, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
slice_s = 0.01
per = max(1, int(rate * slice_s))
n = 0
t0 = time.monotonic()
k = 0
while True:
    now = time.monotonic() - t0
    if now >= secs:
        break
    ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".000Z"
    lines = []
    for _ in range(per):
        n += 1
        lines.append(json.dumps({"ts": ts, "level": "info", "component": "bench", "event": "line",
                                 "msg": f"line {n} of the log flood", "payload": {"n": n}}))
    os.write(fd, ("\n".join(lines) + "\n").encode())
    k += 1
    sleep = k * slice_s - (time.monotonic() - t0)
    if sleep > 0:
        time.sleep(sleep)
os.close(fd)
print(n)
