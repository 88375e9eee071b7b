# scriptsrv.py - a scripted loopback HTTP/1.1 server for the pinch load
# tests of checks, sessions, data feeders and redirects. Its answers follow
# the order requests arrive in, so the expected counts are exact:
#
#   /check         the n-th request to it (n from 0): n % 10 == 0 -> 503 "oops"
#                  without X-Kind; else 200, body "ok items" (n % 5 == 1:
#                  "fine"), X-Kind: beta when n % 4 == 3, else alpha
#   /login?user=U  200, Set-Cookie: sid=U-<n>; Path=/ and theme=dark; logs
#                  "login U <Cookie header or ->"
#   /logout        200, Set-Cookie: sid=; Max-Age=0
#   /me            200; logs "me <Cookie header or ->"
#   /redirect?to=N 302 to /redirect?to=N-1 (303 when N is even), 200 at 0
#   /abs           301 to the absolute URL of /redirect?to=0
#   /offsite       302 to http://offsite.invalid/ (not to be followed)
#   /feed...       logs "feed <path> <X-User header or -> <body or ->"
#
# Every request is logged as "req <method> <path>". Prints its port, then
# serves until killed; the log is flushed per line.
import http.server
import sys
import threading
import urllib.parse

lock = threading.Lock()
counts = {}
log = open(sys.argv[1], "a", buffering=1)


def nth(name):
    with lock:
        n = counts.get(name, 0)
        counts[name] = n + 1
        return n


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query)
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode() if n else ""
        with lock:
            log.write("req %s %s\n" % (self.command, self.path))
        if u.path == "/check":
            i = nth("check")
            if i % 10 == 0:
                return self.answer(503, b"oops")
            return self.answer(200, b"fine" if i % 5 == 1 else b"ok items",
                               [("X-Kind", "beta" if i % 4 == 3 else "alpha")])
        if u.path == "/login":
            i = nth("login")
            user = q.get("user", ["anon"])[0]
            with lock:
                log.write("login %s %s\n" % (user, self.headers.get("Cookie") or "-"))
            return self.answer(200, b"hello", [("Set-Cookie", "sid=%s-%d; Path=/; HttpOnly" % (user, i)),
                                               ("Set-Cookie", "theme=dark")])
        if u.path == "/logout":
            return self.answer(200, b"bye", [("Set-Cookie", "sid=; Path=/; Max-Age=0")])
        if u.path == "/me":
            with lock:
                log.write("me %s\n" % (self.headers.get("Cookie") or "-"))
            return self.answer(200, b"me")
        if u.path == "/redirect":
            to = int(q.get("to", ["0"])[0])
            if to > 0:
                return self.answer(303 if to % 2 == 0 else 302, b"",
                                   [("Location", "/redirect?to=%d" % (to - 1))])
            return self.answer(200, b"landed")
        if u.path == "/abs":
            host = self.headers.get("Host")
            return self.answer(301, b"", [("Location", "http://%s/redirect?to=0" % host)])
        if u.path == "/offsite":
            return self.answer(302, b"", [("Location", "http://offsite.invalid/")])
        if u.path.startswith("/feed"):
            with lock:
                log.write("feed %s %s %s\n" % (self.path, self.headers.get("X-User") or "-", body or "-"))
            return self.answer(200, b"fed")
        return self.answer(200, b"ok")

    do_GET = do_POST = do_PUT = do_DELETE = handle_any

    def do_HEAD(self):
        self.answer(200)

    def log_message(self, *a):
        pass


s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
s.daemon_threads = True
print(s.server_address[1], flush=True)
s.serve_forever()
