"""An outside tester's safety findings: a student's words are never lost on the way to a human,
and the alert shows what matters (the first message before consent, a photo's caption, the
risky clause of a long message, the real waiting time of a requeued crisis, the category)."""

from __future__ import annotations

import pytest

from bot import staffcli
from bot.core.events import Kind
from tests.conftest import SECRET, enrol
from tests.core.test_ask import asking  # noqa: F401  (the fixture)
from tests.dialog import Dialog, case_of, to


@pytest.fixture(autouse=True)
def same_secret(monkeypatch) -> None:
    monkeypatch.setenv("SEBAYA_SECRET", SECRET.decode())


@pytest.fixture
async def school(dialog: Dialog) -> Dialog:
    await enrol(dialog.app, "bk1", "counselor", "Bu Rina")
    await enrol(dialog.app, "bk2", "counselor", "Pak Dedi")
    await enrol(dialog.app, "p1", "peer", "Bintang")
    return dialog


def alerts(sent, who: str = "bk1") -> list[str]:
    return [t for t in to(sent, who) if "BUTUH GURU BK" in t]


async def test_a_crisis_as_the_very_first_message_alerts_with_its_words(school: Dialog) -> None:
    d = school
    sent = await d.say("student", "aku udah gak kuat, pengen mati aja")
    [alert] = alerts(sent)
    assert "pengen mati aja" in alert
    assert "kamu nggak sendirian" in to(sent, "student")[0]
    assert (await case_of(d.app)).level == "crisis"


async def test_a_light_first_message_reaches_the_peer_in_the_story(school: Dialog) -> None:
    d = school
    await d.say("student", "aku lagi berantem sama temen sebangku")
    await d.play([("student", "[Oke, lanjut]"), ("student", "[Pertemanan]"),
                  ("student", "[Lewati]"), ("student", "[Lumayan berat]"),
                  ("student", "[Nggak, aman]")])
    case = await case_of(d.app)
    assert case.route == "peer" and "berantem sama temen sebangku" in case.story
    sent = await d.press("p1", "Terima")
    assert any("berantem sama temen sebangku" in t for t in to(sent, "p1"))


async def test_words_typed_at_the_consent_join_the_crisis_story(school: Dialog) -> None:
    d = school
    await d.say("student", "halo")
    await d.say("student", "ayahku di rumah marah-marah terus tiap malam")  # at the consent
    await d.say("student", "aku udah gak kuat, pengen mati aja")
    case = await case_of(d.app)
    assert case.level == "crisis" and "marah-marah terus tiap malam" in case.story
    sent = await d.press("bk1", "Saya tangani")
    assert "marah-marah terus tiap malam" in to(sent, "bk1")[0]


async def test_a_first_message_survives_a_start_command(school: Dialog) -> None:
    d = school
    await d.say("student", "aku lagi berantem sama temen sebangku")
    await d.say("student", "/start")
    await d.play([("student", "[Oke, lanjut]"), ("student", "[Pertemanan]"),
                  ("student", "dia nggak mau ngomong sama aku"), ("student", "[Lumayan berat]"),
                  ("student", "[Nggak, aman]")])
    story = (await case_of(d.app)).story
    assert "berantem sama temen sebangku" in story and "nggak mau ngomong" in story


async def test_a_greeting_is_not_made_part_of_the_story(school: Dialog) -> None:
    d = school
    await d.play([("student", "halo kak"), ("student", "[Oke, lanjut]"),
                  ("student", "[Pertemanan]"), ("student", "aku dijauhin temen sekelas"),
                  ("student", "[Lumayan berat]"), ("student", "[Nggak, aman]")])
    assert (await case_of(d.app)).story == "aku dijauhin temen sekelas"


async def test_a_first_message_that_asks_gets_the_direct_question(asking: Dialog) -> None:  # noqa: F811
    d = asking
    sent = await d.say("student", "ASKME aku capek banget, rasanya pengen ngilang")
    assert any("mengakhiri hidup" in t for t in to(sent, "student"))
    await d.press("student", "Iya")
    case = await case_of(d.app)
    assert case.level == "crisis" and "pengen ngilang" in case.story


async def test_a_heavy_intake_keeps_words_typed_at_buttons(asking: Dialog) -> None:  # noqa: F811
    d = asking
    await d.play([("student", "aku lagi berantem sama temen sebangku"),
                  ("student", "[Oke, lanjut]"), ("student", "[Pertemanan]"),
                  ("student", "[Lewati]"), ("student", "[Berat banget]"),
                  ("student", "[Nggak, aman]"), ("student", "[Tidak]")])
    assert "berantem sama temen sebangku" in (await case_of(d.app)).story


# -- captions ---------------------------------------------------------------------------------

async def test_a_caption_that_asks_gets_the_direct_question(asking: Dialog) -> None:  # noqa: F811
    d = asking
    sent = await d.deliver(d.event("student", Kind.UNSUPPORTED,
                                   "ASKME aku capek banget, rasanya pengen ngilang"))
    texts = to(sent, "student")
    assert any("mengakhiri hidup" in t for t in texts)
    assert any("belum bisa" in t for t in texts)  # and only text can be read


async def test_a_light_caption_starts_the_intake_and_reaches_the_peer(school: Dialog) -> None:
    d = school
    sent = await d.deliver(d.event("student", Kind.UNSUPPORTED,
                                   "aku lagi berantem sama temen sebangku"))
    texts = to(sent, "student")
    assert any("belum bisa" in t for t in texts)
    await d.play([("student", "[Oke, lanjut]"), ("student", "[Pertemanan]"),
                  ("student", "[Lewati]"), ("student", "[Lumayan berat]"),
                  ("student", "[Nggak, aman]")])
    assert "berantem sama temen sebangku" in (await case_of(d.app)).story


async def test_a_crisis_caption_alerts_and_says_only_text_is_read(school: Dialog) -> None:
    d = school
    sent = await d.deliver(d.event("student", Kind.UNSUPPORTED, "aku barusan nyilet tangan lagi"))
    assert "nyilet tangan" in alerts(sent)[0]
    texts = to(sent, "student")
    assert "kamu nggak sendirian" in texts[0] and any("belum bisa" in t for t in texts[1:])


async def test_a_caption_without_text_still_gets_the_note(school: Dialog) -> None:
    d = school
    sent = await d.deliver(d.event("student", Kind.UNSUPPORTED, "   "))
    assert any("baru bisa membaca pesan teks" in t for t in to(sent, "student"))
    assert await case_of(d.app) is None


# -- the alert shows the risky part -------------------------------------------------------------

SMALL_TALK = ("tadi pagi aku bangun kesiangan terus buru-buru ke sekolah, di jalan macet banget "
              "jadi telat, terus dimarahin guru piket, habis itu pelajaran matematika susah. ")


async def test_a_requeued_crisis_alert_shows_the_risky_clause(school: Dialog, config) -> None:
    d = school
    await d.say("student", SMALL_TALK * 4 + "aku pengen mati aja malam ini.")
    await d.press("bk1", "Saya tangani")
    await staffcli.remove(config, "Bu Rina", clock=d.app.clock)
    sent = await d.tick(seconds=1)
    [alert] = alerts(sent, "bk2")
    assert "pengen mati aja malam ini" in alert


async def test_a_yes_to_the_question_alerts_with_the_words_that_asked(school: Dialog) -> None:
    d = school
    await d.say("student", "halo")
    sent = await d.say("student", SMALL_TALK * 4 + "aku ngerasa jadi beban buat semua orang.")
    assert any("mengakhiri hidup" in t for t in to(sent, "student"))  # asked directly
    sent = await d.press("student", "Iya")
    [alert] = alerts(sent)
    assert "jadi beban buat semua orang" in alert


async def test_a_self_report_alert_shows_the_risky_part_of_the_story(school: Dialog) -> None:
    d = school
    await d.play([("student", "halo"), ("student", "[Oke, lanjut]"), ("student", "[Keluarga]"),
                  ("student", SMALL_TALK * 4 + "aku takut pulang ke rumah, ayah suka marah."),
                  ("student", "[Berat banget]")])
    sent = await d.press("student", "Iya, ada bahaya")
    [alert] = alerts(sent)
    assert "takut pulang ke rumah" in alert


# -- a requeued crisis keeps its waiting time ---------------------------------------------------

async def test_a_requeued_crisis_counts_waiting_from_when_it_was_raised(
        school: Dialog, config) -> None:
    d = school
    await d.say("student", "aku pengen mati aja malam ini")
    await d.tick(minutes=3)
    await d.press("bk1", "Saya tangani")
    await d.tick(minutes=20)
    await staffcli.remove(config, "Bu Rina", clock=d.app.clock)
    sent = await d.tick(seconds=1)
    [alert] = alerts(sent, "bk2")
    assert "sudah menunggu 23 menit" in alert
    sent = await d.tick(minutes=5)
    assert any("sudah menunggu 28 menit" in t for t in alerts(sent, "bk2"))


# -- the category the alert names ---------------------------------------------------------------

KINDS = [("aku barusan nyilet tangan lagi", "melukai diri sendiri"),
         ("ayah tiriku suka mukul aku kalau mabuk", "kekerasan fisik / penelantaran"),
         ("aku pengen nusuk anak itu besok", "niat melukai orang lain"),
         ("temenku bilang mau loncat dari jembatan", "teman dalam bahaya")]


@pytest.mark.parametrize(("text", "category"), KINDS)
async def test_the_alert_names_what_the_detector_found(school: Dialog, text: str,
                                                       category: str) -> None:
    sent = await school.say("student", text)
    [alert] = alerts(sent)
    assert f"Kategori: {category}" in alert


@pytest.mark.parametrize(("text", "category"), KINDS)
async def test_the_alert_names_it_in_an_open_peer_case(school: Dialog, text: str,
                                                       category: str) -> None:
    d = school
    await d.play([("student", "halo"), ("student", "[Oke, lanjut]"), ("student", "[Pertemanan]"),
                  ("student", "aku lagi bingung"), ("student", "[Lumayan berat]"),
                  ("student", "[Nggak, aman]"), ("p1", "[Terima]")])
    sent = await d.say("student", text)
    [alert] = alerts(sent)
    assert f"Kategori: {category}" in alert


@pytest.mark.parametrize(("text", "category"), KINDS)
async def test_the_alert_names_it_after_a_requeue(school: Dialog, config, text: str,
                                                  category: str) -> None:
    d = school
    await d.say("student", text)
    await d.press("bk1", "Saya tangani")
    await staffcli.remove(config, "Bu Rina", clock=d.app.clock)
    [alert] = alerts(await d.tick(seconds=1), "bk2")
    assert f"Kategori: {category}" in alert


@pytest.mark.parametrize(("text", "category"), KINDS)
async def test_the_alert_names_it_told_over_two_messages(school: Dialog, text: str,
                                                         category: str) -> None:
    d = school
    first, rest = text.split(" ", 2)[:2], text.split(" ", 2)[2]
    await d.say("student", " ".join(first))
    sent = await d.say("student", rest)
    [alert] = alerts(sent)
    assert f"Kategori: {category}" in alert


async def test_a_peers_held_words_alert_with_the_risky_clause(school: Dialog) -> None:
    d = school
    await d.play([("student", "halo"), ("student", "[Oke, lanjut]"), ("student", "[Pertemanan]"),
                  ("student", "aku lagi bingung"), ("student", "[Lumayan berat]"),
                  ("student", "[Nggak, aman]"), ("p1", "[Terima]")])
    sent = await d.say("p1", SMALL_TALK * 3 + "kalau aku jadi kamu aku bunuh diri aja.")
    [alert] = [t for t in to(sent, "bk1") if "DITERUSKAN KONSELOR SEBAYA" in t]
    assert "bunuh diri aja" in alert


async def test_words_after_start_are_the_first_words_of_the_story(school: Dialog) -> None:
    d = school
    await d.play([("student", "/start aku lagi berantem sama temen sebangku"),
                  ("student", "[Oke, lanjut]"), ("student", "[Pertemanan]"),
                  ("student", "[Lewati]"), ("student", "[Lumayan berat]"),
                  ("student", "[Nggak, aman]")])
    assert "berantem sama temen sebangku" in (await case_of(d.app)).story


async def test_words_after_start_that_ask_get_the_direct_question(school: Dialog) -> None:
    sent = await school.say("student", "/start aku ngerasa jadi beban buat semua orang")
    assert any("mengakhiri hidup" in t for t in to(sent, "student"))


async def test_a_first_message_reaches_the_peer_with_contact_details_masked(
        school: Dialog) -> None:
    d = school
    await d.say("student", "aku berantem sama temen sebangku, wa aku 081234567890 ya kak")
    await d.play([("student", "[Oke, lanjut]"), ("student", "[Pertemanan]"),
                  ("student", "[Lewati]"), ("student", "[Lumayan berat]"),
                  ("student", "[Nggak, aman]")])
    offer = next(m.text for m in reversed(d.channel.sent) if m.address == "p1")
    assert "berantem sama temen sebangku" in offer and "081234567890" not in offer
    sent = await d.press("p1", "Terima")
    assert "berantem sama temen sebangku" in to(sent, "p1")[0]
    assert not any("081234567890" in t for t in to(sent, "p1"))


@pytest.mark.parametrize(("text", "kept"), [
    ("halo", False), ("halooo kak", False), ("assalamualaikum kak", False),
    ("aku mau curhat dong", False), ("P", False), ("😭😭", True),
    ("aku sedih", True), ("aku lagi berantem sama temen sebangku", True)])
def test_only_words_of_the_students_own_are_kept(text: str, kept: bool) -> None:
    from bot.core import first_words

    assert first_words.worth_keeping(text) is kept
