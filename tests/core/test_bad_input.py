"""Bad input gets a clear, kind answer and never a crash."""

from __future__ import annotations

import pytest

from bot.core.events import Kind
from bot.store import conversations
from tests.dialog import Dialog


async def _to_topic(dialog: Dialog) -> None:
    await dialog.play([("student", "halo"), ("student", "[Oke, lanjut]")])


async def _conv(dialog: Dialog):
    key = dialog.app.vault.user_key("test", "student")
    async with dialog.app.store.transaction() as db:
        return await conversations.load(db, key, "id")


async def test_text_where_a_button_is_expected_reprompts_with_buttons(dialog: Dialog) -> None:
    await _to_topic(dialog)
    sent = await dialog.say("student", "hmm entahlah, banyak banget")
    assert sent[0].text == "Aku catat ya 💛 Biar lanjut, pilih salah satu tombol ini dulu:"
    assert len(sent) == 1  # one short line with the buttons, not the whole prompt again
    assert "Pertemanan" in [b.label for b in sent[-1].buttons]
    assert (await _conv(dialog)).state == "topic"
    assert (await _conv(dialog)).vars["said"] == ["hmm entahlah, banyak banget"]  # kept


@pytest.mark.parametrize(("typed", "state"), [("pertemanan kayaknya", "story"), ("2", "story"),
                                              ("Keluarga", "story"), ("ok", "topic")])
async def test_a_typed_reply_that_names_a_button_presses_it(dialog: Dialog, typed: str,
                                                            state: str) -> None:
    await _to_topic(dialog)
    await dialog.say("student", typed)
    assert (await _conv(dialog)).state == state


async def test_typed_yes_at_the_welcome_and_no_at_the_safety_question(dialog: Dialog) -> None:
    await dialog.say("student", "halo")
    await dialog.say("student", "oke")
    assert (await _conv(dialog)).state == "topic"
    await dialog.play([("student", "[Keluarga]"), ("student", "ortu sering bertengkar"),
                       ("student", "[Ringan]")])
    await dialog.say("student", "nggak")  # "Nggak, aman"
    assert (await _conv(dialog)).state is None  # routed to a peer


async def test_words_typed_at_buttons_go_with_the_story(dialog: Dialog) -> None:
    from tests.conftest import enrol

    await enrol(dialog.app, "p1", "peer", "Bintang")
    await dialog.play([("student", "halo"), ("student", "[Oke, lanjut]"),
                       ("student", "[Keluarga]"), ("student", "ortu sering bertengkar")])
    await dialog.say("student", "soalnya tiap malam teriak-teriak")  # at the weight buttons
    await dialog.play([("student", "[Ringan]"), ("student", "[Nggak, aman]")])
    offer = dialog.last_to("p1").text
    assert "ortu sering bertengkar" in offer and "tiap malam teriak-teriak" in offer


async def test_free_text_still_reaches_the_story(dialog: Dialog) -> None:
    await dialog.play([("student", "halo"), ("student", "[Oke, lanjut]"),
                       ("student", "[Lainnya]")])
    await dialog.say("student", "aku bingung mau mulai dari mana")
    conv = await _conv(dialog)
    assert conv.state == "weight" and conv.vars["story"] == "aku bingung mau mulai dari mana"


async def test_unknown_command_is_explained(dialog: Dialog) -> None:
    await _to_topic(dialog)
    sent = await dialog.say("student", "/rahasia")
    assert "/help" in sent[0].text and sent[-1].buttons


async def test_empty_and_whitespace_messages(dialog: Dialog) -> None:
    await _to_topic(dialog)
    for text in ("", "   \n\t  ", "\x00\x07\x1b"):
        sent = await dialog.say("student", text)
        assert sent[0].text.startswith("Pesannya kosong")
    assert (await _conv(dialog)).state == "topic"


async def test_twenty_thousand_characters_are_cut_with_notice(dialog: Dialog) -> None:
    await dialog.play([("student", "halo"), ("student", "[Oke, lanjut]"),
                       ("student", "[Lainnya]")])
    sent = await dialog.say("student", "panjang " * 2500)
    assert "4096 karakter" in sent[0].text
    conv = await _conv(dialog)
    assert conv.state == "weight" and len(conv.vars["story"]) <= 4096


async def test_control_characters_are_removed(dialog: Dialog) -> None:
    await dialog.play([("student", "halo"), ("student", "[Oke, lanjut]"),
                       ("student", "[Lainnya]")])
    await dialog.say("student", "capek\x00 banget\x1b[31m")
    assert (await _conv(dialog)).vars["story"] == "capek banget[31m"


async def test_sticker_or_photo_gets_a_text_only_note(dialog: Dialog) -> None:
    await _to_topic(dialog)
    sent = await dialog.deliver(dialog.event("student", Kind.UNSUPPORTED))
    assert "pesan teks" in sent[0].text and sent[-1].buttons


async def test_forged_button_data_is_refused_and_audited(dialog: Dialog) -> None:
    await _to_topic(dialog)
    for data in ("g:hack:1", "f:safety:unsafe", "f:topic:../../x", "zzz", "", "f::"):
        sent = await dialog.deliver(dialog.event("student", Kind.BUTTON, "x", data))
        assert "tidak berlaku" in sent[0].text
    assert (await _conv(dialog)).state == "topic"
    async with dialog.app.store.transaction() as db:
        refused = await (await db.execute(
            "SELECT COUNT(*) FROM audit WHERE action = 'button_refused'")).fetchone()
    assert refused[0] == 1  # the forged global button; stale flow buttons are only re-prompted


async def test_stale_button_from_an_earlier_question(dialog: Dialog) -> None:
    await _to_topic(dialog)
    old = dialog.button_data("student", "Oke, lanjut")
    sent = await dialog.deliver(dialog.event("student", Kind.BUTTON, "Oke, lanjut", old))
    assert "tidak berlaku" in sent[0].text and (await _conv(dialog)).state == "topic"


async def test_story_too_short_asks_for_a_little_more(dialog: Dialog) -> None:
    await dialog.play([("student", "halo"), ("student", "[Oke, lanjut]"),
                       ("student", "[Lainnya]")])
    sent = await dialog.say("student", "a")
    assert "sedikit lebih banyak" in sent[0].text and (await _conv(dialog)).state == "story"


async def test_state_removed_from_an_edited_flow_restarts_kindly(dialog: Dialog) -> None:
    await _to_topic(dialog)
    key = dialog.app.vault.user_key("test", "student")
    async with dialog.app.store.transaction() as db:
        await db.execute("UPDATE conversations SET state = 'gone' WHERE user_key = ?",
                         (key.value,))
    sent = await dialog.say("student", "halo?")
    # they accepted the consent before: a short welcome back, then the first question
    assert "Hai, ketemu lagi" in sent[0].text and (await _conv(dialog)).state == "topic"
