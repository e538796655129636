"""A small loopback HTTP server for end-to-end tests (127.0.0.1 only)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

# A route returns (status, headers, body) for (path, query, request headers, body).
Handler = Callable[[str, dict, dict, bytes], tuple[int, dict, bytes]]


class Loopback:
    def __init__(self) -> None:
        self.routes: dict[str, Handler | tuple[int, dict, bytes]] = {}
        self.requests: list[tuple[str, str, dict]] = []
        server = self

        class _Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                query = parse_qs(parts.query)
                if body and self.command == "POST":
                    query.update(parse_qs(body.decode("utf-8", "replace")))
                server.requests.append((self.command, self.path, dict(self.headers)))
                route = server.routes.get(parts.path)
                if route is None:
                    status, headers, payload = 404, {"Content-Type": "text/plain"}, b"not found"
                elif callable(route):
                    status, headers, payload = route(parts.path, query, dict(self.headers), body)
                else:
                    status, headers, payload = route
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_HEAD = _serve

            def log_message(self, *args) -> None:  # keep test output clean
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> Loopback:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def add(self, path: str, body: bytes | str, content_type: str = "text/html; charset=utf-8",
            status: int = 200, headers: dict | None = None) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = (status, {"Content-Type": content_type, **(headers or {})}, data)

    def paths(self) -> list[str]:
        return [urlsplit(p).path for _, p, _ in self.requests]
