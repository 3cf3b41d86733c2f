"""A peer's nickname may not pass for staff or an authority ("Guru BK", "Admin", "Konselor",
"BK", "Polisi" ...): refused kindly, with the reason, in the peer's language (issue #13, an
outside tester). Students read every peer message as "{name} (konselor sebaya)"."""

from __future__ import annotations

import pytest

from bot import staffcli
from bot.core.events import Kind
from bot.core.pseudonym import impersonates
from bot.store import audit
from tests.conftest import SECRET, enrol
from tests.dialog import Dialog, to

REFUSED = ["Guru BK", "guru bk", "GuruBK", "Admin", "Administrator", "Konselor", "BK",
           "Polisi", "Pak Budi", "Bu Rina", "Kepala Sekolah", "Sebaya Official", "Mr Bean",
           "Counselor Jo", "Police", "Dokter Cinta", "Moderator"]
ALLOWED = ["Bintang", "Kak Awan", "Bulan Sabit", "Budi", "Rina", "Ibnu", "Bunga", "Admira",
           "Langit Biru", "Jo", "Pakis"]


@pytest.mark.parametrize("name", REFUSED)
def test_names_that_pass_for_staff_or_an_authority_are_refused(name: str) -> None:
    assert impersonates(name)


@pytest.mark.parametrize("name", ALLOWED)
def test_ordinary_nicknames_pass(name: str) -> None:
    assert not impersonates(name)


@pytest.fixture(autouse=True)
def same_secret(monkeypatch) -> None:
    monkeypatch.setenv("SEBAYA_SECRET", SECRET.decode())


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_a_new_peer_choosing_guru_bk_is_told_why_and_asked_again(
        dialog: Dialog, config, lang: str) -> None:
    code = await staffcli.invite(config, "peer", "Dewi", days=7, clock=dialog.app.clock)
    await dialog.deliver(dialog.event("dewi", Kind.COMMAND, f"/join {code}", lang_hint=lang))
    why = {"id": "mengira kamu guru BK", "en": "think you are the school counselor"}[lang]
    for name in ("Guru BK", "Admin", "Polisi"):
        [told] = to(await dialog.say("dewi", name), "dewi")
        assert why in told
    [ok, *_] = to(await dialog.say("dewi", "Bintang"), "dewi")
    assert "Bintang" in ok
    async with dialog.app.store.read() as db:
        assert len(await audit.rows(db, "pseudonym_refused")) == 3


async def test_renaming_to_konselor_with_nama_is_refused_too(dialog: Dialog) -> None:
    await enrol(dialog.app, "p1", "peer", "Bintang")
    [told] = to(await dialog.say("p1", "/nama Konselor"), "p1")
    assert "mengira kamu guru BK" in told
    [kept] = to(await dialog.say("p1", "/nama Awan"), "p1")
    assert "Awan" in kept
