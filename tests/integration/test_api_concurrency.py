"""Several clients recording on one allocation at once: every acknowledged activity
is stored exactly once, and the balance adds up."""

from concurrent.futures import ThreadPoolExecutor

from tests.support.api import activity

THREADS = 8
PER_THREAD = 15


def record_until_acknowledged(app, headers, path, body, key):
    """A client that retries a 409 or 503 with the same Idempotency-Key, as the API asks."""
    client = app.test_client()
    for _ in range(50):
        response = client.post(path, json=body, headers={**headers, "Idempotency-Key": key})
        if response.status_code == 201:
            return response.json
        assert response.status_code in (409, 503), response.get_data(as_text=True)
    raise AssertionError(f"{key} was never acknowledged")


def test_concurrent_recordings_are_each_stored_exactly_once(api, world, ledger):
    allocation_id = world["allocation"]["id"]
    path = f"/api/allocations/{allocation_id}/activities"
    jobs = [
        (f"t{t}-{i}", activity(units=1 + (t + i) % 3, description=f"work {t}-{i}"))
        for t in range(THREADS)
        for i in range(PER_THREAD)
    ]
    with ThreadPoolExecutor(THREADS) as pool:
        acknowledged = list(
            pool.map(
                lambda job: record_until_acknowledged(api.app, api.headers(), path, job[1], job[0]),
                jobs,
            )
        )
    assert len({a["id"] for a in acknowledged}) == len(jobs)
    stored = api.get(f"/api/allocations/{allocation_id}/activities").json["items"]
    assert sorted(a["id"] for a in stored) == sorted(a["id"] for a in acknowledged)
    expected_units = sum(body["units"] for _, body in jobs)
    assert api.get(f"/api/allocations/{allocation_id}").json["units_used"] == expected_units
    positions = [a["position"] for a in acknowledged]
    assert len(set(positions)) == len(positions), "two writes claimed one log position"
