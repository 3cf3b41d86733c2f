"""The schools of a district deployment: one file each, ``schools/ID.yaml`` beside
config.yaml.

The registry is the folder, not a table: a school's file is its configuration anyway (the
keys of config.yaml it overrides), it works the same on SQLite and PostgreSQL, it is
reviewed and versioned like config.yaml, and a district-wide table would be the one table
whose rows every school's view could see (under row-level security it would need a school
of its own, or a policy the bot's role could get around). No file: the single-school
deployment of before, exactly as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.errors import ConfigError
from bot.yamlsrc import read_mapping

FOLDER = "schools"
# an id is a file name, an environment variable's suffix, a URL path and (PostgreSQL) a
# value spelled into SQL: lowercase letters, digits, _ and -
SCHOOL_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")


@dataclass(frozen=True)
class Entry:
    """One school as the registry lists it."""

    id: str
    name: str
    enabled: bool
    path: Path


def check_id(school: str) -> str:
    """The id, or a ConfigError saying what an id may be."""
    if not SCHOOL_ID.fullmatch(school):
        raise ConfigError(FOLDER, None, "school id", f"{school!r} is not a school id",
                          "use lowercase letters, digits, _ and - (at most 32), e.g. smpn1")
    return school


def folder(config_path: Path) -> Path:
    """``schools/`` beside config.yaml."""
    return Path(config_path).resolve().parent / FOLDER


def school_file(config_path: Path, school: str) -> Path:
    return folder(config_path) / f"{check_id(school)}.yaml"


def ids(config_path: Path) -> list[str]:
    """The ids of every school file (enabled or not), sorted; [] for a single school."""
    where = folder(config_path)
    if not where.is_dir():
        return []
    return sorted(p.stem for p in where.glob("*.yaml") if SCHOOL_ID.fullmatch(p.stem))


def entries(config_path: Path) -> list[Entry]:
    """Every school with its name and whether it is served (read from its file)."""
    found = []
    for school in ids(config_path):
        path = school_file(config_path, school)
        tree = read_mapping(path, ConfigError, "a school file must be a mapping of keys",
                            "start from what `sebaya school add` writes")
        section = tree.get("school") if isinstance(tree.get("school"), dict) else {}
        found.append(Entry(school, str(section.get("name") or school),
                           section.get("enabled", True) is not False, path))
    return found


TEMPLATE = """\
# School {id} of this deployment. Only what differs from config.yaml (the district's defaults)
# goes here, with the same keys; a key left out is config.yaml's. Paths are relative to the
# folder of config.yaml. Secrets (bot tokens) never go in this file.
school:
  name: {name}
  enabled: true
# bk_office, bk_hours, timezone: as in config.yaml
# database:
#   path: data/schools/{id}.sqlite3     # SQLite: this school's own file (the default)
# flows:
#   dir: schools/{id}/flows             # the school's own flows and texts (copy flows/ first)
# hotlines, escalation, roster ...: the school's own, if they differ
# channels:
#   telegram:
#     token_env: {env}   # the variable holding this school's bot token
#     webhook_path: /telegram/{id}
#   whatsapp:
#     phone_number_id: "123456789012345"   # this school's number under the app's webhook
"""


def add(config_path: Path, school: str, name: str) -> Path:
    """Write a new school's file; a ConfigError if the school exists already."""
    from bot.schools.channels import token_env

    path = school_file(config_path, school)
    if path.exists():
        raise ConfigError(path, None, "school", f"school {school!r} exists already",
                          f"see it with: sebaya school show {school}")
    if not name.strip():
        raise ConfigError(path, None, "school.name", "a school needs a name",
                          'give one: --name "SMP Negeri 1 Contoh"')
    path.parent.mkdir(parents=True, exist_ok=True)
    quoted = yaml.safe_dump(name.strip(), allow_unicode=True, default_style='"').strip()
    path.write_text(TEMPLATE.format(id=school, name=quoted, env=token_env(school)),
                    encoding="utf-8")
    return path


_ENABLED = re.compile(r"^(\s+)enabled:.*$", re.MULTILINE)
_SECTION = re.compile(r"^school:[ \t]*$", re.MULTILINE)


def set_enabled(config_path: Path, school: str, enabled: bool) -> Path:
    """Mark a school served or not (``school.enabled`` in its file, comments kept)."""
    path = school_file(config_path, school)
    if not path.exists():
        raise ConfigError(path, None, "school", f"no school {school!r}",
                          "list them with: sebaya school list")
    text = path.read_text(encoding="utf-8")
    value = "true" if enabled else "false"
    if _ENABLED.search(text):
        text = _ENABLED.sub(lambda m: f"{m.group(1)}enabled: {value}", text, count=1)
    elif _SECTION.search(text):
        text = _SECTION.sub(lambda m: f"{m.group(0)}\n  enabled: {value}", text, count=1)
    else:
        text += f"\nschool:\n  enabled: {value}\n"
    path.write_text(text, encoding="utf-8")
    return path
