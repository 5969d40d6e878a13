#!/usr/bin/env python3
"""slow_clients.py — a bounded slow-client attack on an HTTP server, for
tests and benchmarks (127.0.0.1 only): SLOW connections that each send one
byte of a never-ending request header per second, plus IDLE connections
that send nothing. A connection the server closes is reopened (at most
RECONNECTS per second, so the attack itself stays cheap), the way a real
attacker keeps the pressure on. Stops by itself after DURATION seconds,
closes everything and prints one JSON line of counts.

usage: slow_clients.py PORT [--slow 300] [--idle 1000] [--duration 20]
                            [--sources 1] [--ready-file PATH]
--sources N spreads the connections over 127.0.0.1 .. 127.0.0.N.
--ready-file: written once the first round of connections is open."""
import argparse, errno, json, resource, selectors, socket, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("port", type=int)
ap.add_argument("--slow", type=int, default=300)
ap.add_argument("--idle", type=int, default=1000)
ap.add_argument("--duration", type=float, default=20)
ap.add_argument("--sources", type=int, default=1)
ap.add_argument("--reconnects", type=int, default=200, help="reopened connections per second, at most")
ap.add_argument("--ready-file")
a = ap.parse_args()

need = a.slow + a.idle + 64
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < need:
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))

HEADER = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 100000
sel = selectors.DefaultSelector()
stats = {"opened": 0, "closed_by_server": 0, "connect_failed": 0, "bytes_sent": 0}
conns = {}  # fd -> [sock, kind, sent]
n_open = 0


def open_one(i, kind):
    global n_open
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    src = "127.0.0.%d" % (1 + i % a.sources)
    try:
        s.bind((src, 0))
        s.connect_ex(("127.0.0.1", a.port))
    except OSError:
        s.close()
        stats["connect_failed"] += 1
        return False
    conns[s.fileno()] = [s, kind, 0]
    sel.register(s, selectors.EVENT_READ)
    stats["opened"] += 1
    n_open += 1
    return True


def drop(fd):
    global n_open
    s = conns.pop(fd)[0]
    sel.unregister(s)
    s.close()
    n_open -= 1


end = time.monotonic() + a.duration
want = [("slow", i) for i in range(a.slow)] + [("idle", a.slow + i) for i in range(a.idle)]
pending = list(want)
ready_written = False
next_tick = time.monotonic()
budget = 0
while time.monotonic() < end:
    now = time.monotonic()
    if now >= next_tick:  # once a second: one byte from every slow connection
        next_tick = now + 1
        budget = a.reconnects
        for fd, c in list(conns.items()):
            if c[1] != "slow":
                continue
            try:
                c[0].send(HEADER[c[2]:c[2] + 1])
                c[2] += 1
                stats["bytes_sent"] += 1
            except BlockingIOError:
                pass
            except OSError:
                stats["closed_by_server"] += 1
                drop(fd)
                pending.append((c[1], fd))
    # (re)open: the first round at once, later ones within the budget
    while pending and (not ready_written or budget > 0):
        kind, i = pending.pop(0)
        if not open_one(i, kind):
            pending.append((kind, i))
            break
        if ready_written:
            budget -= 1
    if not ready_written and not pending:
        ready_written = True
        if a.ready_file:
            open(a.ready_file, "w").write("ready\n")
    for key, _ in sel.select(timeout=0.1):
        fd = key.fd
        c = conns.get(fd)
        if not c:
            continue
        try:
            data = c[0].recv(4096)
        except BlockingIOError:
            continue
        except OSError:
            data = b""
        if not data:  # closed (or reset) by the server
            stats["closed_by_server"] += 1
            drop(fd)
            pending.append((c[1], fd))
for fd in list(conns):
    drop(fd)
stats["open_at_end"] = n_open
print(json.dumps(stats))
