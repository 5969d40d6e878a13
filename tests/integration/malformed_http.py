#!/usr/bin/env python3
"""malformed_http.py — a table of malformed and hostile HTTP requests sent
raw to rag-api (127.0.0.1:PORT). For each case: the response must be JSON
{"error": {"status", "code", "message"}} with the status of the response
line (or, for the few good requests in the table, a JSON 200), unless the
case is one of the documented exceptions (libmicrohttpd answers those
itself, with no hook; docs/specs/query.md lists them) — then it must be
exactly the documented status (or a closed connection with no bytes).
Prints one TAP-ish line per case ("PASS name ..." / "FAIL name ...") and
exits 1 when any case failed. Every socket has a 5 s timeout."""
import json, socket, sys

PORT = int(sys.argv[1])
BIG = 1 << 20


def post(body, extra=b""):
    return b"POST /query HTTP/1.1\r\nHost: x\r\n" + extra + b"Content-Length: %d\r\n\r\n" % len(body) + body


# name -> (raw request, expectation). Expectation: an int = that status with
# a JSON error body; ("json", status) = JSON body with that status (may be
# 200); ("mhd", status) = documented exception, libmicrohttpd's own page;
# ("closed",) = documented exception, connection closed without a response.
CASES = {
    "invalid UTF-8 in q": (b"GET /query?q=%ff%fe%c0%af HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "NUL in q": (b"GET /query?q=ab%00cd HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "overlong UTF-8 in q": (b"GET /query?q=%c0%af HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "surrogate in q": (b"GET /query?q=%ed%a0%80 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "missing q": (b"GET /query HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "empty q": (b"GET /query?q= HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "q too long": (b"GET /query?q=" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "bad k": (b"GET /query?q=a&k=1e9 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "bad mode": (b"GET /query?q=a&mode=%ff HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "invalid UTF-8 path": (b"GET /%ff%fe HTTP/1.1\r\nHost: x\r\n\r\n", 404),
    "raw high bytes in path": (b"GET /\xff\xfe\xc0 HTTP/1.1\r\nHost: x\r\n\r\n", 404),
    "dot-dot path": (b"GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", 404),
    "absolute-form URI": (b"GET http://x/healthz HTTP/1.1\r\nHost: x\r\n\r\n", 404),
    "query route with slash": (b"GET /query/ HTTP/1.1\r\nHost: x\r\n\r\n", 404),
    "DELETE /query": (b"DELETE /query HTTP/1.1\r\nHost: x\r\n\r\n", 405),
    "POST /healthz": (b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 405),
    "unknown method": (b"FROB /query HTTP/1.1\r\nHost: x\r\n\r\n", 405),
    "method with high bytes": (b"G\xffT /query HTTP/1.1\r\nHost: x\r\n\r\n", 405),
    "POST empty body": (b"POST /query HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 400),
    "POST not JSON": (post(b"hello"), 400),
    "POST trailing bytes": (post(b"{\"q\":\"foo\"} xx"), 400),
    "POST duplicate q": (post(b"{\"q\":\"a\",\"q\":\"bb\"}"), 400),
    "POST \\u0000 in q": (post(b"{\"q\":\"a\\u0000b\"}"), 400),
    "POST raw NUL in q": (post(b"{\"q\":\"a\x00b\"}"), 400),
    "POST invalid UTF-8": (post(b"{\"q\":\"\xff\xfe\"}"), 400),
    "POST lone surrogate escape": (post(b"{\"q\":\"\\ud800\"}"), 400),
    "POST deep nesting": (post(b"[" * 4000), 400),
    "POST array": (post(b"[]"), 400),
    "POST unknown field (invalid UTF-8 name)": (post(b"{\"q\":\"a\",\"\xc3\xa9\xff\":1}"), 400),
    "POST unknown field cut mid-character": (post(b"{\"q\":\"a\",\"" + "é".encode() * 30 + b"\":1}"), 400),
    "POST body over max_body": (b"POST /query HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % BIG + b"{" * BIG, 413),
    "POST chunked over max_body": (b"POST /query HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                   + (b"8000\r\n" + b"a" * 0x8000 + b"\r\n") * 4 + b"0\r\n\r\n", 413),
    "POST valid chunked": (b"POST /query HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                           b"b\r\n{\"q\":\"foo\"}\r\n0\r\n\r\n", ("json", 200)),
    # the body's length must be unambiguous (RFC 9112 6.3): a proxy in front
    # may read the other one and take the rest for a second request
    "two Content-Length": (b"POST /query HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 11\r\n\r\n"
                           b"{\"q\":\"foo\"}", 400),
    "Content-Length and chunked": (b"POST /query HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                                   b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    "two Transfer-Encoding": (b"POST /query HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                              b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    "Transfer-Encoding identity": (b"POST /query HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n"
                                   b"{\"q\":\"foo\"}", 501),
    "Transfer-Encoding gzip, chunked": (b"POST /query HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                                        b"0\r\n\r\n", 501),
    "GET /healthz with Transfer-Encoding gzip": (b"GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
    # %00 in the path would cut "/healthz%00x" to a real route
    "%00 in the path (healthz)": (b"GET /healthz%00anything HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "%00 in the path (query)": (b"GET /query%00junk?q=foo HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    # GET /query takes q, k, mode and group exactly, each once
    "GET unknown argument": (b"GET /query?q=foo&kk=3 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "GET argument in upper case": (b"GET /query?q=foo&K=3 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "GET repeated argument": (b"GET /query?q=foo&k=1&k=9 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "GET NUL in k": (b"GET /query?q=foo&k=5%00junk HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "GET NUL in mode": (b"GET /query?q=foo&mode=bm25%00x HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "GET signed k": (b"GET /query?q=foo&k=%2B5 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "GET k without a value": (b"GET /query?q=foo&k HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "GET every argument": (b"GET /query?q=foo&k=2&mode=bm25&group=chunk HTTP/1.1\r\nHost: x\r\n\r\n", ("json", 200)),
    "HTTP/1.0 healthz": (b"GET /healthz HTTP/1.0\r\n\r\n", ("json", 200)),
    "no Host header": (b"GET /healthz HTTP/1.1\r\n\r\n", ("json", 200)),
    "header with high bytes": (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: \xff\xfe\r\n\r\n", ("json", 200)),
    "Expect 100-continue": (post(b"{\"q\":\"foo\"}", b"Expect: 100-continue\r\n"), ("json", 200)),
    "POST valid body": (post(b"{\"q\": \"caf\xc3\xa9\", \"k\": 2}"), ("json", 200)),
    # documented exceptions: libmicrohttpd answers these itself
    "bare GARBAGE line": (b"GARBAGE\r\n\r\n", ("closed",)),
    "request line without URI": (b"GET\r\n\r\n", ("closed",)),
    "header without colon": (b"GET /healthz HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", ("mhd", 400)),
    "Content-Length 1e20": (b"POST /query HTTP/1.1\r\nHost: x\r\nContent-Length: 1e20\r\n\r\n", ("mhd", 400)),
    "Content-Length negative": (b"POST /query HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", ("mhd", 400)),
    "Content-Length overflow": (b"POST /query HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n", ("mhd", 413)),
    "bad chunk size": (b"POST /query HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", ("mhd", 400)),
    "URI over 16 KiB": (b"GET /" + b"a" * 17000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", ("mhd", 414)),
    "64 KB of headers": (b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: %s\r\n" % (i, b"b" * 1000) for i in range(64)) + b"\r\n", ("mhd", 431)),
    "HTTP/9.9": (b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n", ("mhd", 505)),
}


def send(raw):
    s = socket.create_connection(("127.0.0.1", PORT), timeout=5)
    out = b""
    try:
        try:
            s.sendall(raw)  # no half-close: libmicrohttpd takes it as an abort
        except OSError:  # the server answered (and closed) before reading it all
            pass
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
            while out.startswith(b"HTTP/1.1 100 ") and b"\r\n\r\n" in out:  # interim 100 Continue
                out = out.partition(b"\r\n\r\n")[2]
            if b"\r\n\r\n" in out:  # one response is enough once its body is in
                head, _, body = out.partition(b"\r\n\r\n")
                cl = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
                if cl and len(body) >= int(cl[0].split(b":")[1]):
                    out = head + b"\r\n\r\n" + body[:int(cl[0].split(b":")[1])]
                    break
    except (ConnectionResetError, BrokenPipeError):
        pass
    except socket.timeout:
        out += b"<<timeout>>"
    finally:
        s.close()
    return out


# Requests that hide a second one in an ambiguous body: exactly one
# response (the refusal) comes back, then the connection closes; the hidden
# request is never answered.
SMUGGLED = {
    "hidden after two Content-Length": b"POST /query HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 36\r\n\r\n"
                                       b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
    "hidden after Content-Length and chunked": b"POST /query HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n"
                                               b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                                               b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
}


def read_all(raw):
    s = socket.create_connection(("127.0.0.1", PORT), timeout=5)
    out = b""
    try:
        s.sendall(raw)
        while True:
            b = s.recv(65536)
            if not b:
                return out, True
            out += b
    except (ConnectionResetError, BrokenPipeError):
        return out, True
    except socket.timeout:
        return out, False
    finally:
        s.close()


failed = 0
for name, raw in SMUGGLED.items():
    out, closed = read_all(raw)
    statuses = [l.split(b" ")[1] for l in out.split(b"\r\n") if l.startswith(b"HTTP/1.1 ")]
    if statuses != [b"400"] or not closed:
        failed += 1
        print("FAIL %s: responses %r, closed %s: %r" % (name, statuses, closed, out[:200]))
    else:
        print("PASS %s: one 400, then closed" % name)

for name, (raw, want) in CASES.items():
    out = send(raw)
    why = ""
    if isinstance(want, int):
        want = ("error", want)
    kind = want[0]
    if kind == "closed":
        if out:
            why = "expected the connection closed with no response, got %r" % out[:80]
    else:
        head, _, body = out.partition(b"\r\n\r\n")
        parts = head.split(b" ", 2)
        status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        if status != want[1]:
            why = "status %d, expected %d: %r" % (status, want[1], out[:120])
        elif kind == "mhd":
            pass  # documented exception: libmicrohttpd's own response
        else:
            try:
                doc = json.loads(body.decode("utf-8"))  # strict: invalid UTF-8 fails here
            except (UnicodeDecodeError, ValueError) as e:
                doc = None
                why = "body is not UTF-8 JSON (%s): %r" % (e, body[:120])
            if doc is not None and kind == "error":
                e = doc.get("error") if isinstance(doc, dict) else None
                if not (isinstance(e, dict) and e.get("status") == status and e.get("code") == status
                        and isinstance(e.get("message"), str) and e["message"]):
                    why = "not {\"error\": {status, code, message}}: %r" % body[:160]
    if why:
        failed += 1
        print("FAIL %s: %s" % (name, why))
    else:
        print("PASS %s" % name)
sys.exit(1 if failed else 0)
