"""The dispatcher: persist first, one transaction per event, replay after a crash."""

from __future__ import annotations

import json

from bot.app import App
from bot.core.effects import Audit, OpenCase, Send
from bot.core.events import Kind
from bot.core.keys import UserKey
from bot.store import inbox
from tests.conftest import SECRET
from tests.dialog import Dialog, RecordingChannel


async def _count(app: App, sql: str) -> int:
    async with app.store.transaction() as db:
        return (await (await db.execute(sql)).fetchone())[0]


async def test_a_failure_mid_handling_leaves_no_partial_writes(dialog: Dialog) -> None:
    app = dialog.app
    await dialog.say("student", "halo")  # the student exists, in state welcome
    real_handle = app.core.handle

    def broken(turn):
        outcome = real_handle(turn)
        outcome.effects[:0] = [
            Audit(turn.party.key, "half_done", {}),
            OpenCase(turn.party.key, "peer", "lainnya", 1, "x"),
            Send(UserKey("nobody"), "this recipient does not exist"),  # fails after writes
        ]
        return outcome

    app.core.handle = broken  # type: ignore[method-assign]
    sent = await dialog.press("student", "Oke, lanjut")
    assert await _count(app, "SELECT COUNT(*) FROM audit WHERE action = 'half_done'") == 0
    assert await _count(app, "SELECT COUNT(*) FROM cases") == 0
    assert await _count(app, "SELECT COUNT(*) FROM conversations WHERE state = 'topic'") == 0
    assert await _count(app, "SELECT COUNT(*) FROM inbox WHERE status = 'failed'") == 1
    assert [m.text for m in sent] == ["Maaf, ada gangguan di sistem kami. Pesanmu tetap "
                                      "tersimpan; coba lagi sebentar lagi ya."]


async def test_first_message_that_fails_still_gets_a_fallback_reply(dialog: Dialog) -> None:
    def crash(turn):
        raise RuntimeError("bug")

    dialog.app.core.handle = crash  # type: ignore[method-assign]
    sent = await dialog.say("newcomer", "halo")
    assert len(sent) == 1 and sent[0].address == "newcomer" and "gangguan" in sent[0].text
    assert await _count(dialog.app, "SELECT COUNT(*) FROM users") == 0


async def test_duplicate_delivery_is_handled_once(dialog: Dialog) -> None:
    event = dialog.event("student", Kind.TEXT, "halo")
    assert await dialog.app.dispatcher.accept(event) is not None
    assert await dialog.app.dispatcher.accept(event) is None
    await dialog.app.settle()
    welcome = [m for m in dialog.channel.sent if "Hai, aku Sebaya" in m.text]
    assert len(welcome) == 1


async def test_events_left_pending_by_a_crash_are_replayed_in_order(config, clock) -> None:
    channel = RecordingChannel()
    first = await App.build(config, {"test": channel}, clock=clock, secret=SECRET)
    dialog = Dialog(first, channel)
    # A crash right after the inbox commit: the event is persisted but never handled.
    event = dialog.event("student", Kind.TEXT, "halo")
    key = first.vault.user_key("test", "student")
    async with first.store.transaction() as db:
        await inbox.insert(db, "test", event.external_id, key.value,
                           first.vault.seal(json.dumps(event.to_json())), clock.now())
    await first.store.close()

    second = await App.build(config, {"test": channel}, clock=clock, secret=SECRET)
    try:
        assert await second.dispatcher.replay() == 1
        await second.settle()
        assert any("Hai, aku Sebaya" in m.text for m in channel.sent)
        assert await second.dispatcher.replay() == 0
    finally:
        await second.stop()


async def test_each_persons_events_keep_their_order(dialog: Dialog) -> None:
    app = dialog.app
    await dialog.play([("student", "halo"), ("student", "[Oke, lanjut]"),
                       ("student", "[Lainnya]")])
    story = dialog.event("student", Kind.TEXT, "cerita pertama")
    after = dialog.event("student", Kind.TEXT, "pesan kedua")
    other = dialog.event("other", Kind.TEXT, "halo")
    for event in (story, other, after):
        await app.dispatcher.accept(event)
    await app.settle()
    last = [m for m in dialog.channel.sent if m.address == "student"][-2:]
    assert last[0].text.startswith("Seberapa berat")  # the story was taken first
    assert last[1].text.startswith("Aku catat ya")  # then the second text, kept ...
    assert "Ringan" in [b.label for b in last[1].buttons]  # ... re-asking the open question


async def test_per_person_locks_are_released_when_idle(dialog: Dialog) -> None:
    for who in ("a", "b", "c"):
        await dialog.say(who, "halo")
    assert dialog.app.dispatcher._locks == {}  # no lock kept per past visitor
