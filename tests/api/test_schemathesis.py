"""Schemathesis over the whole OpenAPI schema: every answer is one the schema declares, and no
operation answers 5xx, whatever it is sent.

The schema is the one the service serves at /api/schema/, so endpoints are covered as they are
added. Every phase runs: each operation's explicit examples (plus a few awkward inputs random
generation hardly makes), the coverage cases (boundaries, each parameter missing or of the wrong
type), EXAMPLES_PER_OPERATION fuzzed cases (fewer only where an operation has fewer distinct
inputs), and stateful workflows along the links schemathesis infers (a report submitted, then
read, edited, verified, rejected, reopened, withdrawn). Generated text may hold NUL bytes. Each
answer must be documented: its status code, its content type, its headers and its body.

Calls go in-process through the WSGI app with a token: as a reporter for every operation but
verify, reject and reopen, as a verifier for reading, withdrawing, verifying, rejecting and
reopening reports (its other calls end in a 403 before any input is read), and as a viewer for
listing and revoking its agency's API tokens. Reports of two agencies
in every state exist, one with a pending revision, so edits, verify, reject, reopen and withdraw
reach real reports, not only 404s.

A failure names the operation, the server's traceback and a curl command that reproduces it.
"""

import csv
import datetime
import io
import json
import logging
import traceback

import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.db import DatabaseError, transaction
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ensure_resource_availability,
    ignored_auth,
    missing_required_header,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from api.throttling import AddressRateThrottle, TokenRateThrottle
from tracker import services
from tracker.models import Area, Role, User
from tracker.wsgi import application

pytestmark = [pytest.mark.django_db, pytest.mark.slow]  # minutes: see EXAMPLES_PER_OPERATION

EXAMPLES_PER_OPERATION = 100
WORKFLOWS = 30  # stateful scenarios, each of up to 8 calls
CONFIG = SchemathesisConfig.from_dict(
    {
        "generation": {"allow-x00": True, "max-examples": EXAMPLES_PER_OPERATION},
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": True},
        },
    }
)
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, config=CONFIG)
DAY = datetime.date(2024, 11, 28)
# P-codes the migrations load, at every level: generated reports sometimes name a real area and a
# recent period, so that they get past the first validation and reach the services.
PCODES = ("SY", "SY02", "SY07", "SY0200", "SY0700", "SY020000")
REPORT_INPUT_PATHS = ("/api/v1/reports/", "/api/v1/reports/{id}/", "/api/v1/reports/bulk/")

# Set by the fixtures for the running test, read by the hooks and the check below.
CURRENT: dict = {}


# --- How requests are generated and sent --------------------------------------------------------


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


@schemathesis.serializer("text/csv")
def csv_body(ctx, value) -> bytes:
    """Report objects as a header line and a row each; anything else is sent as its text."""
    if isinstance(value, bytes):
        return value
    rows = value if isinstance(value, list) else [value]
    if not rows or not all(isinstance(row, dict) for row in rows):
        return str(value).encode()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=sorted({str(key) for row in rows for key in row}))
    writer.writeheader()
    for row in rows:
        writer.writerow({str(key): _cell(value) for key, value in row.items()})
    return out.getvalue().encode()


def _realistic_report() -> st.SearchStrategy:
    count = st.integers(0, 5000)
    return st.fixed_dictionaries(
        {
            "area": st.sampled_from(PCODES),
            "period_start": st.dates(DAY - datetime.timedelta(days=30), DAY).map(str),
            "killed": count,
        },
        optional={
            "period_end": st.dates(DAY, DAY + datetime.timedelta(days=10)).map(str),
            "displaced": st.one_of(st.none(), count),
            "cumulative": st.booleans(),
            "destination": st.one_of(st.none(), st.sampled_from(PCODES)),
            "external_id": st.sampled_from(["", "ext-1", "ext-2"]),
        },
    )


@schema.hook
def flatmap_body(context, body):
    """Now and then, make a generated report name a real area and a recent period."""
    operation = context.operation
    if operation.method.upper() == "DELETE" or operation.path not in REPORT_INPUT_PATHS:
        return st.just(body)
    if isinstance(body, dict):
        mixed = _realistic_report().map(lambda real: {**body, **real})
        alone = _realistic_report()
    elif isinstance(body, list) and body and all(isinstance(row, dict) for row in body):
        mixed = st.lists(_realistic_report(), min_size=len(body), max_size=len(body)).map(
            lambda reals: [{**row, **real} for row, real in zip(body, reals, strict=True)]
        )
        alone = st.lists(_realistic_report(), min_size=1, max_size=3)
    else:
        return st.just(body)
    return st.one_of(st.just(body), mixed, alone)


@schema.hook
def flatmap_headers(context, headers):
    """A random `Idempotency-Key` or `If-Match` stops a request before the body is read (400,
    412): now and then, leave them out."""
    optional = ("Idempotency-Key", "If-Match")
    if not headers or not any(name in headers for name in optional):
        return st.just(headers)
    without = {name: value for name, value in headers.items() if name not in optional}
    return st.sampled_from([headers, without])


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Now and then, aim at a report that exists (in any state) rather than a random id."""
    if "id" not in (path_parameters or {}):
        return st.just(path_parameters)
    existing = st.integers(0, 1000).map(
        lambda n: {**path_parameters, "id": CURRENT["report_ids"][n % len(CURRENT["report_ids"])]}
    )
    return st.one_of(st.just(path_parameters), existing)


# Inputs clients do send that random generation hardly ever makes: JSON may escape a lone
# surrogate ("\ud800") that is not valid text, a NUL is valid JSON and URL text but not PostgreSQL
# text, and Python reads UTC offsets up to 23:59 where PostgreSQL stops at 15:59.
AWKWARD_BODIES = (b'{"\\ud800": 1}', b'{"\\u0000": 1}')
AWKWARD_DATETIME = "2024-11-28T00:00:00-16:00"


@schema.hook
def before_add_examples(context, examples):
    """Add the awkward inputs to each operation's explicit examples."""
    operation = context.operation
    raw = operation.definition.raw
    path = {"id": "0"} if "{id}" in operation.path else {}  # `aim` points 0 at a real report
    key = {"Idempotency-Key": "st-awkward"} if operation.method.upper() == "POST" else {}
    content = raw.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        listed = content["application/json"].get("schema", {}).get("type") == "array"
        for body in AWKWARD_BODIES:
            for headers in ({}, key):
                examples.append(
                    operation.Case(
                        path_parameters=path,
                        headers=headers,
                        body=b"[" + body + b"]" if listed else body,
                        media_type="application/json",
                    )
                )
    query = [p for p in raw.get("parameters", []) if p.get("in") == "query"]
    if query:
        nul, odd = {}, {}
        for parameter in query:
            kind = parameter.get("schema", {})
            if kind.get("type") == "string":
                nul[parameter["name"]] = "\x00"
                if kind.get("format") == "date-time":
                    odd[parameter["name"]] = AWKWARD_DATETIME
        for values in (nul, odd):
            if values:
                examples.append(operation.Case(path_parameters=path, query=values))


# --- Fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def server_errors(in_process_calls):
    """Tracebacks of the exceptions the app turned into 5xx responses, newest last."""
    seen: list[str] = []

    def record(sender, **kwargs):
        seen.append(traceback.format_exc())

    signals.got_request_exception.connect(record)
    CURRENT["server_errors"] = seen
    try:
        yield seen
    finally:
        signals.got_request_exception.disconnect(record)
        CURRENT.pop("server_errors", None)


@pytest.fixture
def tokens(monkeypatch, settings):
    """Tokens by role, and reports of the reporter's agency and another one's in every state;
    the public figures on."""
    # The rate limit is not under test here; thousands of calls a minute must not turn into 429s.
    monkeypatch.setattr(TokenRateThrottle, "rate", "1000000/min", raising=False)
    monkeypatch.setattr(AddressRateThrottle, "rate", "1000000/min", raising=False)
    settings.PUBLIC_FIGURES = True
    keys = {
        username: services.user_issue_token(username=username, agency_code=agency, role=role)
        for username, agency, role in [
            ("st-reporter", "ST-OWN", Role.REPORTER),
            ("st-other", "ST-OTHER", Role.REPORTER),
            ("st-verifier", "ST-CHECK", Role.VERIFIER),
            ("st-viewer", "ST-OWN", Role.VIEWER),
        ]
    }
    users = User.objects.in_bulk(keys, field_name="username")
    reporter, other, verifier = users["st-reporter"], users["st-other"], users["st-verifier"]
    area = Area.objects.get(pcode="SY0200")

    def submit(user, **fields):
        fields.setdefault("killed", 3)
        return services.report_create(
            agency=user.agency, submitted_by=user, area=area, period_start=DAY, **fields
        )

    def verified(report):
        return services.report_verify(report=report, user=verifier)

    revised = verified(submit(reporter, killed=7, external_id="own-revised"))
    services.report_update(report=revised, user=reporter, killed=8)  # a pending revision
    reports = [
        submit(reporter, external_id="own-pending"),  # first: what coverage cases aim at
        verified(submit(reporter, displaced=40, external_id="own-verified")),
        services.report_reject(
            report=verified(submit(reporter, killed=5)), user=verifier, reason="copy"
        ),
        services.report_withdraw(report=submit(reporter, injured=2), user=reporter),
        submit(reporter, cumulative=True, displaced=100),
        revised,
        submit(other),
        verified(submit(other, killed=6, notes="private")),
    ]
    CURRENT["report_ids"] = [report.pk for report in reports]
    CURRENT["token_ids"] = [reporter.api_tokens.get().pk]  # the viewer's agency's, not its own
    yield {
        Role.REPORTER: keys["st-reporter"],
        Role.VERIFIER: keys["st-verifier"],
        Role.VIEWER: keys["st-viewer"],
    }
    CURRENT.pop("report_ids", None)
    CURRENT.pop("token_ids", None)


# --- The tests ---------------------------------------------------------------------------------


def not_a_server_error(ctx, response, case):
    """A 5xx fails, with the server's traceback (schemathesis adds a curl command)."""
    if response.status_code < 500:
        return None
    errors = CURRENT.get("server_errors") or ["(no exception was raised: the app answered 5xx)"]
    last_lines = "\n".join(errors[-1].rstrip().splitlines()[-12:])
    raise AssertionError(
        f"{case.method} {case.formatted_path} answered {response.status_code}.\n"
        f"Server traceback (last lines):\n{last_lines}"
    )


# What every answer is checked for: no server error; everything about it in the schema; a method
# the URL does not have answers 405, a missing required header 4xx, a call without a token or with
# a bad one 401; in workflows, a report just created is found. Not use_after_free: a withdrawn
# report is kept and still shown, by design. Not negative_data_rejection: the hooks above aim
# invalid cases at real reports, which makes them valid, and an empty filter (`?date_to=`) means
# "not filtered", as django-filter reads it.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    unsupported_method,
    missing_required_header,
    ignored_auth,
    ensure_resource_availability,
]
VERIFIER_ACTIONS = ("/api/v1/reports/{id}/verify/", "/api/v1/reports/{id}/reject/",
                    "/api/v1/reports/{id}/reopen/")  # fmt: skip


def verifier_may(ctx) -> bool:
    """What a verifier can do beyond a 403: read, withdraw, verify, reject and reopen reports."""
    method, path = ctx.operation.method.upper(), ctx.operation.path
    if path == "/api/v1/reports/":
        return method == "GET"
    if path == "/api/v1/reports/{id}/":
        return method in ("GET", "DELETE")
    return path in VERIFIER_ACTIONS


SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


# The role parameter names the caller in each test's id, after the operation.
@schema.exclude(path_regex=r"/(verify|reject|reopen)/$").parametrize()
@pytest.mark.parametrize("role", [Role.REPORTER])
@SETTINGS
def test_answers_as_declared_to_a_reporter(case, role, tokens, server_errors, caplog):
    check(case, tokens[role], caplog)


@schema.include(verifier_may).parametrize()
@pytest.mark.parametrize("role", [Role.VERIFIER])
@SETTINGS
def test_answers_as_declared_to_a_verifier(case, role, tokens, server_errors, caplog):
    check(case, tokens[role], caplog)


# Viewers manage their agency's API tokens (reporters and verifiers get a 403 there).
@schema.include(path_regex=r"^/api/v1/tokens/").parametrize()
@pytest.mark.parametrize("role", [Role.VIEWER])
@SETTINGS
def test_answers_as_declared_to_a_viewer(case, role, tokens, server_errors, caplog):
    check(case, tokens[role], caplog)


# Chains leave the token endpoints out: a viewer revoking the reporter's token would end every
# chain's reports there (test_answers_as_declared_to_a_viewer covers them).
class Workflow(schema.exclude(path_regex=r"^/api/v1/tokens/").as_state_machine()):
    """Chains of calls along the inferred links, each as the role that may make it. Each chain
    starts from the same reports: what one wrote is rolled back after it, so that Hypothesis,
    replaying a chain, sees the answers it saw the first time."""

    def setup(self):
        self.scenario = transaction.atomic()
        self.scenario.__enter__()

    def teardown(self):
        transaction.set_rollback(True)
        self.scenario.__exit__(None, None, None)

    def get_call_kwargs(self, case):
        role = Role.VERIFIER if case.operation.path in VERIFIER_ACTIONS else Role.REPORTER
        return {"headers": {"Authorization": f"Token {CURRENT['tokens'][role]}"}}

    def before_call(self, case):
        aim(case)

    def call(self, case, **kwargs):
        response = call(case, **kwargs)
        CURRENT["steps"].add((case.method, case.operation.path, response.status_code))
        return response

    def validate_response(self, response, case, additional_checks=None, **kwargs):
        case.validate_response(response, checks=CHECKS, headers=kwargs.get("headers"))


def test_workflows_answer_as_declared(tokens, server_errors, caplog):
    caplog.set_level(logging.ERROR, logger="django.request")
    CURRENT["tokens"], CURRENT["steps"] = tokens, set()
    try:
        Workflow.run(
            settings=hypothesis.settings(SETTINGS, max_examples=WORKFLOWS, stateful_step_count=8)
        )
        # The chains went past the first call: a report submitted, and reports acted on.
        steps = CURRENT["steps"]
        assert ("POST", "/api/v1/reports/", 201) in steps
        assert {(method, status) for method, path, status in steps if "{id}" in path} >= {
            ("GET", 200),
            ("POST", 200),
        }
    finally:
        CURRENT.pop("tokens", None)
        CURRENT.pop("steps", None)


def check(case, token: str, caplog) -> None:
    caplog.set_level(logging.ERROR, logger="django.request")  # 4xx are expected here, not news
    aim(case)
    auth = {"Authorization": f"Token {token}"}
    response = call(case, headers=auth)
    case.validate_response(response, checks=CHECKS, headers=auth)


def aim(case) -> None:
    """Coverage cases fill what they do not vary with fixed values: report id 0 and an empty
    `Idempotency-Key` or `If-Match`, which answer 404, 400 or 412 before the body is read. Aim
    them at the reporter's pending report and leave those headers out, unless the case is about
    them."""
    data = getattr(getattr(case.meta, "phase", None), "data", None)
    varied = getattr(data, "parameter", None)
    if varied != "id" and str((case.path_parameters or {}).get("id")) == "0":
        ids = "token_ids" if case.operation.path.startswith("/api/v1/tokens/") else "report_ids"
        case.path_parameters["id"] = CURRENT[ids][0]
    for header in ("Idempotency-Key", "If-Match"):
        if varied != header and case.headers and case.headers.get(header) == "":
            del case.headers[header]


class _Undo(Exception):
    pass


def call(case, **kwargs):
    """Send the case in a savepoint, rolled back after a 5xx.

    The test runs in one transaction, where in production each request has its own: on
    PostgreSQL one failed query would otherwise fail every later request with "current
    transaction is aborted", and bury the first failure under copies.
    """
    response = None
    try:
        with transaction.atomic():
            response = case.call(**kwargs)
            if response.status_code >= 500:
                raise _Undo
    except _Undo:
        pass
    except DatabaseError:  # the request left the transaction broken: it is rolled back
        if response is None:
            raise
    return response
