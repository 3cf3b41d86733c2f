"""/start, /help, /bahasa, /stop and /hapus work in every state, including an open case."""

from __future__ import annotations

import pytest

from bot.store import cases, conversations, users
from tests.dialog import Dialog, to

# How to reach each place a student can be in (after "halo").
PATHS = {
    "welcome": [],
    "topic": ["[Oke, lanjut]"],
    "story": ["[Oke, lanjut]", "[Keluarga]"],
    "weight": ["[Oke, lanjut]", "[Keluarga]", "ortu sering bertengkar"],
    "safety": ["[Oke, lanjut]", "[Keluarga]", "ortu sering bertengkar", "[Ringan]"],
    "case_open": ["[Oke, lanjut]", "[Keluarga]", "ortu sering bertengkar", "[Ringan]",
                  "[Nggak, aman]"],
    "idle": ["[Nanti aja]"],
}
PLACES = sorted(PATHS)


async def _go(dialog: Dialog, place: str) -> None:
    await dialog.play([("student", "halo"), *[("student", step) for step in PATHS[place]]])


async def _state(dialog: Dialog):
    key = dialog.app.vault.user_key("test", "student")
    async with dialog.app.store.transaction() as db:
        user = await users.get(db, key)
        conv = await conversations.load(db, key, user.lang if user else "id")
        case = await cases.open_for(db, key)
    return user, conv, case


def _texts(messages) -> str:
    return "\n".join(m.text for m in messages)


@pytest.mark.parametrize("place", PLACES)
async def test_help_answers_and_keeps_the_place(dialog: Dialog, place: str) -> None:
    await _go(dialog, place)
    _, before, _ = await _state(dialog)
    sent = await dialog.say("student", "/help")
    assert "/hapus" in sent[0].text and "112" in sent[0].text
    _, after, _ = await _state(dialog)
    assert (after.flow, after.state) == (before.flow, before.state)
    if before.state:  # in a flow: the current question comes back with its buttons
        assert sent[-1].buttons


@pytest.mark.parametrize("place", PLACES)
async def test_bahasa_switches_language_and_repeats_the_question(dialog: Dialog,
                                                                 place: str) -> None:
    await _go(dialog, place)
    sent = await dialog.say("student", "/bahasa")
    assert [b.label for b in sent[-1].buttons] == ["Bahasa Indonesia", "English"]
    sent = await dialog.press("student", "English")
    assert sent[0].text == "OK, we'll use English."
    user, conv, _ = await _state(dialog)
    assert user.lang == "en" and conv.lang == "en"
    if conv.state in ("welcome", "topic"):
        assert sent[-1].buttons and all(b.label.isascii() for b in sent[-1].buttons)


@pytest.mark.parametrize("place", PLACES)
async def test_stop_ends_the_flow_but_never_drops_an_open_case(dialog: Dialog,
                                                               place: str) -> None:
    await _go(dialog, place)
    sent = await dialog.say("student", "/stop")
    _, conv, case = await _state(dialog)
    assert conv.flow is None and conv.state is None
    if place == "case_open":
        assert case is not None and "tetap tersimpan" in sent[0].text
    else:
        assert "berhenti dulu" in sent[0].text


@pytest.mark.parametrize("place", PLACES)
async def test_start_restarts_unless_a_case_is_open(dialog: Dialog, place: str) -> None:
    await _go(dialog, place)
    sent = await dialog.say("student", "/start")
    _, conv, case = await _state(dialog)
    if place == "case_open":
        assert "masih terbuka" in sent[0].text and conv.flow is None and case is not None
    elif place in ("idle", "welcome"):
        assert "Hai, aku Sebaya" in sent[0].text and conv.state == "welcome"
        assert set(conv.vars) <= {"risk_flags", "_prev_text"}  # answers cleared
    else:  # past the consent: a short welcome back, never the whole consent again
        assert "Hai, ketemu lagi" in sent[0].text and conv.state == "topic"
        assert "Sebelum mulai" not in " ".join(to(sent, "student"))
        assert set(conv.vars) <= {"risk_flags", "_returning", "_prev_text"}  # answers cleared


@pytest.mark.parametrize("place", PLACES)
async def test_hapus_asks_first_then_deletes(dialog: Dialog, place: str) -> None:
    await _go(dialog, place)
    sent = await dialog.say("student", "/hapus")
    assert "tidak bisa dibatalkan" in sent[0].text
    sent = await dialog.press("student", "Ya, hapus")
    assert "sudah dihapus" in sent[0].text
    user, _, case = await _state(dialog)
    assert user is None and case is None
    async with dialog.app.store.transaction() as db:
        left = await (await db.execute("SELECT COUNT(*) FROM conversations")).fetchone()
        timers = await (await db.execute("SELECT COUNT(*) FROM timers")).fetchone()
    assert left[0] == 0 and timers[0] == 0


async def test_hapus_cancel_keeps_everything(dialog: Dialog) -> None:
    await _go(dialog, "case_open")
    await dialog.say("student", "/hapus")
    sent = await dialog.press("student", "Batal")
    assert "tidak ada yang dihapus" in sent[0].text
    user, _, case = await _state(dialog)
    assert user is not None and case is not None


async def test_commands_accept_bot_suffix_and_case(dialog: Dialog) -> None:
    sent = await dialog.say("student", "/HELP@SebayaBot")
    assert "/hapus" in sent[0].text


async def test_english_aliases(dialog: Dialog) -> None:
    sent = await dialog.say("student", "/language")
    assert sent[-1].buttons
    sent = await dialog.say("student", "/delete")
    assert [b.data for b in sent[-1].buttons] == ["g:del:yes", "g:del:no"]


@pytest.mark.parametrize(("command", "expect"), [("/done", "Tidak ada percakapan"),
                                                 ("/switch", "Belum ada konselor sebaya"),
                                                 ("/skip", "makasih")])
async def test_english_aliases_of_the_student_commands(dialog: Dialog, command: str,
                                                       expect: str) -> None:
    sent = await dialog.say("student", command)
    assert expect.casefold() in sent[0].text.casefold()


async def test_a_peer_is_not_told_that_crisis_alerts_reach_them(dialog: Dialog) -> None:
    from tests.conftest import enrol

    await enrol(dialog.app, "p1", "peer", "Bintang")
    sent = await dialog.say("p1", "/help")
    assert "Saya tangani" not in sent[0].text and "/eskalasi" in sent[0].text
