"""A school's configuration: config.yaml's defaults with schools/ID.yaml over them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_config
from bot.errors import ConfigError
from bot.schools import registry
from bot.schools.channels import token, token_env, webhook_path, webhook_secret
from bot.schools.config import load_school_config, merge, school_configs


def test_merge_keeps_defaults_and_replaces_lists_whole() -> None:
    base = {"school": {"name": "A", "timezone": "Asia/Jakarta"}, "hotlines": {"items": [1, 2]}}
    over = {"school": {"name": "B"}, "hotlines": {"items": [3]}}
    assert merge(base, over) == {"school": {"name": "B", "timezone": "Asia/Jakarta"},
                                 "hotlines": {"items": [3]}}


def test_a_school_inherits_the_district_defaults_and_overrides_its_own(project: Path) -> None:
    registry.add(project / "config.yaml", "smpn1", "SMP Negeri 1")
    (project / "schools" / "smpn1.yaml").write_text(
        (project / "schools" / "smpn1.yaml").read_text() +
        "roster:\n  peer_capacity: 2\n", encoding="utf-8")
    base = load_config(project / "config.yaml")
    school = load_school_config(project / "config.yaml", "smpn1")
    assert school.school.name == "SMP Negeri 1" and school.school_id == "smpn1"
    assert school.school.bk_office == base.school.bk_office  # inherited
    assert school.roster.peer_capacity == 2 and base.roster.peer_capacity == 1
    assert school.roster.shifts == base.roster.shifts  # the rest of the section inherited
    assert school.database_path == project / "data" / "schools" / "smpn1.sqlite3"
    assert school.store_options()["school"] == "smpn1"
    assert base.school_id is None and base.store_options()["school"] is None


def test_a_wrong_value_names_the_school_file_and_its_line(project: Path) -> None:
    registry.add(project / "config.yaml", "smpn1", "SMP Negeri 1")
    path = project / "schools" / "smpn1.yaml"
    lines = path.read_text().splitlines()
    lines.append("roster:")
    lines.append("  peer_capacity: 7")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ConfigError) as caught:
        load_school_config(project / "config.yaml", "smpn1")
    text = str(caught.value)
    assert "smpn1.yaml" in text and f":{len(lines)}" in text and "peer_capacity" in text


def test_a_wrong_district_default_names_config_yaml(project: Path) -> None:
    registry.add(project / "config.yaml", "smpn1", "SMP Negeri 1")
    config = project / "config.yaml"
    config.write_text(config.read_text().replace("peer_capacity: 1", "peer_capacity: 9"))
    with pytest.raises(ConfigError) as caught:
        load_school_config(config, "smpn1")
    assert "config.yaml" in str(caught.value) and "smpn1.yaml" not in str(caught.value)


def test_an_unknown_school_says_how_to_add_it(project: Path) -> None:
    with pytest.raises(ConfigError, match="sebaya school add nope"):
        load_school_config(project / "config.yaml", "nope")


def test_the_registry_lists_adds_and_disables(project: Path) -> None:
    config = project / "config.yaml"
    assert registry.ids(config) == [] and school_configs(config) == []
    registry.add(config, "smpn2", "SMP Negeri 2 \"Contoh\": Barat")
    registry.add(config, "smpn1", "SMP Negeri 1")
    with pytest.raises(ConfigError, match="exists already"):
        registry.add(config, "smpn1", "again")
    for bad in ("SMPN1", "a b", "../x", "", "-x"):
        with pytest.raises(ConfigError, match="school id"):
            registry.add(config, bad, "x")
    registry.set_enabled(config, "smpn2", False)
    listed = registry.entries(config)
    assert [(e.id, e.name, e.enabled) for e in listed] == [
        ("smpn1", "SMP Negeri 1", True), ("smpn2", 'SMP Negeri 2 "Contoh": Barat', False)]
    assert [c.school_id for c in school_configs(config)] == ["smpn1"]
    registry.set_enabled(config, "smpn2", True)
    assert [c.school_id for c in school_configs(config)] == ["smpn1", "smpn2"]


def test_each_school_has_its_own_token_variable_webhook_path_and_secret(project: Path) -> None:
    config = project / "config.yaml"
    registry.add(config, "smpn-1", "A")
    registry.add(config, "smpn2", "B")
    a, b = load_school_config(config, "smpn-1"), load_school_config(config, "smpn2")
    assert token_env(None) == "TELEGRAM_BOT_TOKEN"
    assert token_env("smpn-1", a) == "TELEGRAM_BOT_TOKEN_SMPN_1"
    assert token(a, {"TELEGRAM_BOT_TOKEN_SMPN_1": " 1:a "}) == "1:a"
    assert token(b, {"TELEGRAM_BOT_TOKEN_SMPN_1": "1:a"}) == ""
    assert webhook_path(a) == "/telegram/smpn-1"
    assert webhook_path(load_config(config)) == "/telegram"
    secret = b"s" * 32
    assert webhook_secret(a, secret, {}) != webhook_secret(b, secret, {})
    assert webhook_secret(a, secret, {}) == webhook_secret(a, secret, {})
    assert webhook_secret(a, secret, {"TELEGRAM_WEBHOOK_SECRET_SMPN_1": "given"}) == "given"


def test_every_schools_token_is_redacted_from_log_lines(monkeypatch) -> None:
    from bot.redact import Redactor

    monkeypatch.setenv("TELEGRAM_BOT_TOKEN_SMPN1", "111111:school-one-token")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET_SMPN2", "school-two-webhook")
    text = Redactor.from_env().text("a 111111:school-one-token b school-two-webhook")
    assert "school-one" not in text and "school-two" not in text


def test_two_schools_on_one_token_path_or_number_are_refused(project: Path) -> None:
    from bot.schools.channels import clashes

    config = project / "config.yaml"
    for school in ("smpn1", "smpn2"):
        registry.add(config, school, school)
        path = project / "schools" / f"{school}.yaml"
        path.write_text(path.read_text() + 'channels:\n  whatsapp:\n    phone_number_id: "77"\n'
                        "  telegram:\n    webhook_path: /telegram/x\n")
    a, b = load_school_config(config, "smpn1"), load_school_config(config, "smpn2")
    env = {"TELEGRAM_BOT_TOKEN_SMPN1": "1:same", "TELEGRAM_BOT_TOKEN_SMPN2": "1:same"}
    found = clashes([a, b], env)
    assert len(found) == 3 and all("smpn1 and smpn2" in p for p in found)
    assert clashes([a], env) == []
