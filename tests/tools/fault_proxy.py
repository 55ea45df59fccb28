#!/usr/bin/env python3
"""An HTTP fault-injecting proxy for S3 tests.

Listens on 127.0.0.1, forwards every request to an upstream server (moto), and injects faults
into a configurable subset of requests. Prints "PORT <n>" on stdout once listening.

    fault_proxy.py --upstream http://127.0.0.1:PORT [--port 0]

Control endpoints (answered by the proxy itself, never forwarded):
    POST /__fault__/config?mode=M&first=N&every=K&status=S&code=C&delay_ms=D&match=SUB
        mode:  none      forward everything untouched
               status    answer with HTTP status S and an S3 <Error> with code C
               reset     close the connection with a TCP reset before answering
               delay     wait D ms, then forward
               truncate  forward, but send only half of the response body, then reset
        which: a request is eligible when "METHOD PATH?QUERY" contains SUB (default: all);
               the first N eligible requests fault (first=N), or every K-th eligible one
               (every=K), or both. Counters restart at each config call.
    GET  /__fault__/stats   {"requests": eligible seen, "faults": faults injected, "forwarded": n}

Hop-by-hop headers are dropped; Host and all signed headers pass through unchanged, so
signature-checking upstreams still verify requests.
"""
import argparse
import http.client
import http.server
import json
import socket
import struct
import sys
import threading
import time
import urllib.parse

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te",
              "trailer", "upgrade"}


class FaultState:
    def __init__(self):
        self.lock = threading.Lock()
        self.configure({})

    def configure(self, params):
        with self.lock:
            self.mode = params.get("mode", "none")
            self.first = int(params.get("first", "0"))
            self.every = int(params.get("every", "0"))
            self.status = int(params.get("status", "503"))
            self.code = params.get("code", "SlowDown")
            self.delay_ms = int(params.get("delay_ms", "0"))
            self.match = params.get("match", "")
            self.eligible = 0
            self.faults = 0
            self.forwarded = 0

    def decide(self, request_line):
        """Returns the fault to inject into this request, or None."""
        with self.lock:
            if self.mode == "none" or self.match not in request_line:
                return None
            self.eligible += 1
            n = self.eligible
            hit = (self.first and n <= self.first) or (self.every and n % self.every == 0)
            if not hit:
                return None
            self.faults += 1
            return (self.mode, self.status, self.code, self.delay_ms)

    def stats(self):
        with self.lock:
            return {"requests": self.eligible, "faults": self.faults, "forwarded": self.forwarded}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream = None  # (host, port)
    state = None
    _conn = None

    def log_message(self, fmt, *args):
        pass

    def _upstream_conn(self):
        if self._conn is None:
            self._conn = http.client.HTTPConnection(*self.upstream, timeout=120)
        return self._conn

    def _reply(self, status, body, content_type="application/xml"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _reset(self):
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def _control(self):
        url = urllib.parse.urlsplit(self.path)
        params = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        if url.path == "/__fault__/config":
            self.state.configure(params)
            self._reply(200, "{}", "application/json")
        elif url.path == "/__fault__/stats":
            self._reply(200, json.dumps(self.state.stats()), "application/json")
        else:
            self._reply(404, "{}", "application/json")

    def _handle(self):
        length = int(self.headers.get("Content-Length", "0") or "0")
        body = self.rfile.read(length) if length else b""
        if self.path.startswith("/__fault__/"):
            return self._control()
        fault = self.state.decide(self.command + " " + self.path)
        mode = fault[0] if fault else None
        if mode == "status":
            _, status, code, _ = fault
            return self._reply(status, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>%s"
                               "</Code><Message>injected by fault_proxy</Message></Error>" % code)
        if mode == "reset":
            return self._reset()
        if mode == "delay":
            time.sleep(fault[3] / 1000.0)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        conn = self._upstream_conn()
        try:
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
        except (OSError, http.client.HTTPException):
            self._conn = None
            return self._reply(502, "<Error><Code>BadGateway</Code></Error>")
        with self.state.lock:
            self.state.forwarded += 1
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in HOP_BY_HOP:
                self.send_header(k, v)
        if resp.getheader("Content-Length") is None and self.command != "HEAD":
            data = resp.read()
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        self.end_headers()
        if self.command == "HEAD":
            resp.read()
            return
        remaining = int(resp.getheader("Content-Length"))
        cut = remaining // 2 if mode == "truncate" else None
        sent = 0
        while remaining > 0:
            chunk = resp.read(min(1 << 20, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            if cut is not None and sent + len(chunk) >= cut:
                self.wfile.write(chunk[:cut - sent])
                self.wfile.flush()
                resp.read()  # drain upstream so its connection stays usable
                return self._reset()
            self.wfile.write(chunk)
            sent += len(chunk)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--upstream", required=True, help="http://host:port of the real server")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    up = urllib.parse.urlsplit(args.upstream)
    Handler.upstream = (up.hostname, up.port or 80)
    Handler.state = FaultState()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print("PORT %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
