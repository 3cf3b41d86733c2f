"""Transcripts of the BK services beyond intake: menu, information, self-help, appointments and
group sessions, in Bahasa Indonesia and English (the shipped flows and texts)."""

from __future__ import annotations

import pytest

from bot.core.events import Kind
from bot.store import audit
from tests.conftest import enrol
from tests.dialog import Dialog, case_of, to

MENU_INFO_ID = [
    ("student", "/menu"),
    ("bot>student", "Mau ngapain hari ini?"),
    ("student", "[ℹ️ Info BK & cara kerja Sebaya]"),
    ("bot>student", "Mau tahu tentang apa?"),
    ("student", "[Apa itu BK & di mana]"),
    ("bot>student", "Ruang BK, lantai 1"),  # from config.yaml
    ("bot>student", "Senin-Jumat 07.00-15.00"),
    ("student", "[Info lainnya]"),
    ("student", "[Cara kerja Sebaya & privasi]"),
    ("bot>student", "hanya melihat nama samaran"),
    ("bot>student", "/hapus"),
    ("student", "[Info lainnya]"),
    ("student", "[Orientasi siswa baru]"),
    ("bot>student", "Selamat datang di SMP Negeri Contoh"),
    ("student", "[Info lainnya]"),
    ("student", "[Info belajar & karier]"),
    ("bot>student", "memetakan minat"),
    ("student", "[Sudah, makasih]"),
    ("bot>student", "ketik /menu"),
]

MENU_INFO_EN = [
    ("student", "/language"),
    ("student", "[English]"),
    ("student", "/menu"),
    ("bot>student", "What would you like to do today?"),
    ("student", "[ℹ️ About BK & how Sebaya works]"),
    ("student", "[What BK is & where]"),
    ("bot>student", "Guidance and Counseling (BK)"),
    ("bot>student", "Ruang BK, lantai 1"),
    ("student", "[More info]"),
    ("student", "[How Sebaya works & privacy]"),
    ("bot>student", "only see a nickname"),
]

BREATHING_ID = [
    ("student", "halo"),
    ("student", "[Lihat menu lain]"),  # the menu is one press from the first hello
    ("student", "[🌿 Latihan menenangkan diri]"),
    ("bot>student", "Pilih latihan"),
    ("student", "[Napas kotak]"),
    ("bot>student", "Tarik napas lewat hidung"),
    ("student", "[Lanjut]"),
    ("bot>student", "Tahan napas"),
    ("student", "[Lanjut]"),
    ("student", "[Sudah]"),
    ("bot>student", "Gimana rasanya sekarang?"),
    ("student", "[Lebih baik]"),
    ("bot>student", "Senang mendengarnya"),
]

GROUNDING_EN = [
    ("student", "/language"),
    ("student", "[English]"),
    ("student", "/menu"),
    ("student", "[🌿 Calm-down exercises]"),
    ("student", "[5-4-3-2-1]"),
    ("bot>student", "5 things you can see"),
    ("student", "[Next]"),
    ("bot>student", "3 sounds you can hear"),
    ("student", "[Done]"),
    ("bot>student", "How do you feel now?"),
    ("student", "[Try another one]"),
    ("student", "[Exam stress]"),
    ("bot>student", "Study 25 minutes"),
    ("student", "[Okay]"),
    ("student", "[Talk to a peer supporter]"),
    ("bot>student", "Hi, I'm Sebaya"),  # straight into intake
]


@pytest.mark.parametrize("script", [MENU_INFO_ID, MENU_INFO_EN, BREATHING_ID, GROUNDING_EN],
                         ids=["info-id", "info-en", "breathing-id", "grounding-en"])
async def test_menu_information_and_self_help(dialog: Dialog, script) -> None:
    await dialog.play(script)


async def test_self_help_uses_are_counted_anonymously(dialog: Dialog) -> None:
    await dialog.play(BREATHING_ID)
    async with dialog.app.store.transaction() as db:
        rows = await audit.rows(db, "service_used")
    assert [(r["actor_key"], r["detail"]) for r in rows] == [
        (None, {"service": "selfhelp_breathing"})]


async def test_self_help_not_safe_goes_straight_to_guru_bk(dialog: Dialog) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await dialog.play([("student", "/menu"), ("student", "[🌿 Latihan menenangkan diri]"),
                       ("student", "[Susah tidur]"), ("student", "[Oke]")])
    sent = await dialog.press("student", "Masih berat, aku merasa tidak aman")
    assert any("BUTUH GURU BK SEKARANG" in t for t in to(sent, "bk"))
    assert (await case_of(dialog.app)).level == "crisis"


async def test_a_flow_waiting_for_a_peer_can_do_self_help_meanwhile(dialog: Dialog) -> None:
    await enrol(dialog.app, "p1", "peer", "Bintang")
    from tests.core.test_handoff import PEER_CASE
    await dialog.play([("student", s) for s in PEER_CASE])
    await dialog.play([("student", "/menu"), *BREATHING_ID[2:]])  # the case stays open
    assert (await case_of(dialog.app)).status == "waiting"


def _db_bytes(dialog: Dialog) -> bytes:
    path = dialog.app.config.database_path
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*")
                    if not p.name.endswith(".secret"))


APPOINTMENT_ANON_ID = [
    ("student", "/menu"),
    ("student", "[📅 Janji temu guru BK]"),
    ("bot>student", "Mau tetap anonim"),
    ("student", "[Tetap anonim]"),
    ("bot>student", "Mau membicarakan soal apa?"),
    ("student", "[Belajar / akademik]"),
    ("bot>student", "Pilih waktu yang cocok"),
    ("student", "[Selasa 24/11 09.00]"),  # tomorrow: the clock is Monday 23/11 08.00 WIB
    ("bot>student", "Permintaanmu untuk Selasa 24/11 09.00 sudah dikirim ke guru BK"),
    ("bot>bk", "Permintaan janji temu"),
    ("bot>bk", "anonim"),
    ("bk", "[Konfirmasi]"),
    ("bot>student", "Janji temumu dikonfirmasi"),
    ("bot>student", "Ruang BK, lantai 1"),
    ("bot>bk", "dikonfirmasi untuk Selasa 24/11 09.00"),
]


async def test_anonymous_appointment_confirmed_and_reminded(dialog: Dialog) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await dialog.play(APPOINTMENT_ANON_ID)
    sent = await dialog.tick(hours=23, minutes=59)  # Tuesday 07.59: not yet
    assert not to(sent, "student")
    sent = await dialog.tick(minutes=1)  # an hour before
    assert "Pengingat: janji temu dengan guru BK Selasa 24/11 09.00" in to(sent, "student")[0]
    assert "Pengingat: janji temu" in to(sent, "bk")[0]


async def test_named_appointment_needs_consent_and_the_name_is_sealed(dialog: Dialog) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await enrol(dialog.app, "p1", "peer", "Bintang")
    await dialog.play([
        ("student", "/language"), ("student", "[English]"), ("student", "/menu"),
        ("student", "[📅 Appointment with the counselor]"),
        ("student", "[Share name & class]"),
        ("bot>student", "seen only by the school counselor"),
        ("student", "[Yes, I agree]"),
        ("student", "[Careers / further study]"),
        ("student", "[Wednesday 25/11 11.00]"),
        ("bot>student", "Write your name and class"),
        ("student", "Kartika Sari, 9C"),
        ("bot>student", "Your request for Wednesday 25/11 11.00 was sent"),
        ("bot>bk", "Kartika Sari, 9C (siswa setuju namanya dilihat guru BK saja)"),
    ])
    assert not any("Kartika" in t for t in to(dialog.channel.sent, "p1"))  # never to peers
    assert b"Kartika" not in _db_bytes(dialog)  # sealed at rest; the delivered copy is wiped
    async with dialog.app.store.transaction() as db:
        [row] = await audit.rows(db, "appointment_requested")
        consent = await (await db.execute(
            "SELECT consent_at IS NOT NULL, identity IS NOT NULL FROM appointments")).fetchone()
        conv = await (await db.execute("SELECT unseal(vars) FROM conversations")).fetchall()
    assert row["detail"] == {"identity_shared_with_consent": True}
    assert tuple(consent) == (1, 1)
    assert not any("Kartika" in r[0] for r in conv)  # not kept in the conversation either


async def test_declining_consent_keeps_the_request_anonymous(dialog: Dialog) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    sent = []
    await dialog.play([("student", "/menu"), ("student", "[📅 Janji temu guru BK]"),
                       ("student", "[Sebutkan nama & kelas]"),
                       ("student", "[Tidak, tetap anonim]"), ("student", "[Keluarga]")])
    sent = await dialog.press("student", "Rabu 25/11 13.00")
    assert "anonim" in to(sent, "bk")[0] and "Tulis nama" not in " ".join(to(sent, "student"))


async def test_decline_reschedule_then_cancel(dialog: Dialog) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await dialog.play(APPOINTMENT_ANON_ID[:9])
    sent = await dialog.press("bk", "Minta waktu lain")
    assert "belum bisa di Selasa 24/11 09.00" in to(sent, "student")[0]
    sent = await dialog.press("student", "Kamis 26/11 11.00")
    assert "memilih waktu lain untuk janji temu" in to(sent, "bk")[0]
    await dialog.press("bk", "Konfirmasi")
    sent = await dialog.say("student", "/janji")
    assert "Kamis 26/11 11.00 (sudah dikonfirmasi)" in to(sent, "student")[0]
    sent = await dialog.press("student", "Batalkan janji")
    assert "sudah dibatalkan" in to(sent, "student")[0]
    assert "dibatalkan oleh siswa" in to(sent, "bk")[0]
    assert not to(await dialog.tick(days=4), "student")  # no reminder for a cancelled one
    sent = await dialog.say("student", "/janji")
    assert "belum punya janji temu" in to(sent, "student")[0]


async def test_forged_and_stale_appointment_buttons_are_refused(dialog: Dialog) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await enrol(dialog.app, "p1", "peer", "Bintang")
    from bot.core.events import Kind
    sent = await dialog.deliver(dialog.event("student", Kind.BUTTON, "x", "ap:slot:203001010900"))
    assert to(sent, "student") and not to(sent, "bk")  # a forged time requests nothing
    sent = await dialog.deliver(dialog.event("student", Kind.BUTTON, "x", "ap:ok:ABCD"))
    assert "sudah tidak aktif" in to(sent, "student")[0]  # students cannot confirm
    async with dialog.app.store.transaction() as db:
        assert len(await audit.rows(db, "button_refused")) == 2
    await dialog.play(APPOINTMENT_ANON_ID[:9])
    data = dialog.button_data("bk", "Konfirmasi")
    sent = await dialog.deliver(dialog.event("p1", Kind.BUTTON, "Konfirmasi", data))
    assert "khusus untuk guru BK" in to(sent, "p1")[0]
    await dialog.press("bk", "Konfirmasi")
    sent = await dialog.deliver(dialog.event("bk", Kind.BUTTON, "Konfirmasi", data))
    assert "sudah ditangani Bu Rina" in to(sent, "bk")[0]
    sent = await dialog.deliver(dialog.event("bk", Kind.BUTTON, "x", "ap:ok:ZZZZ"))
    assert "sudah tidak aktif" in to(sent, "bk")[0]


async def test_group_session_sign_up_is_anonymous_and_counted(dialog: Dialog) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    sent = await dialog.say("bk", "/sesi")
    assert "Belum ada sesi" in to(sent, "bk")[0]
    for bad in ("/sesi Stres ujian", "/sesi Stres | besok | Ruang BK | 10",
                "/sesi Stres | 2026-11-20 13:00 | Ruang BK | 10"):
        assert "Buat sesi" in to(await dialog.say("bk", bad), "bk")[0] or "Waktunya" in \
            to(dialog.channel.sent, "bk")[-1]
    sent = await dialog.say("bk", "/sesi Kelola stres ujian | 2026-11-26 13:00 | Aula | 2")
    assert "dibuat: Kamis 26/11 13.00, Aula, 2 kursi" in to(sent, "bk")[0]
    for student in ("s1", "s2"):
        await dialog.play([(student, "/menu"), (student, "[👥 Sesi kelompok]")])
        sent = await dialog.press(student, "Daftar: Kelola stres ujian")
        assert "Kamu terdaftar di sesi" in to(sent, student)[0]
    await dialog.play([("s3", "/menu"), ("s3", "[👥 Sesi kelompok]")])
    sent = await dialog.press("s3", "Daftar: Kelola stres ujian")
    assert "sudah penuh" in to(sent, "s3")[0]
    listing = to(await dialog.say("bk", "/sesi"), "bk")[0]
    assert "terdaftar 2/2" in listing and "s1" not in listing
    await dialog.play([("s1", "/menu"), ("s1", "[👥 Sesi kelompok]")])
    await dialog.press("s1", "Batal ikut: Kelola stres ujian")
    assert "terdaftar 1/2" in to(await dialog.say("bk", "/sesi"), "bk")[0]
    sent = await dialog.tick(days=3, hours=4)  # Thursday 12.00: an hour before
    assert to(sent, "s1") == [] and "Pengingat: sesi kelompok" in to(sent, "s2")[0]


async def test_students_cannot_create_group_sessions(dialog: Dialog) -> None:
    sent = await dialog.say("student", "/sesi Pesta | 2026-11-26 13:00 | Aula | 99")
    assert "khusus staf" in to(sent, "student")[0] or "staf" in to(sent, "student")[0]


async def test_group_sessions_in_english(dialog: Dialog) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await dialog.say("bk", "/sesi Healthy friendships | 2026-11-27 10:00 | Library | 8")
    await dialog.play([
        ("student", "/language"), ("student", "[English]"), ("student", "/menu"),
        ("student", "[👥 Group sessions]"),
        ("bot>student", "Sign-up is anonymous"),
        ("bot>student", "Healthy friendships · Friday 27/11 10.00 · Library · 8 seats left"),
        ("student", "[Join: Healthy friendships]"),
        ("bot>student", "You're signed up for \"Healthy friendships\""),
        ("student", "/menu"), ("student", "[👥 Group sessions]"),
        ("bot>student", "7 seats left"),
        ("student", "[Leave: Healthy friendships]"),
        ("bot>student", "You left the session"),
    ])


async def test_a_confirmed_request_loses_its_buttons_for_every_counselor(dialog: Dialog) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await enrol(dialog.app, "bk2", "counselor", "Pak Budi")
    await dialog.play(APPOINTMENT_ANON_ID[:9])
    requests = {(m.address, str(i)) for i, m in enumerate(dialog.channel.sent)
                if m.buttons and m.buttons[0].data.startswith("ap:ok:")}
    assert {a for a, _ in requests} == {"bk", "bk2"}
    await dialog.press("bk2", "Konfirmasi")
    assert {(m.address, m.edit_ref) for m in dialog.channel.edits} == requests


async def test_concern_flags_survive_a_hand_over_to_a_service(dialog: Dialog) -> None:
    """Regression: opening the group sessions from the menu dropped the concern flags the
    student's earlier words had raised (the next case would have opened without them)."""
    await dialog.say("student", "aku merasa sendirian dan tidak berharga")
    await dialog.play([("student", "/menu"), ("student", "[👥 Sesi kelompok]")])
    async with dialog.app.store.transaction() as db:
        [row] = await (await db.execute("SELECT unseal(vars) FROM conversations")).fetchall()
    assert "risk_flags" in row[0]


async def test_appointment_buttons_that_notify_guru_bk_are_rate_limited(dialog: Dialog) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await dialog.play(APPOINTMENT_ANON_ID[:8])  # one request: guru BK is told
    data = dialog.button_data("student", "Selasa 24/11 09.00")
    before = len(to(dialog.channel.sent, "bk"))
    for _ in range(20):  # the old slot button pressed again and again (moves)
        await dialog.deliver(dialog.event("student", Kind.BUTTON, "x", data))
    assert len(to(dialog.channel.sent, "bk")) - before == 3  # 4 an hour in all, not 20
    assert "Permintaanmu sudah banyak" in dialog.last_to("student").text
    dialog.app.clock.advance(hours=1, minutes=1)
    await dialog.deliver(dialog.event("student", Kind.BUTTON, "x", data))
    assert len(to(dialog.channel.sent, "bk")) - before == 4


async def test_a_named_appointment_cannot_be_matched_to_the_students_cases(
        dialog: Dialog) -> None:
    """The appointment has a code of its own: guru BK sees the name with it, never the case
    code of the student's anonymous chats; the student gets that code for the BK office."""
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await dialog.play(APPOINTMENT_ANON_ID[:8])
    request = next(m.text for m in reversed(dialog.channel.sent) if m.address == "bk"
                   and "Permintaan janji temu" in m.text)
    key = dialog.app.vault.user_key("test", "student")
    async with dialog.app.store.read() as db:
        rows = await db.execute_fetchall("SELECT code FROM users WHERE key = ?", (key.value,))
    case_code = rows[0][0]
    assert case_code not in request and "#J" in request
    await dialog.press("bk", "Konfirmasi")
    confirmed = dialog.last_to("student").text
    assert "Kode janji temu: J" in confirmed and case_code not in confirmed
