"""Staff enrolment: single-use expiring invites, /join, pseudonyms, removal mid-case."""

from __future__ import annotations

import pytest

from bot import staffcli
from bot.cli import main
from bot.store import audit, users
from tests.conftest import SECRET
from tests.core.test_handoff import case_of, open_peer_case, to
from tests.core.test_training import trained_and_approved
from tests.dialog import Dialog


@pytest.fixture(autouse=True)
def same_secret(monkeypatch) -> None:
    """The CLI and the running app must share the installation secret."""
    monkeypatch.setenv("SEBAYA_SECRET", SECRET.decode())


async def test_invite_join_and_choose_a_pseudonym(dialog: Dialog, config) -> None:
    code = await staffcli.invite(config, "peer", "Dewi (XI-2)", days=7, clock=dialog.app.clock)
    sent = await dialog.say("dewi", f"/join {code.lower()}")  # codes are case-insensitive
    assert "terdaftar sebagai konselor sebaya" in to(sent, "dewi")[0]
    assert "nama samaran" in to(sent, "dewi")[1]
    sent = await dialog.say("dewi", "x")
    assert "3-24 huruf" in to(sent, "dewi")[0]
    sent = await dialog.say("dewi", "Bintang Kecil")
    assert "Siswa akan melihatmu sebagai Bintang Kecil" in to(sent, "dewi")[0]
    async with dialog.app.store.transaction() as db:
        [staff] = await users.staff(db)
    assert (staff.role, staff.display_name, staff.pseudonym) == ("peer", "Dewi (XI-2)",
                                                                 "Bintang Kecil")
    async with dialog.app.store.transaction() as db:
        row = await (await db.execute("SELECT code_hash FROM invites")).fetchone()
    assert code.replace("-", "") not in row[0]  # stored as a keyed hash only


async def test_a_code_works_once(dialog: Dialog, config) -> None:
    code = await staffcli.invite(config, "counselor", None, days=7, clock=dialog.app.clock)
    await dialog.say("a", f"/join {code}")
    sent = await dialog.say("b", f"/join {code}")
    assert "sudah dipakai" in to(sent, "b")[0]


async def test_an_expired_code_is_refused(dialog: Dialog, config) -> None:
    code = await staffcli.invite(config, "peer", None, days=1, clock=dialog.app.clock)
    dialog.app.clock.advance(days=2)
    sent = await dialog.say("late", f"/join {code}")
    assert "kedaluwarsa" in to(sent, "late")[0]


async def test_guessing_codes_is_rate_limited(dialog: Dialog, config) -> None:
    code = await staffcli.invite(config, "peer", None, days=7, clock=dialog.app.clock)
    for guess in ("AAAA-AAAA", "BBBB-BBBB", "CCCC-CCCC", "DDDD-DDDD", "EEEE-EEEE"):
        sent = await dialog.say("guesser", f"/join {guess}")
        assert "tidak dikenal" in to(sent, "guesser")[0]
    sent = await dialog.say("guesser", f"/join {code}")  # even the right one, for an hour
    assert "Terlalu banyak percobaan" in to(sent, "guesser")[0]
    dialog.app.clock.advance(minutes=61)
    sent = await dialog.say("guesser", f"/join {code}")
    assert "terdaftar sebagai" in to(sent, "guesser")[0]
    async with dialog.app.store.transaction() as db:
        assert len(await audit.rows(db, "join_failed")) == 6


async def test_join_without_a_code_explains(dialog: Dialog) -> None:
    sent = await dialog.say("someone", "/join")
    assert "/join diikuti kode" in to(sent, "someone")[0]


async def test_duty_toggles(dialog: Dialog, config) -> None:
    await trained_and_approved(dialog, config, "p", "Dewi", "Bintang")
    sent = await dialog.say("p", "/offduty")
    assert "tidak bertugas" in to(sent, "p")[0]
    sent = await open_peer_case(dialog)  # nobody else: off duty means no offer
    assert not to(sent, "p")
    await dialog.say("p", "/onduty")
    sent = await dialog.tick(minutes=10)
    assert any("Ada teman" in t for t in to(sent, "p"))


async def test_removed_peer_mid_case_returns_it_to_the_queue(dialog: Dialog, config) -> None:
    for who, name in (("p1", "Dewi"), ("p2", "Rafi")):
        await trained_and_approved(dialog, config, who, name, f"Nick{name}")
    await open_peer_case(dialog)
    await dialog.press("p1", "Terima")
    assert await staffcli.remove(config, "Dewi", clock=dialog.app.clock) == ("Dewi", 1)
    sent = await dialog.tick(seconds=1)
    assert "sedang berhalangan" in to(sent, "student")[0]
    assert any("Ada teman" in t for t in to(sent, "p2"))
    case = await case_of(dialog.app)
    assert case.status == "waiting" and case.assignee is None
    sent = await dialog.say("p1", "/selesai")  # no longer staff: treated as a student
    assert not [t for t in to(sent, "p1") if "ditutup" in t]


def test_staff_cli_invite_prints_the_code_last_and_list(config, capsys) -> None:
    path = str(config.base_dir / "config.yaml")
    assert main(["staff", "invite", "--role", "counselor", "--name", "Bu Rina", "--config",
                 path]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    code = lines[-1]
    assert len(code) == 9 and code[4] == "-" and f"/join {code}" in lines[-2]
    assert main(["staff", "list", "--config", path]) == 0
    assert "No staff enrolled yet" in capsys.readouterr().out
    assert main(["staff", "remove", "nobody", "--config", path]) == 1


async def test_removing_a_counselor_who_holds_a_crisis_asks_first(dialog: Dialog, config,
                                                                  capsys) -> None:
    import asyncio

    await dialog.app.enrol_local_staff("test", "bk", "bk", "counselor", "Bu Rina")
    await dialog.say("student", "aku pengen mati aja")
    await dialog.press("bk", "Saya tangani")
    path = str(config.base_dir / "config.yaml")
    code = await asyncio.to_thread(main, ["staff", "remove", "Bu Rina", "--config", path])
    out, err = capsys.readouterr()
    assert code == 1 and "1 of them crisis" in out and "LAST counselor" in out
    assert "Nothing was removed" in err
    assert (await case_of(dialog.app)).assignee_name == "Bu Rina"  # still hers
    assert await staffcli.remove(config, "Bu Rina", clock=dialog.app.clock) == ("Bu Rina", 1)
    assert (await case_of(dialog.app)).status == "waiting"
    sent = await dialog.tick(seconds=1)  # nobody left to alert: the student is told the truth
    assert "belum ada guru BK yang bisa dihubungi" in to(sent, "student")[0]


async def test_removed_staff_keep_their_name_in_the_audit_lihat_and_their_workload(
        dialog: Dialog, config) -> None:
    import datetime as dt

    from bot import operations
    from bot.reports import data as report_data

    await trained_and_approved(dialog, config, "p1", "Dewi", "Bintang")
    code = await staffcli.invite(config, "counselor", "Bu Rina", days=7, clock=dialog.app.clock)
    await dialog.say("bk", f"/join {code}")
    await open_peer_case(dialog)
    await dialog.press("p1", "Terima")
    await dialog.say("p1", "/catatan sudah lebih tenang")
    await dialog.say("p1", "/selesai baikan lagi")
    code = (await _code_of(dialog))
    assert await staffcli.remove(config, "Dewi", clock=dialog.app.clock) == ("Dewi", 0)
    if not config.database_url():  # sebaya audit reads the SQLite file (not on PostgreSQL)
        lines = operations.audit_lines(config)
        claimed = [line for line in lines if "offer_accepted" in line or "case_closed" in line]
        assert claimed and all("peer Dewi (removed)" in line for line in claimed), lines
        assert not any("student #" in line and ("offer_accepted" in line or "case_closed" in line)
                       for line in lines)
        assert any("staff_removed" in line and "who=Dewi" in line for line in lines)
        assert operations.audit_lines(config, staff="Dewi")  # still findable by name
    sent = await dialog.say("bk", f"/lihat {code}")
    history = to(sent, "bk")[0]
    assert "Catatan Bintang (konselor sebaya)" in history and "oleh Bintang" in history
    today = dialog.app.clock.now().date()
    async with dialog.app.store.read() as db:
        figures = await report_data.gather(db, today - dt.timedelta(days=1), today, dt.UTC)
    assert figures.peer_workload == {"Bintang": 1}  # their work still counts
    sent = await dialog.say("p1", "/selesai")  # no longer staff: a student, with no name
    assert not any("Dewi" in t or "Bintang" in t for t in to(sent, "p1"))


async def _code_of(dialog: Dialog) -> str:
    async with dialog.app.store.read() as db:
        rows = await db.execute_fetchall("SELECT code FROM cases ORDER BY id DESC LIMIT 1")
    return rows[0][0]


@pytest.mark.parametrize(("lang", "taken"), [("id", "sudah dipakai"), ("en", "already taken")])
async def test_a_peer_nickname_already_used_in_the_school_is_refused_with_a_suggestion(
        dialog: Dialog, config, lang: str, taken: str) -> None:
    """Two peers named "Bintang" would make students (and guru BK) mix them up."""
    first = await staffcli.invite(config, "peer", "Rina", days=7, clock=dialog.app.clock)
    await dialog.say("rina", f"/join {first}")
    await dialog.say("rina", "Bintang")
    code = await staffcli.invite(config, "peer", "Dewi", days=7, clock=dialog.app.clock)
    await dialog.say("dewi", f"/join {code}")
    if lang == "en":
        await dialog.say("dewi", "/language")
        await dialog.press("dewi", "English")
    sent = await dialog.say("dewi", "bintang")  # case does not make it another name
    told = to(sent, "dewi")[0]
    assert taken in told and "Bintang 2" in told and len(to(sent, "dewi")) == 1
    sent = await dialog.say("dewi", "Bintang 2")
    assert "Bintang 2" in to(sent, "dewi")[0]
    async with dialog.app.store.transaction() as db:
        names = sorted(s.pseudonym for s in await users.staff(db))
    assert names == ["Bintang", "Bintang 2"]
