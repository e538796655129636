"""A WSGI request in-process, as a browser would send it (for tests/test_web*.py)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote
from wsgiref.util import setup_testing_defaults


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def get(app, path: str, query: str = "", method: str = "GET") -> Response:
    environ: dict = {}
    setup_testing_defaults(environ)
    # what a server hands over: the path percent-decoded, as latin-1 text of its bytes
    environ.update(REQUEST_METHOD=method, PATH_INFO=path.encode("utf-8").decode("latin-1"), QUERY_STRING=query)
    seen: dict = {}

    def start_response(status, headers):
        seen["status"], seen["headers"] = int(status.split()[0]), dict(headers)

    body = b"".join(app(environ, start_response))
    return Response(seen["status"], seen["headers"], body)


def q(text: str) -> str:
    return "q=" + quote(text, safe="")
