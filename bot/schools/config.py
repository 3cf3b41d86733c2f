"""A school's configuration: config.yaml (the district's defaults) with ``schools/ID.yaml``
over it.

Mappings merge key by key, anything else (a list, a value) is replaced whole: a school that
lists its own hotlines has exactly those. The result is validated as one config.yaml would
be, and an error names the file and line the wrong value came from (the school's file when
it set it, else config.yaml). On SQLite a school is its own database file: unless its file
says otherwise, ``schools/ID.sqlite3`` in the folder of config.yaml's database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.config import Config, _to_config_error
from bot.errors import ConfigError
from bot.schools import registry
from bot.yamlsrc import LineDict, read_mapping

DEFAULT = "default"  # the implicit school: config.yaml's own database, as before schools


def merge(base: Any, over: Any) -> Any:
    """``over`` on top of ``base``: mappings key by key, everything else replaced."""
    if not (isinstance(base, dict) and isinstance(over, dict)):
        return over
    out = dict(base)
    for key, value in over.items():
        out[key] = merge(base[key], value) if key in base else value
    return out


def _sets(tree: Any, loc: tuple[Any, ...]) -> bool:
    """Whether the school's file gave the value at ``loc`` (it, or a list or value above it
    that replaced config.yaml's whole)."""
    node = tree
    for part in loc:
        if not isinstance(node, dict):
            return True  # a list or value of the school's file replaced config.yaml's
        if part not in node:
            return False
        node = node[part]
    return True


def _read(path: Path, what: str) -> LineDict:
    return read_mapping(path, ConfigError, f"{what} must be a mapping of keys",
                        "start from the shipped config.yaml")


def database_path(base: dict, school: str) -> str:
    """Where a school's SQLite file is when its file names none."""
    path = (base.get("database") or {}).get("path") or "data/sebaya.sqlite3"
    if school == DEFAULT:
        return str(path)
    return str(Path(path).parent / registry.FOLDER / f"{school}.sqlite3")


def load_school_config(config_path: str | Path, school: str) -> Config:
    """The validated configuration of one school; ConfigError with file and line."""
    config_path = Path(config_path)
    if not config_path.is_file():
        raise ConfigError(config_path, None, "", "config file not found", "pass --config PATH")
    path = registry.school_file(config_path, school)
    if not path.is_file():
        known = ", ".join(registry.ids(config_path)) or "none yet"
        raise ConfigError(path, None, "school", f"no school {school!r} (schools: {known})",
                          f'add it: sebaya school add {school} --name "..."')
    base = _read(config_path, "config.yaml")
    over = _read(path, "a school file")
    merged = merge(base, over)
    database = dict(merged.get("database") or {})
    if "path" not in (over.get("database") or {}):
        database["path"] = database_path(base, school)
    merged["database"] = database
    try:
        return Config.model_validate({**merged, "base_dir": config_path.resolve().parent,
                                      "school_id": school})
    except ValidationError as exc:
        loc = tuple(exc.errors()[0]["loc"])
        if _sets(over, loc):
            raise _to_config_error(path, over, exc) from exc
        raise _to_config_error(config_path, base, exc) from exc


def school_configs(config_path: str | Path, enabled_only: bool = True) -> list[Config]:
    """Every school's configuration (the served ones by default), in id order."""
    configs = [load_school_config(config_path, school)
               for school in registry.ids(Path(config_path))]
    return [c for c in configs if c.school.enabled or not enabled_only]
