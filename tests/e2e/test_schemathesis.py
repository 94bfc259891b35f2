"""Schemathesis over every operation of the served OpenAPI document, against gunicorn
with several workers on a PostgreSQL database of its own, with an admin token.

Every response goes through every check schemathesis 4.32 has (`case.call_and_validate`
with its default checks: server errors, status codes, content types, headers and bodies
as documented, schema-violating requests refused, schema-valid ones accepted, required
headers, undeclared methods answered 405 with Allow, ignored auth, ...), one of them
refined: a request the document calls valid may still be refused (422) by a rule no
OpenAPI schema can state, the ledger's state (an unknown team member, a period that
overlaps another) or fields together (an end before its start); never by a rule on one
field, which the document must then state (`refused_by_a_rule_beyond_the_document`).

Each operation runs the examples, coverage and fuzzing phases with valid and invalid
data, derandomized (the same requests on every run) and bounded so that the module
takes about two minutes on two cores. Path ids are drawn at random and from a little
seeded data, and half the bodies get a seeded member and plausible dates, so that
writes also succeed and their answers, and the reads of what they wrote, are checked
too.

Nothing is excluded: every operation of the document runs (the last test says so, and
prints the requests made per operation and status; `pytest -s` shows it).

The schema is loaded when the module is imported, from the app built in-process (the
`served` fixture checks gunicorn serves the same document), because schemathesis'
lazy loader, `schemathesis.pytest.from_fixture`, does not work with pytest 9 (it sets
`Node._nodeid`, which pytest no longer has)."""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import hypothesis
import marshmallow as ma
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis.config._checks import NEGATIVE_DATA_REJECTION_EXPECTED_STATUSES
from schemathesis.core.parameters import ParameterLocation
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

from service.bootstrap import create_app
from service.infra.config import Settings
from service.web.http.problems import VALIDATION_DETAIL
from tests.support.servers import Client, Service, days_ago, drop_database, new_database

pytestmark = pytest.mark.postgres

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


def built_document() -> tuple[dict[str, Any], dict[str, dict[str, ma.Schema]]]:
    """The OpenAPI document as the app builds it (no database needed): pytest needs
    the operations when it collects the tests, before the service runs. The `served`
    fixture checks that gunicorn serves this very document. With it, the schemas each
    operation reads its arguments with, by location ("query", "json", ...)."""
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(Settings.from_environment({"DATABASE_URL": f"sqlite:///{folder}/x"}))
        with app.app_context():
            document = app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()
        arguments = {}
        for rule in app.url_map.iter_rules():
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            parameters = getattr(app.view_functions[rule.endpoint], "_apidoc", {})
            for method in rule.methods or ():
                arguments[f"{method} {path}"] = {
                    parameter["in"]: _instance(parameter["schema"])
                    for parameter in parameters.get("arguments", {}).get("parameters", [])
                }
    return json.loads(json.dumps(document)), arguments


def _instance(schema: ma.Schema | type[ma.Schema]) -> ma.Schema:
    return schema() if isinstance(schema, type) else schema


DOCUMENT, ARGUMENTS = built_document()
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
            # gunicorn refuses a request line over 4 KiB (414) before the app reads it
            "checks": {
                "negative_data_rejection": {
                    "expected-statuses": [*NEGATIVE_DATA_REJECTION_EXPECTED_STATUSES, 414]
                }
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
    headers = {} if unauthenticated(case) else {"Authorization": served["Authorization"]}
    response = case.call_and_validate(base_url=served["url"], headers=headers, **CHECKED)
    if response.status_code == 200 and CSV in documented_types(case, "200"):
        # the same request for the CSV the report also answers
        case.call_and_validate(base_url=served["url"], headers=headers | {"Accept": CSV}, **CHECKED)


def unauthenticated(case) -> bool:
    """A negative case whose headers lack Authorization on purpose (the document requires
    it) is sent without: given the token, it would be a valid request, rightly accepted."""
    header = case.meta.components.get(ParameterLocation.HEADER) if case.meta else None
    return header is not None and header.mode.is_negative


def refused_by_a_rule_beyond_the_document(ctx, response, case) -> bool | None:
    """schemathesis' positive_data_acceptance (a request valid by the document is not
    refused), but for a 422 by a rule the document cannot state: a rule of the ledger
    (a DomainError's problem), or the request's schema refusing fields together (each
    field named, taken alone, passes its own field's rules). A field refused on its own
    is a rule the document lacks: the check fails."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if response.status_code != 422 or refused_by_a_field_rule(case, response):
            raise
    return None


def refused_by_a_field_rule(case, response) -> bool:
    problem = response.json()
    if not problem.get("detail", "").startswith(VALIDATION_DETAIL):
        return False  # a rule of the ledger
    schemas = ARGUMENTS[f"{case.method.upper()} {case.operation.path}"]
    sent = {"query": case.query or {}, "json": case.body if isinstance(case.body, dict) else {}}
    for name in problem.get("errors", {}):
        for location, schema in schemas.items():
            field = next(
                (f for key, f in schema.fields.items() if (f.data_key or key) == name), None
            )
            value = sent.get(location, {}).get(name, ma.missing)
            if field is None or value is ma.missing:
                continue
            try:
                field.deserialize(value)
            except ma.ValidationError:
                return True
    return False


CHECKED = {
    "excluded_checks": [positive_data_acceptance],
    "additional_checks": [refused_by_a_rule_beyond_the_document],
    "timeout": 30,
}


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
