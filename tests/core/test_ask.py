"""Asking directly (bot/core/ask.py): in every conversation state, in id and en; "Iya" raises
the crisis ladder, "Tidak" carries on, refusing or not answering sends the case to guru BK; the
intake asks when the weight is the heaviest. A screen stub marks the messages that ask (the real
detector's own signals are tested in tests/risk)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from bot.app import App
from bot.risk.detector import Detector
from tests.conftest import SECRET, enrol
from tests.core.test_global_commands import PATHS
from tests.dialog import Dialog, RecordingChannel, case_of, to

ASKING = "ASKME aku capek banget, rasanya pengen ngilang"
STRONGER = "ASKME9 aku udah nggak kuat"
MODEL_CRISIS = "MODELCRISIS aku udah nyiapin semuanya"


@dataclass
class Verdict:
    level: str
    categories: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    ask: bool = False
    model_score: float = 0.0
    by_model: bool = False


class AskingScreen:
    """The real detector, except for the marked test phrases."""

    def __init__(self) -> None:
        self.real = Detector.default()

    def screen(self, text: str):
        last = text.rsplit("\n", 1)[-1]  # two messages screened as one: the newer is marked
        if last.startswith("ASKME") or last.startswith("MODELCRISIS"):
            text = last
        if text.startswith("ASKME9"):
            return Verdict("concern", ["SI"], ["TEST.ask"], ask=True, model_score=0.9)
        if text.startswith("ASKME"):
            return Verdict("concern", ["SI"], ["TEST.ask"], ask=True, model_score=0.45)
        if text.startswith("MODELCRISIS"):
            return Verdict("crisis", ["MODEL"], ["MODEL.crisis"], model_score=0.97,
                           by_model=True)
        return self.real.screen(text)


@pytest.fixture
async def asking(config, clock):
    channel = RecordingChannel()
    app = await App.build(config, {channel.name: channel}, clock=clock, secret=SECRET,
                          detector=AskingScreen())  # type: ignore[arg-type]
    await enrol(app, "bk", "counselor", "Bu Rina")
    await enrol(app, "p1", "peer", "Bintang")
    yield Dialog(app, channel)
    await app.stop()


PLACES = {**PATHS, "peer_chat": [*PATHS["case_open"]]}


async def _go(d: Dialog, place: str, lang: str = "id") -> None:
    first = [("student", "halo")]
    if lang == "en":
        first.append(("student", "[English, please]"))
    steps = [s.replace("[Oke, lanjut]", "[OK, let's go]").replace("[Keluarga]", "[Family]")
             .replace("[Ringan]", "[Light]").replace("[Nggak, aman]", "[No, all safe]")
             .replace("[Nanti aja]", "[Maybe later]") if lang == "en" else s
             for s in PLACES[place]]
    await d.play([*first, *[("student", s) for s in steps]])
    if place == "peer_chat":
        await d.press("p1", "Terima")


@pytest.mark.parametrize("place", sorted(PLACES))
async def test_asked_in_every_state_and_yes_raises_the_ladder(asking: Dialog, place: str) -> None:
    d = asking
    await _go(d, place)
    sent = await d.say("student", ASKING)
    question = d.last_to("student")
    assert "mengakhiri hidup atau menyakiti dirimu" in question.text
    assert [b.label for b in question.buttons] == ["Iya", "Tidak", "Aku nggak mau jawab"]
    assert not any("BUTUH GURU BK" in t for t in to(sent, "bk"))  # asking is not alarming
    sent = await d.press("student", "Iya")
    assert any("BUTUH GURU BK SEKARANG" in t for t in to(sent, "bk"))
    assert "kamu nggak sendirian" in to(sent, "student")[0]
    case = await case_of(d.app)
    assert case.level == "crisis" and case.category == "ASK_YES"
    assert await d.tick(minutes=5)  # the ladder climbs until somebody takes it


@pytest.mark.parametrize("place", ["welcome", "story", "case_open", "peer_chat"])
async def test_asked_in_english_too(asking: Dialog, place: str) -> None:
    d = asking
    await _go(d, place, "en")
    await d.say("student", ASKING)
    question = d.last_to("student")
    assert "ending your life or hurting yourself" in question.text
    assert [b.label for b in question.buttons] == ["Yes", "No", "I'd rather not say"]
    sent = await d.press("student", "Yes")
    assert any("BUTUH GURU BK SEKARANG" in t for t in to(sent, "bk"))
    assert "you are not alone" in to(sent, "student")[0]


async def test_no_thanks_and_carries_on_and_is_not_asked_again(asking: Dialog) -> None:
    d = asking
    await _go(d, "weight")
    await d.say("student", ASKING)
    sent = await d.press("student", "Tidak")
    assert "Makasih sudah mau jawab" in to(sent, "student")[0]
    assert "Seberapa berat" in to(sent, "student")[-1]  # back to where they were
    await d.say("student", ASKING)
    assert "mengakhiri hidup" not in d.last_to("student").text  # once is enough
    await d.say("student", STRONGER)  # unless a clearly stronger signal comes
    assert "mengakhiri hidup" in d.last_to("student").text


async def test_typed_yes_counts_as_the_button(asking: Dialog) -> None:
    d = asking
    await _go(d, "idle")
    await d.say("student", ASKING)
    sent = await d.say("student", "iya")
    assert any("BUTUH GURU BK" in t for t in to(sent, "bk"))


async def test_refusing_in_a_peer_chat_sends_the_case_to_guru_bk(asking: Dialog) -> None:
    d = asking
    await _go(d, "peer_chat")
    await d.say("student", ASKING)
    sent = await d.press("student", "Aku nggak mau jawab")
    assert "teruskan ke guru BK" in to(sent, "student")[-1]
    assert any("guru BK supaya ada orang dewasa" in t for t in to(sent, "p1"))
    assert any("tidak menjawab pertanyaan langsung" in t for t in to(sent, "bk"))
    assert not any("BUTUH GURU BK" in t for t in to(sent, "bk"))  # light: no crisis ladder
    case = await case_of(d.app)
    assert case.route == "counselor" and case.status == "waiting" and case.level != "crisis"


async def test_no_answer_sends_it_to_guru_bk(asking: Dialog) -> None:
    d = asking
    await _go(d, "idle")
    await d.say("student", ASKING)
    assert await case_of(d.app) is None
    sent = await d.tick(minutes=15)
    assert any("tidak menjawab pertanyaan langsung" in t for t in to(sent, "bk"))
    assert "Ceritamu sudah aku teruskan ke guru BK" in to(sent, "student")[0]
    case = await case_of(d.app)
    assert case.route == "counselor" and "ASK.refused" in case.flags


async def test_heaviest_weight_is_asked_and_each_answer_routes(dialog: Dialog) -> None:
    d = dialog
    await enrol(d.app, "bk", "counselor", "Bu Rina")
    await enrol(d.app, "p1", "peer", "Bintang")
    intake = [("student", s) for s in ("halo", "[Oke, lanjut]", "[Keluarga]",
                                       "ortu tiap malam bertengkar", "[Berat banget]",
                                       "[Nggak, aman]")]
    for who, answer, expect in (("s1", "Tidak", "p1"), ("s2", "Iya", "bk"),
                                ("s3", "Aku nggak mau jawab", "bk")):
        await d.play([(who, line) for _, line in intake])
        assert "mengakhiri hidup" in d.last_to(who).text
        sent = await d.press(who, answer)
        case = await case_of(d.app, who)
        assert to(sent, expect), (answer, [m.address for m in sent])
        if answer == "Iya":
            alert = next(t for t in to(sent, "bk") if "BUTUH GURU BK" in t)
            assert "ortu tiap malam bertengkar" in alert  # the story goes with it
            assert case.level == "crisis"
        else:
            assert case.route == ("peer" if answer == "Tidak" else "counselor")
            assert case.story == "ortu tiap malam bertengkar"


async def test_a_crisis_only_the_model_saw_is_marked_for_review(asking: Dialog) -> None:
    d = asking
    sent = await d.say("student", MODEL_CRISIS)
    alert = to(sent, "bk")[0]
    assert "KEMUNGKINAN KRISIS — MOHON DITINJAU" in alert and "nyiapin semuanya" in alert
    assert "kamu nggak sendirian" in to(sent, "student")[0]
    sent = await d.tick(minutes=5)
    assert "KEMUNGKINAN KRISIS" in to(sent, "bk")[0]  # the same ladder, still marked


@pytest.mark.parametrize("reply", ["iya kak", "kadang-kadang sih", "sering malah, tiap malem",
                                   "mungkin"])
async def test_typed_yes_in_many_words(asking: Dialog, reply: str) -> None:
    d = asking
    await _go(d, "idle")
    await d.say("student", ASKING)
    sent = await d.say("student", reply)
    assert any("BUTUH GURU BK" in t for t in to(sent, "bk")), reply


async def test_an_unclear_reply_is_kept_and_asked_again_once(asking: Dialog) -> None:
    d = asking
    await _go(d, "idle")
    await d.say("student", ASKING)
    sent = await d.say("student", "hmm aku bingung jelasinnya")
    assert "Boleh dijawab pakai tombol" in to(sent, "student")[0]
    assert [b.label for b in sent[0].buttons] == ["Iya", "Tidak", "Aku nggak mau jawab"]
    assert "Hai, aku Sebaya" not in "".join(to(sent, "student"))  # never the welcome again
    sent = await d.say("student", "pokoknya berat aja")
    assert "Aku simpan semuanya" in to(sent, "student")[0]
    sent = await d.tick(minutes=15)  # no answer: guru BK reads all of it
    notice = next(t for t in to(sent, "bk") if "tidak menjawab" in t)
    assert "hmm aku bingung" in notice and "pokoknya berat aja" in notice


async def test_a_late_yes_is_never_dropped(asking: Dialog) -> None:
    d = asking
    await _go(d, "idle")
    await d.say("student", ASKING)
    await d.tick(minutes=15)  # timed out: the case went to guru BK as a light case
    sent = await d.press("student", "Iya")
    assert any("BUTUH GURU BK SEKARANG" in t for t in to(sent, "bk"))
    alert = next(t for t in to(sent, "bk") if "BUTUH GURU BK" in t)
    assert "menjawab IYA" in alert  # says what it is, not "merasa tidak aman"
    assert (await case_of(d.app)).level == "crisis"
