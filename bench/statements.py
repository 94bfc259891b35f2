"""The SQL statements one recording sends PostgreSQL, counted by pg_stat_statements.

The shared server the benchmarks use does not preload pg_stat_statements (it needs
shared_preload_libraries, so a restart), so the count is taken on a throwaway cluster
of its own that does: a one-worker gunicorn on it, with no projection process, records
a few activities to warm its pools, caches and prepared statements; then each probe
recording runs alone between a reset of the statistics and a read of them. The
statements are the top-level ones a client sends (BEGIN and COMMIT included), not
those inside the insert function."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import timedelta

import psycopg

from bench.wrk import MEMBERS
from service.application import Clock
from tests.support.servers import Client, Service, ThrowawayCluster, build_allocations

WARM_UP = 3
PROBES = 5
OWN_QUERIES = "%pg_stat_statements%"


@dataclass(frozen=True)
class Count:
    """Statements per recording (the median of the probes) and one probe's list."""

    per_recording: float
    statements: list[tuple[int, str]]  # calls, query text


def statements_per_recording() -> Count:
    cluster = ThrowawayCluster(settings=("shared_preload_libraries=pg_stat_statements",))
    cluster.create()
    service = Service(
        env={"DATABASE_URL": cluster.url, "PROJECTIONS_IN_PROCESS": "false"}, workers=1
    )
    try:
        with psycopg.connect(cluster.url, autocommit=True) as db:
            db.execute("CREATE EXTENSION pg_stat_statements")
        service.start()
        allocation = build_allocations(
            Client(service.url, service.token("admin")), 1, list(MEMBERS)
        )[0]
        manager = Client(service.url, service.token("manager"))
        day = (Clock().today() - timedelta(days=1)).isoformat()
        body = {
            "team_member": MEMBERS[0],
            "units": 1,
            "description": "count",
            "date_from": day,
            "date_to": day,
        }
        path = f"/api/allocations/{allocation}/activities"
        for _ in range(WARM_UP):
            manager.created(path, body)
        counts, listing = [], []
        with psycopg.connect(cluster.url, autocommit=True) as db:
            for _ in range(PROBES):
                db.execute("SELECT pg_stat_statements_reset()")
                manager.created(path, body)
                listing = db.execute(
                    "SELECT calls, query FROM pg_stat_statements WHERE query NOT LIKE %s "
                    "ORDER BY calls DESC, query",
                    (OWN_QUERIES,),
                ).fetchall()
                counts.append(sum(calls for calls, _ in listing))
        return Count(statistics.median(counts), listing)
    finally:
        service.stop()
        cluster.destroy()


if __name__ == "__main__":
    count = statements_per_recording()
    print(f"{count.per_recording:g} statements per recording:")
    for calls, query in count.statements:
        print(f"{calls:>4}  {' '.join(query.split())[:150]}")
