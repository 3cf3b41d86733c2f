"""Round 2 mechanisms: each one stated as behaviour, with phrasings written for these tests.

The model's gate (a model-only alert needs a risk word), the past told apart from the present,
denied intent, question tags, similes, vanishing from an app, goodbyes with an occasion, topic
nouns, injuries with and without a cause, and the YAML words that are not booleans."""

from __future__ import annotations

import pytest

from bot.risk.detector import Detector
from bot.risk.rules import RuleError, load_rules

RULES = Detector(model=None)


def rules_level(text: str) -> str:
    return RULES.screen_rules(text).level


@pytest.mark.parametrize("text", [
    "dulu aku sering nyilet, sekarang udah lama berhenti",
    "biyen aku tau ngiris tangan, saiki wis ora",
    "abdi kantos hoyong maot, ayeuna mah tos henteu",
    "pernah pengen ilang dari dunia, tapi itu dulu banget",
    "mantan sh-er, cuma mau cerita aja",
    "udah 2 tahun clean dari self harm, bangga sama diri sendiri",
    "last year i wanted to die, but therapy helped and i'm okay now",
    "dulu aku pengen mati, tapi sejak punya sahabat aku nemu alasan buat hidup",
])
def test_a_past_episode_told_as_over_is_concern(text: str) -> None:
    assert rules_level(text) == "concern", RULES.screen_rules(text).suppressions


@pytest.mark.parametrize("text", [
    "dulu aku pernah nyoba bunuh diri, sekarang aku kepikiran lagi tiap malem",
    "dulu pernah sh, sampe sekarang masih",
    "udah 5 bulan clean tapi semalem nyilet lagi",
    "dulu aku pengen mati, sekarang juga masih pengen",
])
def test_the_past_does_not_lower_what_is_still_going_on(text: str) -> None:
    assert rules_level(text) == "crisis", RULES.screen_rules(text).suppressions


@pytest.mark.parametrize("text", [
    "aku ga ada niat nyakitin diri, cuma capek",
    "tenang, no thoughts of hurting myself, just tired",
    "aku ga pernah sampe mikir bunuh diri kok",
])
def test_denied_intent_is_concern(text: str) -> None:
    assert rules_level(text) == "concern"


def test_a_word_outside_the_denial_chain_keeps_it_crisis() -> None:
    assert rules_level("aku ga bisa berhenti mikirin bunuh diri") == "crisis"


def test_a_question_tag_is_not_a_negation() -> None:
    assert rules_level("kamu tau ga rasanya pengen mati tiap pagi") == "crisis"
    assert rules_level("aku ga pengen mati kok") == "concern"


def test_a_simile_is_not_a_blow_but_a_blow_is() -> None:
    assert rules_level("belajar seharian rasanya kayak disiksa") != "crisis"
    assert rules_level("tiap malem aku disiksa bapak") == "crisis"


def test_vanishing_from_an_app_is_not_vanishing_from_the_world() -> None:
    assert rules_level("pengen ilang dari medsos seminggu, capek drama") == "concern"
    assert rules_level("pengen ilang dari dunia ini") == "crisis"


@pytest.mark.parametrize("text", [
    "nulis surat perpisahan buat guru yang mau pensiun",
    "goodbye everyone, i'm moving to another city next month",
    "ini pesan terakhir aku malam ini ya, mau tidur",
    "persiapan surat perpisahan kelas 9, enaknya nulis apa",
])
def test_a_goodbye_with_an_occasion_is_not_a_farewell(text: str) -> None:
    assert rules_level(text) == "none", RULES.screen_rules(text).suppressions


def test_a_farewell_letter_without_an_occasion_stays_crisis() -> None:
    assert rules_level("aku udah nulis surat perpisahan buat mama, besok aku pergi") == "crisis"


def test_a_topic_noun_makes_a_mention_a_subject_of_study() -> None:
    assert rules_level("aku lagi bikin tugas tentang suicide prevention buat pkn") == "none"


def test_an_injury_without_a_cause_is_concern_and_asks_with_a_cause_it_is_nothing() -> None:
    detector = Detector()
    unexplained = detector.screen("ada memar di lenganku")
    assert unexplained.level in ("concern", "crisis") and (
        unexplained.ask or unexplained.level == "crisis")
    explained = detector.screen("memar di lengan abis tanding futsal")
    assert explained.level == "none" and not explained.ask


def test_the_ordinary_chat_the_maintainer_saw_neither_alerts_nor_asks() -> None:
    detector = Detector()
    for text in ("kayaknya dia juga suka ngomongin aku di belakang",
                 "sebenernya dia juga nyebarin gosip soal aku", "aku masih nunggu ya",
                 "they laugh at me in class and hide my bag every day",
                 "dia suka nanya pr ke aku tiap pagi", "kak aku masih di sini kok"):
        result = detector.screen(text)
        assert result.level != "crisis" and not result.ask, (text, result.suppressions)


def test_a_bare_no_in_a_class_is_a_word_and_a_boolean_is_refused(tmp_path) -> None:
    assert "no" in load_rules().classes["neg"]
    from importlib import resources
    base = resources.files("bot.risk") / "rules"
    for name in ("crisis", "concern"):
        (tmp_path / f"{name}.yaml").write_text((base / f"{name}.yaml").read_text("utf-8"),
                                               "utf-8")
    lexicon = (base / "lexicon.yaml").read_text("utf-8").replace('never, "no",', "never, no,")
    (tmp_path / "lexicon.yaml").write_text(lexicon, "utf-8")
    with pytest.raises(RuleError, match="quote it"):
        load_rules(tmp_path)


def test_unless_names_a_class() -> None:
    rules = {r.id: r for r in load_rules().rules}
    assert rules["INJURY.unexplained"].unless == "injury_cause"
