"""Guru BK supervising peers: list, transcript, take over; every view is audited."""

from __future__ import annotations

from bot.store import audit
from tests.core.test_handoff import case_of, d, open_peer_case, team, to  # noqa: F401
from tests.dialog import Dialog


async def test_kasus_lists_open_cases_with_flags_and_peer(d: Dialog) -> None:  # noqa: F811
    await open_peer_case(d, "s1")
    await d.press("p1", "Terima")
    await d.say("s1", "aku sering dikatain bodoh di kelas")  # a concern flag
    await open_peer_case(d, "s2")
    d.app.clock.advance(minutes=7)
    sent = await d.say("bk", "/kasus")
    listing = to(sent, "bk")[0]
    assert listing.startswith("Kasus terbuka")
    assert "⚠️ #" in listing and "konselor sebaya: Bintang · berjalan · 7 mnt" in listing
    assert "konselor sebaya: - · menunggu" in listing
    async with d.app.store.transaction() as db:
        assert await audit.rows(db, "cases_listed")


async def test_lihat_shows_the_transcript_and_is_audited(d: Dialog) -> None:  # noqa: F811
    await open_peer_case(d)
    await d.press("p1", "Terima")
    await d.say("p1", "Hai, aku dengerin ya")
    await d.say("student", "makasih kak")
    code = (await case_of(d.app)).code
    sent = await d.say("bk", f"/lihat #{code.lower()}")
    text = to(sent, "bk")[0]
    assert text.splitlines()[1:] == ["Konselor sebaya: Hai, aku dengerin ya",
                                     "Siswa: makasih kak"]
    async with d.app.store.transaction() as db:
        [row] = await audit.rows(db, "transcript_viewed")
    assert row["detail"] == {"code": code} and row["actor_key"] == d.app.vault.user_key(
        "test", "bk").value


async def test_ambil_takes_over_from_the_peer(d: Dialog) -> None:  # noqa: F811
    await open_peer_case(d)
    await d.press("p1", "Terima")
    code = (await case_of(d.app)).code
    sent = await d.say("bk", f"/ambil {code}")
    assert "Guru BK sekarang menemanimu" in to(sent, "student")[0]
    assert "Guru BK mengambil alih" in to(sent, "p1")[0]
    sent = await d.say("student", "bu, aku takut")
    assert to(sent, "bk") and not to(sent, "p1")
    sent = await d.say("bk", "Ibu di sini")
    assert to(sent, "student") == ["Guru BK: Ibu di sini"]


async def test_peers_cannot_supervise(d: Dialog) -> None:  # noqa: F811
    sent = await d.say("p1", "/kasus")
    assert "khusus untuk guru BK" in to(sent, "p1")[0]
    sent = await d.say("p1", "/lihat ABCD")
    assert "khusus untuk guru BK" in to(sent, "p1")[0]


async def test_the_queue_position_is_told_honestly(d: Dialog) -> None:  # noqa: F811
    await open_peer_case(d, "s1")
    await d.press("p1", "Terima")
    await open_peer_case(d, "s2")
    await d.press("p2", "Terima")
    sent = await open_peer_case(d, "s3")
    assert "nomor 1 di antrean" in " ".join(to(sent, "s3"))
    sent = await open_peer_case(d, "s4")
    assert "nomor 2 di antrean" in " ".join(to(sent, "s4"))
