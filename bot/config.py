"""config.yaml as validated pydantic models.

A wrong value fails before anything opens, as a ConfigError naming the key path, the line in
config.yaml and a hint. Secrets never live in the file: they come from the environment.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import stat
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.errors import ConfigError
from bot.yamlsrc import line_at, read_mapping

Lang = Literal["id", "en"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
SECRET_ENV = "SEBAYA_SECRET"
DATABASE_URL_ENV = "SEBAYA_DATABASE_URL"  # postgresql://... (it may hold a password)
MIGRATE_URL_ENV = "SEBAYA_MIGRATE_DATABASE_URL"  # the tables' owner, for `sebaya migrate`
log = logging.getLogger("sebaya.config")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class School(_Model):
    name: str = Field(min_length=1)
    timezone: str = "Asia/Jakarta"
    bk_office: str = ""
    bk_hours: str = ""
    # a school of a district deployment (schools/ID.yaml) that `sebaya school disable` took
    # out of service: `sebaya run` does not serve it; its data stays
    enabled: bool = True

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use e.g. Asia/Jakarta)") from exc
        return value


class Languages(_Model):
    default: Lang = "id"
    available: list[Lang] = Field(default_factory=lambda: ["id", "en"], min_length=1)

    @model_validator(mode="after")
    def _default_is_available(self) -> Languages:
        if self.default not in self.available:
            raise ValueError(f"default language {self.default!r} is not in available")
        return self


class Database(_Model):
    path: str = "data/sebaya.sqlite3"
    url: str | None = None  # postgresql://... selects PostgreSQL (several workers); see README
    # PostgreSQL connections per worker: ordinary work waits for one when all are busy
    # (back-pressure), crisis work has its own few
    pool_size: int = Field(default=10, ge=1, le=100)
    crisis_pool_size: int = Field(default=2, ge=1, le=20)
    # the tables' owner, for migrations (SEBAYA_MIGRATE_DATABASE_URL): the bot itself runs as
    # a role that may only read and write rows (docs/panduan-operator.md: PostgreSQL roles)
    migrate_url: str | None = None
    # several schools on one database: the part of the pools one school may hold at once
    school_share: float = Field(default=0.5, gt=0, le=1)

    @field_validator("url", "migrate_url")
    @classmethod
    def _postgres_only(cls, value: str | None) -> str | None:
        if value and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("database.url must start with postgresql:// (or leave it out: "
                             "SQLite at database.path)")
        return value or None


class Flows(_Model):
    dir: str = "flows"
    start: str = "intake"


class Shift(_Model):
    days: list[Weekday] = Field(min_length=1)
    start: dt.time
    end: dt.time


class Roster(_Model):
    peer_capacity: int = Field(default=1, ge=1, le=2)
    shifts: list[Shift] = Field(default_factory=list)
    holidays: list[dt.date] = Field(default_factory=list)
    offer_timeout_minutes: int = Field(default=10, ge=1, le=24 * 60)
    shift_capacity: int = Field(default=2, ge=1, le=20)  # peers who may take one shift
    reminder_minutes: int = Field(default=30, ge=0, le=24 * 60)  # before a peer's shift
    no_show_minutes: int = Field(default=15, ge=1, le=4 * 60)  # into the shift: a reminder
    no_show_escalate_minutes: int = Field(default=15, ge=1, le=4 * 60)  # then guru BK
    checkin_minutes: int = Field(default=10, ge=0, le=24 * 60)  # after a heavy case
    long_case_minutes: int = Field(default=60, ge=10, le=24 * 60)  # a case this long is heavy


class LadderLevel(_Model):
    notify: Literal["on_duty_counselors", "all_counselors", "backup"]
    timeout_minutes: int = Field(ge=1, le=24 * 60)


CrisisCategory = Literal["SI", "SH", "ABUSE", "SEXUAL", "BULLY_DANGER", "HARM_OTHERS",
                         "THIRD_PARTY", "SELF_REPORT", "ASK_YES", "MODEL", "PEER_ESCALATION"]


class Escalation(_Model):
    ladder: list[LadderLevel] = Field(min_length=1)
    # who is told about a crisis of a category besides guru BK (TPPK: abuse, sexual violence,
    # serious bullying, per Permendikbudristek 46/2023)
    categories: dict[CrisisCategory, list[Literal["tppk"]]] = Field(
        default_factory=lambda: {"ABUSE": ["tppk"], "SEXUAL": ["tppk"], "BULLY_DANGER": ["tppk"]})

    @model_validator(mode="after")
    def _reaches_a_counselor(self) -> Escalation:
        if not any(level.notify != "backup" for level in self.ladder):
            raise ValueError("the crisis ladder never alerts a counselor: add a level with "
                             "notify: on_duty_counselors or all_counselors")
        return self


class Hotline(_Model):
    name: str | dict[Lang, str] = Field(min_length=1)  # one name, or one per language
    contact: str = Field(min_length=1)
    use: dict[Lang, str] = Field(default_factory=dict)

    def name_in(self, lang: str) -> str:
        """The name students of ``lang`` read ("Darurat" / "Emergency")."""
        if isinstance(self.name, str):
            return self.name
        return self.name.get(lang) or next(iter(self.name.values()))


class Hotlines(_Model):
    last_checked: dt.date
    items: list[Hotline] = Field(min_length=1)


class Retention(_Model):
    light_case_days: int = Field(default=90, ge=1)
    crisis_case_days: int = Field(default=365, ge=1)
    processed_inbox_days: int = Field(default=7, ge=1)


class Appointments(_Model):
    """Individual counseling requests: the times offered, where, and the reminder."""

    slots: list[dt.time] = Field(default_factory=lambda: [dt.time(9), dt.time(11), dt.time(13)],
                                 min_length=1, max_length=6)
    days_ahead: int = Field(default=3, ge=1, le=10)
    place: str = ""  # default: school.bk_office
    reminder_minutes: int = Field(default=60, ge=5, le=24 * 60)


class TrainingGate(_Model):
    """How long guru BK's approval of a peer lasts before a refresher (about a semester), and
    whether a finished practice chat (/praktik) is part of the gate before approval."""

    approval_days: int = Field(default=183, ge=7, le=730)
    practice_required: bool = False


class Limits(_Model):
    max_text_chars: int = Field(default=4096, ge=100, le=20000)
    flow_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)


TemplateParameter = Literal["headline", "code", "text", "school"]


class WhatsAppTemplate(_Model):
    """An approved WhatsApp message template (Meta's name and language), and what fills its
    body variables {{1}}, {{2}} ... in order: ``headline`` the message's first line, ``code``
    the case code, ``text`` the whole message on one line, ``school`` the school's name.
    ``button``: the template has one quick-reply button, which carries the message's button
    (an alert's "Saya tangani", an offer's "Terima")."""

    name: str = Field(pattern=r"^[a-z0-9_]{1,512}$")
    language: str = Field(default="id", pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$")
    parameters: list[TemplateParameter] = Field(default_factory=list, max_length=4)
    button: bool = False


class WhatsApp(_Model):
    """The WhatsApp channel's rules (credentials come from the environment). Outside a
    person's 24-hour window only templates may be sent: ``alert`` for what staff must answer
    now, ``notice`` to tell staff a message waits, ``reminder`` and ``queue`` for students'
    reminders and queue updates. Anything else waits until the person writes, at most
    ``hold_hours`` (``staff_hold_minutes`` for what a staff member should answer: then the
    case goes on without them, as if they were unreachable), then is dropped with a record."""

    hold_hours: int = Field(default=72, ge=1, le=24 * 14)
    staff_hold_minutes: int = Field(default=60, ge=5, le=72 * 60)
    templates: dict[Literal["alert", "notice", "reminder", "queue"], WhatsAppTemplate] = Field(
        default_factory=dict)

    @model_validator(mode="after")
    def _alert_carries_its_button(self) -> WhatsApp:
        alert = self.templates.get("alert")
        if alert is not None and not alert.button and "text" not in alert.parameters:
            raise ValueError("the alert template must have button: true (the counselor takes "
                             "the case from it) or a text parameter")
        return self


class TelegramChannel(_Model):
    """A school's Telegram bot in a district deployment (schools/ID.yaml). The token itself
    is never in a file: ``token_env`` names the environment variable that holds it (default
    TELEGRAM_BOT_TOKEN_<ID>); ``webhook_path`` is its own webhook (default /telegram/<id>)."""

    token_env: str | None = Field(default=None, pattern=r"^[A-Z_][A-Z0-9_]{0,127}$")
    webhook_path: str | None = Field(default=None, pattern=r"^/[A-Za-z0-9/_.-]{1,200}$")


class WhatsAppNumber(_Model):
    """A school's WhatsApp number (Meta's phone number id) under the district's one app
    webhook: messages to it are routed to this school."""

    phone_number_id: str | None = Field(default=None, pattern=r"^[0-9]{1,32}$")


class Channels(_Model):
    telegram: TelegramChannel = TelegramChannel()
    whatsapp: WhatsAppNumber = WhatsAppNumber()


class Config(_Model):
    """The whole validated configuration. ``base_dir`` is the folder of config.yaml."""

    school: School
    languages: Languages = Languages()
    database: Database = Database()
    flows: Flows = Flows()
    roles: dict[Literal["peer", "counselor", "backup", "tppk"], dict[Lang, str]] = Field(
        default_factory=dict
    )
    roster: Roster = Roster()
    escalation: Escalation
    hotlines: Hotlines
    retention: Retention = Retention()
    limits: Limits = Limits()
    appointments: Appointments = Appointments()
    training: TrainingGate = TrainingGate()
    whatsapp: WhatsApp | None = None
    channels: Channels = Channels()  # a school's own bot and number (district deployments)
    base_dir: Path = Path(".")
    # the school of a district deployment this configuration is (bot/schools/config.py);
    # None: the one implicit school of a single-school deployment. Never read from a file.
    school_id: str | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.school.timezone)

    def resolve(self, relative: str) -> Path:
        """A path from the config, relative to the folder of config.yaml."""
        path = Path(relative)
        return path if path.is_absolute() else self.base_dir / path

    @property
    def database_path(self) -> Path:
        return self.resolve(self.database.path)

    def database_url(self, env: dict[str, str] | None = None) -> str | None:
        """The PostgreSQL URL (SEBAYA_DATABASE_URL, else database.url), or None for SQLite."""
        env = os.environ if env is None else env
        return env.get(DATABASE_URL_ENV, "").strip() or self.database.url

    def database_migrate_url(self, env: dict[str, str] | None = None) -> str | None:
        """The owner's URL for migrations (SEBAYA_MIGRATE_DATABASE_URL, else
        database.migrate_url), or None: the application's URL migrates (it owns the tables)."""
        env = os.environ if env is None else env
        return env.get(MIGRATE_URL_ENV, "").strip() or self.database.migrate_url

    def store_options(self) -> dict[str, Any]:
        """What ``open_store`` takes from the database section (PostgreSQL's; SQLite ignores
        them)."""
        return {"pool_size": self.database.pool_size,
                "urgent_size": self.database.crisis_pool_size,
                "migrate_url": self.database_migrate_url(),
                "school_share": self.database.school_share,
                "school": self.school_id}

    @property
    def flows_dir(self) -> Path:
        return self.resolve(self.flows.dir)


_HINTS = {
    "extra_forbidden": "remove it or check its spelling; allowed keys here: {allowed}",
    "missing": "add this key",
    "literal_error": "use one of the listed values",
    "time_parsing": 'write the time as "HH:MM" in quotes, e.g. "07:30"',
    "time_type": 'write the time as "HH:MM" in quotes, e.g. "07:30"',
    "date_from_datetime_parsing": "write the date as YYYY-MM-DD",
    "date_parsing": "write the date as YYYY-MM-DD",
    "int_parsing": "write a whole number",
    "too_short": "add at least one entry",
    "string_pattern_mismatch": "a template name is lowercase letters, digits and _ as approved "
                               "in Meta's WhatsApp Manager; a language is like id or en_US",
}


_INTERNAL = ("base_dir", "school_id")  # set by the loaders, never by a file


def _allowed_keys(loc: tuple[Any, ...]) -> str:
    model: Any = Config
    for part in loc[:-1]:
        if isinstance(part, int) or not hasattr(model, "model_fields"):
            continue
        field = model.model_fields.get(part)
        if field is None:
            break
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        model = next((a for a in (annotation, *args) if hasattr(a, "model_fields")), annotation)
    fields = getattr(model, "model_fields", {})
    return ", ".join(name for name in fields if name not in _INTERNAL) or "-"


def _to_config_error(path: Path, tree: Any, exc: ValidationError) -> ConfigError:
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    where = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in loc)
    where = where.replace(".[", "[") or "(top level)"
    hint = _HINTS.get(err["type"], "see the comments in the shipped config.yaml")
    hint = hint.format(allowed=_allowed_keys(loc))
    message = err["msg"].removeprefix("Value error, ")
    return ConfigError(path, line_at(tree, loc), where, message, hint)


def load_config(path: str | Path) -> Config:
    """Read and validate config.yaml; raise ConfigError with key path, line and hint."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(path, None, "", "config file not found", "pass --config PATH")
    tree = read_mapping(path, ConfigError, "the file must be a mapping of keys",
                        "start from the shipped config.yaml")
    try:
        config = Config.model_validate({**tree, "base_dir": path.resolve().parent,
                                        "school_id": None})
    except ValidationError as exc:
        raise _to_config_error(path, tree, exc) from exc
    return config


def load_secret(config: Config, env: dict[str, str] | None = None) -> bytes:
    """The installation secret (HMAC and encryption keys derive from it).

    Taken from SEBAYA_SECRET; otherwise the embedded default creates a random one beside the
    database (mode 0600) on first run and warns that it must be backed up with the database.
    """
    env = os.environ if env is None else env
    value = env.get(SECRET_ENV, "").strip()
    if value:
        if len(value) < 16:
            raise ConfigError(SECRET_ENV, None, "environment", "secret is shorter than 16 "
                              "characters", "set SEBAYA_SECRET to a long random string")
        return value.encode()
    secret_path = config.database_path.with_name(config.database_path.name + ".secret")
    if secret_path.exists():
        return secret_path.read_text(encoding="ascii").strip().encode()
    secret_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(secret_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_urlsafe(48))
    log.warning("%s is not set: generated a secret in %s (mode 0600). Back it up with the "
                "database; without it student addresses cannot be decrypted.", SECRET_ENV,
                secret_path)
    return secret_path.read_text(encoding="ascii").strip().encode()
