"""The tests' YAML cache (tests/yamlcache.py) gives what PyYAML gives, never a shared tree."""

from __future__ import annotations

import pytest

from bot import yamlsrc
from tests import yamlcache
from tests.conftest import ROOT


def test_the_suite_parses_through_the_cache() -> None:
    assert yamlsrc.parse_yaml is yamlcache.cached_parse_yaml


def test_a_cached_tree_equals_a_fresh_parse_with_its_lines_and_is_a_new_copy() -> None:
    text = (ROOT / "flows" / "texts" / "id.yaml").read_text(encoding="utf-8")
    fresh = yamlcache._original(text)
    first, second = yamlsrc.parse_yaml(text), yamlsrc.parse_yaml(text)
    assert first == fresh == second and first is not second
    assert isinstance(second, yamlsrc.LineDict)
    assert second.key_lines == fresh.key_lines and second.line == fresh.line
    key = next(iter(second))
    second[key] = "changed by a test"
    assert yamlsrc.parse_yaml(text)[key] == fresh[key]  # one test's edits never leak


def test_invalid_yaml_raises_every_time_with_its_line() -> None:
    for _ in range(2):
        with pytest.raises(yamlsrc.YamlSyntaxError) as caught:
            yamlsrc.parse_yaml("a: 1\nb: [unclosed\n")
        assert caught.value.line == 3


def test_a_duplicate_key_is_still_refused_from_the_cache() -> None:
    for _ in range(2):
        with pytest.raises(yamlsrc.YamlSyntaxError, match="duplicate key"):
            yamlsrc.parse_yaml("a: 1\na: 2\n")
