"""CSV import's row rules: the header, and each row a record or a reason."""

from __future__ import annotations

import pytest

from jobplatform.domain.csv_import import ContactRecord, ImportFileInvalid, check_row, column_order


def test_the_header_may_come_in_any_order_and_case() -> None:
    assert column_order(["Name", " email", "ID"]) == (2, 1, 0)


@pytest.mark.parametrize(
    "header", [[], ["id", "email"], ["id", "email", "name", "extra"], ["c1", "a@b.test", "Ann"]]
)
def test_a_header_that_does_not_name_the_columns_fails_the_file(header: list[str]) -> None:
    with pytest.raises(ImportFileInvalid):
        column_order(header)


ORDER = (0, 1, 2)


def test_a_good_row_is_a_record_with_a_lowercased_email() -> None:
    assert check_row([" c1 ", "Ann@Example.TEST", "Ann"], ORDER) == ContactRecord(
        "c1", "ann@example.test", "Ann"
    )


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (["c1", "a@example.test"], "fields"),
        (["c1", "a@example.test", "Ann", "x"], "fields"),
        (["", "a@example.test", "Ann"], "id"),
        (["x" * 101, "a@example.test", "Ann"], "id"),
        (["c1", "not-an-address", "Ann"], "email"),
        (["c1", "a@example", "Ann"], "email"),
        (["c1", "a@example.test", "n" * 201], "name"),
    ],
)
def test_a_bad_row_is_rejected_with_a_reason(row: list[str], reason: str) -> None:
    checked = check_row(row, ORDER)
    assert isinstance(checked, str) and reason in checked
