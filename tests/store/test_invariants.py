"""The invariant checker catches each broken promise: every fix of issue #12 is reverted here
(monkeypatched back to the old behaviour) and the checker must name the rule it breaks; the same
scenario with the fix in place keeps every promise."""

from __future__ import annotations

import pytest

from bot import staffcli
from bot.core import crisis
from bot.core.effects import CancelTimer
from bot.core.events import Kind, SendResult, SendStatus
from bot.store import cases, invariants, staffing, timers
from tests.conftest import SECRET, enrol
from tests.core.test_crisis import CRISIS
from tests.core.test_handoff import open_peer_case
from tests.dialog import Dialog


@pytest.fixture(autouse=True)
def same_secret(monkeypatch) -> None:
    monkeypatch.setenv("SEBAYA_SECRET", SECRET.decode())


@pytest.fixture
async def school(dialog: Dialog) -> Dialog:
    await enrol(dialog.app, "bk1", "counselor", "Bu Rina")
    await enrol(dialog.app, "bk2", "counselor", "Pak Dedi")
    await enrol(dialog.app, "p1", "peer", "Bintang")
    await enrol(dialog.app, "p2", "peer", "Awan")
    return dialog


async def broken(d: Dialog) -> set[str]:
    async with d.app.store.read() as db:
        return {v.rule for v in await invariants.violations(db)}


REVERT = pytest.mark.parametrize("revert", [True, False], ids=["fix reverted", "fixed"])


def expect(found: set[str], rule: str, revert: bool) -> None:
    assert (rule in found) if revert else not found, found


@REVERT
async def test_catches_a_crisis_orphaned_by_staff_removal(school: Dialog, config, monkeypatch,
                                                          revert: bool) -> None:
    async def old_remove(db, key, now):  # before the fix: back to waiting, a peer offer timer
        held = await db.execute_fetchall(
            "SELECT id, student_key FROM cases WHERE assignee_key = ? AND status = 'active'",
            (key.value,))
        for case_id, student in held:
            await db.execute("UPDATE cases SET status = 'waiting', assignee_key = NULL "
                             "WHERE id = ?", (case_id,))
            await timers.start(db, type(key)(student), "offer", now, {"round": 0})
        await db.execute("UPDATE users SET role = 'student' WHERE key = ?", (key.value,))
        return len(held)

    d = school
    await d.say("student", CRISIS)
    await d.press("bk1", "Saya tangani")
    if revert:
        monkeypatch.setattr(staffing, "remove", old_remove)
    await staffcli.remove(config, "Bu Rina", clock=d.app.clock)
    await d.app.settle()  # the offer timer fires and does nothing for a guru BK case
    expect(await broken(d), "crisis_untaken", revert)


@REVERT
async def test_catches_a_light_case_for_guru_bk_nobody_is_reminded_of(school: Dialog, monkeypatch,
                                                                      revert: bool) -> None:
    if revert:  # before the fix: one notice, no timer
        monkeypatch.setattr(crisis, "light_ladder", lambda core, student, now: CancelTimer(
            student, crisis.LADDER_TIMER))
    d = school
    await open_peer_case(d)
    for _ in range(2):
        d.app.clock.advance(minutes=10)
        await d.app.settle()  # two offer rounds unanswered: the case goes to guru BK
    expect(await broken(d), "unreached", revert)


@REVERT
async def test_catches_student_messages_the_helper_never_got(school: Dialog, monkeypatch,
                                                             revert: bool) -> None:
    async def old_mark_relayed(db, case_id):  # before the fix: the accept showed the story only
        return None

    if revert:
        monkeypatch.setattr(cases, "mark_relayed", old_mark_relayed)
    d = school
    await open_peer_case(d)
    await d.say("student", "aku masih nunggu ya")
    data = d.button_data("p1", "Terima")
    await d.app.dispatcher.accept(d.event("p1", Kind.BUTTON, "Terima", data))
    await d.app.settle()
    expect(await broken(d), "unrelayed", revert)


@REVERT
async def test_catches_a_copy_queued_for_a_helper_who_left_the_case(school: Dialog, monkeypatch,
                                                                    revert: bool) -> None:
    d = school
    await open_peer_case(d)
    await d.press("p1", "Terima")
    async def old_unrelay(db, case_id, keep=None):  # before the fix: queued copies stayed
        await db.execute("UPDATE case_messages SET relayed = 0 WHERE case_id = ?", (case_id,))

    if revert:
        monkeypatch.setattr(cases, "_unrelay", old_unrelay)
    d.channel.plan = [SendResult(SendStatus.TRANSIENT, detail="timeout")]  # stays queued
    await d.app.dispatcher.accept(d.event("student", Kind.TEXT, "halo kak"))
    await d.app.settle()
    await d.app.dispatcher.accept(d.event("student", Kind.COMMAND, "/ganti"))
    await d.app.dispatcher.drain()
    expect(await broken(d), "misaddressed", revert)
