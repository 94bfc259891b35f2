"""Schemathesis over every operation of the served OpenAPI document, against gunicorn
with several workers on a PostgreSQL database of its own, with an admin token.

Every response is checked for a server error, a documented status code, a documented
content type and a body matching the documented schema. Each operation runs the
examples, coverage and fuzzing phases with valid and invalid data, derandomized (the
same requests on every run) and bounded so that the module takes about two minutes on
two cores. Path ids are drawn at random and from a little seeded data, and half the
bodies get a seeded member and plausible dates, so that writes also succeed and their
answers, and the reads of what they wrote, are checked too.

Nothing is excluded: every operation of the document runs (the last test says so, and
prints the requests made per operation and status; `pytest -s` shows it).

The schema is loaded when the module is imported, from the app built in-process (the
`served` fixture checks gunicorn serves the same document), because schemathesis'
lazy loader, `schemathesis.pytest.from_fixture`, does not work with pytest 9 (it sets
`Node._nodeid`, which pytest no longer has)."""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from service.bootstrap import create_app
from service.infra.config import Settings
from tests.e2e.harness import Client, Service, days_ago, drop_database, new_database

pytestmark = pytest.mark.postgres

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# The bound: fuzzing-phase cases in all, shared by the operations (the examples and
# coverage phases add about 60 deterministic cases per operation), so the module stays
# at about two minutes on two cores as operations are added. A deeper or different
# run: CES_FUZZ_CASES=40000 CES_FUZZ_SEED=7 pytest tests/e2e/test_schemathesis.py
FUZZ_CASES = int(os.environ.get("CES_FUZZ_CASES", "9000"))
CSV = "text/csv"
SEED = int(os.environ.get("CES_FUZZ_SEED", "20240309"))

REQUESTS: Counter[str] = Counter()
STATUSES: defaultdict[str, Counter[int]] = defaultdict(Counter)
ELAPSED: Counter[str] = Counter()
SEED_NAMES = ("engagement_id", "project_id", "allocation_id", "activity_id", "stream_id", "handle")
SEEDED: dict[str, dict[str, str]] = {}
"""Path ids by operation label, filled in once the service runs."""


def built_document() -> dict[str, Any]:
    """The OpenAPI document as the app builds it (no database needed): pytest needs
    the operations when it collects the tests, before the service runs. The `served`
    fixture checks that gunicorn serves this very document."""
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(Settings.from_environment({"DATABASE_URL": f"sqlite:///{folder}/x"}))
        with app.app_context():
            document = app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()
    return json.loads(json.dumps(document))


DOCUMENT = built_document()
OPERATIONS = sorted(
    f"{method.upper()} {path}"
    for path, item in DOCUMENT["paths"].items()
    for method in item
    if method in ("get", "post", "put", "patch", "delete")
)
MAX_EXAMPLES = max(50, FUZZ_CASES // len(OPERATIONS))
schema = schemathesis.openapi.from_dict(
    DOCUMENT,
    config=schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
        }
    ),
)


@pytest.fixture(scope="module")
def service() -> Iterator[Service]:
    name = new_database()
    service = Service(
        env={"DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{name}"}, workers=3
    ).start()
    yield service
    service.stop()
    drop_database(name)


def seed(admin: Client, tag: str) -> dict[str, str]:
    """An engagement with a project, an allocation and an activity of `ana`."""
    engagement = admin.created(
        "/api/engagements",
        {
            "name": f"Fuzzed {tag}",
            "community": "Schemathesis",
            "description": "e2e",
            "start_date": days_ago(100),
            "end_date": days_ago(-100),
        },
    )
    project = admin.created(
        f"/api/engagements/{engagement['id']}/projects", {"name": tag, "outcome": "o"}
    )
    allocation = admin.created(
        f"/api/projects/{project['id']}/allocations",
        {
            "start_date": days_ago(60),
            "end_date": days_ago(-30),
            "units": 100,
            "description": tag,
            "provider": "ana",
        },
    )
    activity = admin.created(
        f"/api/allocations/{allocation['id']}/activities",
        {
            "team_member": "ana",
            "units": 2,
            "description": tag,
            "date_from": days_ago(1),
            "date_to": days_ago(1),
        },
    )
    return {
        "engagement_id": engagement["id"],
        "project_id": project["id"],
        "allocation_id": allocation["id"],
        "activity_id": activity["id"],
        "stream_id": allocation["id"],
        "handle": "ana",
    }


@pytest.fixture(scope="module")
def served(service: Service) -> dict[str, str]:
    """The service with its seeded data, once its document is the one tested."""
    document = requests.get(f"{service.url}/api/openapi.json", timeout=10).json()
    assert document == DOCUMENT, "the served OpenAPI document is not the one tested"
    token = service.token("admin")
    admin = Client(service.url, token)
    for handle in ("ana", "ben"):
        admin.created(
            "/api/team-members",
            {
                "handle": handle,
                "name": handle.title(),
                "fte": "0.5",
                "line_manager": "lee",
                "effective_date": days_ago(400),
            },
        )
    kept, doomed = seed(admin, "kept"), seed(admin, "doomed")
    for operation in OPERATIONS:
        SEEDED[operation] = kept
    # What ends a resource gets one of its own, so the others can go on writing to theirs;
    # `ben` is the member whose FTE changes or who departs.
    for operation in (
        "POST /api/engagements/{engagement_id}/closure",
        "POST /api/allocations/{allocation_id}/cancellation",
        "POST /api/activities/{activity_id}/retraction",
    ):
        SEEDED[operation] = doomed
    SEEDED["PATCH /api/team-members/{handle}"] = {"handle": "ben"}
    return {"url": service.url, "Authorization": f"Bearer {token}"}


@schema.hook
def before_generate_path_parameters(context, strategy):
    """Half the time, the seeded resource's ids instead of random ones (read when the
    case is drawn: they exist only once the service runs)."""
    label = context.operation.label
    names = [parameter.name for parameter in context.operation.path_parameters]
    if not names or not all(name in SEED_NAMES for name in names):
        return strategy
    return st.one_of(strategy, st.builds(lambda: {name: SEEDED[label][name] for name in names}))


@schema.hook
def before_generate_body(context, strategy):
    """Half the time, the body with the seeded member and plausible dates."""
    return st.one_of(strategy, strategy.flatmap(plausible))


def plausible(body: Any) -> st.SearchStrategy:
    if not isinstance(body, dict):
        return st.just(body)
    return st.integers(min_value=0, max_value=59).map(lambda n: _plausible(body, n))


def _plausible(body: dict[str, Any], n: int) -> dict[str, Any]:
    body = dict(body)
    for name in ("team_member", "provider"):
        if name in body:
            body[name] = "ana"
    if "date_from" in body or "date_to" in body:
        body |= {"date_from": days_ago(n), "date_to": days_ago(n)}
    if "start_date" in body:
        # after the seeded allocations, so that a grant overlaps none of them
        body |= {"start_date": days_ago(-31 - n), "end_date": days_ago(-31 - n - n % 7)}
    elif "end_date" in body:
        body["end_date"] = days_ago(-30 - n)
    if "effective_date" in body:
        body["effective_date"] = days_ago(n)
    return body


@schema.hook
def before_generate_query(context, strategy):
    """Half the time, a month of the seeded data's years for the reports."""
    return st.one_of(strategy, strategy.flatmap(plausible_month))


def plausible_month(query: Any) -> st.SearchStrategy:
    if not isinstance(query, dict) or "month" not in query:
        return st.just(query)
    return st.integers(min_value=0, max_value=11).map(
        lambda n: {**query, "month": days_ago(31 * n - 62)[:7]}
    )


@schema.hook
def after_call(context, case, response):
    """Count every request made, by operation and status."""
    label = case.operation.label
    if case.method.upper() != case.operation.method.upper():
        label = f"{case.method.upper()} {case.operation.path} (not an operation)"
    REQUESTS[label] += 1
    STATUSES[label][response.status_code] += 1
    ELAPSED[label] += response.elapsed


@schema.parametrize()
@hypothesis.settings(
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)
def test_every_operation_answers_as_documented(case, served):
    headers = {"Authorization": served["Authorization"]}
    response = case.call_and_validate(
        base_url=served["url"], headers=headers, checks=CHECKS, timeout=30
    )
    if response.status_code == 200 and CSV in documented_types(case, "200"):
        # the same request for the CSV the report also answers
        case.call_and_validate(
            base_url=served["url"], headers=headers | {"Accept": CSV}, checks=CHECKS, timeout=30
        )


def documented_types(case, status: str) -> set[str]:
    return set(
        DOCUMENT["paths"][case.operation.path][case.operation.method.lower()]["responses"]
        .get(status, {})
        .get("content", {})
    )


def test_every_operation_was_exercised(request):
    """Runs after the operations' tests (pytest keeps the order of the module)."""
    selected = [
        item
        for item in request.session.items
        if item.name.startswith(test_every_operation_answers_as_documented.__name__)
    ]
    if len(selected) < len(OPERATIONS):
        pytest.skip("only some of the operations were selected")
    missed = [operation for operation in OPERATIONS if not REQUESTS[operation]]
    others = sum(count for label, count in REQUESTS.items() if label not in OPERATIONS)
    lines = [
        f"schemathesis: {sum(REQUESTS.values())} requests over {len(OPERATIONS)} operations "
        f"({others} of them with methods the paths do not take)",
        *(
            f"  {REQUESTS[label]:5d} {ELAPSED[label]:6.1f}s  {label}  {statuses(label)}"
            for label in OPERATIONS
        ),
    ]
    print("\n" + "\n".join(lines))
    assert not missed, f"operations without a request: {missed}"


def statuses(label: str) -> str:
    return ", ".join(f"{code}: {n}" for code, n in sorted(STATUSES[label].items()))
