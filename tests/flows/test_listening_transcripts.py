"""A conversation that listens (issue #13, item 6): a returning student is welcomed back
without the whole consent, the language button works both ways, self-help never ends in a
dead end, no two messages in a row say the same thing, the idle nudge is safe on a lock
screen, and a student with an open case never opens a second one. Transcripts in id and en;
tests/dialog.py checks the safety invariants after every step."""

from __future__ import annotations

import pytest

from bot.store import cases
from tests.conftest import enrol
from tests.dialog import Dialog, case_of, to

CONSENT_ID = "Sebelum mulai"
CONSENT_EN = "Before we start"


@pytest.fixture
async def d(dialog: Dialog) -> Dialog:
    await enrol(dialog.app, "peer", "peer", "Bintang")
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    return dialog


def _texts(d: Dialog, who: str = "student") -> list[str]:
    return [m.text for m in d.channel.sent if m.address == who]


async def _count_cases(d: Dialog, who: str = "student") -> int:
    key = d.app.vault.user_key("test", who)
    async with d.app.store.read() as db:
        rows = await db.execute_fetchall("SELECT COUNT(*) FROM cases WHERE student_key = ?",
                                         (key.value,))
    return rows[0][0]


PEER_CASE_ID = ["halo", "[Oke, lanjut]", "[Pertemanan]", "aku berantem sama sahabatku",
                "[Lumayan berat]", "[Nggak, aman]"]

RETURNING_AFTER_STOP_ID = [
    ("student", "halo"),
    ("bot>student", CONSENT_ID),
    ("student", "[Oke, lanjut]"),
    ("student", "/stop"),
    ("student", "halo lagi"),
    ("bot>student", "Hai, ketemu lagi"),
    ("bot>student", "guru BK akan diberi tahu"),  # the limit of anonymity, in one line
    ("bot>student", "Soal apa yang lagi kamu pikirin?"),
]

RETURNING_AFTER_STOP_EN = [
    ("student", "hi"),
    ("student", "[English, please]"),
    ("bot>student", CONSENT_EN),
    ("student", "[OK, let's go]"),
    ("student", "/stop"),
    ("student", "hi again"),
    ("bot>student", "Hi again"),
    ("bot>student", "the school counselor will be told"),
    ("bot>student", "What's on your mind?"),
]


@pytest.mark.parametrize("script", [RETURNING_AFTER_STOP_ID, RETURNING_AFTER_STOP_EN],
                         ids=["id", "en"])
async def test_a_returning_student_is_welcomed_back_without_the_whole_consent(
        d: Dialog, script) -> None:
    await d.play(script)
    texts = _texts(d)
    stopped = max(i for i, t in enumerate(texts) if "berhenti dulu" in t or "stop here" in t)
    assert not any(CONSENT_ID in t or CONSENT_EN in t for t in texts[stopped:])


async def test_menu_talk_after_a_closed_case_skips_the_consent(d: Dialog) -> None:
    await d.play([("student", s) for s in PEER_CASE_ID])
    await d.press("peer", "Terima")
    await d.say("peer", "/selesai")
    await d.say("student", "/lewati")
    before = len(d.channel.sent)
    await d.play([("student", "/menu"), ("student", "[💬 Cerita ke teman sebaya]"),
                  ("bot>student", "Hai, ketemu lagi")])
    assert not any(CONSENT_ID in t for t in to(d.channel.sent[before:], "student"))


async def test_thanks_after_a_closed_crisis_gets_a_welcome_back_not_the_consent(
        d: Dialog) -> None:
    await d.say("student", "aku mau mati aja")  # the very first message: a crisis
    await d.press("bk", "Saya tangani")
    await d.say("bk", "/selesai siswa sudah aman, janji temu besok")
    sent = await d.say("student", "makasih bu")
    texts = to(sent, "student")
    assert "Hai, ketemu lagi" in texts[0]
    assert not any(CONSENT_ID in t for t in texts)


LANGUAGE_BOTH_WAYS = [
    ("student", "halo"),
    ("student", "[English, please]"),
    ("bot>student", "Hi, I'm Sebaya"),
    ("student", "[Bahasa Indonesia, ya]"),  # the same button, now back to Bahasa Indonesia
    ("bot>student", "Hai, aku Sebaya"),
    ("student", "[English, please]"),
    ("bot>student", "Hi, I'm Sebaya"),
    ("student", "[OK, let's go]"),
    ("bot>student", "What's on your mind?"),
]


async def test_the_language_button_switches_both_ways_without_a_loop(d: Dialog) -> None:
    await d.play(LANGUAGE_BOTH_WAYS)
    labels = [b.label for b in d.last_to("student").buttons]
    assert "Friends" in labels


async def test_english_speaker_sees_no_english_please_button(d: Dialog) -> None:
    await d.play([("student", "hi"), ("student", "[English, please]")])
    labels = [b.label for b in d.last_to("student").buttons]
    assert "English, please" not in labels and "Bahasa Indonesia, ya" in labels


SELF_HELP_ID = [
    ("student", "/menu"),
    ("student", "[🌿 Latihan menenangkan diri]"),
    ("student", "[Susah tidur]"),
    ("student", "[Oke]"),
    ("student", "[Lebih baik]"),
    ("bot>student", "Senang mendengarnya"),
    ("student", "[⬅️ Kembali ke menu]"),
    ("bot>student", "Mau ngapain hari ini?"),
]

SELF_HELP_EN = [
    ("student", "/language"),
    ("student", "[English]"),
    ("student", "/menu"),
    ("student", "[🌿 Calm-down exercises]"),
    ("student", "[Can't sleep]"),
    ("student", "[Okay]"),
    ("student", "[Better]"),
    ("bot>student", "Glad to hear it"),
    ("student", "[That's all, thanks]"),
    ("bot>student", "Whenever you need"),
]


@pytest.mark.parametrize("script", [SELF_HELP_ID, SELF_HELP_EN], ids=["id", "en"])
async def test_self_help_never_ends_in_a_dead_end(d: Dialog, script) -> None:
    await d.play(script)
    after = next(i for i, m in enumerate(d.channel.sent)
                 if m.text.startswith(("Senang mendengarnya", "Glad to hear it")))
    assert d.channel.sent[after].buttons  # a way on: back to the menu, or done


async def test_no_two_messages_in_a_row_say_the_same_thing_after_the_intake(d: Dialog) -> None:
    before = len(d.channel.sent)
    await d.play([("student", s) for s in PEER_CASE_ID])
    texts = to(d.channel.sent[before:], "student")[-2:]
    about_peer = [t for t in texts if "konselor sebaya" in t.casefold()]
    assert len(about_peer) == 1, texts  # the offer says where the story is, once
    assert "Makasih sudah berani cerita" in texts[0]


async def test_no_two_messages_in_a_row_after_a_no_to_the_direct_question(d: Dialog) -> None:
    await d.play([("student", "halo"), ("student", "[Oke, lanjut]"),
                  ("student", "[Keluarga]"), ("student", "ortu sering bertengkar"),
                  ("student", "[Berat banget]"), ("student", "[Nggak, aman]")])
    sent = await d.press("student", "Tidak")
    texts = to(sent, "student")
    assert not any("Kita lanjut ya" in t for t in texts)  # nothing goes on: it is done
    assert sum("konselor sebaya" in t.casefold() for t in texts) == 1, texts


DANGER_WORDS = ("bahaya", "guru bk", "nyawa", "bunuh", "danger", "counselor", "life", "hurt")


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_the_idle_nudge_is_safe_on_a_lock_screen(d: Dialog, lang: str) -> None:
    await d.say("student", "halo")
    if lang == "en":
        await d.press("student", "English, please")
    sent = await d.tick(minutes=31)  # at the consent step, whose text names danger
    [nudge] = to(sent, "student")
    first_line = nudge.splitlines()[0].casefold()
    assert not any(word in first_line for word in DANGER_WORDS), nudge
    assert d.last_to("student").buttons  # the step's buttons come with it


async def test_menu_offers_to_continue_the_open_case_instead_of_a_second(d: Dialog) -> None:
    await d.play([("student", s) for s in PEER_CASE_ID])
    await d.press("peer", "Terima")
    await d.play([("student", "/menu"), ("student", "[💬 Cerita ke teman sebaya]"),
                  ("bot>student", "Ceritamu yang sebelumnya masih terbuka")])
    assert await _count_cases(d) == 1
    sent = await d.say("student", "kak, aku masih kepikiran")
    assert any("aku masih kepikiran" in t for t in to(sent, "peer"))  # joins the open one


async def test_menu_talk_with_an_open_case_in_english(d: Dialog) -> None:
    await d.play([("student", "hi"), ("student", "[English, please]"),
                  ("student", "[OK, let's go]"), ("student", "[Friends]"),
                  ("student", "we had a fight"), ("student", "[Quite heavy]"),
                  ("student", "[No, all safe]"),
                  ("student", "/menu"), ("student", "[💬 Talk to a peer supporter]"),
                  ("bot>student", "Your earlier story is still open")])
    assert await _count_cases(d) == 1


async def test_not_safe_in_self_help_during_a_peer_chat_reaches_guru_bk_on_the_same_case(
        d: Dialog) -> None:
    await d.play([("student", s) for s in PEER_CASE_ID])
    await d.press("peer", "Terima")
    await d.play([("student", "/menu"), ("student", "[🌿 Latihan menenangkan diri]"),
                  ("student", "[Napas kotak]"), ("student", "[Lanjut]"),
                  ("student", "[Lanjut]"), ("student", "[Sudah]")])
    sent = await d.press("student", "Masih berat, aku merasa tidak aman")
    assert any("BUTUH GURU BK SEKARANG" in t for t in to(sent, "bk"))  # a human is alerted
    assert any("alihkan ke guru BK" in t for t in to(sent, "peer"))  # the peer hands over
    assert any("Guru BK sudah kami kabari" in t for t in to(sent, "student"))
    assert await _count_cases(d) == 1
    case = await case_of(d.app)
    assert case.level == "crisis" and case.route == "counselor" and case.status == "waiting"
    sent = await d.press("bk", "Saya tangani")
    assert to(sent, "student")


async def test_a_crisis_typed_in_a_menu_flow_during_an_open_case_still_reaches_guru_bk(
        d: Dialog) -> None:
    await d.play([("student", s) for s in PEER_CASE_ID])
    await d.play([("student", "/menu"), ("student", "[💬 Cerita ke teman sebaya]")])
    sent = await d.say("student", "aku mau bunuh diri")
    assert any("BUTUH GURU BK SEKARANG" in t for t in to(sent, "bk"))
    async with d.app.store.read() as db:
        assert (await cases.open_for(db, d.app.vault.user_key("test", "student"))).level \
            == "crisis"
    assert await _count_cases(d) == 1


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_after_the_idle_nudge_writing_brings_one_line_not_the_consent(
        d: Dialog, lang: str) -> None:
    await d.say("student", "halo")
    if lang == "en":
        await d.press("student", "English, please")
    await d.tick(minutes=31)
    sent = await d.say("student", "eh maaf baru bales")
    texts = to(sent, "student")
    assert len(texts) == 1 and not any(CONSENT_ID in t or CONSENT_EN in t for t in texts)
    assert d.last_to("student").buttons  # the consent's buttons, with one short line
    await d.press("student", "Oke, lanjut" if lang == "id" else "OK, let's go")
    await d.say("student", "/stop")
    await d.tick(hours=2)
    sent = await d.say("student", "halo lagi")  # later: welcomed back in one line
    assert not any(CONSENT_ID in t or CONSENT_EN in t for t in to(sent, "student"))


async def test_after_hapus_the_bot_forgets_the_student_and_shows_the_consent_again(
        d: Dialog) -> None:
    await d.play([("student", "halo"), ("student", "[Oke, lanjut]"), ("student", "/hapus"),
                  ("student", "[Ya, hapus]")])
    sent = await d.say("student", "halo")
    assert any(CONSENT_ID in t for t in to(sent, "student"))  # nothing of them is kept


async def test_a_stale_button_during_an_open_case_says_where_to_write(d: Dialog) -> None:
    await d.play([("student", s) for s in PEER_CASE_ID])
    sent = await d.press("student", "Oke, lanjut")  # the consent's button, long gone
    [text] = to(sent, "student")
    assert "Ceritamu masih terbuka" in text and "Ini pilihan yang sekarang" not in text
    assert await _count_cases(d) == 1
