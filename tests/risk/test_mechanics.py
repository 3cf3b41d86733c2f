"""Rule mechanics of issue #11 and the normaliser holes of issue #12, one guard per test.

The probes quoted in the issues belong to no scored data set; each test is named for what it
guards. These run on the rules alone (``model=None``): the model may only raise a level, and
its own tests live in test_model.py.
"""

from __future__ import annotations

import pytest

from bot.risk.detector import Detector

D = Detector(model=None)


def verdict(text: str):
    return D.screen(text)


def level(text: str) -> str:
    return D.screen(text).level


# --- context is scoped to the clause of the match (issue #11 probes) ---

def test_negated_joke_marks_seriousness_not_laughter() -> None:
    result = verdict("ga bercanda kali ini. aku mau bunuh diri")
    assert result.level == "crisis", result.suppressions


def test_game_talk_in_one_clause_does_not_frame_a_method_in_the_next() -> None:
    result = verdict("tadi kalah ranked lagi. udah beli racun tikus, malem ini aku minum")
    assert result.level == "crisis", result.suppressions


def test_laughter_in_an_earlier_clause_does_not_lower_a_later_death_wish() -> None:
    result = verdict("lol ok. i'm going to kill myself tonight")
    assert result.level == "crisis", result.suppressions


def test_friends_quoted_suicidal_statement_is_third_party_crisis() -> None:
    result = verdict("dia bilang 'aku mau bunuh diri' terus offline")
    assert result.level == "crisis" and result.categories[0] == "THIRD_PARTY"


@pytest.mark.parametrize("text", [
    "bukan bercanda, aku pengen mati aja wkwk",
    "aku serius. pengen mati aja wkwk",
    "not joking lol i want to die",
])
def test_serious_anywhere_keeps_a_laughing_death_wish_crisis(text: str) -> None:
    assert level(text) == "crisis", verdict(text).suppressions


def test_laughter_without_a_trivial_trigger_does_not_lower_a_death_wish() -> None:
    # Policy: laughter on top of ideation does not make it a joke; a joke has a trivial trigger.
    assert level("pengen mati wkwk") == "crisis"
    assert level("wkwk mending aku ga ada aja kali ya") == "crisis"


def test_hyperbole_with_a_trivial_trigger_and_laughter_stays_at_the_floor() -> None:
    """Lowered from crisis, but a first-person death wish never below concern (SAFETY.md)."""
    assert level("presentasi depan crush tadi, pengen mati aja wkwk") == "concern"
    assert level("kalah ranked lagi wkwk pgn b*nuh d1ri") == "concern"  # a game clause too
    # a joke by policy (labelling guide): recorded for the peer, the student is not asked
    assert not verdict("presentasi depan crush tadi, pengen mati aja wkwk").ask


@pytest.mark.parametrize("text", [
    "wkwk aku sh lagi semalem",                            # self-harm
    "aku ditampar ayah wkwkwk",                             # abuse
    "om aku suka grepe2 aku wkwk",                          # sexual
    "aku bakal bacok dia besok wkwk",                       # harm to others
    "lol udah nelen obat sebotol",                         # method / ingestion
    "wkwk udah beli racun tikus, malem ini aku minum 😂",   # method
])
def test_laughter_never_lowers_self_harm_abuse_sexual_harm_or_method(text: str) -> None:
    assert level(text) == "crisis", verdict(text).suppressions


# --- the false-alarm classes of issue #11 ---

@pytest.mark.parametrize("text", [
    "bawa gunting buat prakarya",                           # a weapon word + "buat" (for)
    "cara bunuh kutu rambut",                               # a pest, not a person
    "gimana cara mati in notifikasi ig?",                   # "mati-in": turn off
    "ortu bakal ngamuk kalo tau aku bolos",                 # ngamuk is anger, not hitting
    "pelajaran agama bahas hukum bunuh diri",               # "hukum" is law, in a lesson
])
def test_false_alarm_classes_stay_below_crisis(text: str) -> None:
    assert level(text) != "crisis", verdict(text).rules


# --- morphology: reduplication and affixes, keeping who acts on whom ---

@pytest.mark.parametrize(("text", "token"), [
    ("om suka pegang2 aku", "pegang"),
    ("ayah mukul-mukul aku", "mukul"),
    ("aku dipukul-pukulin ayah", "dipukulin"),
])
def test_reduplication_reads_as_one_word(text: str, token: str) -> None:
    assert token in verdict(text).normalized.split(), verdict(text).normalized


def test_affixed_forms_read_as_the_known_word_of_the_same_voice() -> None:
    assert level("tanganku disundut rokok sama bapak") == "crisis"
    assert "mukul" in verdict("bapak suka pukulin aku").normalized.split()


def test_passive_and_active_are_never_merged() -> None:
    passive = verdict("dia dibunuh di film itu").normalized.split()
    active = verdict("aku mau membunuh dia").normalized.split()
    assert "dibunuh" in passive and "membunuh" not in passive
    assert "membunuh" in active


def test_ga_bercanda_is_not_laughter_even_in_the_same_clause() -> None:
    assert level("aku ga bercanda pengen mati") == "crisis"


# --- typo tolerance for 5-6 letter words ---

@pytest.mark.parametrize("text", ["pengen mathi aja", "aku mau bunoh diri", "ayah nampor aku"])
def test_one_typo_in_a_five_or_six_letter_word(text: str) -> None:
    assert level(text) == "crisis", verdict(text).steps


@pytest.mark.parametrize("text", ["sayap ayam goreng enak", "latihan silat tadi sore",
                                  "tampak cerah hari ini"])
def test_real_words_are_never_corrected_into_risk_words(text: str) -> None:
    result = verdict(text)
    assert result.level == "none" and not any("typo" in s for s in result.steps), result.steps


# --- order-free patterns ---

def test_order_free_pattern_matches_in_any_order() -> None:
    from bot.risk.patterns import compile_pattern

    classes = {"drug": frozenset({"obat", "paracetamol"})}
    pattern = compile_pattern("@drug & berapa & biji ~6", classes)
    for text in ("paracetamol berapa biji", "berapa biji paracetamol", "obat ini biji berapa"):
        tokens = text.split()
        assert any(pattern.match_at(tokens, i) for i in range(len(tokens))), text
    tokens = ["berapa", "biji", ",", "obat"]
    assert not any(pattern.match_at(tokens, i) for i in range(len(tokens)))


# --- the normaliser (issue #12) ---

@pytest.mark.parametrize("text", [
    "pengen\u202e mati",                     # right-to-left override
    "pen\u2066gen mati\u2069",               # isolates
    "\u202apengen mati\u202c",               # embedding
    "peng\u180een mati",                     # Mongolian vowel separator
    "рengen mаti",                           # Cyrillic р and а
    "ρengen mατi",                           # Greek ρ, α, τ
    "pеngеn mаtі",                           # Cyrillic е, а, і
])
def test_invisible_and_look_alike_characters_are_folded(text: str) -> None:
    assert level(text) == "crisis", verdict(text).steps


@pytest.mark.parametrize("text", ["aku mau bunuh\ndiri", "pengen\nmati aja", "self\nharm lagi"])
def test_a_phrase_split_over_a_line_break_still_matches(text: str) -> None:
    assert level(text) == "crisis", verdict(text).normalized


def test_a_line_break_still_ends_a_clause_for_context() -> None:
    assert level("wkwk\naku mau bunuh diri") == "crisis"


@pytest.mark.parametrize("position", [2_500, 9_000])
def test_a_crisis_anywhere_in_a_long_message_is_found(position: int) -> None:
    filler = "hari ini di sekolah biasa aja, pelajaran matematika lumayan. "
    text = (filler * 200)[:position] + " jadi aku mau bunuh diri malam ini. " + filler * 30
    text = text[:10_000] if len(text) > 10_000 else text
    assert "bunuh diri" in text
    result = verdict(text)
    assert result.level == "crisis", len(text)


def test_a_phrase_on_a_window_boundary_is_found() -> None:
    from bot.risk.detector import WINDOW

    for shift in range(-30, 31, 3):
        text = "x " * ((WINDOW + shift) // 2) + "aku mau bunuh diri " + "y " * 2000
        assert level(text) == "crisis", shift


def test_very_long_text_is_screened_whole() -> None:
    assert level("ok " * 60_000 + "pengen mati") == "crisis"


# --- the direct question (ask) from the rules ---

@pytest.mark.parametrize("text", ["aku udah putus asa", "capek hidup kayak gini terus",
                                  "pengen koma aja sampe semuanya selesai"])
def test_hopeless_concern_asks_directly(text: str) -> None:
    result = verdict(text)
    assert result.level == "concern" and result.ask, result.rules


def test_plain_sadness_does_not_ask() -> None:
    result = verdict("sedih banget ga diajak main")
    assert result.level == "concern" and not result.ask


def test_a_crisis_is_alerted_not_asked() -> None:
    assert not verdict("aku mau bunuh diri malam ini").ask


# --- weak signs that add up (cue accumulation) ---

def test_one_farewell_sign_asks_and_two_make_a_crisis() -> None:
    one = verdict("makasih udah jadi temen aku selama ini")
    assert one.level == "concern" and one.ask
    two = verdict("makasih udah jadi temen aku. koleksi novelku aku kasih ke kamu aja")
    assert two.level == "crisis", two.suppressions


def test_two_grooming_steps_make_a_crisis() -> None:
    assert level("ada om2 yang suka kasih aku diamond") == "concern"
    assert level("ada om2 yang suka kasih aku diamond, sekarang dia minta nomer wa aku") == "crisis"


# --- clause context of the widened kinds ---

@pytest.mark.parametrize("text", [
    "aku mati dikeroyok 3 orang di ff",                     # a character in a game
    "bts comeback, aku mati aja rasanya saking seneng",     # joy hyperbole
    "bawa pisau buat praktik masak besok",                  # a tool with a purpose
    "kenapa angka bunuh diri remaja tinggi? buat makalah",  # a lesson, frame in the next clause
    "racun tikus yang aman buat rumah yang ada kucingnya apa", # pest control
])
def test_look_alikes_of_the_widened_kinds_stay_benign(text: str) -> None:
    assert level(text) == "none", verdict(text).rules


@pytest.mark.parametrize("text", [
    "obatnya udah aku minum semua, sekarang pusing",         # ingestion done
    "paracetamol berapa biji biar ga bangun lagi",          # dose question, any order
    "aku lagi berdiri di pinggir jembatan",                 # at the edge
    "titip kucingku ya kalau aku udah ga ada",              # speaking of being gone
    "temenku cerita dia dipegang2 sama pelatihnya pas sepi", # a friend: THIRD_PARTY
])
def test_widened_kinds_are_crises(text: str) -> None:
    assert level(text) == "crisis", verdict(text).normalized


def test_a_friend_as_the_subject_is_third_party_for_any_kind() -> None:
    result = verdict("temenku cerita dia dipegang2 sama pelatihnya pas sepi")
    assert result.categories[0] == "THIRD_PARTY"
