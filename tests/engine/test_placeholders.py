"""`sebaya check-flows` rejects placeholders nobody fills: students would see them as written."""

from __future__ import annotations

from pathlib import Path

from bot.cli import main
from bot.engine.catalog import load_catalogs
from bot.engine.loader import load_flow, load_flows
from bot.engine.placeholders import check_placeholders

LANGS = ("id", "en")

FLOW = """\
flow: f
start: a
states:
  a:
    prompt: {prompt}
    input: {{save: kelas, go: b}}
  b:
    prompt: {{id: "Kelas {{kelas}} di {{school}}", en: "Class {{kelas}} at {{school}}"}}
    end: true
"""


def _problems(tmp_path: Path, project: Path, prompt: str, texts: dict | None = None):
    catalog = load_catalogs(project / "flows" / "texts", LANGS, "id")
    for lang, extra in (texts or {}).items():
        catalog.texts[lang].update(extra)
    path = tmp_path / "f.yaml"
    path.write_text(FLOW.format(prompt=prompt))
    flows = {"f": load_flow(path, catalog, LANGS)}
    return [p.render() for p in check_placeholders(flows, catalog, LANGS)]


def test_shipped_flows_and_texts_use_only_known_placeholders(project: Path) -> None:
    catalog = load_catalogs(project / "flows" / "texts", LANGS, "id")
    flows = load_flows(project / "flows", catalog, LANGS)
    assert check_placeholders(flows, catalog, LANGS) == []


def test_misspelt_placeholder_fails_check_flows_naming_flow_state_and_placeholder(
        project: Path, capsys) -> None:
    texts = project / "flows" / "texts" / "id.yaml"
    original = texts.read_text(encoding="utf-8")
    assert "{school}" in original
    texts.write_text(original.replace("{school}", "{sekolah}", 1), encoding="utf-8")
    assert main(["check-flows", "--config", str(project / "config.yaml")]) == 1
    err = capsys.readouterr().err
    assert "error: flow 'intake', state 'welcome': text 'intake.welcome' (id) uses unknown " \
           "placeholder {sekolah} (did you mean {school}?)" in err
    assert f"{texts}:" in err  # the file and line to open


def test_inline_text_with_an_unknown_placeholder(tmp_path, project) -> None:
    problems = _problems(tmp_path, project, '{id: "Halo {nama}", en: "Hi {name}"}')
    assert len(problems) == 2
    assert "f.yaml:5: error: flow 'f', state 'a': inline text (id) uses unknown placeholder " \
           "{nama}" in problems[0]


def test_variables_a_flow_saves_and_the_values_every_text_has_are_known(tmp_path,
                                                                         project) -> None:
    assert _problems(tmp_path, project, '{id: "{school} {hotlines} {kelas}", en: "{input}"}') == []


def test_a_stray_brace_is_reported(tmp_path, project) -> None:
    problems = _problems(tmp_path, project, '{id: "Halo {", en: "Hi"}')
    assert any("has a stray { or }" in p for p in problems)


def test_a_bot_text_may_use_only_what_the_default_language_uses(tmp_path, project) -> None:
    problems = _problems(tmp_path, project, "intake.topic",
                         {"en": {"core.staff_no_story": "(no story) {alias}"}})
    assert len(problems) == 1
    assert "text 'core.staff_no_story': (en) uses unknown placeholder {alias}" in problems[0]


async def test_the_bot_warns_at_start_about_an_unknown_placeholder(project: Path,
                                                                   caplog) -> None:
    """Somebody restarted without check-flows: the log says what students will see."""
    from bot.app import App
    from bot.config import load_config
    from tests.dialog import RecordingChannel

    texts = project / "flows" / "texts" / "id.yaml"
    texts.write_text(texts.read_text(encoding="utf-8").replace("{school}", "{sekolah}", 1),
                     encoding="utf-8")
    channel = RecordingChannel()
    app = await App.build(load_config(project / "config.yaml"), {channel.name: channel},
                          secret=b"s" * 32)
    await app.stop()
    assert "{sekolah}" in caplog.text and "run sebaya check-flows" in caplog.text
