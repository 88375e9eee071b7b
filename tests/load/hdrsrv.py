# hdrsrv.py - a loopback HTTP/1.1 server for the header tests: answers 400
# to a request with more than one Host header, else 200 with a body naming
# the Host and User-Agent it got. Prints its port, then serves until killed.
import http.server
import sys


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        hosts = self.headers.get_all("Host") or []
        body = ("host=%s ua=%s\n" % (",".join(hosts), self.headers.get("User-Agent", ""))).encode()
        self.send_response(400 if len(hosts) != 1 else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        with open(sys.argv[1], "a") as f:
            f.write(body.decode())

    def log_message(self, *a):
        pass


s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
