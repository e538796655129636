"""The polite fetcher every source uses: per-host limits, retries, robots.txt,
conditional GET, bounded bodies and charset detection.

    http      Fetcher (requests underneath; imported by crawls only)
    response  errors, limits, the response value and header helpers
    robots    robots.txt rules per host
    charset   decoding bodies of any declared or sniffed encoding
"""
