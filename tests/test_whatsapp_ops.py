"""WhatsApp in the operator's commands: `sebaya run` refuses a half configuration, `check-flows`
notes buttons WhatsApp shows differently, `doctor` names what needs the operator."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot import operations
from bot.cli import main
from bot.config import WhatsApp
from bot.store import audit
from tests.conftest import ROOT
from tests.dialog import Dialog


def test_run_refuses_a_half_configured_whatsapp(project: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WHATSAPP_"))}
    env.update(SEBAYA_SECRET="a-long-enough-test-secret", WHATSAPP_ACCESS_TOKEN="x" * 20,
               WHATSAPP_PHONE_NUMBER_ID="1000001")
    result = subprocess.run([sys.executable, "-m", "bot", "run", "--config",
                             str(project / "config.yaml")], capture_output=True, text=True,
                            timeout=60, env=env, cwd=ROOT)
    assert result.returncode == 2
    assert "WHATSAPP_APP_SECRET" in result.stderr and "x" * 20 not in result.stderr


def test_check_flows_notes_what_whatsapp_shows_differently(project: Path, capsys) -> None:
    assert main(["check-flows", "--config", str(project / "config.yaml")]) == 0
    out = capsys.readouterr().out
    assert "5 flow(s) OK, 0 warning(s)" in out
    assert "intake.yaml:33: whatsapp: state 'topic' (id, en): 7 buttons: shown as a list" in out
    assert "cut to 24 characters" in out


async def test_doctor_names_whatsapp_problems(dialog: Dialog, monkeypatch) -> None:
    monkeypatch.setenv("SEBAYA_SECRET", "x" * 20)
    app = dialog.app
    await app.enrol_local_staff("whatsapp", "w1", "6281200000001", "counselor", "Bu Rina")
    checks = {c.label: c for c in operations.doctor(app.config)}
    assert checks["whatsapp alert template"].ok  # the shipped config has one
    bare = app.config.model_copy(update={"whatsapp": WhatsApp()})
    checks = {c.label: c for c in operations.doctor(bare)}
    assert not checks["whatsapp alert template"].ok
    assert "can only be reached on WhatsApp" in checks["whatsapp alert template"].detail
    async with app.store.transaction() as db:
        await audit.record(db, None, "whatsapp_operator_error", {"code": 190}, app.clock.now())
        await audit.record(db, None, "whatsapp_bad_signature", {"reason": "wrong"},
                           app.clock.now())
    checks = {c.label: c for c in operations.doctor(app.config, now=app.clock.now())}
    assert not checks["whatsapp errors for the operator (7 days)"].ok
    assert "190" in checks["whatsapp errors for the operator (7 days)"].detail
    assert not checks["whatsapp webhook signatures (7 days)"].ok
    assert checks["whatsapp messages waiting for a reply window"].ok
