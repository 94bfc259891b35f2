"""A retry racing its original with the same Idempotency-Key answers the original's
response (201, same id, same position), never 422, and the work is stored once: through
the API (threads, each with its own client, on one process's ledger and its aggregate
cache) and on two ledgers over one database (two processes, each with its own cache)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from service.application import Ledger
from service.application.caller import Caller
from tests.support.api import activity
from tests.support.dates import days_ago

ROUNDS = 200
STAGGER_STEP = 0.0001  # 0 to 1.9 ms: a whole write, on either store
STAGGER_STEPS = 20
OTHER_ROUNDS = 20


def race(first: Callable[[], Any], second: Callable[[], Any], round_: int = 0) -> list[Any]:
    """Run both calls at once, released together by a barrier. One of them (each in
    turn) then waits a little, a little longer each round, so that over the rounds the
    retry lands on every moment of its original's write."""
    barrier = threading.Barrier(2)
    stagger = STAGGER_STEP * (round_ // 2 % STAGGER_STEPS)

    def run(call: Callable[[], Any], index: int) -> Any:
        barrier.wait()
        if index == round_ % 2:
            time.sleep(stagger)
        return call()

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(run, (first, second), (0, 1)))


def test_a_retry_racing_its_original_through_the_api_gets_the_original_response(api, world):
    allocation_id = world["allocation"]["id"]
    path = f"/api/allocations/{allocation_id}/activities"
    clients = [api.app.test_client() for _ in range(2)]
    acknowledged = []
    for round_ in range(ROUNDS):
        headers = {**api.headers(), "Idempotency-Key": f"race-{round_}"}
        body = activity(units=1, description=f"work {round_}")
        answers = race(
            *(lambda c=c, b=body, h=headers: c.post(path, json=b, headers=h) for c in clients),
            round_,
        )
        statuses = [a.status_code for a in answers]
        assert statuses == [201, 201], [a.get_data(as_text=True) for a in answers]
        first, second = (a.json for a in answers)
        assert (first["id"], first["position"]) == (second["id"], second["position"])
        assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 1
        acknowledged.append(first)
    assert len({a["id"] for a in acknowledged}) == ROUNDS
    latest = max(a["position"] for a in acknowledged)
    stored = api.get(f"/api/allocations/{allocation_id}/activities", min_position=latest)
    assert sorted(a["id"] for a in stored.json["items"]) == sorted(a["id"] for a in acknowledged)
    balance = api.get(f"/api/allocations/{allocation_id}", min_position=latest).json
    assert balance["units_used"] == ROUNDS


def test_a_retry_racing_its_original_on_another_process_gets_the_original_outcome(app, world):
    """Two ledgers on one database, as two gunicorn workers: neither sees the other's
    writes in its cache, only in the store."""
    runtime = app.extensions["runtime"]
    ledgers = [runtime.new_ledger() for _ in range(2)]
    allocation_id = UUID(world["allocation"]["id"])
    try:
        recorded = []
        for round_ in range(ROUNDS):
            key = uuid4()
            work = _work(units=1, description=f"work {round_}")
            outcomes = race(
                *(
                    lambda ledger=ledger, w=work, k=key: ledger.record_activity(
                        allocation_id, **w, caller=Caller("ana", request_id=k)
                    )
                    for ledger in ledgers
                ),
                round_,
            )
            assert [o.value[1] for o in outcomes] == [key, key]
            assert outcomes[0].position == outcomes[1].position
            assert sorted(o.replayed for o in outcomes) == [False, True]
            recorded.append(key)
        allocation = ledgers[0].allocation(allocation_id)
        assert set(allocation.activities) == {str(k) for k in recorded}
        assert allocation.units_used == ROUNDS
    finally:
        for ledger in ledgers:
            ledger.close()


def test_a_retry_whose_original_commits_between_its_reads_gets_the_original_outcome(
    app, world, monkeypatch
):
    """The reported interleaving, made certain: the retry has loaded the allocation
    (through its cache), then the original commits on another ledger, then the retry
    finds the key taken."""
    runtime = app.extensions["runtime"]
    original, retry = runtime.new_ledger(), runtime.new_ledger()
    allocation_id = UUID(world["allocation"]["id"])
    key = uuid4()
    work = _work(units=1)
    retry.allocation(allocation_id)  # in the retry's cache, soon stale
    first = []
    exists = retry.exists

    def original_commits_first(originator_id: UUID) -> bool:
        if not first:
            first.append(
                original.record_activity(allocation_id, **work, caller=Caller("a", request_id=key))
            )
        return exists(originator_id)

    monkeypatch.setattr(retry, "exists", original_commits_first)
    try:
        again = retry.record_activity(allocation_id, **work, caller=Caller("a", request_id=key))
        assert again.replayed and not first[0].replayed
        assert (again.value[1], again.position) == (key, first[0].position)
        assert again.value[0].activity(key).units == 1
        assert retry.allocation(allocation_id).units_used == 1
    finally:
        original.close()
        retry.close()


def test_other_retried_commands_racing_their_originals_get_the_original_outcome(app, world):
    """Creating an engagement, a project and an allocation; correcting, retracting an
    activity and cancelling an allocation: each retry racing its original answers the
    original's outcome."""
    runtime = app.extensions["runtime"]
    ledgers = [runtime.new_ledger() for _ in range(2)]
    try:
        for round_ in range(OTHER_ROUNDS):
            engagement = _same_outcome(
                round_,
                ledgers,
                lambda ledger, key: ledger.open_engagement(
                    **_engagement(), caller=Caller("bd", request_id=key)
                ),
            ).value
            _, project_id = _same_outcome(
                round_,
                ledgers,
                lambda ledger, key, e=engagement: ledger.define_project(
                    e.id, name="Docs", outcome="better docs", caller=Caller("bd", request_id=key)
                ),
            ).value
            allocation = _same_outcome(
                round_,
                ledgers,
                lambda ledger, key, p=project_id: ledger.grant_allocation(
                    p, **_grant(), caller=Caller("bd", request_id=key)
                ),
            ).value
            _, activity_id = (
                ledgers[0].record_activity(allocation.id, **_work(), caller=Caller("ana")).value
            )
            _same_outcome(
                round_,
                ledgers,
                lambda ledger, key, a=activity_id: ledger.correct_activity(
                    a, changes={"units": 2}, reason="shorter", caller=Caller("lee", request_id=key)
                ),
            )
            _same_outcome(
                round_,
                ledgers,
                lambda ledger, key, a=activity_id: ledger.retract_activity(
                    a, reason="duplicate", caller=Caller("lee", request_id=key)
                ),
            )
            _same_outcome(
                round_,
                ledgers,
                lambda ledger, key, a=allocation: ledger.cancel_allocation(
                    a.id, reason="moved", caller=Caller("bd", request_id=key)
                ),
            )
    finally:
        for ledger in ledgers:
            ledger.close()


def _same_outcome(
    round_: int, ledgers: list[Ledger], command: Callable[[Ledger, UUID], Any]
) -> Any:
    """Race one command and its retry (same key) on the two ledgers: one writes, the
    other answers its outcome."""
    key = uuid4()
    outcomes = race(*(lambda ledger=ledger: command(ledger, key) for ledger in ledgers), round_)
    assert outcomes[0].position == outcomes[1].position
    assert _identity(outcomes[0].value) == _identity(outcomes[1].value)
    assert sorted(o.replayed for o in outcomes) == [False, True]
    return outcomes[0]


def _identity(value: Any) -> UUID:
    """What a command answered: an aggregate, or (its owner, a thing inside it)."""
    return value[1] if isinstance(value, tuple) else value.id


def _work(**overrides: Any) -> dict[str, Any]:
    body = activity(**overrides)
    for field in ("date_from", "date_to"):
        body[field] = date.fromisoformat(body[field])
    return body


def _engagement() -> dict[str, Any]:
    return dict(
        name="E",
        community="C",
        description="d",
        start_date=date.fromisoformat(days_ago(90)),
        end_date=date.fromisoformat(days_ago(-180)),
        contacts=None,
    )


def _grant() -> dict[str, Any]:
    return dict(
        start_date=date.fromisoformat(days_ago(60)),
        end_date=date.fromisoformat(days_ago(-30)),
        units=5,
        description="hours",
        provider=None,
    )
