"""Regression tests for screening gaps an outside tester found (trial 3): crisis words after a
command, a crisis told over two messages, and a peer supporter's own crisis words (peers are
students too). Dialog transcripts in id and en; the safety invariants are checked after every
step (tests/dialog.py)."""

from __future__ import annotations

import pytest

from bot.store import audit
from tests.conftest import enrol
from tests.core.test_coaching import chat, peer_words
from tests.dialog import Dialog, case_of, to

ALERT = "🚨"


def alerts(sent, who: str = "bk") -> list[str]:
    return [t for t in to(sent, who) if ALERT in t or "KRISIS" in t or "CRISIS" in t]


@pytest.mark.parametrize("command", ["/start aku mau bunuh diri",
                                     "/help tolong aku mau gantung diri",
                                     "/stop aku udah nyilet tangan",
                                     "/hapus ini pesan terakhirku, aku mau loncat dari atap",
                                     "/menu i want to kill myself tonight"])
async def test_crisis_words_after_a_command_raise_a_crisis(dialog: Dialog, command: str) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    sent = await dialog.say("student", command)
    assert alerts(sent), to(sent, "bk")
    case = await case_of(dialog.app)
    assert case is not None and case.level == "crisis"


async def test_a_command_without_crisis_words_still_runs(dialog: Dialog) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    sent = await dialog.say("student", "/help aku bingung")
    assert not to(sent, "bk") and to(sent, "student")
    assert await case_of(dialog.app) is None


async def test_a_crisis_split_over_two_messages_in_intake_is_alerted(dialog: Dialog) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await enrol(dialog.app, "p1", "peer", "Bintang")
    await dialog.play([("student", "halo"), ("student", "[Oke, lanjut]"),
                       ("student", "[Perasaan / emosi]")])
    first = await dialog.say("student", "aku pengen")
    assert not alerts(first)
    sent = await dialog.say("student", "mati")
    assert alerts(sent), to(sent, "bk")
    assert not to(sent, "p1")  # no light offer to a peer
    case = await case_of(dialog.app)
    assert case is not None and case.level == "crisis"


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_a_crisis_split_over_two_messages_in_a_peer_chat_is_alerted(
        dialog: Dialog, lang: str) -> None:
    await chat(dialog, lang)
    await dialog.say("student", "kadang aku pengen" if lang == "id" else "sometimes i want to")
    sent = await dialog.say("student", "mati" if lang == "id" else "kill myself")
    assert alerts(sent), to(sent, "bk")
    assert (await case_of(dialog.app)).level == "crisis"


async def test_messages_far_apart_are_not_joined(dialog: Dialog) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await dialog.play([("student", "halo"), ("student", "[Oke, lanjut]"),
                       ("student", "[Perasaan / emosi]")])
    await dialog.say("student", "aku pengen")
    await dialog.tick(minutes=30)
    sent = await dialog.say("student", "mati")  # alone: not a crisis
    assert not alerts(sent)


async def test_an_older_message_does_not_raise_an_open_crisis_again(dialog: Dialog) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await dialog.say("student", "aku pengen mati")
    sent = await dialog.say("student", "ok")
    assert not alerts(sent)


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_a_peers_crisis_words_never_reach_the_student_and_the_case_goes_to_guru_bk(
        dialog: Dialog, lang: str) -> None:
    await chat(dialog, lang)
    words = ("sama, aku juga pengen mati aja rasanya. mending kita bunuh diri bareng"
             if lang == "id" else "same, honestly let's just kill ourselves together")
    sent = await dialog.say("p1", words)
    assert not any(words in t for t in to(sent, "student"))
    held = to(sent, "p1")
    assert any(("tidak diteruskan" if lang == "id" else "was not passed on") in t for t in held)
    assert any("119" in t or "hotline" in t.lower() or "hubungi" in t or "contact" in t
               for t in held)
    assert any(words[:30] in t for t in to(sent, "bk")), to(sent, "bk")  # guru BK reads them
    case = await case_of(dialog.app)
    assert case.level == "crisis"
    assert words in await peer_words(dialog)  # in the transcript for supervision
    async with dialog.app.store.read() as db:
        assert await audit.rows(db, "peer_message_held_risk")


async def test_a_peers_ordinary_message_is_still_relayed(dialog: Dialog) -> None:
    await chat(dialog, "id")
    sent = await dialog.say("p1", "aku ngerti, pasti rasanya nyebelin banget ya")
    assert any("pasti rasanya nyebelin" in t for t in to(sent, "student"))


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_a_peers_own_crisis_outside_a_case_is_answered_and_guru_bk_told(
        dialog: Dialog, lang: str) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await enrol(dialog.app, "p1", "peer", "Bintang")
    if lang == "en":
        async with dialog.app.store.transaction() as db:
            await db.execute("UPDATE users SET lang = 'en' WHERE key = ?",
                             (dialog.app.vault.user_key("test", "p1").value,))
    words = "aku juga sebenernya pengen mati aja" if lang == "id" else "honestly i want to die too"
    sent = await dialog.say("p1", words)
    mine = to(sent, "p1")
    assert mine and ("Guru BK sudah kami kabari" if lang == "id" else "told the school counselor"
                     ) in mine[0]
    told = to(sent, "bk")
    assert told and "Bintang" in told[0] and words in told[0]


async def test_a_counselor_who_joins_gets_the_waiting_crises_at_once(dialog: Dialog, config,
                                                                     monkeypatch) -> None:
    from bot import staffcli
    from tests.conftest import SECRET

    monkeypatch.setenv("SEBAYA_SECRET", SECRET.decode())  # the CLI's secret is the app's

    await dialog.say("student", "aku pengen mati aja")  # nobody can be alerted yet
    code = await staffcli.invite(config, "counselor", "Pak Joko", days=7, clock=dialog.app.clock)
    sent = await dialog.say("bk", f"/join {code}")
    sent += await dialog.tick(seconds=1)  # not at the ladder's next step, minutes later
    assert any("aku pengen mati aja" in t for t in to(sent, "bk")), to(sent, "bk")


async def test_a_counselor_coming_on_duty_gets_the_waiting_crises_at_once(dialog: Dialog) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await dialog.say("bk", "/offduty")
    await dialog.say("student", "aku pengen mati aja")
    await enrol(dialog.app, "bk2", "counselor", "Pak Joko")
    await dialog.say("bk2", "/offduty")
    sent = await dialog.say("bk2", "/onduty")
    sent += await dialog.tick(seconds=1)
    assert any("aku pengen mati aja" in t for t in to(sent, "bk2")), to(sent, "bk2")


async def test_replying_to_an_untaken_alert_says_to_take_it_first(dialog: Dialog) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await dialog.say("student", "aku pengen mati aja")
    alert = next(m for m in reversed(dialog.channel.sent) if m.address == "bk" and m.buttons)
    sent = await dialog.reply("bk", alert, "Nak, ibu di sini. Kamu aman?")
    told = to(sent, "bk")
    assert told and "Saya tangani" in told[0] and "belum diambil" in told[0]
    assert not to(sent, "student")


async def test_writing_again_with_no_counselor_reachable_is_told_the_truth(dialog: Dialog) -> None:
    await dialog.say("student", "aku pengen mati aja")  # nobody enrolled: no counselor to alert
    sent = await dialog.say("student", "tolong")
    reply = to(sent, "student")[0]
    assert "belum ada guru BK yang bisa dihubungi" in reply and "119" in reply
    assert "sudah kami teruskan ke guru BK" not in reply


async def test_a_peers_escalation_gives_the_student_the_hotlines(dialog: Dialog) -> None:
    await chat(dialog, "id")
    sent = await dialog.say("p1", "/eskalasi dia bilang mau bunuh diri")
    reply = to(sent, "student")
    assert reply and "teruskan ke guru BK" in reply[0] and "119" in reply[0]


async def test_a_peer_in_training_who_writes_crisis_words_is_answered_not_asked_for_a_button(
        dialog: Dialog, config, monkeypatch) -> None:
    from tests.conftest import SECRET
    from tests.core.test_training import join_peer

    monkeypatch.setenv("SEBAYA_SECRET", SECRET.decode())
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await join_peer(dialog, config)  # a training question waits for a button
    sent = await dialog.say("dewi", "aku juga sebenernya pengen mati aja")
    assert "Guru BK sudah kami kabari" in to(sent, "dewi")[0]
    assert any("pengen mati aja" in t for t in to(sent, "bk"))
