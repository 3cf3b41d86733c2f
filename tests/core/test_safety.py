"""Regression tests for the holes in "a student in danger always reaches a human" (issue #12).

Every dialog step also runs the invariant checker (tests/dialog.py), so these transcripts fail
with the broken promise, not only with a missing message.
"""

from __future__ import annotations

import pytest

from bot import staffcli
from bot.core.events import Kind
from tests.conftest import SECRET, enrol
from tests.core.test_crisis import CRISIS
from tests.core.test_handoff import open_peer_case
from tests.dialog import Dialog, case_of, to


@pytest.fixture(autouse=True)
def same_secret(monkeypatch) -> None:
    """The CLI and the running app share the installation secret."""
    monkeypatch.setenv("SEBAYA_SECRET", SECRET.decode())


@pytest.fixture
async def school(dialog: Dialog) -> Dialog:
    await enrol(dialog.app, "bk1", "counselor", "Bu Rina")
    await enrol(dialog.app, "bk2", "counselor", "Pak Dedi")
    await enrol(dialog.app, "p1", "peer", "Bintang")
    return dialog


async def test_removed_counselor_crisis_alerts_again_from_the_first_level(
        school: Dialog, config) -> None:
    d = school
    await d.say("student", CRISIS)
    await d.press("bk1", "Saya tangani")
    assert await staffcli.remove(config, "Bu Rina", clock=d.app.clock) == ("Bu Rina", 1)
    sent = await d.tick(seconds=1)
    assert any("BUTUH GURU BK" in t for t in to(sent, "bk2"))  # the ladder restarted
    assert not any("BUTUH GURU BK" in t for t in to(sent, "bk1"))  # not the removed one
    assert "berhalangan" in to(sent, "student")[0] and "112" in to(sent, "student")[0]
    sent = await d.say("student", "aku di atap sekolah sekarang")
    assert to(sent, "bk1") == []
    sent = await d.press("bk2", "Saya tangani")
    taken = to(sent, "bk2")[0]
    assert "pengen mati aja" in taken and "di atap sekolah" in taken  # nothing unseen
    case = await case_of(d.app)
    assert case.status == "active" and case.assignee_name == "Pak Dedi"


async def test_removed_counselor_light_case_goes_back_to_guru_bk(school: Dialog, config) -> None:
    d = school
    await d.play([("student", "halo"), ("student", "[Oke, lanjut]"),
                  ("student", "[Keluarga]"), ("student", "ortu mau cerai, aku bingung"),
                  ("student", "[Berat banget]"), ("student", "[Nggak, aman]"),
                  ("bot>student", "kepikiran untuk mengakhiri hidup"), ("student", "[Tidak]")])
    case = await case_of(d.app)
    if case.route == "peer":  # the shipped intake sends heavy family cases to peers first
        await d.tick(minutes=10)
        await d.tick(minutes=10)  # nobody accepts: guru BK
    await d.press("bk1", "Saya tangani")
    assert (await case_of(d.app)).status == "active"
    await staffcli.remove(config, "Bu Rina", clock=d.app.clock)
    sent = await d.tick(seconds=1)
    assert any("Saya tangani" in [b.label for b in m.buttons] for m in sent
               if m.address == "bk2")
    assert "berhalangan" in to(sent, "student")[0]


async def test_light_case_for_guru_bk_is_recalled_until_taken(school: Dialog) -> None:
    d = school
    await open_peer_case(d)
    await d.tick(minutes=10)
    sent = await d.tick(minutes=10)  # two offer rounds nobody answered
    assert any("kami teruskan ke guru BK" in t for t in to(sent, "bk1"))
    sent = await d.tick(minutes=60)
    assert any("Pengingat ke-2" in t for t in to(sent, "bk1"))  # not forgotten
    await d.press("bk2", "Saya tangani")
    assert await d.tick(hours=3) == []


async def test_crisis_at_character_2500_of_a_long_message_alerts(school: Dialog) -> None:
    d = school
    long = ("hari ini di sekolah biasa aja, ada ulangan, terus pulang. " * 43)[:2450]
    sent = await d.say("student", long + " jadi aku mau bunuh diri malam ini.")
    assert any("BUTUH GURU BK" in t for t in to(sent, "bk1"))
    assert any("bunuh diri malam ini" in t for t in to(sent, "bk1"))  # the excerpt shows it
    sent = await d.press("bk1", "Saya tangani")
    assert "bunuh diri malam ini" in to(sent, "bk1")[0]  # the whole text is on the case


async def test_crisis_flood_reaches_guru_bk_message_by_message(school: Dialog) -> None:
    d = school
    await d.say("student", CRISIS)
    await d.press("bk1", "Saya tangani")
    before = len(d.channel.sent)
    for i in range(40):
        await d.app.dispatcher.accept(d.event("student", Kind.TEXT, f"tolong {i}"))
    await d.app.settle()
    sent = d.channel.sent[before:]
    assert len([t for t in to(sent, "bk1") if "tolong" in t]) == 40  # nothing withheld
    assert not any("Pelan-pelan" in t for t in to(sent, "student"))


async def test_light_flood_reaches_the_peer_as_one_digest(school: Dialog) -> None:
    d = school
    await open_peer_case(d)
    await d.press("p1", "Terima")
    before = len(d.channel.sent)
    for i in range(30):
        await d.app.dispatcher.accept(d.event("student", Kind.TEXT, f"pesan nomor {i}"))
    await d.app.settle()
    assert len([t for t in to(d.channel.sent[before:], "p1") if "pesan nomor" in t]) == 20
    sent = await d.tick(minutes=1)
    [digest] = to(sent, "p1")
    assert "menulis 10 pesan beruntun" in digest
    assert all(f"pesan nomor {i}" in digest for i in range(20, 30))


async def test_student_newlines_cannot_draw_a_fake_alert_for_staff(school: Dialog) -> None:
    d = school
    await open_peer_case(d)
    await d.press("p1", "Terima")
    sent = await d.say("student", "halo\n🚨 BUTUH GURU BK SEKARANG · #AAAA\nKategori: palsu")
    [relayed] = to(sent, "p1")
    assert "\n🚨" not in relayed and "\n▏🚨 BUTUH GURU BK" in relayed


async def test_photo_caption_is_screened_and_alerts(school: Dialog) -> None:
    d = school
    sent = await d.deliver(d.event("student", Kind.UNSUPPORTED, "aku mau bunuh diri"))
    assert any("BUTUH GURU BK" in t for t in to(sent, "bk1"))
    assert "kamu nggak sendirian" in to(sent, "student")[0]


async def test_photo_caption_in_a_chat_reaches_the_helper(school: Dialog) -> None:
    d = school
    await open_peer_case(d)
    await d.press("p1", "Terima")
    sent = await d.deliver(d.event("student", Kind.UNSUPPORTED, "ini foto catatan pelajaran tadi"))
    assert any("ini foto catatan pelajaran tadi" in t for t in to(sent, "p1"))
    assert "Keteranganmu sudah kami teruskan" in to(sent, "student")[0]


async def test_messages_while_waiting_reach_the_peer_who_accepts(school: Dialog) -> None:
    d = school
    await open_peer_case(d)
    await d.say("student", "halo kak, aku masih di sini")
    await d.say("student", "makasih kak udah dengerin")
    sent = await d.press("p1", "Terima")
    accepted = to(sent, "p1")[0]
    assert "aku masih di sini" in accepted and "udah dengerin" in accepted


async def two_crises_for_one_counselor(d: Dialog) -> None:
    await d.say("s1", CRISIS)
    await d.press("bk1", "Saya tangani")
    await d.say("s2", "aku mau bunuh diri malam ini")
    await d.press("bk1", "Saya tangani")


def relayed_from(d: Dialog, staff: str, student_words: str):
    return next(m for m in reversed(d.channel.sent)
                if m.address == staff and student_words in m.text)


async def test_two_cases_a_reply_goes_to_the_student_replied_to(school: Dialog) -> None:
    d = school
    await two_crises_for_one_counselor(d)
    await d.say("s1", "bu aku takut")
    await d.say("s2", "aku di kamar")
    sent = await d.reply("bk1", relayed_from(d, "bk1", "bu aku takut"), "Ibu di sini, kamu aman?")
    assert to(sent, "s1") == ["Guru BK: Ibu di sini, kamu aman?"] and to(sent, "s2") == []
    code1 = (await case_of(d.app, "s1")).code
    assert to(sent, "bk1") == [f"✓ terkirim ke #{code1} ({(await case_of(d.app, 's1')).alias})"]
    sent = await d.reply("bk1", relayed_from(d, "bk1", "aku di kamar"), "Tetap di sana ya")
    assert to(sent, "s2") == ["Guru BK: Tetap di sana ya"] and to(sent, "s1") == []


async def test_two_cases_a_plain_message_waits_for_a_choice(school: Dialog) -> None:
    d = school
    await two_crises_for_one_counselor(d)
    sent = await d.say("bk1", "Halo, ibu di sini")
    assert to(sent, "s1") == [] and to(sent, "s2") == []  # nobody gets a guess
    assert "belum dikirim" in to(sent, "bk1")[0]
    code2 = (await case_of(d.app, "s2")).code
    label = next(b.label for b in d.last_to("bk1").buttons if code2 in b.label)
    sent = await d.press("bk1", label)
    assert to(sent, "s2") == ["Guru BK: Halo, ibu di sini"] and to(sent, "s1") == []
    sent = await d.say("bk1", "Ceritakan pelan-pelan")  # the choice sticks
    assert to(sent, "s2") == ["Guru BK: Ceritakan pelan-pelan"]


async def test_two_cases_ke_selects_the_case(school: Dialog) -> None:
    d = school
    await two_crises_for_one_counselor(d)
    code1 = (await case_of(d.app, "s1")).code
    sent = await d.say("bk1", f"/ke {code1}")
    assert f"#{code1}" in to(sent, "bk1")[0]
    sent = await d.say("bk1", "Ibu temani ya")
    assert to(sent, "s1") == ["Guru BK: Ibu temani ya"] and to(sent, "s2") == []


async def test_two_cases_selesai_asks_which_case(school: Dialog) -> None:
    d = school
    await two_crises_for_one_counselor(d)
    code1 = (await case_of(d.app, "s1")).code
    await d.say("bk1", f"/ke {code1}")
    sent = await d.say("bk1", "/selesai sudah aman")  # closing needs an explicit choice
    assert "yang mana" in to(sent, "bk1")[0]
    assert await case_of(d.app, "s1") is not None and await case_of(d.app, "s2") is not None
    code2 = (await case_of(d.app, "s2")).code
    label = next(b.label for b in d.last_to("bk1").buttons if code2 in b.label)
    await d.press("bk1", label)
    assert await case_of(d.app, "s2") is None and await case_of(d.app, "s1") is not None
    sent = await d.say("bk1", f"/selesai #{code1} janji temu besok")
    assert await case_of(d.app, "s1") is None


async def test_a_peer_without_a_nickname_cannot_go_on_duty(school: Dialog, config) -> None:
    d = school
    code = await staffcli.invite(config, "peer", "Dewi Lestari (XI-2)", days=7,
                                 clock=d.app.clock)
    await d.say("dewi", f"/join {code}")
    sent = await d.say("dewi", "/onduty")
    assert "nama samaran" in to(sent, "dewi")[0]
    sent = await d.say("dewi", "Senja")
    assert "Senja" in to(sent, "dewi")[0]


async def test_forged_survey_button_with_unicode_digits_is_refused(school: Dialog) -> None:
    d = school
    for data in ("s:²:5", "s:1234567890123456789012345:5", "s:1:٥"):
        sent = await d.deliver(d.event("student", Kind.BUTTON, "5", data))
        assert "tidak berlaku" in to(sent, "student")[0]


async def test_blocked_counselor_moves_the_ladder_on_at_once(school: Dialog) -> None:
    d = school
    async with d.app.store.transaction() as db:  # Pak Dedi is off duty: level 1 is Bu Rina
        key = d.app.vault.user_key("test", "bk2")
        await db.execute("UPDATE users SET duty = 'off' WHERE key = ?", (key.value,))
    d.channel.blocked.add("bk1")
    sent = await d.say("student", CRISIS)
    assert any("BUTUH GURU BK" in m.text for m in d.channel.refused if m.address == "bk1")
    assert any("Pengingat ke-2" in t for t in to(sent, "bk2"))  # not 5 minutes later
    async with d.app.store.read() as db:
        rows = await db.execute_fetchall(
            "SELECT unreachable_since FROM users WHERE key = ?",
            (d.app.vault.user_key("test", "bk1").value,))
    assert rows[0][0]  # sebaya doctor lists them
    d.channel.blocked.clear()
    sent = await d.say("bk1", "/help")
    assert "Sejak 23/11 08:00, pesan Sebaya tidak sampai" in to(sent, "bk1")[0]


async def test_blocked_student_the_helper_is_told_and_the_case_notes_it(school: Dialog) -> None:
    d = school
    await open_peer_case(d)
    await d.press("p1", "Terima")
    d.channel.blocked.add("student")
    sent = await d.say("p1", "Hai, gimana kabarmu?")
    assert any("tidak sampai ke siswa" in t for t in to(sent, "p1"))
    sent = await d.say("p1", "Masih di sana?")
    assert not any("tidak sampai" in t for t in to(sent, "p1"))  # told once
    d.channel.blocked.clear()
    await d.say("student", "maaf tadi hp mati")
    sent = await d.say("p1", "Syukurlah")
    assert to(sent, "student") == ["Bintang (konselor sebaya): Syukurlah"]
    async with d.app.store.read() as db:
        notes = await db.execute_fetchall(
            "SELECT unseal(text) FROM case_messages WHERE sender = 'system'")
    assert len(notes) == 1 and "tidak sampai" in notes[0][0]


async def test_unreachable_helper_hands_the_case_to_someone_else(school: Dialog) -> None:
    d = school
    await enrol(d.app, "p2", "peer", "Awan")
    await open_peer_case(d)
    await d.press("p1", "Terima")
    d.channel.blocked.add("p1")
    sent = await d.say("student", "kamu masih di situ?")
    assert "berhalangan" in to(sent, "student")[-1]
    assert any("Ada teman" in t for t in to(sent, "p2"))
    sent = await d.press("p2", "Terima")
    assert "kamu masih di situ?" in to(sent, "p2")[0]  # what the first helper never got


async def test_student_newlines_cannot_forge_lines_in_alerts_or_transcripts(school: Dialog
                                                                            ) -> None:
    d = school
    forged = "aku mau bunuh diri\n#ZZZZ sudah ditangani oleh Bu Rina. Terima kasih sudah siaga."
    sent = await d.say("student", forged)
    alert = to(sent, "bk1")[0]
    assert "\n#ZZZZ" not in alert and "\n▏#ZZZZ sudah ditangani" in alert
    code = (await case_of(d.app)).code
    sent = await d.say("bk1", f"/lihat {code}")
    assert "\n#ZZZZ" not in to(sent, "bk1")[0]


async def test_with_no_counselor_the_student_is_not_promised_one(dialog: Dialog) -> None:
    sent = await dialog.say("student", CRISIS)
    reply = to(sent, "student")[0]
    assert "belum ada guru BK yang bisa dihubungi" in reply and "SEJIWA: 119 ext 8" in reply
    assert "Guru BK sudah kami kabari" not in reply
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")  # enrolled later: the ladder finds her
    sent = await dialog.tick(minutes=5)
    assert any("BUTUH GURU BK" in t for t in to(sent, "bk"))


async def test_the_peer_is_told_when_the_student_deletes_their_data(school: Dialog) -> None:
    d = school
    await open_peer_case(d)
    await d.press("p1", "Terima")
    await d.say("student", "/hapus")
    sent = await d.press("student", "Ya, hapus")
    assert any("menghapus datanya" in t for t in to(sent, "p1"))
    assert await case_of(d.app) is None


async def test_a_reply_to_an_ended_case_goes_to_nobody(school: Dialog) -> None:
    d = school
    await two_crises_for_one_counselor(d)
    await d.say("s1", "bu aku takut")
    old = relayed_from(d, "bk1", "bu aku takut")
    code1 = (await case_of(d.app, "s1")).code
    await d.say("bk1", f"/selesai #{code1} sudah aman")
    sent = await d.reply("bk1", old, "Andi, besok jam 7 ke ruang BK ya")  # the old case
    assert to(sent, "s1") == [] and to(sent, "s2") == []  # not to the one still held
    assert "TIDAK dikirim" in to(sent, "bk1")[0]


async def test_a_reply_to_the_confirmation_goes_to_its_case(school: Dialog) -> None:
    d = school
    await two_crises_for_one_counselor(d)
    await d.say("s2", "aku di kamar")
    await d.reply("bk1", relayed_from(d, "bk1", "aku di kamar"), "Ibu di sini")
    confirmation = d.last_to("bk1")
    assert confirmation.text.startswith("✓ terkirim ke")
    code1 = (await case_of(d.app, "s1")).code
    await d.say("bk1", f"/ke {code1}")  # the focus is the other student now
    sent = await d.reply("bk1", confirmation, "Tetap di situ ya")
    assert to(sent, "s2") == ["Guru BK: Tetap di situ ya"] and to(sent, "s1") == []


async def test_the_ke_choice_lapses_when_another_student_writes(school: Dialog) -> None:
    d = school
    await two_crises_for_one_counselor(d)
    code1 = (await case_of(d.app, "s1")).code
    await d.say("bk1", f"/ke {code1}")
    d.app.clock.advance(seconds=1)
    await d.say("s2", "bu tolong jawab aku")
    sent = await d.say("bk1", "iya sayang, ibu di sini")  # meant for s2: asked, not guessed
    assert to(sent, "s1") == [] and to(sent, "s2") == []
    assert "belum dikirim" in to(sent, "bk1")[0]


async def test_two_waiting_messages_are_asked_about_one_by_one(school: Dialog) -> None:
    d = school
    await two_crises_for_one_counselor(d)
    await d.say("bk1", "pesan untuk yang pertama")
    await d.say("bk1", "pesan untuk yang kedua")
    code1 = (await case_of(d.app, "s1")).code
    code2 = (await case_of(d.app, "s2")).code
    assert "«pesan untuk yang pertama»" in d.last_to("bk1").text
    label1 = next(b.label for b in d.last_to("bk1").buttons if code1 in b.label)
    sent = await d.press("bk1", label1)
    assert to(sent, "s1") == ["Guru BK: pesan untuk yang pertama"] and to(sent, "s2") == []
    assert "«pesan untuk yang kedua»" in d.last_to("bk1").text  # asked again, not assumed
    label2 = next(b.label for b in d.last_to("bk1").buttons if code2 in b.label)
    sent = await d.press("bk1", label2)
    assert to(sent, "s2") == ["Guru BK: pesan untuk yang kedua"] and to(sent, "s1") == []


async def test_selesai_with_a_code_not_held_closes_nothing(school: Dialog) -> None:
    d = school
    await d.say("s1", CRISIS)
    await d.press("bk1", "Saya tangani")
    sent = await d.say("bk1", "/selesai 8PXC lupa satu catatan untuk Andi")
    assert to(sent, "bk1") == ["#8PXC tidak sedang dipegang akun ini, jadi tidak ada yang diubah "
                               "atau dikirim."]
    assert (await case_of(d.app, "s1")).status == "active"  # the held crisis stays open


async def test_the_only_counselor_blocked_the_student_is_told_the_truth(dialog: Dialog) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    dialog.channel.blocked.add("bk")
    sent = await dialog.say("student", CRISIS)
    texts = to(sent, "student")
    assert any("belum ada guru BK yang bisa dihubungi" in t for t in texts)  # once known
