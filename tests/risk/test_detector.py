"""Context rules, normalisation and bad input, each with the reason it exists."""

from __future__ import annotations

import pytest

from bot.risk.detector import Detector

D = Detector(model=None)


def level(text: str) -> str:
    return D.screen(text).level


@pytest.mark.parametrize(("text", "expected"), [
    ("mati lampu lagi di rumah", "none"),                    # idiom
    ("capek setengah mati abis lari", "none"),               # idiom
    ("laptopnya mau mati, cari colokan", "none"),            # object "about to die"
    ("hp ku rusak, pengen mati aja", "crisis"),              # a person after a comma: still risk
    ("bunuh nyamuk pake raket", "none"),                     # pests are not people
    ("aku pengen bunuh dia", "crisis"),                      # people are
    ("tugas resensi novel, ada bab tokohnya bunuh diri", "none"),   # story frame, a mention
    ("lirik 'aku ingin mati saja' itu lagu siapa ya?", "none"),     # quoted, not related to
    ("liriknya 'ku ingin mati saja', relate banget", "crisis"),     # quoted and related to
    ("mereka bilang 'mending lo mati aja' ke aku", "concern"),      # quoted insult: bullying
    ("aku gak pengen mati kok, cuma capek", "concern"),      # negated death wish
    ("ga mau hidup lagi", "crisis"),                         # negated life is risk
    ("pengen mati wkwk", "crisis"),                          # laughter alone is no joke (policy)
    ("mati aku lupa PR wkwk", "none"),                       # a trivial trigger + laughter: joke
    ("malu banget pengen ngilang dari bumi wkwk", "concern"),  # a trivial trigger lowers, but a
    # first-person wish never below concern (SAFETY.md): a peer looks, nobody is alarmed
    ("malu bgt pengen mati wkwk serius", "crisis"),          # ... unless the writer is serious
    ("dulu pernah kepikiran bunuh diri tapi sekarang udah ga", "concern"),  # past, resolved
    ("ngakak sampe mau mati liat video ini", "none"),        # dying of laughter
])
def test_context_rules(text: str, expected: str) -> None:
    assert level(text) == expected, D.screen(text).suppressions


def test_third_party_risk_is_crisis_with_its_own_category() -> None:
    result = D.screen("temenku bilang dia mau bunuh diri malam ini")
    assert result.level == "crisis" and result.categories == ["THIRD_PARTY"]


@pytest.mark.parametrize("text", [
    "b*nuh d1ri", "P E N G E N  M A T I", "pgn b.u.n.d.i.r", "bvnvh d!ri",
    "pengen\u200b mati", "p̸̢e̵n̷g̶e̷n̸ m̵a̵t̶i̴", "ＰＥＮＧＥＮ ＭＡＴＩ", "pengennnn matiiiii",
])
def test_obfuscation_is_seen_through(text: str) -> None:
    assert level(text) == "crisis", D.screen(text).steps


def test_normalisation_steps_are_recorded() -> None:
    steps = D.screen("pgn b*nuh d1ri").steps
    assert any(s.startswith("slang pgn->pengen") for s in steps)
    assert any("unmasked b*nuh->bunuh" in s for s in steps)
    assert any("de-leet d1ri->diri" in s for s in steps)


def test_short_triggers_are_exact_and_long_ones_fuzzy() -> None:
    assert level("aku sh lagi") == "crisis"
    assert level("aku shh lagi") == "none"          # no fuzzy match on short words
    assert level("aku diperkoosa") == "crisis"      # long words tolerate one typo
    assert level("sering banget bilang gitu") == "none"  # common words are not "corrected"


@pytest.mark.parametrize("text", ["", "   ", "😭😭😭", "🙂" * 500, "a" * 20000, "\x00\x01",
                                  "مرحبا بك", "привет", "ok"])
def test_odd_input_is_screened_without_error(text: str) -> None:
    assert level(text) in ("none", "concern", "crisis")


def test_long_text_with_risk_at_the_start_is_caught() -> None:
    assert level("pengen mati. " + "bla " * 5000) == "crisis"


def test_result_explains_itself() -> None:
    result = D.screen("aku pengen mati aja")
    assert result.to_json()["rules"] == ["SI.want_die"]
    assert "pengen mati" in result.spans and result.score >= 1.0
