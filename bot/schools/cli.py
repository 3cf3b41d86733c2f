"""``sebaya school add | list | show | disable | enable | onboard``: the operator's side of a
district deployment (the registry is bot/schools/registry.py)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from bot import staffcli
from bot.config import Config
from bot.schools import channels, registry
from bot.schools.config import load_school_config

WEBHOOK_BASE_ENV = "TELEGRAM_WEBHOOK_URL"  # district mode: the public base of every webhook


def _where(config: Config) -> str:
    if config.database_url():
        return f"PostgreSQL, school {config.school_id!r} (row-level security)"
    return str(config.database_path)


def show_lines(config: Config, env: dict[str, str]) -> list[str]:
    """What an operator checks about one school (no secret is printed)."""
    var = channels.token_env(config.school_id, config)
    number = config.channels.whatsapp.phone_number_id
    return [
        f"school:    {config.school_id} — {config.school.name}"
        + ("" if config.school.enabled else " (DISABLED: sebaya run does not serve it)"),
        f"database:  {_where(config)}",
        f"flows:     {config.flows_dir}",
        f"telegram:  token in {var} ({'set' if env.get(var, '').strip() else 'NOT SET'}), "
        f"webhook path {channels.webhook_path(config)}",
        f"whatsapp:  {'phone number id ' + number if number else 'no number'}",
    ]


def _state(env: dict[str, str], var: str) -> str:
    return "sudah diisi / set" if env.get(var, "").strip() else "belum diisi / not set"


def onboard_lines(config: Config, invite: str | None, env: dict[str, str]) -> list[str]:
    """What the school's IT teacher needs, in order (Bahasa Indonesia, English after it)."""
    var = channels.token_env(config.school_id, config)
    base = env.get(WEBHOOK_BASE_ENV, "").strip()
    lines = [f"Sekolah {config.school.name} ({config.school_id}) / school onboarding", "",
             "1. Bot Telegram sekolah: buat di @BotFather (/newbot), lalu simpan tokennya di "
             f"server sebagai {var} (jangan di berkas). / Create the bot with @BotFather; put "
             f"its token in the environment as {var}.",
             f"   Status: {var} {_state(env, var)}"]
    if base:
        lines.append(f"   Webhook: {channels.webhook_url(base, config)} (didaftarkan otomatis saat "
                     "sebaya run / registered by sebaya run)")
    else:
        lines.append("   Mode: long polling (tanpa alamat publik / no public address needed). "
                     f"Untuk webhook: {WEBHOOK_BASE_ENV}=https://ALAMAT, maka Telegram memanggil "
                     f"https://ALAMAT{channels.webhook_path(config)}")
    number = config.channels.whatsapp.phone_number_id
    lines.append("2. WhatsApp (opsional): "
                 + (f"nomor {number} diarahkan ke sekolah ini lewat webhook aplikasi /whatsapp"
                    if number else "tulis channels.whatsapp.phone_number_id di "
                    f"schools/{config.school_id}.yaml / set the number's id in the school file"))
    lines.append("3. Guru BK pertama / first counselor:")
    if invite:
        lines += [f"   Kirim ke bot sekolah / send to the school's bot: /join {invite}",
                  "   (sekali pakai, berlaku 7 hari / single use, valid 7 days; more: sebaya "
                  f"staff invite --school {config.school_id} --role counselor --name \"...\")"]
    else:
        lines.append(f"   sebaya staff invite --school {config.school_id} --role counselor "
                     "--name \"...\"")
    lines += [f"4. Periksa / check: sebaya doctor --school {config.school_id}",
              "5. Mulai ulang / restart sebaya run: it serves every enabled school."]
    return lines


def run(config_path: Path, args) -> int:
    """One ``sebaya school`` action; the exit code."""
    env = dict(os.environ)
    if args.action == "list":
        found = registry.entries(config_path)
        if not found:
            print("No schools: this is a single-school deployment (config.yaml). Add one: "
                  "sebaya school add ID --name NAME")
        for entry in found:
            print(f"{entry.id:20} {'enabled ' if entry.enabled else 'DISABLED'} {entry.name}")
        return 0
    if args.action == "add":
        path = registry.add(config_path, args.id, args.name)
        load_school_config(config_path, args.id)  # what was written is valid
        print(f"School {args.id} added: {path}. Next: sebaya school onboard {args.id}")
        return 0
    if args.action in ("disable", "enable"):
        registry.set_enabled(config_path, args.id, args.action == "enable")
        print(f"School {args.id} {args.action}d; restart sebaya run for it to take effect "
              "(its data stays).")
        return 0
    config = load_school_config(config_path, args.id)
    if args.action == "show":
        print("\n".join(show_lines(config, env)))
        return 0
    invite = None
    if not args.no_invite:
        invite = asyncio.run(staffcli.invite(config, "counselor", args.name, days=7))
    print("\n".join(onboard_lines(config, invite, env)))
    return 0


def add_parser(sub, common) -> None:
    """The ``school`` subcommand and its actions."""
    school = sub.add_parser("school", parents=[common],
                            help="the schools of a district deployment (schools/ID.yaml)")
    actions = school.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", parents=[common], help="add a school (writes its file)")
    add.add_argument("id", help="lowercase letters, digits, _ and -, e.g. smpn1")
    add.add_argument("--name", required=True, help="the school's name students see")
    actions.add_parser("list", parents=[common], help="list the schools")
    for name, text in (("show", "one school's settings"),
                       ("disable", "stop serving a school (its data stays)"),
                       ("enable", "serve a disabled school again")):
        actions.add_parser(name, parents=[common], help=text).add_argument("id")
    onboard = actions.add_parser("onboard", parents=[common],
                                 help="what the school's IT teacher needs, with the first "
                                      "counselor's invite")
    onboard.add_argument("id")
    onboard.add_argument("--name", default=None, help="the first counselor's name (optional)")
    onboard.add_argument("--no-invite", action="store_true", help="print without an invite")
