"""The training gate (bot/core/training.py) as dialog transcripts in id and en: a new peer
cannot go on duty (nor be offered a case) before passing every module and guru BK's approval;
a failed module is retaken after a pause; approval in chat (/setujui) or by the CLI; peers
enrolled before the gate count as approved by the migration. Invariants after every step."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import staffcli
from bot.cli import main
from bot.core.events import Kind
from bot.store import audit, users
from tests.conftest import SECRET, enrol
from tests.core.test_handoff import open_peer_case
from tests.dialog import Dialog, to

NEW = {  # the correct answers of modules 4 (mendengar) and 5 (merawat), added after 1-3
    "id": ["Kamu khawatir orang tuamu marah soal nilaimu, ya?",
           "Nggak konyol kok. Kehilangan kucing yang kamu sayang memang sedih.",
           "Apa yang paling kamu pikirkan sekarang?",
           "\"Nggak apa-apa pelan-pelan. Aku di sini kalau kamu mau lanjut.\"",
           "Pamit dengan hangat, lalu /eskalasi: \"aku kenal siswanya\"",
           "Bilang kamu ingin dia dapat bantuan yang pas, lalu /eskalasi",
           "/offduty, istirahat, lalu cerita perasaanmu ke guru BK"],
    "en": ["You're worried your parents will be angry about your grades?",
           "It's not silly. Losing a cat you love really is sad.",
           "What's on your mind most right now?",
           "\"It's okay to go slowly. I'm here if you want to go on.\"",
           "Say a warm goodbye, then /escalate: \"I know this student\"",
           "Say you want them to get the right help, then /escalate",
           "/offduty, rest, then tell the counselor how you feel"],
}
RIGHT = {  # the correct answers of the shipped modules, per language
    "id": ["Kedengarannya sakit banget. Mau cerita apa yang terjadi?",
           "Cerita ke guru BK / supervisor",
           "Di sini aja ya, biar kita tetap anonim",
           "Tidak menebak atau menyebut, tetap menemani",
           "Terima kasih sudah cerita; aku perlu ajak guru BK supaya kamu aman (lalu /eskalasi)",
           "Guru BK lewat /eskalasi (TPPK ikut dikabari)",
           *NEW["id"]],
    "en": ["That sounds really painful. Want to tell me what happened?",
           "Talk to the school counselor",
           "Let's keep it here so we stay anonymous",
           "Don't guess or say it; keep listening",
           "Thank you for telling me; I need to bring in the counselor to keep you safe "
           "(then /escalate)",
           "The counselor via /escalate (TPPK is told too)",
           *NEW["en"]],
}
WRONG_FIRST = {"id": "Sudah, cari teman baru saja", "en": "Just find new friends"}


@pytest.fixture(autouse=True)
def same_secret(monkeypatch) -> None:
    monkeypatch.setenv("SEBAYA_SECRET", SECRET.decode())


async def join_peer(d: Dialog, config, who: str = "dewi", name: str = "Dewi (XI-2)",
                    pseudonym: str = "Bintang", lang: str = "id") -> list:
    """Invite, /join and a pseudonym: what the new peer was sent after choosing it."""
    code = await staffcli.invite(config, "peer", name, days=7, clock=d.app.clock)
    await d.deliver(d.event(who, d_kind("/join"), f"/join {code}", lang_hint=lang))
    return await d.say(who, pseudonym)


def d_kind(text: str):
    from bot.core.events import Kind

    return Kind.COMMAND if text.startswith("/") else Kind.TEXT


async def pass_training(d: Dialog, who: str = "dewi", lang: str = "id") -> list:
    sent: list = []
    for label in RIGHT[lang]:
        sent += await d.press(who, label)
    return sent


async def trained_and_approved(d: Dialog, config, who: str, name: str, pseudonym: str) -> None:
    """A peer joined by invite, trained in chat and approved with the CLI."""
    await join_peer(d, config, who, name, pseudonym)
    await pass_training(d, who)
    assert (await staffcli.approve(config, pseudonym, clock=d.app.clock))[0] == "approved"
    await d.tick(seconds=1)


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_a_new_peer_trains_is_approved_in_chat_then_goes_on_duty(
        dialog: Dialog, config, lang: str) -> None:
    d = dialog
    await enrol(d.app, "bk", "counselor", "Bu Rina")
    sent = await join_peer(d, config, lang=lang)
    texts = to(sent, "dewi")
    assert ("5 short training modules" if lang == "en" else "5 modul pelatihan") in texts[1]
    assert "Modul 1" in texts[2] or "Module 1" in texts[2]
    assert d.last_to("dewi").buttons  # the first question, with its answers
    sent = await d.say("dewi", "/onduty")  # refused, kindly
    assert ("finish the short training" if lang == "en" else "selesaikan pelatihan") \
        in to(sent, "dewi")[0]
    await open_peer_case(d)  # an untrained peer is never offered a case
    assert not [t for t in to(d.channel.sent, "dewi") if "Ada teman" in t]
    sent = await pass_training(d, lang=lang)
    assert any(("All modules passed" if lang == "en" else "Semua modul lulus") in t
               for t in to(sent, "dewi"))
    [notice] = to(sent, "bk")
    assert "lulus semua modul" in notice and "/setujui Bintang" in notice
    sent = await d.say("dewi", "/onduty")
    assert ("approval is left" if lang == "en" else "persetujuan guru BK") in to(sent, "dewi")[0]
    sent = await d.say("bk", "/setujui Bintang")
    assert "disetujui" in to(sent, "bk")[0] and "/onduty" in to(sent, "dewi")[0]
    sent = await d.say("dewi", "/onduty")
    assert ("on duty" if lang == "en" else "bertugas") in to(sent, "dewi")[0]
    async with d.app.store.read() as db:
        modules = await audit.rows(db, "training_module")
        [approval] = await audit.rows(db, "peer_approved")
    assert [r["detail"]["score"] for r in modules] == [100] * 5
    assert approval["detail"]["by"] == "chat"
    assert approval["actor_key"] == d.app.vault.user_key("test", "bk").value


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_a_failed_module_is_retaken_after_a_pause(dialog: Dialog, config,
                                                        lang: str) -> None:
    d = dialog
    await join_peer(d, config, lang=lang)
    sent = await d.press("dewi", WRONG_FIRST[lang])
    assert ("Not quite" if lang == "en" else "Belum tepat") in to(sent, "dewi")[0]
    sent = await d.press("dewi", RIGHT[lang][1])
    result = to(sent, "dewi")[-1]
    command = "/training" if lang == "en" else "/latihan"
    assert "50%" in result and "80%" in result and command in result
    sent = await d.press("dewi", RIGHT[lang][1])  # an old button: nothing counts
    assert command in to(sent, "dewi")[0]
    sent = await d.say("dewi", "/latihan")
    assert ("retake this module from" if lang == "en" else "bisa kamu ulang") \
        in to(sent, "dewi")[0]
    await d.tick(minutes=30)
    sent = await d.say("dewi", "/latihan")  # the module again, from its lesson
    assert "Modul 1" in to(sent, "dewi")[0] or "Module 1" in to(sent, "dewi")[0]
    await pass_training(d, lang=lang)
    async with d.app.store.read() as db:
        scores = [(r["detail"]["module"], r["detail"]["score"], r["detail"]["passed"])
                  for r in await audit.rows(db, "training_module")]
        [peer] = await users.staff(db)
    assert scores == [("peran", 50, False), ("peran", 100, True), ("anonim", 100, True),
                      ("bahaya", 100, True), ("mendengar", 100, True), ("merawat", 100, True)]
    assert peer.trained_at and not peer.approved_at


async def test_approval_needs_guru_bk_and_a_trained_peer(dialog: Dialog, config) -> None:
    d = dialog
    await enrol(d.app, "bk", "counselor", "Bu Rina")
    await enrol(d.app, "p1", "peer", "Awan")  # an operator-enrolled peer is approved
    await join_peer(d, config)
    sent = await d.say("bk", "/setujui Bintang")
    assert "belum lulus" in to(sent, "bk")[0]
    sent = await d.say("p1", "/setujui Bintang")  # a peer cannot approve
    assert "hanya oleh guru BK" in to(sent, "p1")[0]
    sent = await d.say("bk", "/setujui Siapa")
    assert "Tidak ada konselor sebaya" in to(sent, "bk")[0]
    sent = await d.say("bk", "/setujui Awan")
    assert "sudah disetujui" in to(sent, "bk")[0]
    assert (await staffcli.approve(config, "Bintang", clock=d.app.clock))[0] == "untrained"
    await pass_training(d)
    assert (await staffcli.approve(config, "Bintang", clock=d.app.clock))[0] == "approved"
    sent = await d.tick(seconds=5)  # the bot tells the peer
    assert "/onduty" in to(sent, "dewi")[0]
    assert (await staffcli.approve(config, "Bintang", clock=d.app.clock))[0] == "already"
    assert (await staffcli.approve(config, "Bu Rina", clock=d.app.clock))[0] == "not_peer"
    async with d.app.store.read() as db:
        assert [r["detail"]["by"] for r in await audit.rows(db, "peer_approved")] == [
            "operator", "cli"]


def test_check_flows_validates_the_modules(project: Path, capsys) -> None:
    path = str(project / "config.yaml")
    assert main(["check-flows", "--config", path]) == 0
    assert "training: 5 module(s) OK, pass mark 80%" in capsys.readouterr().out
    modules = project / "flows" / "training" / "modules.yaml"
    text = modules.read_text(encoding="utf-8")
    modules.write_text(text.replace("training.anonim.q2_b_why", "training.anonim.q2_x_why"),
                       encoding="utf-8")
    assert main(["check-flows", "--config", path]) != 0
    err = capsys.readouterr().err
    assert "modules.yaml:" in err and "training.anonim.q2_x_why" in err


def test_staff_approve_cli_exit_codes(config, capsys) -> None:
    path = str(config.base_dir / "config.yaml")
    assert main(["staff", "approve", "nobody", "--config", path]) == 1
    assert "no single staff member" in capsys.readouterr().err


async def test_trained_and_approved_peer_gets_offers(dialog: Dialog, config) -> None:
    d = dialog
    await trained_and_approved(d, config, "dewi", "Dewi", "Bintang")
    sent = await open_peer_case(d)
    assert any("Ada teman" in t for t in to(sent, "dewi"))


async def test_peers_enrolled_before_the_gate_are_approved_by_the_migration(
        tmp_path: Path, monkeypatch) -> None:
    from tests.store.test_migration_tppk import opened_at

    store = await opened_at(tmp_path / "s.sqlite3", 13, monkeypatch)
    try:
        async with store.transaction() as db:
            await db.execute(
                "INSERT INTO users (key, channel, role, alias, code, address, created_at, "
                "last_seen_at, pseudonym) VALUES ('k1', 'test', 'peer', 'Kucing', 'K7Q2', "
                "x'00', 't', 't', 'Bintang'), ('k2', 'test', 'student', 'Ikan', 'K8Q3', "
                "x'00', 't', 't', NULL)")
        await store.migrate()
        async with store.read() as db:
            rows = await db.execute_fetchall(
                "SELECT key, trained_at IS NOT NULL, approved_by FROM users ORDER BY key")
            [row] = await audit.rows(db, "peer_approved")
        assert [tuple(r) for r in rows] == [("k1", 1, "migration"), ("k2", 0, None)]
        assert row["detail"] == {"code": "K7Q2", "by": "migration",
                                 "reason": "enrolled before the gate"}
    finally:
        await store.close()


async def test_operator_enrolled_peers_are_approved_and_audited(dialog: Dialog) -> None:
    await enrol(dialog.app, "p1", "peer", "Awan")
    async with dialog.app.store.read() as db:
        [row] = await audit.rows(db, "peer_approved")
        [peer] = await users.staff(db)
    assert row["detail"]["by"] == "operator" and peer.trained_at and peer.approved_at


async def test_without_modules_a_new_peer_still_needs_approval(project: Path, clock,
                                                               monkeypatch) -> None:
    from bot.app import App
    from bot.config import load_config
    from tests.dialog import RecordingChannel

    (project / "flows" / "training" / "modules.yaml").unlink()
    config = load_config(project / "config.yaml")
    channel = RecordingChannel()
    app = await App.build(config, {channel.name: channel}, clock=clock, secret=SECRET)
    try:
        d = Dialog(app, channel)
        await enrol(app, "bk", "counselor", "Bu Rina")
        sent = await join_peer(d, config)
        assert "/setujui Bintang" in to(sent, "bk")[0]
        sent = await d.say("dewi", "/onduty")
        assert "persetujuan guru BK" in to(sent, "dewi")[0]
        await d.say("bk", "/setujui Bintang")
        sent = await d.say("dewi", "/onduty")
        assert "bertugas" in to(sent, "dewi")[0]
    finally:
        await app.stop()


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_approval_expires_after_a_semester_then_a_refresher_and_a_new_approval(
        dialog: Dialog, config, lang: str) -> None:
    d = dialog
    await enrol(d.app, "bk", "counselor", "Bu Rina")
    await enrol(d.app, "s0", "student", "")  # (the clock only)
    await join_peer(d, config, lang=lang)
    await pass_training(d, lang=lang)
    await d.say("bk", "/setujui Bintang")
    sent = await d.say("dewi", "/onduty")
    assert ("on duty" if lang == "en" else "bertugas") in to(sent, "dewi")[0]
    await d.say("dewi", "/offduty")
    d.app.clock.advance(days=184)
    sent = await d.say("dewi", "/onduty")
    assert ("refresher" if lang == "en" else "penyegaran") in to(sent, "dewi")[0]
    await d.say("dewi", "/onduty")
    await open_peer_case(d)  # an expired approval gets no offers either (auto duty on shift)
    assert not [t for t in to(d.channel.sent, "dewi") if "Ada teman" in t]
    sent = await d.say("bk", "/setujui Bintang")
    assert "belum lulus" in to(sent, "bk")[0]  # the refresher comes first
    sent = await d.say("dewi", "/latihan")
    assert "Modul 1" in to(sent, "dewi")[0] or "Module 1" in to(sent, "dewi")[0]
    sent = await pass_training(d, lang=lang)
    assert "/setujui Bintang" in to(sent, "bk")[0]
    sent = await d.say("dewi", "/onduty")
    assert ("approval is left" if lang == "en" else "persetujuan guru BK") in to(sent, "dewi")[0]
    await d.say("bk", "/setujui Bintang")
    sent = await d.say("dewi", "/onduty")
    assert ("on duty" if lang == "en" else "bertugas") in to(sent, "dewi")[0]
    async with d.app.store.read() as db:
        assert len(await audit.rows(db, "peer_approved")) == 2
        assert len(await audit.rows(db, "training_passed")) == 2


# -- modules 4 (mendengar) and 5 (merawat), added after the first three ------------------------


async def build(config, clock) -> Dialog:
    """An App on ``config``'s database with the modules its flows folder holds now."""
    from bot.app import App
    from tests.dialog import RecordingChannel

    channel = RecordingChannel()
    app = await App.build(config, {channel.name: channel}, clock=clock, secret=SECRET)
    return Dialog(app, channel)


async def test_an_approved_peer_stays_on_duty_after_modules_are_added_and_the_refresher_asks_them(
        config, clock, sqlite_template: Path) -> None:
    from tests.conftest import place_migrated

    path = config.flows_dir / "training" / "modules.yaml"
    shipped = path.read_text(encoding="utf-8")
    first_three = shipped.partition("\n  - id: mendengar")[0] + "\n"
    assert "id: bahaya" in first_three and "mendengar" not in first_three.split("id: bahaya")[1]
    path.write_text(first_three, encoding="utf-8")  # the school's Sebaya before the update
    place_migrated(config, sqlite_template)
    d = await build(config, clock)
    try:
        await enrol(d.app, "bk", "counselor", "Bu Rina")
        sent = await join_peer(d, config)
        assert "3 modul pelatihan" in to(sent, "dewi")[1]
        for label in RIGHT["id"][:6]:
            await d.press("dewi", label)
        await d.say("bk", "/setujui Bintang")
        assert "bertugas" in to(await d.say("dewi", "/onduty"), "dewi")[0]
        await d.say("dewi", "/offduty")
    finally:
        await d.app.stop()
    path.write_text(shipped, encoding="utf-8")  # the update: two more modules
    before, d = d, await build(config, clock)
    d._ids = before._ids  # new event ids: the inbox would drop repeated ones as duplicates
    try:
        assert [m.id for m in d.app.core.training.modules][3:] == ["mendengar", "merawat"]
        sent = await d.say("dewi", "/onduty")  # still trained and approved: on duty at once
        assert "bertugas" in to(sent, "dewi")[0] and "pelatihan" not in to(sent, "dewi")[0]
        assert any("Ada teman" in t for t in to(await open_peer_case(d), "dewi"))
        sent = await d.say("dewi", "/latihan")  # nothing to catch up on before the refresher
        assert "sudah lulus" in to(sent, "dewi")[0]
        clock.advance(days=184)  # the semester is over: the refresher, new modules included
        assert "penyegaran" in to(await d.say("dewi", "/onduty"), "dewi")[0]
        sent = await d.say("dewi", "/latihan")
        assert "Modul 1" in to(sent, "dewi")[0]
        sent = await pass_training(d)  # all five
        texts = to(sent, "dewi")
        assert any("Modul 4: Mendengar aktif" in t for t in texts)
        assert any("Modul 5: Merawat diri dan serah terima" in t for t in texts)
        assert "/setujui Bintang" in to(sent, "bk")[0]
        async with d.app.store.read() as db:
            passed = [r["detail"] for r in await audit.rows(db, "training_passed")]
            refreshed = [r["detail"]["module"] for r in await audit.rows(db, "training_module")]
    finally:
        await d.app.stop()
    assert passed == [{"modules": 3}, {"modules": 5}]
    assert refreshed[3:] == ["peran", "anonim", "bahaya", "mendengar", "merawat"]


async def test_a_peer_part_way_through_keeps_their_place_and_then_takes_the_added_modules(
        config, clock, sqlite_template: Path) -> None:
    from tests.conftest import place_migrated

    path = config.flows_dir / "training" / "modules.yaml"
    shipped = path.read_text(encoding="utf-8")
    path.write_text(shipped.partition("\n  - id: mendengar")[0] + "\n", encoding="utf-8")
    place_migrated(config, sqlite_template)
    d = await build(config, clock)
    try:
        await join_peer(d, config)
        for label in RIGHT["id"][:3]:  # module 1 passed, module 2 half done
            await d.press("dewi", label)
        button = d.button_data("dewi", RIGHT["id"][3])
    finally:
        await d.app.stop()
    path.write_text(shipped, encoding="utf-8")  # the update, mid-training
    before, d = d, await build(config, clock)
    d._ids = before._ids
    try:
        # the button sent before the update still counts
        sent = await d.deliver(d.event("dewi", Kind.BUTTON, RIGHT["id"][3], button))
        assert "Modul 2/5 lulus" in to(sent, "dewi")[1] and "Modul 3" in to(sent, "dewi")[2]
        for label in RIGHT["id"][4:6]:
            sent = await d.press("dewi", label)
        assert "Modul 4: Mendengar aktif" in to(sent, "dewi")[-2]  # not trained yet
        assert "selesaikan pelatihan" in to(await d.say("dewi", "/onduty"), "dewi")[0]
        for label in NEW["id"]:
            sent = await d.press("dewi", label)
        assert any("Semua modul lulus" in t for t in to(sent, "dewi"))
        async with d.app.store.read() as db:
            [passed] = await audit.rows(db, "training_passed")
    finally:
        await d.app.stop()
    assert passed["detail"] == {"modules": 5}


POOR_REPLY = {"id": ("Nilai bukan segalanya kok", "perasaannya jadi terlewat"),
              "en": ("Grades aren't everything", "it skips their feeling")}


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_the_listening_and_self_care_modules_explain_every_answer_and_are_retaken(
        dialog: Dialog, config, lang: str) -> None:
    d = dialog
    await enrol(d.app, "bk", "counselor", "Bu Rina")
    await join_peer(d, config, lang=lang)
    for label in RIGHT[lang][:5]:
        await d.press("dewi", label)
    sent = await d.press("dewi", RIGHT[lang][5])  # module 3 done: module 4 begins
    lesson, question = to(sent, "dewi")[-2:]
    assert ("Module 4: Active listening" if lang == "en" else "Modul 4: Mendengar aktif") \
        in lesson and "✅" in lesson and "❌" in lesson
    assert ("Question 1/4" if lang == "en" else "Pertanyaan 1/4") in question
    poor, why = POOR_REPLY[lang]
    sent = await d.press("dewi", poor)
    assert ("Not quite" if lang == "en" else "Belum tepat") in to(sent, "dewi")[0]
    assert why in to(sent, "dewi")[0]
    for label in NEW[lang][1:4]:
        sent = await d.press("dewi", label)
        assert "✅" in to(sent, "dewi")[0]
    assert "Modul 4/5: 75%" in to(sent, "dewi")[-1] or "Module 4/5: 75%" in to(sent, "dewi")[-1]
    await d.tick(minutes=30)
    sent = await d.say("dewi", "/training" if lang == "en" else "/latihan")
    assert "4: " in to(sent, "dewi")[0] and "1/4" in to(sent, "dewi")[1]  # module 4 again
    for label in NEW[lang][:3]:
        await d.press("dewi", label)
    sent = await d.press("dewi", NEW[lang][3])
    passed, lesson, question = to(sent, "dewi")[-3:]
    assert "4/5" in passed and "100%" in passed
    assert ("Module 5: Looking after yourself and handing off" if lang == "en"
            else "Modul 5: Merawat diri dan serah terima") in lesson
    assert "/escalate" in lesson if lang == "en" else "/eskalasi" in lesson
    assert "/offduty" in lesson and "1/3" in question
    for label in NEW[lang][4:]:
        sent = await d.press("dewi", label)
        assert "✅" in to(sent, "dewi")[0]
    assert any(("All modules passed" if lang == "en" else "Semua modul lulus") in t
               for t in to(sent, "dewi"))
    assert "/setujui Bintang" in to(sent, "bk")[0]
    async with d.app.store.read() as db:
        scores = [(r["detail"]["module"], r["detail"]["score"])
                  for r in await audit.rows(db, "training_module")][3:]
    assert scores == [("mendengar", 75), ("mendengar", 100), ("merawat", 100)]


def test_check_flows_names_the_line_of_a_broken_new_module(project: Path, capsys) -> None:
    path = str(project / "config.yaml")
    modules = project / "flows" / "training" / "modules.yaml"
    text = modules.read_text(encoding="utf-8")
    broken = text.replace("training.merawat.q3_c_why", "training.merawat.q3_x_why")
    modules.write_text(broken, encoding="utf-8")
    line = next(n for n, t in enumerate(broken.splitlines(), 1) if "q3_x_why" in t)
    assert main(["check-flows", "--config", path]) != 0
    err = capsys.readouterr().err
    assert f"modules.yaml:{line}: module merawat: text 'training.merawat.q3_x_why'" in err
    two_right = text.replace("training.mendengar.q2_b_why}",
                             "training.mendengar.q2_b_why, correct: true}")
    modules.write_text(two_right, encoding="utf-8")
    line = next(n for n, t in enumerate(two_right.splitlines(), 1)
                if "ask: training.mendengar.q2" in t)
    assert main(["check-flows", "--config", path]) != 0
    assert f"modules.yaml:{line}: module mendengar: exactly one option" in capsys.readouterr().err
