"""The CLI's rough edges an outside tester found (issue #13, "Also"): `backup DIR/` made a
traceback and a second backup overwrote the first silently, `--days -3` was accepted,
`staff remove "#CODE"` (as `staff list` prints it) failed, and `staff list` had no header."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import SECRET, enrol
from tests.dialog import Dialog


@pytest.fixture(autouse=True)
def same_secret(monkeypatch) -> None:
    monkeypatch.setenv("SEBAYA_SECRET", SECRET.decode())


def test_an_invite_for_minus_three_days_is_refused(config, capsys) -> None:
    path = str(config.base_dir / "config.yaml")
    with pytest.raises(SystemExit) as exit_:
        main(["staff", "invite", "--role", "peer", "--days", "-3", "--config", path])
    assert exit_.value.code == 2 and "from 1 to 90 days" in capsys.readouterr().err


@pytest.mark.sqlite_only
async def test_backup_into_a_folder_and_never_over_an_earlier_backup(
        dialog: Dialog, config, capsys, tmp_path: Path) -> None:
    await dialog.say("student", "halo")  # a database with something in it
    path = str(config.base_dir / "config.yaml")
    folder = tmp_path / "backups"
    assert await asyncio.to_thread(main, ["backup", f"{folder}{os.sep}", "--config", path]) == 0
    [made] = list(folder.iterdir())
    assert made.name.startswith("sebaya-") and made.suffix == ".sqlite3"
    other = tmp_path / "other"
    other.mkdir()
    assert await asyncio.to_thread(main, ["backup", str(other), "--config", path]) == 0
    assert [p.name.startswith("sebaya-") for p in other.iterdir()] == [True]  # folder, too
    target = tmp_path / "copy.sqlite3"
    assert await asyncio.to_thread(main, ["backup", str(target), "--config", path]) == 0
    before = target.read_bytes()
    assert await asyncio.to_thread(main, ["backup", str(target), "--config", path]) == 2
    assert "already exists" in capsys.readouterr().err and target.read_bytes() == before
    assert await asyncio.to_thread(main, ["backup", str(target), "--overwrite", "--config",
                                          path]) == 0  # only when asked
    (tmp_path / "afile").write_text("x")
    inside_a_file = str(tmp_path / "afile" / "y.sqlite3")
    assert await asyncio.to_thread(main, ["backup", inside_a_file, "--config", path]) == 2
    assert "cannot write the backup" in capsys.readouterr().err  # not a traceback


async def test_staff_list_has_a_header_and_remove_takes_the_hash_code_it_prints(
        dialog: Dialog, config, capsys) -> None:
    await enrol(dialog.app, "p1", "peer", "Bintang")
    path = str(config.base_dir / "config.yaml")
    assert await asyncio.to_thread(main, ["staff", "list", "--config", path]) == 0
    header, row = capsys.readouterr().out.strip().splitlines()[-2:]
    assert header.split()[:4] == ["ROLE", "NAME", "PSEUDONYM", "CODE"]
    code = next(word for word in row.split() if word.startswith("#"))
    assert await asyncio.to_thread(main, ["staff", "remove", code, "--config", path]) == 0
    assert await asyncio.to_thread(main, ["staff", "list", "--config", path]) == 0
    assert "No staff enrolled yet" in capsys.readouterr().out
