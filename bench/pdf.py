"""PDFs beside the web's latency (issue 18, point 3): a cheap authenticated request,
`GET /api/me`, under wrk against real gunicorn on PostgreSQL, first with nothing
rendering (the baseline), then while the worker renders three large monthly reports'
PDFs (1,200 activities each by default), as the ratio of the two (the baseline is
measured before and after, as the machine may grow busier or quieter meanwhile); and
how long each PDF took to render.

The service runs as `make run` deploys it: gunicorn's web workers, and the worker
process its master starts (PROJECTIONS_IN_PROCESS=true), which renders PDF_RENDERS
PDFs at a time in niced printer processes. The activities are written through the
application layer (an import), not over HTTP; the three PDFs are asked for by a
signed-in browser session (each answered 202 and queued), and wrk runs from then
until the last of them is served (its report stops at SIGINT). The render times are
the worker's own, from its log.

Run with `make bench-pdf` (or `.venv/bin/python -m bench.pdf`); needs wrk.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import time
from dataclasses import astuple
from pathlib import Path

from bench.wrk import figures as wrk_figures
from tests.support.big_reports import (
    import_activities,
    last_month,
    register_members,
    report_engagement,
    signed_in_browser,
)
from tests.support.pdf_polling import REFRESH
from tests.support.servers import Client, Service, drop_database, new_database, wait_until

RENDERED = re.compile(
    r"pdfs: rendered (report/\S+) \(log position \d+, (\d+) bytes\) in ([\d.]+) s"
)


def wrk(service: Service, token: str, connections: int, seconds: float | None) -> subprocess.Popen:
    """wrk asking for /api/me; for `seconds`, or until sent SIGINT when None."""
    command = ["wrk", "-t", str(min(connections, 2)), "-c", str(connections)]
    command += ["-d", f"{seconds or 3600:g}s", "--timeout", "30s", "--latency"]
    command += ["-H", f"Authorization: Bearer {token}", f"{service.url}/api/me"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def figures(load: subprocess.Popen) -> tuple[float, float, float, int]:
    output, _ = load.communicate(timeout=120)
    if load.returncode != 0:
        raise SystemExit(f"wrk failed: {output}")
    return astuple(wrk_figures(output))


def render_times(log: Path) -> dict[str, tuple[int, float]]:
    """Each PDF the worker rendered: its size in bytes and seconds, from its log."""
    found = {}
    for line in log.read_text(errors="replace").splitlines():
        try:
            message = json.loads(line).get("message", "")
        except (ValueError, AttributeError):
            continue
        match = RENDERED.search(message)
        if match:
            found[match[1]] = (int(match[2]), float(match[3]))
    return found


def render_under_load(
    service: Service, browser, paths: list[str], token: str, connections: int
) -> tuple[tuple[float, float, float, int], float, list[str]]:
    """Ask for the PDFs, run wrk until every one is served; wrk's figures, the
    seconds from the first request to the last PDF served, and the answers to the
    PDF requests that were neither 200 nor 202 (they are asked again)."""
    started = time.perf_counter()
    waiting, refused = {}, []
    for path in paths:
        first = browser.get(f"{service.url}{path}", timeout=60)
        while first.status_code == 503:  # the read models are taking the sign-in in
            refused.append(f"{first.status_code} {first.text[:300]}")
            time.sleep(1)
            first = browser.get(f"{service.url}{path}", timeout=60)
        if first.status_code != 202:
            raise SystemExit(f"{path}: expected 202 (queued), got {first.status_code}")
        waiting[path] = REFRESH.search(first.text)[2].replace("&amp;", "&")
    load = wrk(service, token, connections, None)
    try:
        while waiting:
            time.sleep(0.5)
            for path, retry in list(waiting.items()):
                answer = browser.get(f"{service.url}{retry}", timeout=60)
                if answer.status_code == 200:
                    del waiting[path]
                elif answer.status_code != 202:
                    refused.append(f"{answer.status_code} {answer.text[:300]}")
            if time.perf_counter() - started > 1800:
                raise SystemExit(f"not rendered in 30 minutes: {sorted(waiting)}")
        elapsed = time.perf_counter() - started
    finally:
        load.send_signal(signal.SIGINT)
    return figures(load), elapsed, refused


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--activities", type=int, default=1200, help="per report (1200)")
    parser.add_argument("--reports", type=int, default=3, help="PDFs rendering at once (3)")
    parser.add_argument("--seconds", type=float, default=30, help="of each baseline (30)")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections (4)")
    parser.add_argument("--renders", type=int, default=1, help="PDF_RENDERS (1)")
    parser.add_argument(
        "--workers", type=int, default=None, help="gunicorn workers (default: as deployed)"
    )
    args = parser.parse_args()
    workers = args.workers or min(2 * os.cpu_count() + 1, 9)
    load_before = os.getloadavg()[0]
    database = new_database()
    url = f"postgresql://postgres@127.0.0.1:5432/{database}"
    service = Service(env={"DATABASE_URL": url, "PDF_RENDERS": str(args.renders)}, workers=workers)
    try:
        print(f"starting gunicorn ({workers} web workers and the worker process) ...", flush=True)
        service.start()
        admin = Client(service.url, service.token("admin"))
        month = last_month()
        register_members(admin, month)
        paths = []
        print(f"importing {args.reports} x {args.activities:,} activities in {month} ...")
        for n in range(args.reports):
            engagement_id, allocation_id = report_engagement(admin, f"Report {n + 1}", month)
            import_activities(url, allocation_id, month, args.activities)
            paths.append(f"/engagements/{engagement_id}/reports/{month}.pdf")
        wait_until(
            lambda: admin.get(f"/api/allocations/{allocation_id}").json()["units_used"] > 0,
            timeout=300,
            what="the read models to take the imports in",
        )
        token = service.token("viewer")
        figures(wrk(service, token, args.connections, 3))  # warm-up: pools, caches
        print(f"measuring GET /api/me alone for {args.seconds:g} s ...", flush=True)
        baseline = figures(wrk(service, token, args.connections, args.seconds))
        print(f"measuring GET /api/me while {args.reports} PDFs render ...", flush=True)
        browser = signed_in_browser(service.url, service.token("bd"))
        loaded, elapsed, refused = render_under_load(
            service, browser, paths, token, args.connections
        )
        print(f"measuring GET /api/me alone again for {args.seconds:g} s ...", flush=True)
        after = figures(wrk(service, token, args.connections, args.seconds))
        renders = render_times(service.log_path)
    finally:
        service.stop()
        drop_database(database)
    report(args, workers, (baseline, after), loaded, elapsed, renders)
    print(f"\nPDF requests answered neither 200 nor 202: {len(refused)}")
    for answer in refused[:3]:
        print(f"  {answer}")
    print(
        f"load average (other work on this machine counts): {load_before:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after"
    )


def report(args, workers: int, alone, loaded, elapsed: float, renders) -> None:
    print(
        f"\nGET /api/me under wrk ({args.connections} connections), gunicorn with {workers} "
        f"web workers on PostgreSQL; {args.reports} report PDFs of {args.activities:,} "
        f"activities each rendered by the worker process, PDF_RENDERS={args.renders}; "
        f"{os.cpu_count()} cores\n"
    )
    print(f"{'':<26}{'requests/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'failed':>6}")
    for label, (rps, p50, p99, failed) in (
        ("nothing rendering, before", alone[0]),
        (f"{args.reports} PDFs rendering", loaded),
        ("nothing rendering, after", alone[1]),
    ):
        print(f"{label:<26}{rps:>10.0f} {p50:>8.2f} {p99:>8.2f} {failed:>6}")
    baseline = [statistics.mean(pair) for pair in zip(*alone, strict=True)]
    print(
        "\nratio, while rendering / alone (the mean of before and after): "
        f"p50 {loaded[1] / baseline[1]:.2f}x, p99 {loaded[2] / baseline[2]:.2f}x, "
        f"requests/s {loaded[0] / baseline[0]:.2f}x"
    )
    print(f"\nthe {args.reports} PDFs served {elapsed:.1f} s after they were asked for; each:")
    for document, (size, seconds) in renders.items():
        print(
            f"  {document}: rendered in {seconds:.2f} s ({seconds / args.activities * 1000:.1f} "
            f"ms per activity), {size / 1024:.0f} KiB"
        )


if __name__ == "__main__":
    main()
