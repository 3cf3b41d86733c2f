"""Dialog transcripts of the shipped intake flow, in Bahasa Indonesia and English."""

from __future__ import annotations

from bot.store import cases
from tests.conftest import enrol
from tests.dialog import Dialog

INTAKE_TO_PEER_ID = [
    ("student", "halo"),
    ("bot>student", "Hai, aku Sebaya"),
    ("bot>student", "guru BK akan diberi tahu"),  # consent names the limit of anonymity
    ("student", "[Oke, lanjut]"),
    ("bot>student", "Soal apa yang lagi kamu pikirin?"),
    ("student", "[Pertemanan]"),
    ("bot>student", "Ceritain sedikit"),
    ("student", "aku lagi diem-dieman sama sahabatku"),
    ("bot>student", "Seberapa berat"),
    ("student", "[Lumayan berat]"),
    ("bot>student", "apakah saat ini ada bahaya"),
    ("student", "[Nggak, aman]"),
    ("bot>student", "Ceritamu sudah sampai ke konselor sebaya"),
    ("bot>peer", "Topik: Pertemanan · Berat: 2/3"),
    ("bot>peer", "aku lagi diem-dieman sama sahabatku"),
    ("student", "makasih ya"),
    ("bot>student", "Pesanmu sudah kami catat"),
]

INTAKE_TO_COUNSELOR_EN = [
    ("student", "hi"),
    ("student", "[English, please]"),
    ("bot>student", "Hi, I'm Sebaya"),
    ("bot>student", "the school counselor will be told"),
    ("student", "[OK, let's go]"),
    ("student", "[Bullying]"),
    ("bot>student", "Tell us a little"),
    ("student", "they take my money every day after school"),
    ("student", "[Very heavy]"),
    ("student", "[No, all safe]"),
    ("bot>student", "The school counselor will contact you"),
    ("bot>student", "SEJIWA: 119 ext 8"),
    ("bot>counselor", "Perundungan (bullying) · Berat: 3/3"),
]

SELF_REPORTED_DANGER_ID = [
    ("student", "halo"),
    ("student", "[Oke, lanjut]"),
    ("student", "[Keluarga]"),
    ("student", "[Lewati]"),
    ("bot>student", "Seberapa berat"),
    ("student", "[Ringan]"),
    ("student", "[Iya, ada bahaya]"),
    ("bot>student", "Guru BK akan menghubungimu"),
    ("bot>student", "112"),
    ("bot>counselor", "BUTUH GURU BK SEKARANG"),
    ("bot>counselor", "Kategori: siswa menyatakan merasa tidak aman"),
]

NOT_NOW_ID = [
    ("student", "halo"),
    ("student", "[Nanti aja]"),
    ("bot>student", "Kapan pun kamu mau cerita, ketik /start"),
    ("student", "oke aku mau cerita sekarang"),
    ("bot>student", "Hai, aku Sebaya"),
]


async def _staff(dialog: Dialog) -> None:
    await enrol(dialog.app, "peer", "peer", "Bintang")
    await enrol(dialog.app, "counselor", "counselor", "Bu Rina")


async def _case(dialog: Dialog, who: str = "student"):
    key = dialog.app.vault.user_key("test", who)
    async with dialog.app.store.transaction() as db:
        return await cases.open_for(db, key)


async def test_light_friendship_worry_goes_to_a_peer_in_bahasa(dialog: Dialog) -> None:
    await _staff(dialog)
    await dialog.play(INTAKE_TO_PEER_ID)
    case = await _case(dialog)
    assert case is not None and case.route == "peer" and case.status == "waiting"


async def test_heavy_bullying_goes_to_guru_bk_in_english(dialog: Dialog) -> None:
    await _staff(dialog)
    await dialog.play(INTAKE_TO_COUNSELOR_EN)
    case = await _case(dialog)
    assert case is not None and case.route == "counselor"
    assert not any(m.address == "peer" for m in dialog.channel.sent)


async def test_self_reported_danger_goes_to_guru_bk_whatever_the_topic(dialog: Dialog) -> None:
    await _staff(dialog)
    await dialog.play(SELF_REPORTED_DANGER_ID)
    case = await _case(dialog)
    assert case is not None and case.route == "counselor" and case.level == "crisis"


async def test_not_now_ends_kindly_and_a_later_text_starts_again(dialog: Dialog) -> None:
    await dialog.play(NOT_NOW_ID)
    assert await _case(dialog) is None


async def test_routed_story_and_later_messages_are_kept_on_the_case(dialog: Dialog) -> None:
    await _staff(dialog)
    await dialog.play(INTAKE_TO_PEER_ID)
    case = await _case(dialog)
    async with dialog.app.store.transaction() as db:
        rows = await (await db.execute(
            "SELECT sender, unseal(text) FROM case_messages WHERE case_id = ?",
            (case.id,))).fetchall()
        intake = await (await db.execute("SELECT unseal(intake) FROM cases WHERE id = ?",
                                         (case.id,))).fetchone()
    assert [tuple(r) for r in rows] == [("student", "makasih ya")]
    assert "sahabatku" in intake[0]
