"""Round 4: context that wrongly lowered real crises, and general forms in Javanese (ngoko and
krama), Sundanese (loma and lemes) and English teen phrasing. Phrasings written for these tests
(none copied from a data file); each group beside look-alikes that must stay calm."""

from __future__ import annotations

import pytest

from bot.risk.detector import Detector

DETECTOR = Detector()
RULES = Detector(model=None)


def rules_level(text: str) -> str:
    return RULES.screen_rules(text).level


# --- context mechanisms (rules alone: the model must not be what saves these) ---

@pytest.mark.parametrize("text", [
    "aku diancam mau dibunuh sama mantan kalau ga balikan",
    "mantan aku ngancem nyebarin foto bugil aku kalau aku ga nurut",
    "my ex threatened to leak my nudes unless i send more",
])
def test_a_former_partner_does_not_make_a_threat_past(text: str) -> None:
    assert rules_level(text) == "crisis", RULES.screen_rules(text).suppressions


@pytest.mark.parametrize("text", [
    "aku udah nelen semua obat tidur setengah jam yang lalu, sekarang ngantuk",
    "i swallowed all my mom's pills an hour ago, now i'm scared",
])
def test_minutes_or_hours_ago_is_now_not_the_past(text: str) -> None:
    assert rules_level(text) == "crisis", RULES.screen_rules(text).suppressions


def test_a_teacher_of_religion_who_hits_is_no_lesson_frame() -> None:
    assert rules_level("pak ustadz nyabet kaki santri pake sabuk sampe lebam") == "crisis"
    assert DETECTOR.screen("ceramah tadi bahas kenapa bunuh diri itu dosa").level != "crisis"


@pytest.mark.parametrize("text", [
    "ada om di genshin yang suka ngasih primogem, terus ngajak pindah ke wa. umurku 13",
    "some guy on roblox keeps gifting robux, then he asked for my snapchat. i'm 13",
])
def test_a_stranger_met_in_a_game_is_no_game_frame_for_grooming(text: str) -> None:
    assert rules_level(text) == "crisis", RULES.screen_rules(text).suppressions


def test_game_purchases_without_a_stranger_stay_calm() -> None:
    for calm in ("top up skin ml pake pulsa bisa ga", "kak ada yg jual diamond ff murah ga"):
        verdict = DETECTOR.screen(calm)
        assert verdict.level == "none" and not verdict.ask, calm


def test_last_words_from_the_writer_are_the_writers_own() -> None:
    assert rules_level("ini pesen terakhir ti abdi kanggo sadayana") == "crisis"
    assert rules_level("ini pesan terakhir dari aku buat kalian semua") == "crisis"
    assert DETECTOR.screen("pesan terakhir dari wali kelas: jangan lupa belajar").level != "crisis"


def test_the_death_word_itself_is_no_game_context() -> None:
    assert rules_level("honestly i wouldn't mind if i died tonight") == "crisis"
    assert DETECTOR.screen("my character died in the last level again lol").level != "crisis"


# --- general forms by language ---

CRISIS = {
    "jv": ["kula sampun mboten kiat gesang", "aku wis ora betah urip, kesel",
           "pengin lunga seko donya iki wae", "Gusti, pundhuten kula saiki",
           "nek aku ora ono, bapak ibuk luwih kepenak", "ora ana gunane aku urip",
           "aku ra popo nek mati sesuk", "aku nglarani awakku dhewe meneh",
           "ngapurane kabeh yo, aku lunga selawase", "sesuk aku wis ora ngrepoti kowe maneh",
           "getihe ora mandeg-mandeg"],
    "su": ["hayang indit ti dunya ieu", "ya Allah, candak abdi", "euweuh gunana abdi hirup",
           "teu nanaon lamun urang paeh", "urang sok nyakitan awak sorangan",
           "hampura sadayana, urang angkat salamina", "teu hayang hudang deui",
           "urang moal ngarepotkeun deui ka saha-saha"],
    "en": ["been thinking about ending things", "i'm honestly done with life",
           "i'm not gonna be around much longer", "i just want it all to be over",
           "what's the point of living", "so sick of being alive",
           "tell my mom it's not her fault", "i can't stop the bleeding"],
    "id": ["mau ngakhirin smua", "gapapa kok kalo aku mati besok",
           "bilangin ke mama ini bukan salah dia ya", "darahnya ga berhenti dari tadi"],
}


@pytest.mark.parametrize("lang,text", [(lang, t) for lang, ts in CRISIS.items() for t in ts])
def test_general_forms_alert_in_each_language(lang: str, text: str) -> None:
    assert rules_level(text) == "crisis", (lang, RULES.screen_rules(text).suppressions)


@pytest.mark.parametrize("text", [
    "Gusti, paringana kula rejeki", "aku pengin lunga saka desa iki, golek gawe",
    "nek aku ora ono ning omah, kuncine ning ngisor pot", "ulah nyakitan batur",
    "thinking about ending things with my boyfriend", "i want this exam week to be over",
    "i'm done with this game", "gapapa kalo mati di game, respawn kok",
    "mimisan dari tadi darahnya ga berhenti", "abis cabut gigi darahnya ga berhenti",
    "maaf ya, aku pergi dulu bentar", "bukan salah kamu kok nilainya jelek, soalnya susah",
])
def test_their_look_alikes_raise_no_crisis(text: str) -> None:
    assert DETECTOR.screen(text).level != "crisis", (text, DETECTOR.screen(text).rules)


# --- quotes: a scare quote, a demand made of the writer, a friend's goodbye to "you" ---

def test_a_word_in_scare_quotes_is_the_writers_own_sentence() -> None:
    text = "aya om-om nawarkeun jadi 'kabogoh' bayaran, syaratna kirim poto unggal peuting"
    assert rules_level(text) == "crisis", RULES.screen_rules(text).suppressions


def test_a_quoted_demand_for_photos_is_grooming_not_an_insult() -> None:
    text = "dia bilang 'kalo kamu sayang aku, kirim foto yang itu'. aku 13, dia 25"
    assert rules_level(text) == "crisis", RULES.screen_rules(text).suppressions


def test_a_friends_quoted_goodbye_to_you_is_a_third_party_crisis() -> None:
    text = ("my friend texted me 'thank you for everything, i'm sorry for all of it' "
            "and went offline")
    verdict = RULES.screen_rules(text)
    assert verdict.level == "crisis" and "THIRD_PARTY" in verdict.categories, verdict.suppressions


def test_a_quoted_death_wish_aimed_at_the_writer_stays_bullying() -> None:
    assert rules_level("mereka nulis 'mending lo mati aja' di kolom komentar aku") == "concern"


# --- sexual abuse: refusal ignored, regional words, being made to undress ---

@pytest.mark.parametrize("text", [
    "i told him no but he didn't stop", "aku udah bilang jangan tapi dia ga berhenti",
    "paklikku seneng nggrayangi aku nek omah sepi", "aku dipekso nglakoni kuwi karo pacarku",
    "guru les nyuruh aku ganti baju di depannya",
    "abang2 di tiktok ngajak jadi pacar sewaan, syaratnya pap tiap malem",
])
def test_sexual_abuse_forms_alert(text: str) -> None:
    assert rules_level(text) == "crisis", RULES.screen_rules(text).suppressions


@pytest.mark.parametrize("text", [
    "pelatih nyuruh kita ganti baju olahraga di ruang ganti",
    "aku bilang jangan, tapi dia tetep nyontek",
    "dibayar 50rb asal kirim foto produk buat katalog toko",
])
def test_sexual_look_alikes_raise_no_rule(text: str) -> None:
    assert rules_level(text) == "none", RULES.screen_rules(text).rules


# --- the wish back after a past episode, fear of sin as the only brake, no reason left ---

def test_a_wish_that_is_back_now_keeps_a_past_attempt_current() -> None:
    text = "dulu pernah nelen obat banyak, ga ada yang tau. sekarang rasanya pengen lagi"
    assert rules_level(text) == "crisis", RULES.screen_rules(text).suppressions


@pytest.mark.parametrize("text", [
    "nek ora wedi dosa, aku wis ket biyen", "mun teu sieun dosa mah, urang geus ti baheula",
    "kalo ga takut dosa, aku udah ga di sini",
    "udah ga ada alesan buat bertahan", "i have no reason to keep going",
    "rasanya pgn udhan aja smuanya", "hayang beres wae sadayana",
    "gue udah nyimpen obat2an dari bulan lalu, just in case",
])
def test_more_general_forms_alert(text: str) -> None:
    assert rules_level(text) == "crisis", RULES.screen_rules(text).suppressions


@pytest.mark.parametrize("text", [
    "kalo ga takut dosa, udah aku contekin jawabannya",
    "pengen udahan aja sama dia, capek diselingkuhin",
    "ga ada alasan buat telat, jalanan kosong", "no reason to stay up late tonight",
    "dulu pernah pengen mati, sekarang pengen fokus sekolah aja",
])
def test_more_look_alikes_raise_no_crisis(text: str) -> None:
    assert rules_level(text) != "crisis", RULES.screen_rules(text).rules


# --- farewells: the last day of a term explains thanks and goodbyes; passwords left behind ---

@pytest.mark.parametrize("text", [
    "thank you for everything, miss! last day of school, goodbye",
    "hari terakhir sekolah, makasih semuanya ya, goodbye semua",
])
def test_thanks_and_goodbye_on_the_last_day_of_school_raise_no_crisis(text: str) -> None:
    assert rules_level(text) == "none", RULES.screen_rules(text).rules


def test_a_hidden_letter_on_the_last_day_of_school_is_still_a_crisis() -> None:
    text = "last day of school today. i wrote letters for my family, they're under my pillow"
    assert rules_level(text) == "crisis", RULES.screen_rules(text).suppressions


def test_passwords_left_behind_with_another_farewell_sign_alert() -> None:
    text = "if anything happens to me, my passwords are in the blue notebook"
    assert rules_level(text) == "crisis", RULES.screen_rules(text).rules
    assert rules_level("password wifi ada di kertas deket tv") == "none"


# --- a school is a place, not a person; "took a bunch" needs something swallowed ---

@pytest.mark.parametrize("text", [
    "sesuk nggowo peso kanggo masak ning sekolah", "besok bawa pisau ke sekolah buat praktik masak",
    "my friend took a bunch of selfies at the concert", "he took all my snacks lol",
])
def test_tools_for_school_and_taking_photos_raise_no_rule(text: str) -> None:
    assert rules_level(text) == "none", RULES.screen_rules(text).rules


@pytest.mark.parametrize("text", [
    "besok aku bawa pisau ke sekolah buat nusuk dia", "i took them all an hour ago",
    "took a whole bottle of my mom's sleeping pills",
])
def test_a_knife_for_someone_and_pills_taken_still_alert(text: str) -> None:
    assert rules_level(text) == "crisis", RULES.screen_rules(text).suppressions


@pytest.mark.parametrize("text", [
    "today was ok, had a test. but i've been planning how to do it and i think saturday",
    "lagi ngerencanain kapan ngelakuinnya",
])
def test_planning_how_or_when_to_do_it_alerts(text: str) -> None:
    assert rules_level(text) == "crisis", RULES.screen_rules(text).suppressions


def test_planning_a_group_project_raises_no_rule() -> None:
    assert rules_level("we're planning how to do the group project") == "none"
