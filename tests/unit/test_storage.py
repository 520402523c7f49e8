"""The storage port on a real directory: tenant-prefixed paths, no way out of the prefix."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobplatform.application.storage import ObjectNotFound
from jobplatform.domain.storage_key import InvalidStorageName, StorageKey
from jobplatform.domain.tenant import TenantId
from jobplatform.infrastructure.storage.local_fs import LocalFileStorage

TENANT = TenantId(uuid.UUID("00000000-0000-4000-8000-000000000001"))
OTHER = TenantId(uuid.UUID("00000000-0000-4000-8000-000000000002"))

HOSTILE = [
    "",
    ".",
    "..",
    "../x",
    "a/../../x",
    "/etc/passwd",
    "a//b",
    "a/",
    ".hidden",
    "a/.b",
    "a\\..\\b",
    "a\x00b",
    "ä",
    "a b",
    "%2e%2e/x",
    "x" * 129,
    "/".join(["a"] * 9),
    f"../{OTHER}/upload.csv",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidStorageName):
        StorageKey.of(TENANT, name)


def test_objects_live_under_their_tenants_prefix(tmp_path: Path) -> None:
    storage = LocalFileStorage(tmp_path)
    key = StorageKey.of(TENANT, "imports/one.csv")
    assert storage.write(key, [b"a,b\n", b"1,2\n"]) == 8
    assert (tmp_path / str(TENANT) / "imports" / "one.csv").read_bytes() == b"a,b\n1,2\n"
    with storage.open(key) as stream:
        assert stream.read() == b"a,b\n1,2\n"
    # The same name for another tenant is another object.
    other = StorageKey.of(OTHER, "imports/one.csv")
    assert not storage.exists(other)
    with pytest.raises(ObjectNotFound):
        storage.open(other)
    assert storage.delete(key) and not storage.delete(key)


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    storage = LocalFileStorage(tmp_path)
    key = StorageKey.of(TENANT, "report.csv")
    storage.write(key, [b"old"])

    def broken() -> object:
        yield b"new, partial"
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        storage.write(key, broken())  # type: ignore[arg-type]
    with storage.open(key) as stream:
        assert stream.read() == b"old"
    assert [p.name for p in (tmp_path / str(TENANT)).iterdir()] == ["report.csv"]


def test_a_symlink_out_of_the_tenant_directory_is_not_followed(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"not yours")
    (root / str(TENANT)).mkdir(parents=True)
    os.symlink(outside, root / str(TENANT) / "link")
    storage = LocalFileStorage(root)
    key = StorageKey.of(TENANT, "link/secret.txt")
    with pytest.raises(InvalidStorageName):
        storage.open(key)
    with pytest.raises(InvalidStorageName):
        storage.write(key, [b"overwrite"])
    assert (outside / "secret.txt").read_bytes() == b"not yours"


# Pieces hostile names are made of: separators, dots, traversal, NUL, look-alike slashes.
names = st.lists(
    st.sampled_from([*"./\\\x00 -_aZ9%~:", "..", "../", "\u2215", "\uff0e", "\u0101"]),
    max_size=30,
).map("".join)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=names)
def test_no_name_reaches_outside_the_tenant_directory(tmp_path: Path, name: str) -> None:
    storage = LocalFileStorage(tmp_path)
    tenant_dir = (tmp_path / str(TENANT)).resolve()
    try:
        key = StorageKey.of(TENANT, name)
    except InvalidStorageName:
        return
    storage.write(key, [b"x"])
    written = tmp_path.joinpath(*key.parts()).resolve()
    assert written.is_relative_to(tenant_dir) and written != tenant_dir
    assert storage.exists(key)
    assert storage.delete(key)


def test_a_folder_lists_its_objects_with_their_age_and_nothing_else(tmp_path: Path) -> None:
    storage = LocalFileStorage(tmp_path)
    assert list(storage.list_folder(TENANT, "uploads")) == []  # no folder yet
    storage.write(StorageKey.of(TENANT, "uploads/a.csv"), [b"a"])
    storage.write(StorageKey.of(TENANT, "uploads/b.csv"), [b"b"])
    storage.write(StorageKey.of(TENANT, "uploads/deeper/c.csv"), [b"c"])
    storage.write(StorageKey.of(OTHER, "uploads/theirs.csv"), [b"x"])
    (tmp_path / str(TENANT) / "uploads" / ".part-123").write_bytes(b"half")
    os.utime(tmp_path / str(TENANT) / "uploads" / "a.csv", (1_000_000_000, 1_000_000_000))
    listed = {o.key.name: o.modified_at for o in storage.list_folder(TENANT, "uploads")}
    assert set(listed) == {"uploads/a.csv", "uploads/b.csv"}
    assert listed["uploads/a.csv"].timestamp() == 1_000_000_000
    assert listed["uploads/b.csv"] > listed["uploads/a.csv"]
    with pytest.raises(InvalidStorageName):
        list(storage.list_folder(TENANT, "../other"))
