"""Fetching a PDF the worker renders (docs/explanation/pdfs.md), as a browser or an API client
would: the first answers are 202 with Retry-After while it is being prepared, then
the same address (for a page, the one its `<meta http-equiv="refresh">` names)
answers 200 with the PDF. Works with Flask's test client and with `requests`."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

REFRESH = re.compile(r'<meta http-equiv="refresh" content="(\d+);url=([^"]+)">')
POLL_SECONDS = 0.25  # at most: quicker than Retry-After, the tests need not wait its full time


def fetched_pdf(get: Callable[[str], Any], path: str, timeout: float = 180) -> Any:
    """The first answer to `get(path)` that is not 202, polling while it is (within
    `timeout` seconds). Each 202 must say when to ask again; a page's must reload
    itself at an address on this site."""
    deadline = time.monotonic() + timeout
    while True:
        response = get(path)
        if response.status_code != 202:
            return response
        retry_after = int(response.headers["Retry-After"])
        assert retry_after > 0, response.headers
        if response.headers["Content-Type"].startswith("text/html"):
            refresh = REFRESH.search(response.text)
            assert refresh, f"the 202 page does not reload itself: {response.text[:500]}"
            assert int(refresh[1]) == retry_after
            target = urlsplit(html.unescape(refresh[2]))
            assert not target.netloc, f"the page reloads elsewhere: {refresh[2]}"
            path = f"{target.path}?{target.query}" if target.query else target.path
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} was still being prepared after {timeout} s")
        time.sleep(min(retry_after, POLL_SECONDS))
