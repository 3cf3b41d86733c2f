"""Coaching inside the chat (bot/core/coaching.py), as dialog transcripts in id and en: every
kind of finding is held back or shown to the peer only and never reaches the student; a
student's contact details are masked for a peer and passed to guru BK. The safety invariants
are checked after every step (tests/dialog.py)."""

from __future__ import annotations

import pytest

from bot.store import audit
from tests.conftest import enrol
from tests.core.test_handoff import PEER_CASE
from tests.dialog import Dialog, case_of, to

EN_CASE = ["halo", "[English, please]", "[OK, let's go]", "[Friends]",
           "I had a fight with my best friend", "[Quite heavy]", "[No, all safe]"]
ROLE = {"id": "Bintang (konselor sebaya): ", "en": "Bintang (peer supporter): "}
HELD = {"id": "belum dikirim ke siswa", "en": "was not sent to the student"}
NUDGE = {"id": "pesanmu sudah terkirim", "en": "your message was sent"}
EXPLAIN = {  # a fragment of each kind's explanation, per language
    "identity": {"id": "jangan tanya nama", "en": "don't ask for their name"},
    "contact": {"id": "kontak pribadi tidak dikirim", "en": "personal contacts are not passed"},
    "minimising": {"id": "merasa tidak didengar", "en": "feel unheard"},
    "secrecy": {"id": "jangan janji merahasiakan", "en": "don't promise to keep it secret"},
    "directive": {"id": "dengarkan dulu", "en": "listening before giving advice"},
    "blaming": {"id": "menyalahkan atau mengejek", "en": "blaming or insulting"},
}
HELD_MESSAGES = [  # (kind, what the peer writes)
    ("identity", "boleh minta nomor wa kamu?"),
    ("identity", "kamu kelas berapa sih?"),
    ("identity", "ketemuan yuk pulang sekolah"),
    ("identity", "what's your name btw?"),
    ("contact", "chat aku aja di 0812-3456-7890"),
    ("contact", "follow @bintang.sky ya"),
    ("contact", "cek https://instagram.com/bintang"),
    ("contact", "nama asliku Rina, aku dari kelas 9B"),
    ("minimising", "ah gitu doang, jangan lebay deh"),
    ("minimising", "honestly you're overreacting"),
    # insults and blame from a peer (an outside tester: "kamu bodoh" reached the student)
    ("blaming", "kamu bodoh"),
    ("blaming", "ya salah kamu sendiri sih"),
    ("blaming", "you're stupid"),
    ("blaming", "dasar goblok"),
    ("minimising", "dasar lebay"),
]


async def chat(d: Dialog, lang: str) -> None:
    """A peer case accepted by Bintang; in en the student and the peer both use English."""
    await enrol(d.app, "p1", "peer", "Bintang")
    await enrol(d.app, "bk", "counselor", "Bu Rina")
    if lang == "en":
        async with d.app.store.transaction() as db:
            await db.execute("UPDATE users SET lang = 'en' WHERE key = ?",
                             (d.app.vault.user_key("test", "p1").value,))
    await d.play([("student", s) for s in (EN_CASE if lang == "en" else PEER_CASE)])
    await d.press("p1", "Accept" if lang == "en" else "Terima")  # in the peer's language


async def peer_words(d: Dialog) -> list[str]:
    async with d.app.store.read() as db:
        rows = await db.execute_fetchall(
            "SELECT unseal(text) FROM case_messages WHERE sender = 'peer'")
    return [r[0] for r in rows]


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize(("kind", "text"), HELD_MESSAGES)
async def test_held_kinds_never_reach_the_student_and_the_peer_is_told_why(
        dialog: Dialog, lang: str, kind: str, text: str) -> None:
    d = dialog
    await chat(d, lang)
    sent = await d.say("p1", text)
    assert to(sent, "student") == []  # nothing at all, not even a hint
    [told] = to(sent, "p1")
    assert HELD[lang] in told and EXPLAIN[kind][lang] in told
    assert await peer_words(d) == []  # held back: not in the student's transcript either
    async with d.app.store.read() as db:
        [row] = await audit.rows(db, "coach_held")
    assert row["detail"]["kind"] == kind and text not in str(row["detail"])  # ids, no words
    sent = await d.say("p1", "Aku di sini buat dengerin. Gimana rasanya?")
    assert to(sent, "student") == [ROLE[lang] + "Aku di sini buat dengerin. Gimana rasanya?"]


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_directive_advice_is_relayed_and_the_nudge_goes_to_the_peer_only(
        dialog: Dialog, lang: str) -> None:
    d = dialog
    await chat(d, lang)
    sent = await d.say("p1", "mending kamu putusin aja dia")
    assert to(sent, "student") == [ROLE[lang] + "mending kamu putusin aja dia"]
    [nudge] = to(sent, "p1")
    assert NUDGE[lang] in nudge and EXPLAIN["directive"][lang] in nudge
    assert not any("💡" in m.text for m in d.channel.sent if m.address == "student")
    async with d.app.store.read() as db:
        assert [r["detail"]["kind"] for r in await audit.rows(db, "coach_nudge")] == ["directive"]


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_a_promise_of_secrecy_is_held_only_while_the_case_carries_risk_flags(
        dialog: Dialog, lang: str) -> None:
    d = dialog
    await chat(d, lang)
    promise = "tenang, aku ga akan bilang ke siapa-siapa"
    assert not (await case_of(d.app)).flags
    sent = await d.say("p1", promise)  # no risk: an ordinary reassurance
    assert to(sent, "student") == [ROLE[lang] + promise]
    sad = "I feel so sad and lonely lately" if lang == "en" else \
        "aku sedih banget akhir-akhir ini, ngerasa sendirian terus"
    sent = await d.say("student", sad)  # concern: the case carries a risk flag now
    assert (await case_of(d.app)).flags
    heavier = "sounds heavier" if lang == "en" else "makin berat"  # in the peer's language
    nudges = [t for t in to(sent, "p1") if heavier in t]  # rising concern: peer only
    assert len(nudges) == 1 and ("/escalate" if lang == "en" else "/eskalasi") in nudges[0]
    assert len(to(sent, "student")) == 0
    sent = await d.say("p1", "I won't tell anyone, promise" if lang == "en" else promise)
    assert to(sent, "student") == []
    [told] = to(sent, "p1")
    assert HELD[lang] in told and EXPLAIN["secrecy"][lang] in told and (
        "/escalate" if lang == "en" else "/eskalasi") in told
    sent = await d.say("student", sad)  # the same flags again: no second nudge
    assert not [t for t in to(sent, "p1") if "makin berat" in t]


async def test_guru_bk_is_not_coached(dialog: Dialog) -> None:
    d = dialog
    await enrol(d.app, "bk", "counselor", "Bu Rina")
    await d.play([("student", s) for s in ("halo", "[Oke, lanjut]", "[Perundungan (bullying)]",
                                           "aku diejek terus di kelas", "[Berat banget]",
                                           "[Nggak, aman]")])
    await d.press("bk", "Saya tangani")
    sent = await d.say("bk", "Kamu harus datang ke ruang BK besok, ya. Nomor kelasmu berapa?")
    assert to(sent, "student") and not to(sent, "bk")


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_a_students_contact_is_masked_for_the_peer_and_the_student_told_once(
        dialog: Dialog, lang: str) -> None:
    d = dialog
    await chat(d, lang)
    mine = "wa aku aja ya 0812 3456 7890, ig @rina_s, rumahku di jl. mawar no 5"
    sent = await d.say("student", mine)
    [relayed] = to(sent, "p1")
    assert "0812" not in relayed and "@rina_s" not in relayed and "mawar" not in relayed
    assert "[disembunyikan]" in relayed  # staff texts are in the school's language
    [told] = to(sent, "student")
    assert ("We hid the number" if lang == "en" else "kami sembunyikan") in told
    sent = await d.say("student", "atau 0899 1111 2222")
    assert "0899" not in to(sent, "p1")[0] and to(sent, "student") == []  # told once
    async with d.app.store.read() as db:
        rows = await db.execute_fetchall(
            "SELECT unseal(text) FROM case_messages WHERE sender = 'student'")
    assert mine in [r[0] for r in rows]  # the case keeps the words for guru BK


async def test_hotline_numbers_pass_both_ways(dialog: Dialog) -> None:
    d = dialog
    await chat(d, "id")
    sent = await d.say("p1", "kamu bisa hubungi SAPA 129 / WhatsApp 08111-129-129 kapan aja")
    assert "08111-129-129" in to(sent, "student")[0]


async def test_the_story_and_waiting_messages_are_masked_for_peers_not_for_guru_bk(
        dialog: Dialog) -> None:
    d = dialog
    await enrol(d.app, "p1", "peer", "Bintang")
    await enrol(d.app, "bk", "counselor", "Bu Rina")
    story = [*PEER_CASE[:3], "aku berantem sama sahabatku, dia bales di ig @rina_s",
             *PEER_CASE[4:]]
    before = len(d.channel.sent)
    await d.play([("student", s) for s in story])
    sent = d.channel.sent[before:]
    [offer] = to(sent, "p1")
    assert "@rina_s" not in offer and "[disembunyikan]" in offer
    await d.say("student", "nomorku 0812 3456 7890 kalau perlu")  # nobody holds it yet
    sent = await d.press("p1", "Terima")
    [accepted] = to(sent, "p1")
    assert "0812" not in accepted and "@rina_s" not in accepted
    sent = await d.say("p1", "/eskalasi dia minta dihubungi langsung")
    sent = await d.press("bk", "Saya tangani")
    assert to(sent, "bk")
    sent = await d.say("student", "ini nomorku 0812 3456 7890")
    assert "0812 3456 7890" in to(sent, "bk")[0]  # a case held by guru BK: passed on
    assert to(sent, "student") == []  # and nothing is said about masking


async def test_a_crisis_with_a_phone_number_reaches_guru_bk_unmasked(dialog: Dialog) -> None:
    d = dialog
    await chat(d, "id")
    sent = await d.say("student", "aku pengen mati aja, nomorku 0812 3456 7890")
    alert = [t for t in to(sent, "bk") if "BUTUH GURU BK" in t]
    assert alert and "0812 3456 7890" in alert[0]
    assert not any("0812" in t for t in to(sent, "p1"))
    sent = await d.say("p1", "kamu harus tenang dulu ya")  # the peer no longer holds it
    assert not [t for t in to(sent, "student") if "harus tenang" in t]


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_a_students_contact_is_masked_for_the_peer_and_passed_to_guru_bk_after_escalation(
        dialog: Dialog, lang: str) -> None:
    d = dialog
    await chat(d, lang)
    sent = await d.say("student", "ig aku @rina_s kalau mau ngobrol")
    assert "@rina_s" not in to(sent, "p1")[0] and to(sent, "bk") == []
    await d.say("p1", "/escalate she wants to talk to an adult" if lang == "en"
                else "/eskalasi dia mau bicara dengan orang dewasa")
    sent = await d.press("bk", "Saya tangani")
    held = [t for t in to(sent, "bk") if "@rina_s" in t]
    assert held  # the case guru BK holds shows the earlier message as written
    sent = await d.say("student", "nomorku 0812 3456 7890")
    assert "0812 3456 7890" in to(sent, "bk")[0]
    assert to(sent, "student") == [] and to(sent, "p1") == []  # no masking note, no peer


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("text", ["spill uname tiktok km dong", "no wa km berapa? 08 brp",
                                  "ig kamu apa?"])
async def test_a_handle_asked_in_slang_never_reaches_the_student(
        dialog: Dialog, lang: str, text: str) -> None:
    await chat(dialog, lang)
    sent = await dialog.say("p1", text)
    assert to(sent, "student") == []
    [told] = to(sent, "p1")
    assert HELD[lang] in told and EXPLAIN["identity"][lang] in told


async def test_telling_the_student_about_the_schools_account_is_relayed(dialog: Dialog) -> None:
    await chat(dialog, "id")
    text = "ig resmi sekolah kita ada info konseling juga, cek aja kalau mau"
    sent = await dialog.say("p1", text)
    assert to(sent, "student") == [ROLE["id"] + text]
