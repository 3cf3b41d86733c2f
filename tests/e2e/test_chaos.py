"""Chaos, short form (the full size is bench/chaos_bench.py): the real bot process killed with
SIGKILL at random moments during a multi-party load, and Bot API calls failing at random."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chaos import ChaosPlan, ChaosRun
from tests.conftest import SECRET
from tests.fakebot import FakeBotApi
from tests.fakewa import FakeWhatsApp

pytestmark = pytest.mark.sqlite_only  # reads the SQLite file itself


async def test_sigkill_restarts_lose_nothing_and_leave_every_conversation_consistent(
        fake: FakeBotApi, project: Path, config) -> None:
    plan = ChaosPlan(students=10, crisis_every=5, peers=3, counselors=2, exchanges=3, kills=3,
                     kill_every=(0.6, 1.2), think=(0.02, 0.2), step_timeout=60, seed=11)
    run = ChaosRun(fake, config, project / "config.yaml", SECRET.decode(), plan)
    await run.enrol_staff(SECRET)
    report = await run.run()
    print("\n".join(report.lines()))
    assert run.failures() == []
    assert report.kills == plan.kills
    assert report.student_messages >= 10 * 8


async def test_failing_bot_api_calls_still_deliver_every_alert_in_order(
        fake: FakeBotApi, project: Path, config) -> None:
    plan = ChaosPlan(students=5, crisis_every=2, peers=2, counselors=1, exchanges=2, kills=0,
                     fault_rate=0.2, fault_kinds=("429", "500", "drop_after_delivery"),
                     think=(0.0, 0.05), step_timeout=60, seed=5)
    run = ChaosRun(fake, config, project / "config.yaml", SECRET.decode(), plan)
    await run.enrol_staff(SECRET)
    report = await run.run()
    print("\n".join(report.lines()))
    assert run.failures() == []
    assert report.send_faults > 0
    # (timeouts after delivery take the client's 10 s read timeout each: bench/ runs those)


async def test_whatsapp_students_with_sigkills_redeliveries_and_faults(
        fake: FakeBotApi, project: Path, config) -> None:
    """Students on WhatsApp (re-deliveries, statuses, Graph API faults), staff on Telegram,
    the one process serving both SIGKILLed and restarted."""
    plan = ChaosPlan(students=8, crisis_every=4, peers=3, counselors=2, exchanges=2, kills=2,
                     kill_every=(0.8, 1.5), think=(0.02, 0.2), step_timeout=60, seed=13,
                     fault_rate=0.1, fault_kinds=("429", "500"),
                     wa_fault_kinds=("130429", "500"))  # (131056's 6 s pauses: bench/ runs them)
    wa = FakeWhatsApp()
    await wa.start()
    try:
        run = ChaosRun(fake, config, project / "config.yaml", SECRET.decode(), plan, wa=wa)
        await run.enrol_staff(SECRET)
        report = await run.run()
    finally:
        await wa.stop()
    print("\n".join(report.lines()))
    assert run.failures() == []
    assert report.kills == plan.kills and report.whatsapp_deliveries > report.updates
