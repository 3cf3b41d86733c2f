"""The outbox sender: priority, per-recipient order, pause on retry_after, backoff, dead letters."""

from __future__ import annotations

import asyncio

from bot.app import App
from bot.core.effects import PRIORITY_CRISIS
from bot.core.events import SendResult, SendStatus
from bot.store import outbox, users
from tests.dialog import Dialog


async def _queue(app: App, who: str, text: str, priority: int = 0) -> int:
    key = app.vault.user_key("test", who)
    async with app.store.transaction() as db:
        await users.touch(db, key, "test", lambda: app.vault.seal(who), "id", app.clock.now())
        return await outbox.enqueue(db, "test", key.value, app.vault.seal(who), text, (),
                                    priority, app.clock.now(), app.vault.seal)


async def _status(app: App, row_id: int) -> str:
    async with app.store.transaction() as db:
        return (await (await db.execute("SELECT status FROM outbox WHERE id = ?",
                                        (row_id,))).fetchone())[0]


async def test_crisis_priority_goes_first(dialog: Dialog) -> None:
    app = dialog.app
    for i in range(3):
        await _queue(app, "a", f"biasa {i}")
    await _queue(app, "bk", "ALERT", PRIORITY_CRISIS)
    await app.sender.flush()
    assert [m.text for m in dialog.channel.sent] == ["ALERT", "biasa 0", "biasa 1", "biasa 2"]


async def test_a_transient_failure_holds_back_later_messages_to_the_same_person(
        dialog: Dialog) -> None:
    app = dialog.app
    first = await _queue(app, "a", "satu")
    await _queue(app, "a", "dua")
    await _queue(app, "b", "untuk b")
    dialog.channel.plan = [SendResult(SendStatus.TRANSIENT, detail="timeout")]
    await app.sender.send_due()
    assert [m.text for m in dialog.channel.sent] == ["untuk b"]  # "dua" waits behind "satu"
    assert await _status(app, first) == "pending"
    app.clock.advance(seconds=1)
    await app.sender.flush()
    assert [m.text for m in dialog.channel.sent] == ["untuk b"]  # backoff is 2 s, not yet
    app.clock.advance(seconds=2)
    await app.sender.flush()
    assert [m.text for m in dialog.channel.sent] == ["untuk b", "satu", "dua"]


async def test_retry_after_pauses_the_whole_channel(dialog: Dialog) -> None:
    app = dialog.app
    await _queue(app, "a", "satu")
    await _queue(app, "b", "dua")
    dialog.channel.plan = [SendResult(SendStatus.RETRY_AFTER, retry_after=30)]
    await app.sender.flush()
    assert dialog.channel.sent == []
    app.clock.advance(seconds=31)
    await app.sender.flush()
    assert [m.text for m in dialog.channel.sent] == ["satu", "dua"]


async def test_permanent_failure_is_dead_lettered_and_the_rest_goes_on(dialog: Dialog) -> None:
    app = dialog.app
    dead = await _queue(app, "blocked", "halo")
    await _queue(app, "b", "dua")
    dialog.channel.plan = [SendResult(SendStatus.PERMANENT, detail="Forbidden")]
    await app.sender.flush()
    assert await _status(app, dead) == "dead"
    assert [m.text for m in dialog.channel.sent] == ["dua"]


async def test_a_channel_that_raises_does_not_stop_the_sender(dialog: Dialog) -> None:
    app = dialog.app
    row = await _queue(app, "a", "satu")

    async def explode(message):
        raise RuntimeError("adapter bug")

    original = dialog.channel.send
    dialog.channel.send = explode  # type: ignore[method-assign]
    assert await app.sender.send_due() == 0
    assert await _status(app, row) == "pending"
    dialog.channel.send = original  # type: ignore[method-assign]
    app.clock.advance(seconds=5)
    await app.sender.flush()
    assert await _status(app, row) == "sent"


async def test_a_crisis_alert_is_not_stuck_behind_ordinary_traffic_in_backoff(
        dialog: Dialog) -> None:
    app = dialog.app
    await _queue(app, "bk", "biasa")
    dialog.channel.plan = [SendResult(SendStatus.TRANSIENT, detail="timeout")]
    await app.sender.send_due()
    # the failed drain's bookkeeping (recorded, recipient lock freed on PostgreSQL) finishes in
    # the background: wait for it, so the row is in backoff, not in flight (nothing is due)
    assert await app.sender.flush() == 0
    await _queue(app, "bk", "ALERT", PRIORITY_CRISIS)
    await app.sender.send_due()
    assert [m.text for m in dialog.channel.sent] == ["ALERT"]


async def test_a_slow_send_holds_up_only_its_own_recipient(dialog: Dialog) -> None:
    """Regression: a pass waited for its slowest send (a 10 s timeout) before serving anyone
    else, so under 20% faults the whole bot crawled at a few messages a second."""
    app = dialog.app
    release = asyncio.Event()
    original = dialog.channel.send

    async def slow_for_a(message):
        if message.address == "a":
            await release.wait()
        return await original(message)

    dialog.channel.send = slow_for_a  # type: ignore[method-assign]
    texts = lambda: [m.text for m in dialog.channel.sent]  # noqa: E731
    await _queue(app, "a", "lambat")
    loop = asyncio.create_task(app.sender.run())
    try:
        await asyncio.sleep(0.05)
        await _queue(app, "b", "cepat")
        await _queue(app, "a", "kedua")
        app.sender.wake.set()
        for _ in range(200):
            if texts():
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        assert texts() == ["cepat"]  # b is served; a's second message waits behind its first
        release.set()
        for _ in range(200):
            if len(texts()) == 3:
                break
            await asyncio.sleep(0.01)
        assert texts() == ["cepat", "lambat", "kedua"]
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)


async def test_a_channel_pause_is_not_counted_as_an_attempt(dialog: Dialog) -> None:
    """Regression: rows held back by a 429 pause had their attempts raised, so a later timeout
    backed off for minutes instead of seconds."""
    app = dialog.app
    await _queue(app, "a", "satu")
    held = await _queue(app, "b", "dua")
    dialog.channel.plan = [SendResult(SendStatus.RETRY_AFTER, retry_after=30)]
    await app.sender.send_due()
    async with app.store.transaction() as db:
        attempts = dict(await (await db.execute("SELECT id, attempts FROM outbox")).fetchall())
    assert attempts[held] == 0
