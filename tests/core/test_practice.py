"""The practice chat (bot/core/practice.py) as dialog transcripts in id and en: a peer picks a
scenario, the scripted student sends its lines, each reply gets feedback from the same coaching
rules as a real chat (held back, nudged, praised), a danger sign is for /eskalasi, and a
summary ends it. Nothing reaches a student or staff, no case is opened, and the audit rows
carry the scenario and counts only. The safety invariants are checked after every step."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.cli import main
from bot.store import audit
from tests.conftest import enrol
from tests.core.test_handoff import open_peer_case
from tests.dialog import Dialog, to

SCENARIO = {"ujian": {"id": "Stres ujian", "en": "Exam stress"},
            "bahaya": {"id": "Pesan dengan tanda bahaya", "en": "A message with a danger sign"}}
LINES = {"ujian": {"id": ["belum siap sama sekali", "malah panik", "percuma belajar"],
                   "en": ["not ready at all", "I panic", "feels pointless"]},
         "bahaya": {"id": ["capek banget", "kalau aku nggak ada", "jangan bilang"],
                    "en": ["so tired", "if I wasn't here", "don't tell anyone"]}}
REPLIES = {  # (directive, identity request, reflecting + open question, validating)
    "id": ["kamu harus belajar lebih giat", "ketemuan yuk besok di kantin",
           "kedengarannya kamu panik banget ya. gimana rasanya pas buka buku?",
           "wajar kok merasa begitu, makasih udah cerita"],
    "en": ["you should study harder", "let's meet up at the canteen tomorrow",
           "it sounds like you're really panicking. how does it feel when you open the book?",
           "that makes sense, thank you for telling me"],
}
FEEDBACK = {
    "held": {"id": "pesan ini ditahan", "en": "would be held back"},
    "nudge": {"id": "dengarkan dulu", "en": "listening before giving advice"},
    "praise": {"id": "Bagus", "en": "Well done"},
    "reflect": {"id": "dengan kata-katamu", "en": "in your own words"},
    "open": {"id": "pertanyaan terbuka", "en": "open question"},
    "validate": {"id": "perasaannya wajar", "en": "makes sense"},
    "summary": {"id": "Latihan selesai", "en": "Practice finished"},
    "missed": {"id": "tanda bahaya", "en": "danger sign"},
    "right": {"id": "Tepat!", "en": "Right!"},
}
PRACTICE = {"id": "/praktik", "en": "/practice"}


async def peer(d: Dialog, lang: str, who: str = "p1", name: str = "Bintang") -> None:
    await enrol(d.app, who, "peer", name)
    await enrol(d.app, "bk", "counselor", "Bu Rina")
    if lang == "en":
        async with d.app.store.transaction() as db:
            await db.execute("UPDATE users SET lang = 'en' WHERE key = ?",
                             (d.app.vault.user_key("test", who).value,))


async def nobody_else_and_no_case(d: Dialog, who: str = "p1") -> None:
    assert {m.address for m in d.channel.sent} <= {who}  # no student, no staff
    async with d.app.store.read() as db:
        [(cases,)] = await db.execute_fetchall("SELECT count(*) FROM cases")
    assert cases == 0


async def start(d: Dialog, lang: str, scenario: str) -> list[str]:
    sent = await d.say("p1", PRACTICE[lang])
    assert [b.label for b in d.last_to("p1").buttons] == [
        "Stres ujian", "Berantem sama sahabat", "Pesan dengan tanda bahaya"] if lang == "id" \
        else ["Exam stress", "A fight with a best friend", "A message with a danger sign"]
    assert to(sent, "p1")
    return to(await d.press("p1", SCENARIO[scenario][lang]), "p1")


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_a_peer_practises_with_a_scripted_student_and_gets_feedback_after_each_reply(
        dialog: Dialog, lang: str) -> None:
    d = dialog
    await peer(d, lang)
    lines, say = LINES["ujian"][lang], FEEDBACK
    started = await start(d, lang, "ujian")
    assert SCENARIO["ujian"][lang] in started[0] and lines[0] in started[1]
    directive, meet, reflect, validate = REPLIES[lang]
    [note, line] = to(await d.say("p1", directive), "p1")  # relayed in a real chat: a nudge
    assert say["nudge"][lang] in note and lines[1] in line
    [note] = to(await d.say("p1", meet), "p1")  # held in a real chat: the student waits
    assert say["held"][lang] in note
    [note, line] = to(await d.say("p1", reflect), "p1")
    assert say["praise"][lang] in note and say["reflect"][lang] in note \
        and say["open"][lang] in note and lines[2] in line
    [note, summary] = to(await d.say("p1", validate), "p1")
    assert say["validate"][lang] in note
    assert say["summary"][lang] in summary and "4" in summary and "2" in summary
    await nobody_else_and_no_case(d)
    async with d.app.store.read() as db:
        [began] = await audit.rows(db, "practice_started")
        [done] = await audit.rows(db, "practice_done")
    assert began["detail"] == {"scenario": "ujian"}
    assert done["detail"] == {"scenario": "ujian", "replies": 4, "nudges": 2, "held": 1,
                              "praise": 2, "escalated": False, "missed_warning": False,
                              "completed": True}
    assert done["actor_key"] == d.app.vault.user_key("test", "p1").value
    sent = await d.say("p1", "halo")  # practice over: the usual reply for staff text
    assert not [t for t in to(sent, "p1") if "🎭" in t]


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_a_danger_sign_in_practice_is_for_eskalasi_and_nobody_is_alerted(
        dialog: Dialog, lang: str) -> None:
    d = dialog
    await peer(d, lang)
    lines = LINES["bahaya"][lang]
    assert lines[0] in (await start(d, lang, "bahaya"))[1]
    [_, line] = to(await d.say("p1", REPLIES[lang][2]), "p1")
    assert lines[1] in line  # the danger sign
    sent = to(await d.say("p1", "/escalate" if lang == "en" else "/eskalasi dia bilang "
                          "lebih baik kalau dia nggak ada"), "p1")
    assert FEEDBACK["right"][lang] in sent[0] and FEEDBACK["summary"][lang] in sent[1]
    await nobody_else_and_no_case(d)
    async with d.app.store.read() as db:
        [done] = await audit.rows(db, "practice_done")
    assert done["detail"]["escalated"] and not done["detail"]["missed_warning"]


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_a_missed_danger_sign_is_named_after_the_reply_and_in_the_summary(
        dialog: Dialog, lang: str) -> None:
    d = dialog
    await peer(d, lang)
    await start(d, lang, "bahaya")
    await d.say("p1", REPLIES[lang][2])
    [note, _] = to(await d.say("p1", REPLIES[lang][3]), "p1")  # a kind reply, no /eskalasi
    assert FEEDBACK["missed"][lang] in note and ("/escalate" if lang == "en"
                                                 else "/eskalasi") in note
    promise = "I won't tell anyone" if lang == "en" else "tenang, aku ga akan bilang siapa-siapa"
    [note] = to(await d.say("p1", promise), "p1")  # the case carries risk: secrecy is held
    assert FEEDBACK["held"][lang] in note
    [_, summary] = to(await d.say("p1", REPLIES[lang][3]), "p1")
    assert ("was missed" if lang == "en" else "terlewat") in summary
    await nobody_else_and_no_case(d)


async def test_crisis_words_in_practice_are_held_and_about_me_tells_guru_bk(
        dialog: Dialog) -> None:
    d = dialog
    await peer(d, "id")
    await start(d, "id", "bahaya")
    [note] = to(await d.say("p1", "apakah kamu kepikiran bunuh diri?"), "p1")
    assert "ditahan" in note and "/eskalasi" in note  # as in a real chat, and nobody told
    assert [b.label for b in d.last_to("p1").buttons] == ["Itu tentang aku"]
    await nobody_else_and_no_case(d)
    sent = await d.press("p1", "Itu tentang aku")  # the words were the peer's own
    assert to(sent, "bk") and "PERLU DICEK" in to(sent, "bk")[0]
    assert "ditemani" in to(sent, "p1")[0]


async def test_practice_waits_while_a_real_case_is_held_and_stops_on_request(
        dialog: Dialog) -> None:
    d = dialog
    await peer(d, "id")
    await d.say("p1", "/onduty")
    await open_peer_case(d)
    await d.press("p1", "Terima")
    assert "siswa sungguhan" in to(await d.say("p1", "/praktik"), "p1")[0]
    await d.say("p1", "/selesai")
    await d.say("p1", "/offduty")
    await start(d, "id", "ujian")
    assert "masih latihan" in to(await d.say("p1", "/praktik"), "p1")[0]
    assert "dihentikan" in to(await d.say("p1", "/praktik berhenti"), "p1")[0]
    assert "tidak latihan" in to(await d.say("p1", "/praktik berhenti"), "p1")[0]
    async with d.app.store.read() as db:
        [done] = await audit.rows(db, "practice_done")
    assert done["detail"]["completed"] is False


async def test_practice_is_for_peers_only(dialog: Dialog) -> None:
    d = dialog
    await peer(d, "id")
    assert "untuk konselor sebaya" in to(await d.say("bk", "/praktik"), "bk")[0]
    assert "staf" in to(await d.say("student", "/praktik"), "student")[0].lower()


async def test_good_listening_in_a_real_chat_is_relayed_without_a_note(dialog: Dialog) -> None:
    d = dialog
    await peer(d, "id")
    await d.say("p1", "/onduty")
    await open_peer_case(d)
    await d.press("p1", "Terima")
    sent = await d.say("p1", REPLIES["id"][2])  # praise kinds say nothing in a real chat
    assert to(sent, "student") and to(sent, "p1") == []


def test_check_flows_validates_the_practice_file_with_file_and_line(project: Path,
                                                                    capsys) -> None:
    path = str(project / "config.yaml")
    assert main(["check-flows", "--config", path]) == 0
    assert "practice: 3 scenario(s) OK (ujian, teman, tanda_bahaya)" in capsys.readouterr().out
    practice = project / "flows" / "training" / "practice.yaml"
    text = practice.read_text(encoding="utf-8")
    line = text.splitlines().index("      - practice.teman.l2") + 1
    practice.write_text(text.replace("practice.teman.l2", "practice.teman.l9"),
                        encoding="utf-8")
    assert main(["check-flows", "--config", path]) != 0
    err = capsys.readouterr().err
    assert f"practice.yaml:{line}" in err and "practice.teman.l9" in err
    practice.write_text(text.replace("warning: true", "warn: true"), encoding="utf-8")
    assert main(["check-flows", "--config", path]) != 0
    assert "unknown field 'warn'" in capsys.readouterr().err


async def test_a_practice_the_file_no_longer_has_is_left_quietly(dialog: Dialog) -> None:
    d = dialog
    await peer(d, "id")
    await start(d, "id", "bahaya")
    shipped = d.app.core.practice
    d.app.core.practice = replace(shipped, scenarios=shipped.scenarios[:1])  # edited meanwhile
    sent = to(await d.say("p1", "halo"), "p1")
    assert sent and not [t for t in sent if "🎭" in t]  # the usual answer, no crash
    assert "Pilih satu cerita" in to(await d.say("p1", "/praktik"), "p1")[0]
    assert [b.label for b in d.last_to("p1").buttons] == ["Stres ujian"]


GRATEFUL = {"id": "kamu harusnya lebih bersyukur aja sih, banyak yg lebih susah",
            "en": "you should just be grateful, others have it way worse"}


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_others_have_it_harder_in_practice_is_minimising_not_a_danger(
        dialog: Dialog, lang: str) -> None:
    from tests.core.test_coaching import EXPLAIN

    d = dialog
    await peer(d, lang)
    await start(d, lang, "ujian")
    [note] = to(await d.say("p1", GRATEFUL[lang]), "p1")  # held as in a real chat, no button
    assert FEEDBACK["held"][lang] in note and EXPLAIN["minimising"][lang] in note
    assert not d.last_to("p1").buttons  # not the "it was about me" danger question
    await nobody_else_and_no_case(d)
