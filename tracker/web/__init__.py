"""`tracker serve`: the library as a read-only web application.

    app        the WSGI application: routes, one library call per page, templates
    views      what pages show, apart from HTTP: facet links, snippets, links out, the year chart
    templates  Jinja2 templates (autoescaped), served with the package
"""

from __future__ import annotations

from pathlib import Path

from tracker.web.app import App

__all__ = ["App", "serve"]

THREADS = 4     # searches hold the GIL: more threads only queue longer inside the process


def serve(index_dir: str | Path, host: str = "127.0.0.1", port: int = 8080, *, threads: int = THREADS) -> None:
    """Serve the index at http://host:port/ until interrupted (waitress: pure Python, threaded)."""
    import waitress

    waitress.serve(App(index_dir), host=host, port=port, threads=threads, ident="tracker",
                   connection_limit=200, clear_untrusted_proxy_headers=True)
