"""The angket file: the shipped example loads, and every mistake is named with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.angket import AREAS, load_angket, load_angkets
from bot.errors import FlowError

FLOWS = Path(__file__).resolve().parents[2] / "flows"
LANGS = ("id", "en")

GOOD = """\
id: uji
title: {id: Judul, en: Title}
intro: {id: Pembuka, en: Opening}
items:
  - id: a1
    area: pribadi
    kind: yes_no
    text: {id: Tanya, en: Ask}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "angket.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_example_loads_with_every_area_and_both_languages():
    angkets = load_angkets(FLOWS, LANGS)
    example = angkets["contoh-kebutuhan"]
    assert example.areas() == AREAS
    assert all(set(item.text) == set(LANGS) for item in example.items)
    assert {item.kind for item in example.items} == {"yes_no", "scale_4"}


def test_no_angket_folder_means_no_angket(tmp_path: Path):
    assert load_angkets(tmp_path, LANGS) == {}


def test_a_good_file_gives_items_with_their_answers(tmp_path: Path):
    angket = load_angket(_write(tmp_path, GOOD), LANGS)
    assert angket.id == "uji" and angket.item("a1").answers == ("ya", "tidak")
    assert angket.item("zz") is None


@pytest.mark.parametrize(("change", "line", "what"), [
    (("area: pribadi", "area: keuangan"), 6, "unknown area 'keuangan'"),
    (("kind: yes_no", "kind: 1-5"), 7, "unknown kind '1-5'"),
    (("text: {id: Tanya, en: Ask}", "text: {id: Tanya}"), 8, "the en wording is missing"),
    (("id: uji", "id: Uji Coba!"), 1, "a short id is needed"),
    (("  - id: a1", "  - id: a1\n    area: sosial\n    kind: yes_no\n    text: {id: x, en: y}\n"
                    "  - id: a1"), 9, "item id 'a1' is used twice"),
])
def test_each_mistake_is_named_at_its_line(tmp_path: Path, change, line, what):
    path = _write(tmp_path, GOOD.replace(*change))
    with pytest.raises(FlowError) as caught:
        load_angket(path, LANGS)
    assert caught.value.line == line and what in caught.value.what, caught.value.render()
    assert str(path) in caught.value.render()


def test_a_missing_intro_and_an_empty_item_list_are_refused(tmp_path: Path):
    with pytest.raises(FlowError, match="intro"):
        load_angket(_write(tmp_path, GOOD.replace("intro: {id: Pembuka, en: Opening}\n", "")),
                    LANGS)
    with pytest.raises(FlowError, match="needs items"):
        load_angket(_write(tmp_path, GOOD.split("items:")[0] + "items: []\n"), LANGS)


def test_two_files_with_one_id_are_refused(tmp_path: Path):
    folder = tmp_path / "angket"
    folder.mkdir()
    (folder / "a.yaml").write_text(GOOD, encoding="utf-8")
    (folder / "b.yaml").write_text(GOOD, encoding="utf-8")
    with pytest.raises(FlowError, match="defined twice"):
        load_angkets(tmp_path, LANGS)


def test_the_example_in_the_editing_guide_loads(tmp_path: Path):
    guide = (FLOWS.parent / "docs" / "panduan-mengubah.md").read_text(encoding="utf-8")
    section = guide[guide.index("## 4. Membuat angket"):]
    block = section[section.index("```yaml") + len("```yaml"):section.index("```\n", 10)]
    angket = load_angket(_write(tmp_path, block), LANGS)
    assert angket.id == "ganjil-2027" and angket.item("p1").kind == "scale_4"
