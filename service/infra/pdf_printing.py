"""HTML to PDF with WeasyPrint, in processes of their own.

WeasyPrint lays a page out in Python: a 1,200-activity report holds a CPU for seconds
and the GIL all that time. Run in a thread of the worker process it would slow the
projection follower beside it; so the renderer hands the HTML to a small pool of
processes (spawned: the worker process runs threads and holds database connections,
which a fork would copy), started at a lower CPU priority, so that the web workers,
which answer people, come first when the machine is busy.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

# How much lower the printers' CPU priority is than the worker's (`nice`: 0 to 19).
PRINTER_NICENESS = 10


def printer_pool(processes: int) -> ProcessPoolExecutor:
    """A pool of `processes` printers, each started when first needed."""
    return ProcessPoolExecutor(
        max_workers=processes,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_lower_priority,
    )


def print_pdf(html: str) -> bytes:
    """The PDF of a self-contained HTML document (its styles inline, no fetches)."""
    from weasyprint import HTML  # imported on use: it loads Pango, which takes a while

    return HTML(string=html).write_pdf()


def _lower_priority() -> None:
    os.nice(PRINTER_NICENESS)
