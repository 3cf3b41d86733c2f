"""Per-school keys (issue #19): pseudonyms not linkable across schools, one school's key
cannot unseal another's data, a school's database is never opened as another school, and
what was derived before schools stays as it was."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli import main
from bot.core import keyring
from bot.core.identity import AddressSealError, IdentityVault
from bot.schools import registry

SECRET = b"district-secret-0123456789abcdef"


def _pair(school_a: str | None, school_b: str | None) -> tuple[IdentityVault, IdentityVault]:
    """Two vaults bound to rows that wrap ONE root (the worst case: a copied file, or two
    databases made before envelope keys with one secret)."""
    wrapped = IdentityVault(SECRET).wrap_root()
    a, b = IdentityVault(SECRET, school_a), IdentityVault(SECRET, school_b)
    a.unlock(wrapped, keyring.school_scheme(school_a))
    b.unlock(wrapped, keyring.school_scheme(school_b))
    return a, b


def test_two_schools_with_one_root_share_no_key() -> None:
    a, b = _pair("smpn1", "smpn2")
    assert a.user_key("telegram", "42") != b.user_key("telegram", "42")
    assert a.token_hash("K7Q2M9") != b.token_hash("K7Q2M9")
    assert a.web_hash("session", "t") != b.web_hash("session", "t")
    assert a.subkey("whatsapp-ids") != b.subkey("whatsapp-ids")
    sealed = a.seal("alamat-siswa")
    assert a.open(sealed) == "alamat-siswa"
    with pytest.raises(AddressSealError):
        b.open(sealed)


def test_a_row_of_before_schools_keeps_its_keys() -> None:
    plain, _ = _pair(None, None)
    old = IdentityVault(SECRET)
    old.unlock(plain.wrap_root())  # as the stores unlocked it before schools (no scheme)
    assert old.user_key("telegram", "42") == plain.user_key("telegram", "42")
    named = IdentityVault(SECRET, "smpn1")  # a plain row opened for a named school: as was
    named.unlock(plain.wrap_root(), keyring.SCHEME)
    assert named.user_key("telegram", "42") == plain.user_key("telegram", "42")
    assert IdentityVault(SECRET, "default").school is None  # the implicit school


def test_a_schools_row_opened_as_another_school_is_refused() -> None:
    a, _ = _pair("smpn1", None)
    for other in ("smpn2", None):
        with pytest.raises(keyring.WrongSchool, match="smpn1"):
            IdentityVault(SECRET, other).unlock(a.wrap_root(), keyring.school_scheme("smpn1"))


@pytest.mark.sqlite_only
def test_a_schools_file_named_as_another_schools_database_is_refused(
        project: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("SEBAYA_SECRET", SECRET.decode())
    config = project / "config.yaml"
    registry.add(config, "smpn1", "A")
    registry.add(config, "smpn2", "B")
    assert main(["staff", "list", "--school", "smpn1", "--config", str(config)]) == 0
    path = project / "schools" / "smpn2.yaml"
    path.write_text(path.read_text() + "database:\n  path: data/schools/smpn1.sqlite3\n")
    capsys.readouterr()
    assert main(["staff", "list", "--school", "smpn2", "--config", str(config)]) == 2
    assert "school 'smpn1'" in capsys.readouterr().err


@pytest.mark.sqlite_only
def test_a_single_schools_database_made_a_school_keeps_its_people(
        project: Path, monkeypatch, capsys) -> None:
    """Upgrading: the old config.yaml database becomes a school's (its file named in
    schools/ID.yaml): the invite made before still works, so every key is the same."""
    from bot import staffcli
    from bot.config import load_config
    from bot.core.identity import IdentityVault as Vault
    from bot.schools.config import load_school_config
    from bot.store import invites
    from bot.store.port import open_store

    monkeypatch.setenv("SEBAYA_SECRET", SECRET.decode())
    single = load_config(project / "config.yaml")
    code = asyncio.run(staffcli.invite(single, "counselor", "Bu Rina", days=3))
    registry.add(project / "config.yaml", "smpn1", "A")
    path = project / "schools" / "smpn1.yaml"
    path.write_text(path.read_text() + "database:\n  path: data/sebaya.sqlite3\n")
    school = load_school_config(project / "config.yaml", "smpn1")

    async def found() -> bool:
        vault = Vault(SECRET, school.school_id)
        store = await open_store(school.database_path, None, vault, school="smpn1")
        try:
            async with store.read() as db:
                return await invites.find(db, vault.token_hash(code)) is not None
        finally:
            await store.close()

    assert asyncio.run(found())
