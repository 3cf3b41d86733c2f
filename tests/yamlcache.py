"""Parse each distinct YAML text once per test process.

Nearly every test builds an App, and building one reads the shipped flows, catalogs, coaching
rules and training modules (about 100 KB of YAML) with PyYAML's pure-Python loader: about 0.2 s
a test, most of the suite's set-up time. ``bot.yamlsrc.parse_yaml`` is a pure function of its
text, so the tests keep a pickled copy of each tree it returned and hand out a fresh unpickled
copy (about 1 ms) for the same text. Each test still reads its own files, runs every loader and
validator on them and gets trees nobody else holds; a text that fails to parse is not cached, so
its error is raised again every time. Production code never imports this module.
"""

from __future__ import annotations

import pickle
from typing import Any

from bot import yamlsrc

_original = yamlsrc.parse_yaml
_trees: dict[str, bytes] = {}
_MAX_TEXT = 1_000_000  # fuzzers' generated texts are small; never cache something huge


def cached_parse_yaml(text: str) -> Any:
    """``bot.yamlsrc.parse_yaml``, memoised by the text (a fresh copy every call)."""
    blob = _trees.get(text)
    if blob is None:
        tree = _original(text)  # raises YamlSyntaxError as before; nothing is cached then
        if len(text) > _MAX_TEXT:
            return tree
        blob = pickle.dumps(tree, protocol=pickle.HIGHEST_PROTOCOL)
        _trees[text] = blob
        if len(_trees) > 512:  # mutation fuzzers make many one-off texts: keep memory bounded
            _trees.pop(next(iter(_trees)))
        return tree
    return pickle.loads(blob)


def install() -> None:
    """Route ``read_yaml``/``read_mapping`` (which call the module's ``parse_yaml``) through
    the cache."""
    yamlsrc.parse_yaml = cached_parse_yaml  # type: ignore[assignment]
