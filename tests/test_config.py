"""config.yaml validation: errors name the key path, the line and a hint."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from bot.config import load_config, load_secret
from bot.errors import ConfigError


def _edit(project: Path, old: str, new: str) -> Path:
    path = project / "config.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, fragment: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if fragment in line)


def test_shipped_config_loads(config) -> None:
    assert config.school.timezone == "Asia/Jakarta"
    assert config.languages.default == "id"
    assert config.escalation.ladder[0].notify == "on_duty_counselors"
    assert {h.name_in("id") for h in config.hotlines.items} >= {"SEJIWA", "SAPA 129", "Darurat"}
    assert not any("500-454" in h.contact for h in config.hotlines.items)  # closed in 2014


def test_unknown_key_names_path_line_and_allowed_keys(project: Path) -> None:
    path = _edit(project, "  peer_capacity: 1", "  peer_capacty: 1")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.where == "roster.peer_capacty"
    assert err.value.line == _line_of(path, "peer_capacty")
    assert "peer_capacity" in err.value.hint


def test_unknown_timezone(project: Path) -> None:
    path = _edit(project, "timezone: Asia/Jakarta", "timezone: Asia/Bandung")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.where == "school.timezone"
    assert err.value.line == _line_of(path, "Asia/Bandung")
    assert "Asia/Bandung" in str(err.value)


def test_bad_shift_time_points_at_the_shift(project: Path) -> None:
    path = _edit(project, 'start: "07:00"', 'start: "7 pagi"')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.where == "roster.shifts[0].start"
    assert err.value.line == _line_of(path, "7 pagi")
    assert "HH:MM" in err.value.hint


def test_value_out_of_range(project: Path) -> None:
    path = _edit(project, "peer_capacity: 1", "peer_capacity: 5")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.where == "roster.peer_capacity"


def test_wrong_ladder_level_lists_the_choices(project: Path) -> None:
    path = _edit(project, "notify: backup", "notify: principal")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.where == "escalation.ladder[2].notify"
    assert "backup" in err.value.what


def test_missing_required_section_points_at_top(project: Path) -> None:
    path = project / "config.yaml"
    text = path.read_text()
    path.write_text(text[: text.index("hotlines:")] + text[text.index("retention:"):])
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.where == "hotlines"
    assert "add this key" in err.value.hint


def test_default_language_must_be_available(project: Path) -> None:
    path = _edit(project, "available: [id, en]", "available: [en]")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.where == "languages"
    assert "default language" in err.value.what


def test_yaml_syntax_error_has_a_line(project: Path) -> None:
    path = _edit(project, "  name: SMP Negeri Contoh", "  name: [SMP Negeri Contoh")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.line is not None and err.value.line >= _line_of(path, "[SMP")
    assert "invalid YAML" in err.value.what


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")


def test_database_path_is_relative_to_the_config_file(config, project: Path) -> None:
    assert config.database_path == project.resolve() / "data" / "sebaya.sqlite3"


def test_secret_is_generated_once_with_owner_only_permissions(config, caplog) -> None:
    first = load_secret(config, env={})
    assert "SEBAYA_SECRET is not set" in caplog.text
    secret_file = config.database_path.with_name("sebaya.sqlite3.secret")
    assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600
    assert load_secret(config, env={}) == first  # kept, not regenerated
    assert load_secret(config, env={"SEBAYA_SECRET": "x" * 20}) == b"x" * 20


def test_short_secret_from_environment_is_refused(config) -> None:
    with pytest.raises(ConfigError, match="shorter than 16"):
        load_secret(config, env={"SEBAYA_SECRET": "short"})


def test_a_ladder_that_never_reaches_a_counselor_is_refused(project: Path) -> None:
    path = project / "config.yaml"
    text = path.read_text()
    start, end = text.index("  ladder:\n"), text.index("hotlines:")
    path.write_text(text[:start] + "  ladder:\n    - notify: backup\n      timeout_minutes: 5\n\n"
                    + text[end:])
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.where == "escalation" and "never alerts a counselor" in err.value.what
