"""Reply windows, held messages, delivery reports and long-lived dedup keys: the runtime's side
of channels like WhatsApp, with a recording channel and the manual clock (no real sleeps)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from bot.app import App
from bot.channels.base import DeliveryReport
from bot.core.effects import PRIORITY_CRISIS, Send
from bot.core.events import Button, OutboundMessage, SendResult, SendStatus
from bot.core.features import standard_registry
from bot.core.keys import UserKey
from bot.runtime.effects import purpose_of
from bot.store import inbox, outbox, retention, users
from bot.store.db import ts
from bot.store.users import UserRow
from tests.conftest import SECRET
from tests.dialog import Dialog, RecordingChannel


class WindowedChannel(RecordingChannel):
    """Like WhatsApp: free-form only within 24 hours of the person's last message."""

    reply_window = dt.timedelta(hours=24)
    hold_for = dt.timedelta(hours=72)
    reports_delivery = True

    def __init__(self) -> None:
        super().__init__()
        self.held: list[OutboundMessage] = []

    async def send(self, message: OutboundMessage) -> SendResult:
        if not message.window_open:
            self.held.append(message)
            return SendResult(SendStatus.HELD, detail="window closed")
        result = await super().send(message)
        return SendResult(result.status, result.retry_after, result.detail,
                          ref=f"ref{len(self.sent)}") if result.status is SendStatus.OK \
            else result


@pytest.fixture
async def windowed(config, clock) -> AsyncIterator[Dialog]:
    channel = WindowedChannel()
    app = await App.build(config, {channel.name: channel}, clock=clock, secret=SECRET)
    yield Dialog(app, channel)
    await app.stop()


async def _queue(app: App, who: str, text: str) -> int:
    key = app.vault.user_key("test", who)
    async with app.store.transaction() as db:
        user = await users.get(db, key)
        assert user is not None
        return await outbox.enqueue(db, "test", key.value, user.address, text, (), 0,
                                    app.clock.now(), app.vault.seal)


async def _row(app: App, row_id: int) -> dict:
    async with app.store.read() as db:
        rows = await db.execute_fetchall("SELECT * FROM outbox WHERE id = ?", (row_id,))
    return dict(rows[0])


async def test_messages_wait_for_a_closed_window_and_go_when_the_person_writes(
        windowed: Dialog) -> None:
    app, channel = windowed.app, windowed.channel
    await windowed.say("s1", "halo")
    assert channel.sent  # inside the window: answered at once
    app.clock.advance(hours=25)
    held = await _queue(app, "s1", "balasan yang terlambat")
    await app.settle()
    assert (await _row(app, held))["last_error"] == "held"
    assert "balasan yang terlambat" in [m.text for m in channel.held]  # (and the idle nudge)
    later = await _queue(app, "s1", "satu lagi")  # a held row holds nothing back
    await app.settle()
    assert (await _row(app, later))["last_error"] == "held"
    before = len(channel.sent)
    waiting = len(channel.held)
    await windowed.say("s1", "/help")  # they write: the window opens, held ones go first
    texts = [m.text for m in channel.sent[before:]]
    assert texts[:waiting] == [m.text for m in channel.held]  # in their order
    assert texts[0] == "balasan yang terlambat" and "satu lagi" in texts
    assert any("/hapus" in t for t in texts[waiting:])  # then the answer to /help


async def test_a_held_message_is_dropped_after_hold_for_with_a_record(windowed: Dialog) -> None:
    app = windowed.app
    await windowed.say("s1", "halo")
    app.clock.advance(hours=25)
    held = await _queue(app, "s1", "tidak akan sampai")
    await app.settle()
    app.clock.advance(hours=73)
    await app.settle()
    row = await _row(app, held)
    assert row["status"] == "dead" and "no reply window" in row["last_error"]
    async with app.store.read() as db:
        dropped = await db.execute_fetchall(
            "SELECT detail FROM audit WHERE action = 'message_dropped'")
    assert str(held) in " ".join(r[0] for r in dropped)  # (with the idle nudge's messages)


async def test_delivery_reports_are_monotonic_and_wipe_the_words(windowed: Dialog) -> None:
    app = windowed.app
    await windowed.say("s1", "halo")
    row = await _queue(app, "s1", "pesan")
    await app.settle()
    ref = (await _row(app, row))["platform_ref"]
    assert ref and (await _row(app, row))["payload"] != b""  # kept until delivered
    for state in ("read", "sent", "delivered", "failed"):
        await app.sender.delivery_reports("test", [DeliveryReport(ref, state, "permanent",
                                                                  "131026")])
    after = await _row(app, row)
    assert after["delivery"] == "read" and after["status"] == "sent"  # never downgraded
    assert after["payload"] == b""


async def test_a_failed_report_sends_again_or_dead_letters(windowed: Dialog) -> None:
    app, channel = windowed.app, windowed.channel
    await windowed.say("s1", "halo")
    first = await _queue(app, "s1", "satu")
    await app.settle()
    ref = (await _row(app, first))["platform_ref"]
    assert await app.sender.delivery_reports("test", [DeliveryReport(
        ref, "failed", "window", "131047")]) == 1
    await app.settle()  # the window is now closed: the row waits for the person
    assert (await _row(app, first))["last_error"] == "held"
    assert [m.text for m in channel.held] == ["satu"]
    app.clock.advance(seconds=5)
    await windowed.say("s1", "masih di sini")  # it goes once they write
    assert "satu" in [m.text for m in channel.sent]
    ref = (await _row(app, first))["platform_ref"]
    await app.sender.delivery_reports("test", [DeliveryReport(ref, "failed", "permanent",
                                                              "131026")] * 2)  # repeated
    dead = await _row(app, first)
    assert dead["status"] == "dead" and dead["delivery"] == "failed"
    async with app.store.read() as db:
        user = await users.get(db, app.vault.user_key("test", "s1"))
    assert user is not None and user.unreachable_since


async def test_unknown_refs_are_ignored(windowed: Dialog) -> None:
    assert await windowed.app.sender.delivery_reports(
        "test", [DeliveryReport("nope", "delivered")]) == 0


async def test_dedup_keys_outlive_the_purge_of_processed_rows(dialog: Dialog) -> None:
    app = dialog.app
    now = app.clock.now()
    async with app.store.transaction() as db:
        row = await inbox.insert(db, "whatsapp", "m-abc", "k", b"x", now)
        assert row is not None
        await inbox.finish(db, row, now)
        await retention.purge(db, now, now, now + dt.timedelta(days=1),
                              seen_before=now - dt.timedelta(days=14))
        assert await inbox.insert(db, "whatsapp", "m-abc", "k", b"x", now) is None  # seen
        again, new = await inbox.insert_many(db, [("whatsapp", "m-abc", "k", b"x"),
                                                  ("whatsapp", "m-new", "k", b"x")], now)
        assert again is None and new is not None
        await retention.purge(db, now, now, now, seen_before=now + dt.timedelta(days=15))
        assert await inbox.insert(db, "whatsapp", "m-abc", "k", b"x", now) is not None
        rows = await db.execute_fetchall("SELECT COUNT(*) FROM inbox_seen")
    assert rows[0][0] == 0


async def test_the_daily_purge_keeps_dedup_keys_fourteen_days(dialog: Dialog) -> None:
    app = dialog.app
    await app.ensure_retention()
    await dialog.say("s1", "halo")
    dialog.app.clock.advance(days=8)  # processed rows go after 7 days
    await dialog.tick(days=1)
    async with app.store.read() as db:
        assert (await db.execute_fetchall("SELECT COUNT(*) FROM inbox"))[0][0] <= 1
        seen = await db.execute_fetchall("SELECT received_at FROM inbox_seen")
    assert seen and seen[0][0] < ts(app.clock.now() - dt.timedelta(days=7))


def _user(role: str) -> UserRow:
    return UserRow(UserKey("k"), "whatsapp", role, "Kucing Biru", "K7Q2", None, "id", b"")


def test_purposes_decide_what_a_template_may_carry() -> None:
    take = (Button("Saya tangani", "k:take:K7Q2"),)
    student, counselor = _user("student"), _user("counselor")
    assert purpose_of(counselor, Send(UserKey("k"), "alert", take, case="K7Q2",
                                      audience="staff")) == "alert"
    assert purpose_of(counselor, Send(UserKey("k"), "x", (), PRIORITY_CRISIS, case="K7Q2",
                                      audience="staff")) == "alert"
    assert purpose_of(counselor, Send(UserKey("k"), "relay", case="K7Q2",
                                      audience="helper")) == "notice"
    assert purpose_of(counselor, Send(UserKey("k"), "/help answer")) == ""
    assert purpose_of(counselor, Send(UserKey("k"), "x"), "reminder") == "reminder"
    assert purpose_of(counselor, Send(UserKey("k"), "offer", take, case="K7Q2",
                                      audience="staff"), "queue") == "alert"
    assert purpose_of(student, Send(UserKey("k"), "x"), "queue") == "queue"
    assert purpose_of(student, Send(UserKey("k"), "x", take)) == ""
    timer_context = standard_registry().timer_context  # declared with each timer kind
    assert timer_context("appt_reminder") == timer_context("group:3") == "reminder"
    assert timer_context("appt_reminder:AB12") == "reminder"
    assert timer_context("offer") == timer_context("crisis_ladder") == "queue"
    assert timer_context("flow_idle") == ""


async def test_a_failure_that_overtakes_its_send_is_looked_at_again(windowed: Dialog,
                                                                    monkeypatch) -> None:
    app = windowed.app
    later: list = []
    monkeypatch.setattr(app.sender, "_later", later.append)
    await windowed.say("s1", "halo")
    assert await app.sender.delivery_reports("test", [
        DeliveryReport("not-yet", "failed", "permanent", "131026"),
        DeliveryReport("nope", "delivered")]) == 0
    assert len(later) == 1  # only the failure is tried again (a moment later)
    later[0].close()


async def test_what_staff_should_answer_waits_only_staff_hold_for(windowed: Dialog) -> None:
    """A helper who does not write again within the hour: the case goes on without them."""
    from tests.conftest import enrol

    app, channel = windowed.app, windowed.channel
    channel.staff_hold_for = dt.timedelta(minutes=60)  # type: ignore[attr-defined]
    await enrol(app, "p1", "peer", "Bintang")
    await windowed.play([("s1", "halo"), ("s1", "[Oke, lanjut]"), ("s1", "[Pertemanan]"),
                         ("s1", "aku berantem sama sahabatku"), ("s1", "[Lumayan berat]"),
                         ("s1", "[Nggak, aman]")])
    await windowed.say("p1", "/onduty")  # (the peer writes: their window opens)
    await windowed.press("p1", "Terima")
    app.clock.advance(hours=25)  # a day later the student writes; the peer has been silent
    await windowed.say("s1", "kak masih di sana?")
    relay = [m for m in channel.held if "kak masih" in m.text]
    assert relay and relay[0].purpose == "notice"
    await windowed.tick(minutes=61)
    async with app.store.read() as db:
        rows = await db.execute_fetchall(
            "SELECT status, last_error FROM outbox WHERE purpose = 'notice'")
        case = await db.execute_fetchall("SELECT status, assignee_key FROM cases")
    assert ("dead", "held: no reply window") in [tuple(r) for r in rows]
    assert tuple(case[0]) == ("waiting", None)  # back in the queue, offered again
