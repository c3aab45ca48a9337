"""A small HTTP reverse proxy in front of the S3 endpoint, for browser tests.

It answers CORS as a bucket with the README's CORS rule would (moto's server does not), refuses
presigned URLs past their X-Amz-Expires as S3 does (moto does not check), counts the part PUTs
that start and those that reach storage, and can slow every PUT down so a test can interrupt
an upload half-way. ``gunicorn_like`` serves an app with gunicorn's request bodies, so tests
on werkzeug's server meet a torn part the way `make run` does.
"""

import calendar
import http.client
import sys
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
# What AWS answers for a presigned URL used too late (Uppy's AwsS3 plugin looks for the Message).
EXPIRED = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
           b"<Message>Request has expired</Message></Error>")


def expired(query, now=None):
    """Whether a SigV4 presigned URL's query (parse_qs form) is past X-Amz-Date + X-Amz-Expires."""
    if "X-Amz-Expires" not in query or "X-Amz-Date" not in query:
        return False
    signed = calendar.timegm(time.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ"))
    return (time.time() if now is None else now) > signed + int(query["X-Amz-Expires"][0])


class QuietServer(ThreadingHTTPServer):
    """Says nothing when a browser drops a kept-alive connection (a cut line, a closed tab)."""

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class CountingProxy:
    """Forward everything to ``upstream`` (``host:port``).

    ``put_parts`` lists (upload, part number) of the part PUTs storage accepted,
    ``put_attempts`` those that started (headers in, body possibly cut off later) and
    ``expired_puts`` those refused with 403 because their URL had expired.
    """

    def __init__(self, upstream_port, put_delay=0.0):
        self.upstream_port = upstream_port
        self.put_delay = put_delay
        self.drop_puts = False  # True: part PUTs still on their way are lost, as when a tab closes
        self.put_parts = []
        self.put_attempts = []
        self.expired_puts = []
        self.lock = threading.Lock()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = QuietServer(("127.0.0.1", self.port), self._handler())
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
                query = parse_qs(urlsplit(self.path).query)
                part = (query.get("uploadId", [""])[0], int(query.get("partNumber", ["0"])[0]))
                late = expired(query)  # judged on arrival, as S3 does
                if self.command == "PUT":
                    with proxy.lock:
                        proxy.put_attempts.append(part)
                if self.command == "PUT" and proxy.put_delay:
                    time.sleep(proxy.put_delay)  # a slow line: the part is still on its way
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if length and len(body) != length:
                    return  # cut off mid-part: nothing reaches storage
                if self.command == "PUT" and proxy.drop_puts:
                    self.close_connection = True
                    return  # the line went down while the part was on its way
                if late:
                    if self.command == "PUT":
                        with proxy.lock:
                            proxy.expired_puts.append(part)
                    self._answer(403, [("Content-Type", "application/xml")], EXPIRED)
                    return
                upstream = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "origin")}
                upstream.request(self.command, self.path, body=body, headers=headers)
                answer = upstream.getresponse()
                data = answer.read()
                if self.command == "PUT" and answer.status == 200:
                    with proxy.lock:
                        proxy.put_parts.append(part)
                self._answer(answer.status, answer.getheaders(), data)
                upstream.close()

            def _answer(self, status, headers, data):
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in ("transfer-encoding", "connection", "content-length") \
                            and not name.lower().startswith("access-control-"):
                        self.send_header(name, value)
                for name, value in CORS.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_HEAD = do_POST = do_DELETE = _forward  # noqa: N815

        return Handler

    def stop(self):
        self.server.shutdown()
        self.thread.join(timeout=10)


class GunicornBody:
    """A request body as gunicorn gives it: it simply ends where the client stopped sending
    (werkzeug's development server raises instead), so a torn part only looks shorter."""

    def __init__(self, stream, length):
        self.stream, self.left = stream, length

    def read(self, size=-1):
        want = self.left if size is None or size < 0 else min(size, self.left)
        try:
            data = self.stream.read(want) if want > 0 else b""
        except OSError:  # reset by the peer: the body ends here too
            data = b""
        self.left -= len(data)
        return data


def gunicorn_like(wsgi_app):
    """``wsgi_app`` served with gunicorn's request bodies (``wsgi.input_terminated``)."""
    def app(environ, start_response):
        environ["wsgi.input"] = GunicornBody(environ["wsgi.input"], int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input_terminated"] = True
        return wsgi_app(environ, start_response)
    return app
