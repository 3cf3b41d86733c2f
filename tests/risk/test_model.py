"""The learned second opinion: it loads, it is deterministic, it only raises, and a missing or
corrupt weights file stops the detector (and so the bot) from starting."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from bot.errors import SourceError
from bot.risk.detector import Detector
from bot.risk.model import ModelError, RiskModel, shipped_path, to_arrays

CLASSES = ["SI", "SH", "concern", "benign"]


def fixed_model(si: float, concern: float = 0.0, benign: float = 0.0, **meta) -> RiskModel:
    """A model whose verdict is the same for every text: only its biases speak."""
    meta = {"threshold": 0.8, "ask_threshold": 0.5, "concern_threshold": 0.9, **meta}
    bias = np.log(np.array([si, 1e-9, concern, benign]) + 1e-12)
    return RiskModel(["w:x"], np.zeros((1, 4), dtype=np.float32), bias, CLASSES, meta)


def test_the_shipped_model_loads_with_its_thresholds() -> None:
    model = RiskModel.load()
    assert model.path == str(shipped_path())
    assert 0 < model.ask_threshold <= model.threshold < 1
    assert {"SI", "concern", "benign"} <= set(model.classes)


def test_the_default_detector_has_the_model() -> None:
    assert Detector.default().model is not None


def test_scores_are_deterministic_across_loads() -> None:
    text = "aku udah nulis surat buat mama, besok aku pergi jauh"
    first, second = Detector(), Detector()
    assert first.screen(text).model_score == second.screen(text).model_score


def test_the_model_never_lowers_a_rule_crisis() -> None:
    detector = Detector(model=fixed_model(si=0.0, benign=1.0))
    result = detector.screen("aku mau bunuh diri")
    assert result.level == "crisis" and not result.by_model and result.model_score < 0.01


# A text with a risk word (the body, a room, sleep) but no rule hit: the model may speak.
CUED = "kamarku gelap banget malam ini"


def test_the_model_raises_to_crisis_and_says_so() -> None:
    detector = Detector(model=fixed_model(si=0.95, benign=0.05))
    result = detector.screen(CUED)
    assert result.level == "crisis" and result.by_model and result.categories == ["SI"]
    assert result.rule_level == "none" and not result.ask
    assert any("model: crisis" in s for s in result.suppressions)


def test_the_unsure_band_asks_directly_without_raising() -> None:
    detector = Detector(model=fixed_model(si=0.6, benign=0.4))
    result = detector.screen(CUED)
    assert result.level == "none" and result.ask and not result.by_model


def test_the_model_may_raise_none_to_concern() -> None:
    detector = Detector(model=fixed_model(si=0.0, concern=0.95, benign=0.05))
    result = detector.screen("halo kak")
    assert result.level == "concern" and result.categories == ["MODEL"] and not result.ask


def test_ordinary_chat_is_never_alerted_or_asked_on_the_models_word_alone() -> None:
    sure, unsure = (Detector(model=fixed_model(si=p, benign=1 - p)) for p in (0.99, 0.6))
    for text in ("kayaknya dia juga suka ngomongin aku di belakang", "aku masih nunggu ya",
                 "halo kak", "they laugh at me in class and hide my bag every day"):
        for detector in (sure, unsure):
            result = detector.screen(text)
            assert result.level != "crisis" and not result.ask, text
            assert any("no risk word" in s for s in result.suppressions), text


def test_a_looser_cue_lets_the_model_ask_but_not_alert() -> None:
    result = Detector(model=fixed_model(si=0.99, benign=0.01)).screen(
        "minggu depan aku pergi jauh sama keluarga")
    assert result.level != "crisis" and result.ask and not result.by_model


def test_a_crisis_never_asks() -> None:
    detector = Detector(model=fixed_model(si=0.6, benign=0.4))
    assert not detector.screen("aku mau bunuh diri").ask


def test_to_json_carries_the_model_fields() -> None:
    data = Detector(model=fixed_model(si=0.95, benign=0.05)).screen(CUED).to_json()
    assert data["by_model"] is True and data["model_score"] >= 0.9 and "ask" in data


def test_a_missing_weights_file_stops_the_detector(tmp_path: Path) -> None:
    path = tmp_path / "risk.npz"
    with pytest.raises(ModelError) as err:
        Detector(model=path)
    assert isinstance(err.value, SourceError)
    assert err.value.path == str(path) and "missing" in err.value.what
    assert "train_risk.py" in err.value.hint


def test_a_truncated_weights_file_stops_the_detector(tmp_path: Path) -> None:
    path = tmp_path / "risk.npz"
    path.write_bytes(shipped_path().read_bytes()[:5000])
    with pytest.raises(ModelError, match="not a readable weights file"):
        Detector(model=path)


def test_edited_weights_fail_their_sha256(tmp_path: Path) -> None:
    model = RiskModel.load()
    arrays = to_arrays(model.features, model.weights, model.bias, model.classes, model.meta)
    arrays["weights"] = arrays["weights"].copy()
    arrays["weights"][0, 0] += 1  # the checksum is of the original contents
    path = tmp_path / "risk.npz"
    with path.open("wb") as handle:
        np.savez_compressed(handle, **arrays)
    with pytest.raises(ModelError, match="sha256"):
        Detector(model=path)


def test_another_format_version_is_refused(tmp_path: Path) -> None:
    model = RiskModel.load()
    arrays = to_arrays(model.features, model.weights, model.bias, model.classes, model.meta)
    arrays["format"] = np.array([99], dtype=np.int32)
    path = tmp_path / "risk.npz"
    with path.open("wb") as handle:
        np.savez_compressed(handle, **arrays)
    with pytest.raises(ModelError, match="format 99"):
        Detector(model=path)


def test_a_saved_model_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "copy.npz"
    shutil.copy(shipped_path(), path)
    copy = RiskModel.load(path)
    tokens = ["aku", "pengen", "pergi", "jauh", "aja"]
    assert abs(copy.opinion(tokens).crisis - RiskModel.load().opinion(tokens).crisis) < 1e-6
    again = tmp_path / "again.npz"
    copy.save(again)
    assert abs(RiskModel.load(again).opinion(tokens).crisis - copy.opinion(tokens).crisis) < 1e-3


def test_strongest_features_name_grams_of_the_text() -> None:
    model = RiskModel.load()
    tokens = ["aku", "pengen", "mati"]
    names = [name for name, _ in model.strongest(tokens)]
    assert names and all(isinstance(n, str) for n in names)


def test_cli_shows_model_score_features_and_rules(capsys) -> None:
    from bot.cli import main

    assert main(["risk", "aku pengen mati aja"]) == 0
    out = capsys.readouterr().out
    assert "rules:       SI.want_die" in out
    assert "model:       crisis" in out and "features:" in out


def test_cli_piped_to_head_does_not_crash() -> None:
    """`sebaya risk --jsonl < many | head -1`: the reader leaves while the CLI still writes."""
    import subprocess
    import sys

    lines = b'{"text": "aku pengen mati aja"}\n' * 1500  # fits a pipe; its output does not
    script = "import sys; from bot.cli import main; sys.exit(main(['risk', '--jsonl']))"
    proc = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(lines)
    proc.stdin.close()
    assert proc.stdout.readline().startswith(b"{")
    proc.stdout.close()  # as `| head -1` does
    assert proc.stderr is not None
    err = proc.stderr.read()
    proc.wait(timeout=120)
    assert proc.returncode == 0 and b"BrokenPipeError" not in err, err.decode()
