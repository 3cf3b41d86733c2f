"""The coaching rules file (flows/coaching/rules.yaml): every rule carries examples that are
checked at load, and a broken edit is an error naming file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import load_flow_bundle
from bot.core.coaching import load_coaching
from bot.errors import FlowError
from tests.conftest import ROOT

SHIPPED = ROOT / "flows"


def test_every_rule_and_mask_has_examples_and_the_kinds_cover_the_issue() -> None:
    import yaml

    tree = yaml.safe_load((SHIPPED / "coaching" / "rules.yaml").read_text(encoding="utf-8"))
    assert all(rule.get("examples") for rule in tree["rules"] + tree["student_mask"])
    rules = load_coaching(SHIPPED)
    assert rules is not None
    assert {k: s.action for k, s in rules.kinds.items()} == {
        "identity": "hold", "contact": "hold", "minimising": "hold", "blaming": "hold",
        "secrecy": "hold", "directive": "relay", "reflecting": "praise", "validating": "praise",
        "open_question": "praise"}
    assert rules.kinds["secrecy"].only_when_risk


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    (tmp_path / "coaching").mkdir()
    text = (SHIPPED / "coaching" / "rules.yaml").read_text(encoding="utf-8")
    assert old in text
    (tmp_path / "coaching" / "rules.yaml").write_text(text.replace(old, new, 1),
                                                      encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(("old", "new", "what"), [
    ('"siapa namamu"', '"boleh cerita"', "does not match"),
    ("'\\bnamamu\\b'", "'\\bnamamu('", "bad pattern"),
    ("kind: identity", "kind: identiti", "unknown kind"),
    ("directive: {action: relay}", "directive: {action: maybe}", "action must be"),
])
def test_a_broken_edit_names_the_file_and_line(tmp_path: Path, old: str, new: str,
                                               what: str) -> None:
    with pytest.raises(FlowError) as caught:
        load_coaching(_broken(tmp_path, old, new))
    assert what in str(caught.value) and "rules.yaml:" in str(caught.value)
    assert caught.value.line


def test_no_rules_file_means_no_coaching_and_check_flows_says_so(project: Path, config,
                                                                  capsys) -> None:
    from bot.cli import main

    (project / "flows" / "coaching" / "rules.yaml").unlink()
    assert load_flow_bundle(config).coaching is None
    main(["check-flows", "--config", str(project / "config.yaml")])
    assert "not coached" in capsys.readouterr().out


def test_a_kind_without_its_text_stops_the_bot_at_load(project: Path, config) -> None:
    path = project / "flows" / "texts" / "en.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text("\n".join(line for line in text.splitlines()
                              if not line.startswith("  directive:")) + "\n", encoding="utf-8")
    with pytest.raises(FlowError, match=r"coach\.directive"):
        load_flow_bundle(config)


def test_check_flows_counts_the_rules(project: Path, capsys) -> None:
    from bot.cli import main

    main(["check-flows", "--config", str(project / "config.yaml")])
    assert "coaching: 18 rule(s), 6 mask(s) OK" in capsys.readouterr().out


HANDLE_REQUESTS = ["spill uname tiktok km dong", "no wa km berapa? 08 brp", "ig kamu apa?",
                   "eh btw ig kamu apa? biar aku follow, nanti kita dm-an aja",
                   "username ig km apa", "akun tiktok lu apa", "dc kamu apa", "line km apa?",
                   "what's your ig?", "drop your username"]
NOT_HANDLE_REQUESTS = ["ig resmi sekolah kita ada info lombanya, cek aja",
                       "nomor absen 12 maju ke depan ya", "nomor absen kamu berapa di kelas?",
                       "tadi aku liat ig story lucu banget",
                       "akun resmi sekolah udah posting jadwal ujian",
                       "the school's official account posted the exam schedule", "no u"]


@pytest.mark.parametrize("text", HANDLE_REQUESTS)
def test_asking_for_a_handle_or_number_in_slang_is_an_identity_request(text: str) -> None:
    rules = load_coaching(SHIPPED)
    assert rules is not None
    assert [f.kind for f in rules.check(text, False) if f.action == "hold"] == ["identity"]


@pytest.mark.parametrize("text", NOT_HANDLE_REQUESTS)
def test_the_schools_account_or_an_absence_number_is_not_an_identity_request(text: str) -> None:
    rules = load_coaching(SHIPPED)
    assert rules is not None
    assert [f for f in rules.check(text, False) if f.action == "hold"] == []
