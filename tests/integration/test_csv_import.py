"""CSV import end to end: upload through the API, a real heavy worker, Postgres; progress,
the error report, idempotent upserts, malformed files and the upload limit."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg

from support.jobs import wait_status
from support.tenants import SECRETS_USED, TenantFixture

LIMIT = 300_000  # JOBPLATFORM_IMPORT_MAX_BYTES of the suite's platform


def _csv(rows: list[list[str]], header: list[str] | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header or ["id", "email", "name"])
    writer.writerows(rows)
    return out.getvalue().encode()


def _upload(api: httpx.Client, tenant: TenantFixture, body: Any) -> httpx.Response:
    return api.post(
        "/v1/imports", content=body, headers={**tenant.headers, "Content-Type": "text/csv"}
    )


def _import(api: httpx.Client, tenant: TenantFixture, body: bytes, *final: str) -> dict[str, Any]:
    r = _upload(api, tenant, body)
    assert r.status_code == 202, r.text
    return wait_status(api, tenant, r.json()["job_id"], *(final or ("succeeded", "dead")))


def _contacts(database_url: str, tenant: TenantFixture) -> dict[str, tuple[str, str]]:
    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute("SELECT set_config('jobplatform.scope', 'system', false)")
        rows = conn.execute(
            "SELECT external_id, email, name FROM contacts WHERE tenant_id = %s", (tenant.id.value,)
        ).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


def _report(api: httpx.Client, tenant: TenantFixture, job_id: str) -> list[list[str]]:
    r = api.get(f"/v1/imports/{job_id}/errors", headers=tenant.headers)
    assert r.status_code == 200, r.text
    return list(csv.reader(io.StringIO(r.text)))


def test_an_import_upserts_valid_rows_reports_the_rest_and_is_idempotent(
    api: httpx.Client,
    tenant: TenantFixture,
    other_tenant: TenantFixture,
    platform: object,
    database_url: str,
) -> None:
    marker = f"private-{uuid.uuid4().hex}@example.test"
    SECRETS_USED.append(marker)  # file contents never reach a log line
    rows = [[f"c{i}", f"person{i}@example.test", f"Person {i}"] for i in range(450)]
    rows[0][1] = marker
    rows[10][1] = "not-an-address"
    rows[20].append("ragged")
    rows[30][0] = ""
    body = _csv(rows)

    job = _import(api, tenant, body)
    assert job["status"] == "succeeded", job
    assert job["progress"] == {
        "rows_total": 450,
        "rows_done": 450,
        "rows_rejected": 3,
        "rows_changed": 447,
        "error_report": True,
    }
    report = _report(api, tenant, job["id"])
    assert report[0] == ["line", "error"]
    # Line 1 is the header: row i is on line i + 2.
    assert {int(r[0]) for r in report[1:]} == {12, 22, 32}
    assert any("fields" in r[1] for r in report[1:])
    contacts = _contacts(database_url, tenant)
    assert len(contacts) == 447 and contacts["c1"] == ("person1@example.test", "Person 1")
    # Another tenant can read neither the report nor the contacts.
    other = api.get(f"/v1/imports/{job['id']}/errors", headers=other_tenant.headers)
    assert other.status_code == 404
    assert _contacts(database_url, other_tenant) == {}

    # The same file again changes nothing; one changed row changes one contact.
    again = _import(api, tenant, body)
    assert again["status"] == "succeeded" and again["progress"]["rows_changed"] == 0
    rows[5][2] = "Renamed"
    once_more = _import(api, tenant, _csv(rows))
    assert once_more["progress"]["rows_changed"] == 1
    assert _contacts(database_url, tenant)["c5"][1] == "Renamed"
    assert len(_contacts(database_url, tenant)) == 447


def test_a_file_that_is_not_utf8_ends_with_an_error_report(
    api: httpx.Client, tenant: TenantFixture, platform: object
) -> None:
    body = "id,email,name\nc1,a@example.test,Zo\u00e9\n".encode("latin-1")
    job = _import(api, tenant, body)
    assert job["status"] == "dead" and job["error_class"] == "ImportFileInvalid"
    assert job["attempts"] == 1
    report = _report(api, tenant, job["id"])
    assert "not UTF-8" in report[-1][1]


def test_a_file_without_the_header_ends_with_an_error_report(
    api: httpx.Client, tenant: TenantFixture, platform: object
) -> None:
    job = _import(api, tenant, b"c1,a@example.test,Ann\nc2,b@example.test,Bob\n")
    assert job["status"] == "dead" and job["error_class"] == "ImportFileInvalid"
    assert "header" in _report(api, tenant, job["id"])[-1][1]
    empty = _import(api, tenant, b"")
    assert empty["status"] == "dead" and empty["error_class"] == "ImportFileInvalid"


def test_uploads_past_the_limit_get_413_declared_or_streamed(
    api: httpx.Client, tenant: TenantFixture, web: str
) -> None:
    big = b"id,email,name\n" + b"x" * LIMIT
    assert _upload(api, tenant, big).status_code == 413

    def streamed() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b"id,email,name\n"
        for _ in range(LIMIT // 10_000 + 1):
            yield b"y" * 10_000

    assert _upload(api, tenant, streamed()).status_code == 413
    # Under the limit, a body larger than the API's general limit is fine.
    fits = _csv([[f"c{i}", f"p{i}@example.test", "n" * 120] for i in range(2_000)])
    assert 262_144 < len(fits) < LIMIT
    assert _upload(api, tenant, fits).status_code == 202
    wrong_type = api.post("/v1/imports", content=b"a", headers={**tenant.headers})
    assert wrong_type.status_code == 415
