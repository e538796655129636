"""What tracker writes: CLI tables, exports (CSV, JSONL, RIS, BibTeX),
digests and stats. Each module takes records (dicts) and returns text or
writes to a file object; none prints.

    render   result tables and record views for the terminal
    export   CSV / JSONL / RIS / BibTeX writers
    digest   what is new, as Markdown or HTML
    stats    counts by field and charts
"""
