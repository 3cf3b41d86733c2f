"""Guru BK supervising peers: list, transcript, take over; every view is audited."""

from __future__ import annotations

from bot.store import audit
from tests.conftest import enrol
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
    text = to(sent, "bk")[-1]
    assert text.splitlines()[1:] == ["Konselor sebaya: Hai, aku dengerin ya",
                                     "Siswa: makasih kak"]
    async with d.app.store.transaction() as db:
        [row] = await audit.rows(db, "transcript_viewed")
    assert row["detail"] == {"code": code, "case": 1} and row["actor_key"] == \
        d.app.vault.user_key("test", "bk").value


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


async def _close_by_peer(d: Dialog, who: str, note: str = "") -> None:  # noqa: F811
    await d.say("p1", f"/selesai {note}".strip())
    await d.press(who, "4")
    await d.say(who, "kakaknya baik")


async def test_lihat_shows_every_case_of_the_student_with_notes_closing_and_rating(
        d: Dialog) -> None:  # noqa: F811
    await open_peer_case(d)  # case 1: a peer chat, a note, a closing note, a rating
    await d.press("p1", "Terima")
    await d.say("p1", "/catatan siswa lebih tenang setelah ngobrol")
    await _close_by_peer(d, "student", "sudah baikan sama sahabatnya")
    await d.say("student", "aku mau mati aja")  # case 2: a crisis, guru BK closes it
    await d.press("bk", "Saya tangani")
    await d.say("bk", "Ibu di sini, kamu aman sekarang?")
    await d.say("bk", "/selesai aman, orang tua dihubungi, janji temu Senin")
    code = (await _last_case(d)).code
    sent = await d.say("bk", f"/lihat {code}")
    history, transcript = to(sent, "bk")
    assert history.startswith(f"Riwayat #{code}") and "2 cerita" in history
    crisis_at = history.index("🚨 Cerita 2")
    peer_at = history.index("Cerita 1 ·")
    assert crisis_at < peer_at  # newest first, every case, by case
    assert "Tanda bahaya: pikiran atau niat bunuh diri" in history
    assert "guru BK: Bu Rina · selesai" in history
    assert "Catatan penutup: aman, orang tua dihubungi, janji temu Senin" in history
    assert "Cerita awal: aku lagi berantem sama sahabatku" in history
    assert "Catatan Bintang (konselor sebaya)" in history
    assert "siswa lebih tenang setelah ngobrol" in history  # /catatan, visible to guru BK
    assert "oleh Bintang (konselor sebaya). Catatan penutup: sudah baikan" in history
    assert "Penilaian siswa: 4/5 «kakaknya baik»" in history
    assert "Transkrip cerita 2" in transcript and "Ibu di sini" in transcript
    sent = await d.say("bk", f"/lihat {code} 1")  # an earlier case's transcript
    transcript = to(sent, "bk")[-1]
    assert "Transkrip cerita 1" in transcript and "aku mau mati" not in transcript


async def test_lihat_in_english_for_an_english_speaking_counselor(d: Dialog) -> None:  # noqa
    await enrol(d.app, "bk2", "counselor", "Ms Sari")
    async with d.app.store.transaction() as db:  # (staff choose their language at enrolment)
        await db.execute("UPDATE users SET lang = 'en' WHERE key = ?",
                         (d.app.vault.user_key("test", "bk2").value,))
    await open_peer_case(d)
    await d.press("p1", "Terima")
    await d.say("p1", "/catatan calmer now")
    code = (await case_of(d.app)).code
    sent = await d.say("bk2", f"/view {code}")
    history, transcript = to(sent, "bk2")
    assert history.startswith(f"History of #{code}") and "Note by Bintang" in history
    assert transcript.startswith("Transcript of case 1")


async def _last_case(d: Dialog):  # noqa: F811
    key = d.app.vault.user_key("test", "student")
    async with d.app.store.read() as db:
        rows = await db.execute_fetchall("SELECT code FROM cases WHERE student_key = ? "
                                         "ORDER BY id DESC LIMIT 1", (key.value,))
    return type("C", (), {"code": rows[0][0]})


async def test_lihat_of_an_unknown_code_says_so(d: Dialog) -> None:  # noqa: F811
    sent = await d.say("bk", "/lihat ZZZZ")
    assert "Tidak ada kasus dengan kode ZZZZ" in to(sent, "bk")[0]


async def test_lihat_summarises_the_newest_cases_and_reaches_older_ones_by_number(
        d: Dialog) -> None:  # noqa: F811
    from bot.core import supervision

    again = ["halo", "[Pertemanan]", "masih soal sahabatku", "[Lumayan berat]", "[Nggak, aman]"]
    for n in range(supervision.HISTORY_CASES + 2):
        if n == 0:
            await open_peer_case(d)
        else:  # a returning student: welcomed back, straight to the topic
            await d.play([("student", step) for step in again])
        peer = next(m.address for m in reversed(d.channel.sent) if "Ada teman" in m.text)
        await d.press(peer, "Terima")  # the fairest peer: Bintang and Awan take turns
        await d.say(peer, f"/selesai catatan ke-{n + 1}")
        await d.say("student", "/lewati")
    code = (await _last_case(d)).code
    sent = await d.say("bk", f"/lihat {code}")
    history = to(sent, "bk")[0]
    assert "12 cerita" in history and "dan 2 cerita lebih lama" in history
    assert "catatan ke-12" in history and "catatan ke-1\n" not in history + "\n"
    sent = await d.say("bk", f"/lihat {code} 1")
    assert "Transkrip cerita 1" in to(sent, "bk")[-1]
