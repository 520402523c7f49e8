"""Fuzzing the whole HTTP API: every route, header and query parameter, weighted so that every
status the OpenAPI document lists is reached. For each request: never a 5xx, always the
X-Request-ID header and the documented error shape, and exactly one stored job (and outbox
row) per newly created 202, none otherwise."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobplatform.infrastructure.settings import Settings
from support.as_tenant import count_rows
from support.jobs import submit, wait_status
from support.tenants import TenantFixture

CASES = 1_000
BATCH_MAX_JOBS = Settings().batch_max_jobs  # the web's default
# Every status of the OpenAPI document but 500 (which must never happen) and 503 (readyz
# with Postgres down, tested elsewhere).
MUST_REACH = {200, 202, 400, 401, 403, 404, 409, 413, 415, 422}


@dataclass
class Call:
    method: str
    path: str
    auth: str  # "tenant", "none" or a raw Authorization value
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None
    is_submit: bool = False
    is_batch: bool = False


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
valid_payloads = st.one_of(
    st.tuples(st.just("noop"), st.just({})),
    st.tuples(
        st.just("diagnostic"),
        st.fixed_dictionaries(
            {},
            optional={
                "sleep_seconds": st.sampled_from([0, 0.01]),
                "secret_token": st.text(
                    alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=10
                ),
            },
        ),
    ),
)
# Wrong in every way a client can get it wrong: unknown and internal types, bad fields,
# NUL characters anywhere in a string.
invalid_payloads = st.one_of(
    st.tuples(st.text(max_size=20), json_values),
    st.tuples(st.just("maintenance.prune_idempotency_keys"), st.just({})),
    st.tuples(st.just("diagnostic"), st.fixed_dictionaries({"sleep_seconds": json_values})),
    st.tuples(st.just("diagnostic"), st.fixed_dictionaries({"surprise": json_values})),
    st.tuples(
        st.just("diagnostic"), st.fixed_dictionaries({"secret_token": st.just("before\x00after")})
    ),
    st.tuples(st.just("noop\x00"), st.just({})),
)
# A small pool of keys per tenant: the same key comes back with the same or another body,
# so idempotent replays (202, created false) and conflicts (409) both happen.
idempotency_keys = (
    st.none()
    | st.sampled_from(["order-1", "order-2", "order-3"])
    | st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=300).filter(
        lambda v: v == v.strip()
    )
)
wrong_authorizations = st.one_of(
    st.just("none"),
    st.sampled_from(["Bearer nope", "Basic abc", "Bearer jpk_x_y"]),
    st.text(
        alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=40
    ).map(lambda v: f"Bearer {v}"),
)
# Three in four requests carry the tenant's key, so most reach the routes' own checks.
authorizations = st.sampled_from([True, True, True, False]).flatmap(
    lambda with_key: st.just("tenant") if with_key else wrong_authorizations
)


@st.composite
def submissions(draw: st.DrawFn) -> Call:
    job_type, payload = draw(st.one_of(valid_payloads, valid_payloads, invalid_payloads))
    body: dict[str, Any] = {"type": job_type, "payload": payload}
    if draw(st.integers(0, 9)) == 0:
        # Placeholders, filled in with the real ids when the request is sent.
        body["tenant_id"] = draw(st.sampled_from(["{other_tenant}", "{own_tenant}", "junk"]))
    shape = draw(st.sampled_from(["json"] * 8 + ["malformed", "not-json", "no-type", "huge"]))
    headers = {"Content-Type": "application/json"}
    content = json.dumps(body).encode()
    if shape == "malformed":
        content = content[: draw(st.integers(0, max(0, len(content) - 1)))] + b"{"
    elif shape == "not-json":
        headers["Content-Type"] = draw(st.sampled_from(["text/plain", "application/xml"]))
    elif shape == "no-type":
        headers = {}
    elif shape == "huge":
        content = json.dumps({"type": "noop", "payload": {"x": "a" * 300_000}}).encode()
    key = draw(idempotency_keys)
    if key is not None:
        headers["Idempotency-Key"] = key
    return Call("POST", "/v1/jobs", draw(authorizations), {}, headers, content, is_submit=True)


# Mostly a small pool shared with single submits, so replays (created false) and keys reused
# for another request (409) both happen; sometimes a key no request may use.
batch_keys = st.one_of(
    st.none(),
    st.sampled_from(["order-1", "order-2", "batch-1", "batch-2"]),
    st.sampled_from(["order-1", "order-2", "batch-1", "batch-2"]),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=300),
)


@st.composite
def batch_items(draw: st.DrawFn) -> dict[str, Any]:
    # Mostly valid: one invalid item refuses its whole batch.
    invalid = draw(st.integers(0, 9)) == 0
    job_type, payload = draw(invalid_payloads if invalid else valid_payloads)
    item: dict[str, Any] = {"type": job_type, "payload": payload}
    key = draw(batch_keys)
    if key is not None:
        item["idempotency_key"] = key
    if draw(st.integers(0, 19)) == 0:
        item["tenant_id"] = "{own_tenant}"  # not a field of a batch item
    return item


@st.composite
def batches(draw: st.DrawFn) -> Call:
    """Batches of valid and invalid items whose keys repeat across and within batches, and
    batches over the configured size."""
    items = draw(st.lists(batch_items(), max_size=4))
    shape = draw(
        st.sampled_from(["json"] * 8 + ["malformed", "not-a-list", "no-type", "huge", "too-many"])
    )
    headers = {"Content-Type": "application/json"}
    content = json.dumps({"jobs": items}).encode()
    if shape == "malformed":
        content = content[: draw(st.integers(0, max(0, len(content) - 1)))] + b"]"
    elif shape == "not-a-list":
        content = json.dumps({"jobs": draw(json_values)}).encode()
    elif shape == "no-type":
        headers = {}
    elif shape == "huge":
        content = json.dumps({"jobs": [{"type": "noop", "payload": {"x": "a" * 300_000}}]}).encode()
    elif shape == "too-many":
        content = json.dumps({"jobs": [{"type": "noop"}] * (BATCH_MAX_JOBS + 1)}).encode()
    return Call("POST", "/v1/jobs:batch", draw(authorizations), {}, headers, content,
                is_batch=True)  # fmt: skip


@st.composite
def reads(draw: st.DrawFn) -> Call:
    target = draw(st.sampled_from(["mine", "theirs", "random", "garbage"]))
    return Call("GET", f"/v1/jobs/{{{target}}}", draw(authorizations))


@st.composite
def listings(draw: st.DrawFn) -> Call:
    params: dict[str, str] = {}
    if draw(st.booleans()):
        params["status"] = draw(
            st.sampled_from(["queued", "succeeded", "dead"]) | st.text(max_size=10)
        )
    if draw(st.booleans()):
        params["type"] = draw(st.sampled_from(["noop", "diagnostic"]) | st.text(max_size=110))
    if draw(st.booleans()):
        params["limit"] = draw(st.sampled_from(["1", "2", "200"]) | st.text(max_size=5))
    if draw(st.booleans()):
        params["cursor"] = draw(st.just("{cursor}") | st.text(max_size=40))
    return Call("GET", "/v1/jobs", draw(authorizations), params)


@st.composite
def dead_letter_calls(draw: st.DrawFn) -> Call:
    if draw(st.booleans()):
        params = {"include_replayed": draw(st.sampled_from(["true", "false", "maybe"]))}
        return Call("GET", "/v1/dead-letters", draw(authorizations), params)
    target = draw(st.sampled_from(["{replayed}", "{random}", "not-a-uuid"]))
    return Call("POST", f"/v1/dead-letters/{target}/replay", draw(authorizations))


calls = st.one_of(
    submissions(), submissions(), batches(), batches(), reads(), listings(), dead_letter_calls()
)


@pytest.fixture
def replayed_letter(api: httpx.Client, tenant: TenantFixture, platform: object) -> str:
    """A dead letter of ``tenant`` that was already replayed once: replaying it again is 409."""
    job_id = submit(api, tenant, "diagnostic", {"non_retryable": True}).json()["job_id"]
    wait_status(api, tenant, job_id, "dead")
    letter = next(
        x
        for x in api.get("/v1/dead-letters", headers=tenant.headers).json()["items"]
        if x["job_id"] == job_id
    )
    assert (
        api.post(f"/v1/dead-letters/{letter['id']}/replay", headers=tenant.headers).status_code
        == 202
    )
    return str(letter["id"])


def _assert_error_shape(response: httpx.Response) -> None:
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["errors"], "every error names at least one problem"
    for error in body["errors"]:
        assert set(error) == {"loc", "msg", "type"}, error


def test_fuzzed_requests_reach_every_status_and_store_exactly_what_was_accepted(
    api: httpx.Client,
    tenant: TenantFixture,
    other_tenant: TenantFixture,
    database_url: str,
    replayed_letter: str,
) -> None:
    mine = submit(api, tenant, "noop").json()["job_id"]
    theirs = submit(api, other_tenant, "noop").json()["job_id"]
    cursor = api.get("/v1/jobs", params={"limit": 1}, headers=tenant.headers).json()["next_cursor"]
    fill = {
        "{mine}": mine,
        "{theirs}": theirs,
        "{garbage}": "not-a-job",
        "{replayed}": replayed_letter,
        "{cursor}": cursor or "",
    }
    seen: Counter[int] = Counter()
    seen_batch: Counter[int] = Counter()

    def stored() -> tuple[int, int]:
        return count_rows(database_url, tenant, "jobs"), count_rows(database_url, tenant, "outbox")

    @settings(
        max_examples=CASES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(call=calls)
    def one_request(call: Call) -> None:
        path = call.path
        for placeholder, value in {**fill, "{random}": str(uuid.uuid4())}.items():
            path = path.replace(placeholder, value)
        params = {k: fill.get(v, v) for k, v in call.params.items()}
        headers = dict(call.headers)
        if call.auth == "tenant":
            headers.update(tenant.headers)
        elif call.auth != "none":
            headers["Authorization"] = call.auth
        content = call.content
        if content is not None:
            content = content.replace(b"{own_tenant}", str(tenant.id).encode()).replace(
                b"{other_tenant}", str(other_tenant.id).encode()
            )
        before = stored()
        response = api.request(call.method, path, params=params, headers=headers, content=content)
        after = stored()
        seen[response.status_code] += 1
        assert response.status_code < 500, response.text
        assert response.headers.get("X-Request-ID"), "every response carries its request id"
        if response.status_code >= 400:
            _assert_error_shape(response)
        created = (
            call.is_submit
            and response.status_code == 202
            and response.json()["created"] is True
            and call.auth == "tenant"
        )
        if call.is_batch and response.status_code == 202:
            assert call.auth == "tenant"
            accepted = response.json()["jobs"]
            assert len(accepted) == len(json.loads(content or b"")["jobs"])
            new = sum(1 for job in accepted if job["created"])
            # All of a batch or none of it: one job and one outbox row per created item.
            expected = (before[0] + new, before[1] + new)
        else:
            # Exactly one job and one outbox row per created job; a replay or a refusal: none.
            expected = (before[0] + 1, before[1] + 1) if created else before
        assert after == expected, (response.status_code, response.text)
        if call.is_batch:
            seen_batch[response.status_code] += 1

    one_request()
    print(f"\nfuzz: {sum(seen.values())} requests, status codes {dict(sorted(seen.items()))}")
    print(f"fuzz: batches, status codes {dict(sorted(seen_batch.items()))}")
    assert sum(seen.values()) >= CASES
    assert set(seen) >= MUST_REACH, f"never reached: {MUST_REACH - set(seen)}"
    batch_must_reach = {202, 400, 401, 409, 413, 415, 422}
    assert set(seen_batch) >= batch_must_reach, f"batch never: {batch_must_reach - set(seen_batch)}"
