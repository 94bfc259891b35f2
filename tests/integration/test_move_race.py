"""Racing retries of one move (issue 18): many copies of `POST /api/activities/{id}/move`
with the same Idempotency-Key sent at once, as a client that times out and retries
does, all get the first move's answer (201, the same position), never a 409, and the
activity moves once; a different move racing them is made before or after it, as if
they had come one after the other.

Threads, each with its own test client, on one process's ledger (its aggregate cache
shared, as in a gunicorn worker), released together by a barrier; on both stores."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID

from service.web.http.runtime import ledger as app_ledger
from tests.support.moves import balance, grant

RETRIES = 40


def racing(api, calls: list[tuple[str, str | None]], activity_id: str) -> list:
    """POST each (allocation_id, key) move at once; the answers in order."""
    barrier = threading.Barrier(len(calls))
    clients = [api.app.test_client() for _ in calls]

    def send(index: int):
        allocation_id, key = calls[index]
        headers = api.headers(key)
        barrier.wait()
        return clients[index].post(
            f"/api/activities/{activity_id}/move",
            json={"allocation_id": allocation_id, "reason": "mis-filed"},
            headers=headers,
        )

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(send, range(len(calls))))


def moves_of(api, activity_id: str) -> int:
    """How many times the activity was moved: its locator's `Relocated` events (the log's
    size would not say, as positions may have gaps on PostgreSQL)."""
    with api.app.app_context():
        events = app_ledger().stream(UUID(activity_id))
    return sum(type(event).__name__ == "Relocated" for event in events)


def test_racing_retries_of_one_move_all_get_its_answer(api, places):  # noqa: F811
    moved, b = places["activity"], places["b"]
    answers = racing(api, [(b, "move-race")] * RETRIES, moved["id"])
    statuses = Counter(answer.status_code for answer in answers)
    assert statuses == {201: RETRIES}, [
        a.get_data(as_text=True) for a in answers if a.status_code != 201
    ]
    assert len({answer.json["position"] for answer in answers}) == 1
    assert sum(a.headers.get("Idempotent-Replayed") != "true" for a in answers) == 1
    assert moves_of(api, moved["id"]) == 1
    position = answers[0].json["position"]
    assert balance(api, places["a"], position) == (0, 20)
    assert balance(api, b, position) == (3, 7)


def test_a_different_move_racing_the_retries_is_made_in_turn(api, places):  # noqa: F811
    """Another client moving the same activity elsewhere at the same moment is no
    conflict either: each move finds the activity where the other left it."""
    moved, b = places["activity"], places["b"]
    c = grant(api, places["engagement"]["id"], start=60, end=-30, units=10)["id"]
    answers = racing(api, [(b, "move-race")] * (RETRIES - 1) + [(c, "other-move")], moved["id"])
    assert [a.status_code for a in answers] == [201] * RETRIES, [
        a.get_data(as_text=True) for a in answers if a.status_code != 201
    ]
    retries, other = answers[:-1], answers[-1]
    assert len({answer.json["position"] for answer in retries}) == 1
    assert sum(a.headers.get("Idempotent-Replayed") != "true" for a in answers) == 2
    assert moves_of(api, moved["id"]) == 2
    last = max(retries[0].json["position"], other.json["position"])
    here = b if last == retries[0].json["position"] else c
    elsewhere = c if here == b else b
    assert balance(api, here, last)[0] == 3
    assert balance(api, elsewhere, last)[0] == 0
    assert balance(api, places["a"], last) == (0, 20)
