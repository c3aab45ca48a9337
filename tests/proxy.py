"""A small HTTP reverse proxy in front of the S3 endpoint, for browser tests.

It answers CORS as a bucket with the README's CORS rule would (moto's server does not), counts
the part PUTs that reach storage, and can slow every PUT down so a test can interrupt an
upload half-way.
"""

import http.client
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from tests.services import free_port

CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, PUT, HEAD",
    "Access-Control-Allow-Headers": "*",
    "Access-Control-Expose-Headers": "ETag",
    "Access-Control-Max-Age": "600",
}


class CountingProxy:
    """Forward everything to ``upstream`` (``host:port``); ``put_parts`` lists (upload, part number)."""

    def __init__(self, upstream_port, put_delay=0.0):
        self.upstream_port = upstream_port
        self.put_delay = put_delay
        self.put_parts = []
        self.lock = threading.Lock()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _handler(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_OPTIONS(self):  # noqa: N802 - http.server's naming
                self.send_response(200)
                for name, value in CORS.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _forward(self):
                try:
                    self._relay()
                except (ConnectionError, TimeoutError):
                    pass  # the browser went away (a closed tab): like a dropped connection

            def _relay(self):
                if self.command == "PUT" and proxy.put_delay:
                    time.sleep(proxy.put_delay)  # a slow line: the part is still on its way
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if length and len(body) != length:
                    return  # cut off mid-part: nothing reaches storage
                upstream = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "origin")}
                upstream.request(self.command, self.path, body=body, headers=headers)
                answer = upstream.getresponse()
                data = answer.read()
                if self.command == "PUT" and answer.status == 200:
                    query = parse_qs(urlsplit(self.path).query)
                    with proxy.lock:
                        proxy.put_parts.append((query.get("uploadId", [""])[0],
                                                int(query.get("partNumber", ["0"])[0])))
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("transfer-encoding", "connection", "content-length") \
                            and not name.lower().startswith("access-control-"):
                        self.send_header(name, value)
                for name, value in CORS.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                upstream.close()

            do_GET = do_PUT = do_HEAD = do_POST = do_DELETE = _forward  # noqa: N815

        return Handler

    def stop(self):
        self.server.shutdown()
        self.thread.join(timeout=10)
