"""CSV import's rules: the expected header, and one row checked into a record or an error.

The file is UTF-8 with a header row naming exactly ``id,email,name`` (any order). A row is
rejected, with its line number and a reason, when its field count differs from the header's
(a ragged row), ``id`` is empty or too long, ``email`` is not an address or ``name`` is too
long. A file that cannot be read as such (not UTF-8, no header) fails as a whole."""

from __future__ import annotations

import re
from dataclasses import dataclass

from jobplatform.domain.errors import NonRetryableError

COLUMNS = ("id", "email", "name")
EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9.-]{1,189}\.[A-Za-z]{2,}$")


class ImportFileInvalid(NonRetryableError):
    """The file is not a CSV of the expected shape (encoding, header); see the error report."""


class ImportUploadGone(NonRetryableError):
    """The upload is no longer stored: its import finished before (a replayed import), or it
    was removed as an orphan."""


@dataclass(frozen=True, slots=True)
class ContactRecord:
    external_id: str
    email: str
    name: str


def column_order(header: list[str]) -> tuple[int, int, int]:
    """Where id, email and name are in the header; raises ImportFileInvalid."""
    names = [h.strip().lower() for h in header]
    if sorted(names) != sorted(COLUMNS):
        raise ImportFileInvalid(f"the header must name exactly {', '.join(COLUMNS)}")
    return names.index("id"), names.index("email"), names.index("name")


def check_row(row: list[str], order: tuple[int, int, int]) -> ContactRecord | str:
    """The row as a record, or why it is rejected."""
    if len(row) != len(COLUMNS):
        return f"expected {len(COLUMNS)} fields, found {len(row)}"
    external_id, email, name = (row[i].strip() for i in order)
    if not external_id or len(external_id) > 100:
        return "id must be 1 to 100 characters"
    if not EMAIL.match(email) or len(email) > 254:
        return "email is not an address"
    if len(name) > 200:
        return "name is longer than 200 characters"
    return ContactRecord(external_id, email.lower(), name)
