"""CPU seconds of the crawl process by component: `pipeline.crawl` run in this
process against the sample server, which runs in a process of its own so its
CPU is not counted. Thread CPU time is summed per component (a component
called inside itself counts once); the extraction worker's CPU is not in
`crawl cpu` (it is another process).

    python bench/ingest/phases.py [--root CHECKOUT] 10000

--root times another checkout's code (the sample server stays this one's).
Components: catch_up (index catch-up, the writer's share within it as
`writer`), store.upsert, hash, http.get, the parsers of each kind and
html.extract_page; the rest of `crawl cpu` is the pipeline itself.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[2]


def serve(n: int, config: Path) -> None:
    sys.path[:0] = [str(HERE / "examples" / "offline"), str(HERE / "bench" / "ingest")]
    from run import corpus_for
    from sample_server import SampleServer

    srv = SampleServer(corpus_for(n))
    tmp = config.with_suffix(".tmp")
    tmp.write_text(srv.feeds_yaml(index=str(config.parent / "index"), rate_limit=100000))
    tmp.replace(config)
    srv.httpd.serve_forever()


def main() -> None:
    args = sys.argv[1:]
    if args[0] == "--serve":
        serve(int(args[1]), Path(args[2]))
        return
    root = HERE
    if args[0] == "--root":
        root, args = Path(args[1]).resolve(), args[2:]
    n = int(args[0])
    sys.path.insert(0, str(root))
    from tracker import pipeline
    from tracker.config import load as load_config

    cpu: dict[str, float] = {}
    inside: set[str] = set()

    def timed(name, fn):
        def wrapper(*a, **k):
            if name in inside:
                return fn(*a, **k)
            inside.add(name)
            started = time.thread_time()
            try:
                return fn(*a, **k)
            finally:
                inside.discard(name)
                cpu[name] = cpu.get(name, 0.0) + time.thread_time() - started
        return wrapper

    import tracker.extract.page.parse as page
    import tracker.fetch.http as http
    import tracker.index.core as core
    import tracker.index.writer as writer
    import tracker.sources.europepmc as epmc
    import tracker.sources.pubmed_xml as pubmed
    import tracker.sources.rss as rss
    import tracker.store.db as db

    core.Index.catch_up = timed("catch_up", core.Index.catch_up)
    db.Store.upsert = timed("store.upsert", db.Store.upsert)
    pipeline.content_hash = timed("hash", pipeline.content_hash)
    for method in ("add_document", "update_document", "commit", "delete_by_term"):
        setattr(writer.BulkWriter, method, timed("writer", getattr(writer.BulkWriter, method)))
    http.Fetcher.get = timed("http.get", http.Fetcher.get)
    rss.parse_entries = timed("rss.parse", rss.parse_entries)
    epmc.parse_page = timed("epmc.parse", epmc.parse_page)
    epmc.parse_result = timed("epmc.parse", epmc.parse_result)
    pubmed._parse = timed("pubmed.xml", pubmed._parse)
    pubmed._article = timed("pubmed.article", pubmed._article)
    page.extract_page = timed("html.extract_page", page.extract_page)

    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "feeds.yaml"
        server = subprocess.Popen([sys.executable, __file__, "--serve", str(n), str(config)])
        try:
            while not config.exists():
                time.sleep(0.1)
            t0, c0 = time.perf_counter(), time.process_time()
            report = pipeline.crawl(load_config(config))
            wall, total = time.perf_counter() - t0, time.process_time() - c0
        finally:
            server.terminate()
            server.wait()
    print(f"{report.records} records, wall {wall:.1f} s, crawl cpu {total:.1f} s")
    for name, seconds in sorted(cpu.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<18} {seconds:6.2f} s")


if __name__ == "__main__":
    main()
