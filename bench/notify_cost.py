"""What a NOTIFY costs a write in the database alone, without the service's noise:
pgbench runs the log's insert as the service's insert function does it (the table's
exclusive lock, the insert, the commit), with and without a NOTIFY in the
transaction, while one connection listens, as a follower does. PostgreSQL takes one
lock for every NOTIFY at commit, for the whole cluster; the log's table lock already
makes the inserts take turns, so the NOTIFY should add only its own small work.

The two are taken in turns (with, without, without, with, ...), each pair side by side,
so a machine growing busier or quieter weighs on both alike; the ratio printed is the
median of the pairs' ratios, with their range, since one pair on a shared machine can
be far off. Part of `make bench-lag`."""

from __future__ import annotations

import re
import statistics
import subprocess
import tempfile
import threading
from pathlib import Path

import psycopg

from tests.support.servers import drop_database, new_database

STATEMENTS = (
    "BEGIN;\n"
    "LOCK TABLE bench_log IN EXCLUSIVE MODE;\n"
    "{notify}"
    "INSERT INTO bench_log (body) VALUES ('{{\"units\": 3}}');\n"
    "COMMIT;\n"
)


def pgbench_tps(database: str, script: Path, clients: int, seconds: int) -> float:
    command = ["pgbench", "-n", "-h", "127.0.0.1", "-U", "postgres", "-c", str(clients)]
    command += ["-j", str(min(clients, 2)), "-T", str(seconds), "-f", str(script), database]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return float(re.search(r"tps = ([\d.]+)", output)[1])


def listen(dsn: str, ready: threading.Event, stop: threading.Event) -> None:
    """A follower's side: listen, and take every notification as it comes."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("LISTEN bench_log")
        ready.set()
        while not stop.is_set():
            for _ in conn.notifies(timeout=0.2):
                pass


def notify_cost(clients_levels: list[int], seconds: int = 4, rounds: int = 5) -> list[str]:
    """Lines to print: median tps with and without NOTIFY, and the median and range of
    their ratio, per client count."""
    database = new_database()
    dsn = f"postgresql://postgres@127.0.0.1:5432/{database}"
    scripts = {}
    with tempfile.TemporaryDirectory() as folder:
        for notify in (True, False):
            scripts[notify] = Path(folder) / f"notify-{notify}.sql"
            scripts[notify].write_text(
                STATEMENTS.format(notify="NOTIFY bench_log;\n" if notify else "")
            )
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE TABLE bench_log (id bigserial PRIMARY KEY, body text NOT NULL)")
        ready, stop = threading.Event(), threading.Event()
        listener = threading.Thread(target=listen, args=(dsn, ready, stop), daemon=True)
        listener.start()
        ready.wait(30)
        lines = [
            f"{'clients':>7} {'with NOTIFY tps':>15} {'without tps':>11} "
            f"{'with/without':>12} {'range':>13}"
        ]
        try:
            for clients in clients_levels:
                pairs = []
                for turn in range(rounds):
                    order = (True, False) if turn % 2 == 0 else (False, True)
                    tps = {n: pgbench_tps(database, scripts[n], clients, seconds) for n in order}
                    pairs.append((tps[True], tps[False]))
                ratios = sorted(with_ / without for with_, without in pairs)
                lines.append(
                    f"{clients:>7} {statistics.median(p[0] for p in pairs):>15.0f} "
                    f"{statistics.median(p[1] for p in pairs):>11.0f} "
                    f"{statistics.median(ratios):>11.2f}x {ratios[0]:>5.2f}-{ratios[-1]:.2f}x"
                )
        finally:
            stop.set()
            listener.join(timeout=5)
            drop_database(database)
    return lines
