"""The principal: invited like staff, signs in from the chat, sees only report and health."""

from __future__ import annotations

import datetime as dt

from bot.staffcli import new_code
from bot.store import invites
from tests.web.conftest import BK, STUDENT, Web
from tests.web.test_pages import crisis

PRINCIPAL = "kepsek"


async def join_as_principal(webview: Web) -> None:
    code = new_code()
    async with webview.app.store.transaction() as db:
        await invites.create(db, webview.app.vault.token_hash(code), "principal", "Pak Kepala",
                             webview.app.clock.now(), dt.timedelta(days=1))
    sent = await webview.dialog.say(PRINCIPAL, f"/join {code}")
    assert "kepala sekolah" in sent[-1].text


async def test_a_principal_sees_only_the_report_and_health(webview: Web) -> None:
    await join_as_principal(webview)
    code = await crisis(webview)
    assert not any(m.address == PRINCIPAL for m in webview.dialog.channel.sent
                   if "BUTUH GURU BK" in m.text)  # no alerts for the principal
    async with webview.client() as client:
        await webview.sign_in(client, PRINCIPAL)
        home = await webview.call(client, "GET", "/")
        assert home.headers["Location"] == "/laporan"
        report = await webview.call(client, "GET", "/laporan")
        assert report.status == 200 and 'href="/kasus"' not in report.text
        assert 'href="/langsung"' not in report.text and code not in report.text
        health = await webview.call(client, "GET", "/kesehatan")
        assert health.status == 200 and code not in health.text
        for path in ("/langsung", "/langsung/bagian", "/kasus", f"/kasus/{code}", "/staf"):
            reply = await webview.call(client, "GET", path)
            assert reply.status == 403 and code not in reply.text, path
        csrf = report.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        reply = await webview.call(client, "POST", f"/kasus/{code}/ambil", data={"csrf": csrf})
        assert reply.status == 403
    async with webview.client() as client:  # guru BK still sees the case waiting
        await webview.sign_in(client, BK)
        assert code in (await webview.call(client, "GET", "/langsung")).text


async def test_the_principal_in_the_chat_gets_only_dasbor(webview: Web) -> None:
    await join_as_principal(webview)
    for text in ("halo", "/kasus", "/onduty", "/lihat ABCD"):
        sent = await webview.dialog.say(PRINCIPAL, text)
        assert "kepala sekolah" in sent[-1].text and "/dasbor" in sent[-1].text, text
    await crisis(webview)
    async with webview.client() as client:
        await webview.sign_in(client, BK)
        live = await webview.call(client, "GET", "/langsung")
    assert "Pak Kepala" not in live.text  # not on duty, never a helper
    sent = await webview.dialog.say(STUDENT, "halo")
    assert all(m.address != PRINCIPAL for m in sent)


def test_the_cli_invites_a_principal(project, capsys, monkeypatch) -> None:
    from bot.cli import main

    monkeypatch.setenv("SEBAYA_SECRET", "s" * 40)
    assert main(["staff", "invite", "--role", "principal", "--name", "Pak Kepala",
                 "--config", str(project / "config.yaml")]) == 0
    assert "Invite for a principal for Pak Kepala" in capsys.readouterr().out
