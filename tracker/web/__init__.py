"""`tracker serve`: the library as a read-only web application.

    app        the WSGI application: routes, one library call per page, templates
    views      what pages show, apart from HTTP: facet links, snippets, links out, the year chart
    templates  Jinja2 templates (autoescaped), served with the package
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
from pathlib import Path

from tracker.web.app import App

__all__ = ["App", "serve"]

THREADS = 4     # per process: searches hold the GIL, so more threads only queue longer inside it


def workers() -> int:
    """One server process per core (searches are CPU-bound under the GIL), at most 4."""
    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


def serve(index_dir: str | Path, host: str = "127.0.0.1", port: int = 8080, *, threads: int = THREADS,
          processes: int | None = None) -> None:
    """Serve the index at http://host:port/ until interrupted: waitress (pure
    Python, threaded) in `processes` forked processes sharing one listening socket."""
    sock = socket.create_server((host, port), backlog=1024, family=socket.AF_INET6 if ":" in host else
                                socket.AF_INET)
    n = processes or workers()
    if n <= 1 or not hasattr(os, "fork"):
        _run(index_dir, sock, threads)
        return
    ctx = multiprocessing.get_context("fork")     # the workers inherit the listening socket
    children = [ctx.Process(target=_worker, args=(index_dir, sock, threads), daemon=True) for _ in range(n)]
    for child in children:
        child.start()
    sock.close()

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        multiprocessing.connection.wait([c.sentinel for c in children])   # one worker dying ends the server
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.join(10)


def _worker(index_dir: str | Path, sock: socket.socket, threads: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)     # Ctrl-C reaches the parent, which ends the workers
    _run(index_dir, sock, threads)


def _run(index_dir: str | Path, sock: socket.socket, threads: int) -> None:
    import waitress

    waitress.serve(App(index_dir), sockets=[sock], threads=threads, ident="tracker", connection_limit=200,
                   clear_untrusted_proxy_headers=True)
