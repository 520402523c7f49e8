"""CSV import: stream the upload, check each row, upsert valid rows a chunk per transaction,
and keep the rejected ones in a downloadable error report.

Nothing holds the whole file: rows are read from the storage stream, a chunk of records at a
time is in memory, and rejected rows go to a temporary file until the report is stored. The
upsert makes a retried or repeated import harmless: rows already there change nothing."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from typing import IO

from jobplatform.application.handlers.job_run import JobRun
from jobplatform.application.imports import ImportProgress
from jobplatform.application.storage import ObjectNotFound
from jobplatform.domain.csv_import import (
    ContactRecord,
    ImportFileInvalid,
    ImportUploadGone,
    check_row,
    column_order,
)
from jobplatform.domain.job_types.csv_import import CsvImportPayload
from jobplatform.domain.storage_key import StorageKey


def _rows(stream: IO[bytes]) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of each row, header included; file errors as ImportFileInvalid."""
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    reader = csv.reader(text)
    try:
        for row in reader:
            yield reader.line_num, row
    except UnicodeDecodeError:
        raise ImportFileInvalid(f"the file is not UTF-8 (after line {reader.line_num})") from None
    except csv.Error as exc:
        raise ImportFileInvalid(f"line {reader.line_num + 1}: {exc}") from None


def report_name(job_id: object) -> str:
    return f"imports/{job_id}/errors.csv"


def handle_csv_import(payload: CsvImportPayload, run: JobRun) -> None:
    storage = run.services.require_storage()
    chunk_rows = run.services.import_chunk_rows
    job_id = run.job_id
    tenant = run.context.tenant_id
    upload = StorageKey.of(tenant, payload.upload)
    report_key = StorageKey.of(tenant, report_name(job_id.hex))

    with tempfile.TemporaryFile("w+", newline="", encoding="utf-8") as report_file:
        report = csv.writer(report_file)
        report.writerow(["line", "error"])
        progress = ImportProgress(rows_total=0, rows_done=0, rows_rejected=0, rows_changed=0)

        def save(p: ImportProgress, chunk: list[ContactRecord]) -> ImportProgress:
            with run.units.open() as uow:
                changed = uow.contacts.upsert(chunk, run.clock.now()) if chunk else 0
                p = ImportProgress(
                    p.rows_total,
                    p.rows_done,
                    p.rows_rejected,
                    p.rows_changed + changed,
                    p.error_report,
                )
                uow.import_progress.save(job_id, p, run.clock.now())
                uow.commit()
            return p

        def store_report() -> str:
            report_file.flush()
            report_file.seek(0)
            storage.write(report_key, (line.encode() for line in report_file))
            return report_key.name

        try:
            first = storage.open(upload)
        except ObjectNotFound:
            raise ImportUploadGone(payload.upload) from None
        try:
            # First pass: the total, so progress reads "rows done of total".
            with first as stream:
                total = sum(1 for _ in _rows(stream)) - 1
            progress = save(ImportProgress(max(total, 0), 0, 0, 0), [])
            with storage.open(upload) as stream:
                rows = _rows(stream)
                header = next(rows, None)
                if header is None:
                    raise ImportFileInvalid("the file is empty: no header row")
                order = column_order(header[1])
                chunk: list[ContactRecord] = []
                done = rejected = 0
                for line, row in rows:
                    checked = check_row(row, order)
                    done += 1
                    if isinstance(checked, str):
                        rejected += 1
                        report.writerow([line, checked])
                    else:
                        chunk.append(checked)
                    if done % chunk_rows == 0:
                        progress = save(
                            ImportProgress(total, done, rejected, progress.rows_changed), chunk
                        )
                        chunk = []
                reported = store_report() if rejected else None
                save(ImportProgress(total, done, rejected, progress.rows_changed, reported), chunk)
        except ImportFileInvalid as exc:
            report.writerow(["", str(exc)])
            save(
                ImportProgress(
                    progress.rows_total,
                    progress.rows_done,
                    progress.rows_rejected,
                    progress.rows_changed,
                    store_report(),
                ),
                [],
            )
            raise


def release_csv_upload(payload: CsvImportPayload, run: JobRun) -> None:
    """Once the import is over for good (done, or dead after its last attempt), its upload
    is of no more use: delete it. The error report stays, for the tenant to download."""
    storage = run.services.require_storage()
    storage.delete(StorageKey.of(run.context.tenant_id, payload.upload))
