"""Command line: run | console | demo | check-flows | check-rules | draw-flows | report ...
Exit codes live only here: 0 ok, 1 a check found errors (check-flows, check-rules), 2 bad
config, flows or rules (nothing was started)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import gc
import json
import logging
import os
import secrets
import signal
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from aiohttp import web
from telegram.error import TelegramError

from bot import operations, staffcli
from bot.app import App, load_flow_bundle
from bot.channels import jsonbody
from bot.channels.base import Channel
from bot.channels.console import ConsoleChannel, parse_persona
from bot.channels.telegram import ALLOWED_UPDATES, TelegramChannel
from bot.channels.webhook import add_routes as add_telegram_routes
from bot.channels.whatsapp import MAX_BODY as WA_MAX_BODY
from bot.channels.whatsapp import WEBHOOK_PATH as WA_WEBHOOK_PATH
from bot.channels.whatsapp import WhatsAppChannel, WhatsAppSettings, whatsapp_notes
from bot.clock import ManualClock
from bot.config import Config, load_config, load_secret
from bot.engine.lint import lint_flow
from bot.engine.mermaid import draw_flow
from bot.engine.placeholders import check_placeholders
from bot.errors import SebayaError
from bot.redact import Redactor
from bot.risk.detector import Detector
from bot.schools import cli as school_cli
from bot.schools import registry as school_registry
from bot.schools.config import load_school_config, school_configs
from bot.web import server as web_server
from bot.web.settings import WebSettings, settings_from

EXIT_OK, EXIT_CHECK_FAILED, EXIT_BAD_INPUT = 0, 1, 2
TOKEN_ENV = "TELEGRAM_BOT_TOKEN"
BASE_URL_ENV = "TELEGRAM_API_BASE_URL"
WEBHOOK_URL_ENV = "TELEGRAM_WEBHOOK_URL"
SEND_RATE_ENV = "TELEGRAM_SEND_RATE"  # messages per second overall; 0 = no pacing
WEBHOOK_SECRET_ENV = "TELEGRAM_WEBHOOK_SECRET"
WA_SEND_RATE_ENV = "WHATSAPP_SEND_RATE"  # messages per second overall; 0 = no pacing

DEMO_SCRIPT = (
    ("/as peer:Bintang", "Staff on duty: a peer supporter and a guru BK"),
    ("/as counselor:Bu Rina", ""),
    ("/as student:1", "A student with a light worry about friends"),
    ("halo", ""), ("1", ""), ("2", ""),
    ("aku lagi diem-dieman sama sahabatku gara-gara salah paham soal tugas kelompok", ""),
    ("2", ""), ("2", ""),
    ("/as peer:Bintang", "The peer accepts the offer and they talk (copies, never forwards)"),
    ("1", ""),
    ("Hai, aku Bintang. Mau cerita gimana awalnya?", ""),
    ("/as student:1", ""),
    ("dia ngira aku ga ngerjain bagianku, padahal udah", ""),
    ("/as peer:Bintang", ""),
    ("/selesai", ""),
    ("/as student:1", "The student rates the conversation"),
    ("5", ""),
    ("makasih, aku jadi lebih lega", ""),
    ("/as student:2", "A second student, in English, with heavy bullying: straight to guru BK"),
    ("/start", ""), ("2", ""), ("1", ""), ("4", ""),
    ("they keep making fun of me in the class group chat", ""),
    ("3", ""), ("2", ""),
    ("/as student:3", "A third student writes a crisis message in the middle of intake"),
    ("halo", ""), ("1", ""),
    ("aku udah ga kuat, pengen mati aja", ""),
    ("/as counselor:Bu Rina", "Guru BK presses the alert button, talks, then closes"),
    ("1", ""),
    ("Ibu di sini ya. Kamu sekarang aman?", ""),
    ("/as student:3", ""),
    ("iya bu, aku di kamar", ""),
    ("/as counselor:Bu Rina", ""),
    ("/selesai siswa aman, wali kelas dan orang tua dihubungi, konseling besok 07.00", ""),
)


async def _console_turn(app: App, console: ConsoleChannel, line: str) -> None:
    stripped = line.strip()
    if stripped.startswith("/as"):
        persona = parse_persona(stripped[3:])
        if persona is None:
            console.write("  (console) use /as student[:N] | peer:NAME | counselor:NAME")
            return
        console.persona = persona
        if persona.role != "student":
            await app.enrol_local_staff(console.name, persona.address, persona.address,
                                        persona.role, persona.name, duty="on")
        console.write(f"  (console) you are now {persona.address}")
        return
    event = console.event_for(line)
    if event is not None:
        await app.dispatcher.accept(event)
        await app.settle()


async def _console(config: Config) -> int:
    try:
        web_settings = settings_from()
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    console = ConsoleChannel()
    app = await App.build(config, {console.name: console},
                          web_url=web_settings.base if web_settings.enabled else "")
    await app.start()
    web_runner = await _serve_web(app, web_settings)  # /dasbor's link opens in a browser
    console.write(f"Sebaya console: {config.school.name}. You are {console.persona.address}. "
                  "Type a message; /as peer:NAME or /as counselor:NAME to switch; Ctrl-D ends.")
    if web_runner is not None:
        console.write(f"  (console) web view on {web_settings.base}: /as counselor:NAME, "
                      "then /dasbor for a sign-in link")
    try:
        while True:
            try:
                line = await asyncio.to_thread(input, f"{console.persona.address}> ")
            except EOFError:
                break
            await _console_turn(app, console, line)
    finally:
        if web_runner is not None:
            await web_runner.cleanup()
        await app.stop()
    return EXIT_OK


async def _demo(config: Config) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        demo_config = config.model_copy(update={
            "database": config.database.model_copy(update={"path": str(Path(tmp) / "demo.db")}),
        })
        console = ConsoleChannel()
        clock = ManualClock(dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC))  # Mon 08:00 WIB
        app = await App.build(demo_config, {console.name: console}, clock=clock,
                              secret=b"demo-secret-" * 3)
        await app.start()
        try:
            for line, caption in DEMO_SCRIPT:
                if caption:
                    console.write(f"\n# {caption}")
                console.write(f"{console.persona.address}> {line}")
                await _console_turn(app, console, line)
        finally:
            await app.stop()
    return EXIT_OK


def _channels(config: Config, token: str, secret: bytes,
              whatsapp: WhatsAppSettings | None) -> dict[str, Channel]:
    """Telegram when its token is set, WhatsApp when its four variables are: both at once
    serve one deployment (one store, one core, one case across channels)."""
    channels: dict[str, Channel] = {}
    if token:
        rate = float(os.environ.get(SEND_RATE_ENV) or 30)  # Telegram allows ~30 messages/s
        channels["telegram"] = TelegramChannel(token, os.environ.get(BASE_URL_ENV) or None,
                                               send_interval=1 / rate if rate > 0 else 0)
    if whatsapp is not None:
        rate = float(os.environ.get(WA_SEND_RATE_ENV) or 50)  # Cloud API: 80/s by default
        channels["whatsapp"] = WhatsAppChannel(whatsapp, secret, config.whatsapp,
                                               config.school.name,
                                               send_interval=1 / rate if rate > 0 else 0)
    return channels


async def _serve(config: Config, token: str, whatsapp: WhatsAppSettings | None) -> int:
    secret = load_secret(config)
    try:
        channels = _channels(config, token, secret, whatsapp)
        web_settings = settings_from()
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    app = await App.build(config, channels, secret=secret,
                          web_url=web_settings.base if web_settings.enabled else "")
    telegram = channels.get("telegram")
    wa = channels.get("whatsapp")
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    if isinstance(wa, WhatsAppChannel):
        wa.bind(app.store, app.vault)
        await wa.start()
    if isinstance(telegram, TelegramChannel):
        try:
            await telegram.start()
        except TelegramError as exc:
            print(Redactor([token]).text(
                f"error: cannot reach the Telegram Bot API ({type(exc).__name__}: {exc}); "
                f"check {TOKEN_ENV} and {BASE_URL_ENV}"), file=sys.stderr)
            for channel in channels.values():
                with contextlib.suppress(Exception):
                    await channel.stop()  # type: ignore[attr-defined]
            await app.stop()
            return EXIT_BAD_INPUT
    await app.start()
    if isinstance(telegram, TelegramChannel):
        for address, role in await app.staff_addresses(telegram.name):
            await telegram.set_staff_commands(address, role)
    gc.freeze()  # flows, rules, catalogs and PTB's modules are here for good: the collector
    # stops re-scanning them, which kept long pauses out of the crisis path under load
    webhook_url = os.environ.get(WEBHOOK_URL_ENV, "").strip() if telegram else ""
    runner = None
    if webhook_url or wa is not None:
        runner = await _serve_webhooks(app, telegram if webhook_url else None, wa, webhook_url)
    web_runner = await _serve_web(app, web_settings)
    poll = None
    if isinstance(telegram, TelegramChannel) and not webhook_url:
        logging.getLogger("sebaya").info("Telegram: long polling")
        # several workers on PostgreSQL: one polls (an advisory lock), the others take over
        # within seconds when it dies (bot/store/singleton.py); SQLite: this process polls
        from bot.store.singleton import Singleton

        poll = asyncio.create_task(Singleton(app.store, "telegram-polling").run(
            lambda stop: telegram.poll(app.dispatcher.accept_many, stop), stopping))
    logging.getLogger("sebaya").info("running on %s; Ctrl-C stops", " and ".join(channels))
    await stopping.wait()
    if poll is not None:
        poll.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poll
    if runner is not None:
        await runner.cleanup()  # no new deliveries: Meta and Telegram deliver them again
    if web_runner is not None:
        await web_runner.cleanup()
    await app.stop()
    for channel in channels.values():
        await channel.stop()  # type: ignore[attr-defined]
    return EXIT_OK


async def _serve_web(app: App, settings: WebSettings) -> web.AppRunner | None:
    """The web view for guru BK beside the bot; if its port cannot be had, the bot runs on
    without it (alerts in the chat matter more than the dashboard) and says so."""
    if not settings.enabled:
        return None
    try:
        return await web_server.start(app, settings)
    except OSError as exc:
        logging.getLogger("sebaya").error(
            "WEB VIEW NOT STARTED: cannot listen on %s:%s (%s); the bot runs on without it",
            settings.host, settings.port, exc)
        return None


async def _serve_webhooks(app: App, telegram: TelegramChannel | None,
                          wa: Channel | None, telegram_url: str) -> web.AppRunner:
    """One local server (behind a TLS reverse proxy) for the Telegram webhook and WhatsApp's:
    SEBAYA_WEBHOOK_HOST:SEBAYA_WEBHOOK_PORT."""
    host = os.environ.get("SEBAYA_WEBHOOK_HOST", "127.0.0.1")
    port = int(os.environ.get("SEBAYA_WEBHOOK_PORT", "8080"))
    server = web.Application(client_max_size=WA_MAX_BODY if wa else jsonbody.MAX_BODY)
    secret = os.environ.get(WEBHOOK_SECRET_ENV) or secrets.token_urlsafe(32)
    if telegram is not None:
        add_telegram_routes(server, telegram, app.dispatcher.accept, secret)
    if isinstance(wa, WhatsAppChannel):
        wa.add_routes(server, app.dispatcher.accept_many, app.sender.delivery_reports)
    runner = web.AppRunner(server, access_log=None)
    await runner.setup()
    # several workers on one machine (PostgreSQL) all serve the same port: the kernel spreads
    # connections over them (SO_REUSEPORT), and a re-delivery that reaches another worker is
    # deduplicated by the inbox
    await web.TCPSite(runner, host, port, reuse_port=app.store.several_workers or None).start()
    log = logging.getLogger("sebaya")
    if telegram is not None:
        await telegram.bot.set_webhook(telegram_url, secret_token=secret,
                                       allowed_updates=ALLOWED_UPDATES)
        log.info("Telegram: webhook on %s:%s/telegram", host, port)
    if wa is not None:
        log.info("WhatsApp: webhook on %s:%s%s", host, port, WA_WEBHOOK_PATH)
    return runner


def _run(config: Config, workers: int = 1, config_arg: str | None = None) -> int:
    token = os.environ.get(TOKEN_ENV, "").strip()
    try:
        whatsapp = WhatsAppSettings.from_env()
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if workers > 1:
        return _run_workers(config, workers, config_arg, bool(token or whatsapp))
    if token or whatsapp is not None:
        return asyncio.run(_serve(config, token, whatsapp))
    print(f"No {TOKEN_ENV} set: starting the local console channel (no WHATSAPP_* set "
          "either).", file=sys.stderr)
    return asyncio.run(_console(config))


def _run_workers(config: Config, workers: int, config_arg: str | None,
                 has_channel: bool) -> int:
    """``sebaya run --workers N``: N ``sebaya run`` processes on one PostgreSQL database,
    supervised (bot/supervisor.py)."""
    if not config.database_url():
        print(f"error: --workers {workers} needs PostgreSQL (database.url in config.yaml or "
              "SEBAYA_DATABASE_URL): SQLite has one writer, so it runs one worker. Run "
              "`sebaya run` without --workers, or see README: Many schools.", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not has_channel:
        print(f"error: --workers needs {TOKEN_ENV} or the WHATSAPP_* variables (the local "
              "console is one person at a keyboard: run `sebaya console`)", file=sys.stderr)
        return EXIT_BAD_INPUT
    load_secret(config)  # made here when missing: the workers must not race to generate one
    from bot.supervisor import supervise

    env = dict(os.environ)
    # the Telegram webhook: every worker registers it, so all must check the same secret
    env.setdefault(WEBHOOK_SECRET_ENV, secrets.token_urlsafe(32))
    argv = [sys.executable, "-m", "bot", "run"] + (["--config", config_arg] if config_arg
                                                   else [])
    if config.school_id:  # `run --school ID --workers N`: every worker serves that school
        argv += ["--school", config.school_id]
    return asyncio.run(supervise(argv, workers, env))


def _check_flows(config: Config) -> int:
    bundle = load_flow_bundle(config)
    count = 0
    for flow in bundle.flows.values():
        for warning in lint_flow(flow, bundle.catalog, tuple(config.languages.available)):
            print(warning.render())
            count += 1
    problems = check_placeholders(bundle.flows, bundle.catalog, config.languages.available)
    for problem in problems:
        print(problem.render(), file=sys.stderr)
    if problems:
        print(f"{len(problems)} error(s): students would see these placeholders as written "
              f"({count} warning(s) besides)", file=sys.stderr)
        return EXIT_CHECK_FAILED
    print(f"{len(bundle.flows)} flow(s) OK, {count} warning(s)")
    if bundle.coaching is None:
        print("coaching: flows/coaching/rules.yaml not found: peers' messages are not coached "
              "and students' contact details are not masked (copy the shipped file)")
    else:
        print(f"coaching: {len(bundle.coaching.rules)} rule(s), "
              f"{len(bundle.coaching.masks)} mask(s) OK (every example checked)")
    if bundle.training is None:
        print("training: flows/training/modules.yaml not found: new peers need only guru BK's "
              "approval before /onduty")
    else:
        print(f"training: {len(bundle.training.modules)} module(s) OK, pass mark "
              f"{bundle.training.pass_percent}%")
    if bundle.practice is None:
        print("practice: flows/training/practice.yaml not found: /praktik has no scripted "
              "student (copy the shipped file)")
    else:
        print(f"practice: {len(bundle.practice.scenarios)} scenario(s) OK ("
              f"{', '.join(s.id for s in bundle.practice.scenarios)})")
    for angket in bundle.angkets.values():
        print(f"angket {angket.id}: {len(angket.items)} item(s) OK "
              f"({', '.join(angket.areas())})")
    if config.whatsapp is not None or os.environ.get("WHATSAPP_PHONE_NUMBER_ID"):
        notes = [note for flow in bundle.flows.values()
                 for note in whatsapp_notes(flow, bundle.catalog,
                                            tuple(config.languages.available))]
        for note in notes:
            print(note)
        print(f"whatsapp: {len(notes)} note(s) on buttons shown differently there")
    return EXIT_OK


def _draw_flows(config: Config, out: Path) -> int:
    bundle = load_flow_bundle(config)
    out.mkdir(parents=True, exist_ok=True)
    for flow in bundle.flows.values():
        target = out / f"{flow.name}.mmd"
        target.write_text(draw_flow(flow) + "\n", encoding="utf-8")
        print(target)
    return EXIT_OK


def _quiet_stdout() -> None:
    """After a broken pipe: point stdout at /dev/null so the exit flush does not fail again."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _risk(text: str | None, jsonl: bool) -> int:
    detector = Detector.default()  # a missing or corrupt model file fails here, clearly
    if jsonl:
        for number, line in enumerate(sys.stdin, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                result = detector.screen(str(item["text"])).to_json()
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                result = {"error": f"line {number}: need a JSON object with a text field "
                                   f"({type(exc).__name__})"}
            print(json.dumps(result, ensure_ascii=False), flush=True)
        return EXIT_OK
    if text is None:
        print("error: give a message, or --jsonl to read JSON Lines from stdin",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    result = detector.screen(text)
    model = detector.model
    who = " (by the model: kemungkinan krisis, mohon ditinjau)" if result.by_model else ""
    print(f"level:       {result.level}{who} (rules: {result.rule_level}, score "
          f"{result.score:.2f})")
    print(f"ask:         {'yes: ask directly about suicide or self-harm' if result.ask else 'no'}")
    print(f"rules:       {', '.join(result.rules) or '-'}")
    print(f"categories:  {', '.join(result.categories) or '-'}")
    print(f"spans:       {', '.join(repr(s) for s in result.spans) or '-'}")
    print(f"normalized:  {result.normalized}")
    print(f"steps:       {'; '.join(result.steps) or '-'}")
    print(f"suppressed:  {'; '.join(result.suppressions) or '-'}")
    if model is not None:
        tokens = [t for norm in detector.normalize(text) for t in norm.tokens]
        opinion = model.opinion(tokens)
        print(f"model:       crisis {result.model_score:.3f} (alert >= {model.threshold:.2f}, "
              f"ask >= {model.ask_threshold:.2f}); likeliest crisis kind "
              f"{opinion.category or '-'}; concern {opinion.concern:.3f}")
        features = ", ".join(f"{name!r} {value:+.2f}" for name, value in model.strongest(tokens))
        print(f"features:    {features or '-'}  (+ towards crisis, - away; _ = word edge, [words])")
    return EXIT_OK


def _check_rules(folder: Path | None) -> int:
    from bot.rulecheck import check_rules

    try:
        result = check_rules(folder)
    except SebayaError as exc:  # a broken rule file: file, line and what to fix
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for failure in result.failures:
        print(failure.render())
    where = folder or "bot/risk/rules (shipped)"
    if result.failures:
        print(f"{where}: {result.rules} rule(s), {result.examples} example(s): "
              f"{len(result.failures)} FAILED. Fix the example or the rule, run "
              "sebaya check-rules again, then restart the bot.", file=sys.stderr)
        return EXIT_CHECK_FAILED
    print(f"{where}: {result.rules} rule(s), {result.examples} example(s): all pass. Restart "
          "the bot to use edited rules.")
    return EXIT_OK


APPROVAL_MESSAGES = {
    "approved": "{name} is approved and may go on duty (/onduty); the bot tells them.",
    "already": "{name} was already approved.",
    "untrained": "{name} has not passed every training module yet: not approved.",
    "not_peer": "{name} is not a peer supporter: only peers need approval.",
    "unknown": "no single staff member matches {name!r} (use sebaya staff list)",
}


def _days(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number of days from ``low`` to ``high``."""
    def parse(value: str) -> int:
        try:
            days = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
        if not low <= days <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high} days, not {days}")
        return days
    return parse


def _approve(config: Config, who: str) -> int:
    outcome, name = asyncio.run(staffcli.approve(config, who))
    message = APPROVAL_MESSAGES[outcome].format(name=name)
    if outcome in ("approved", "already"):
        print(message)
        return EXIT_OK
    print(f"error: {message}", file=sys.stderr)
    return EXIT_CHECK_FAILED


def _staff(config: Config, args: argparse.Namespace) -> int:
    if args.action == "invite":
        code = asyncio.run(staffcli.invite(config, args.role, args.name, args.days))
        who = f" for {args.name}" if args.name else ""
        print(f"Invite for a {args.role}{who}, valid {args.days} day(s), single use.")
        print("In the bot chat, send: /join " + code)
        print(code)
        return EXIT_OK
    if args.action == "list":
        people = asyncio.run(staffcli.listing(config))
        if not people:
            print("No staff enrolled yet. Create an invite: sebaya staff invite --role counselor")
        else:
            print(f"{'ROLE':10} {'NAME':20} {'PSEUDONYM':16} {'CODE':6} DUTY")
        for person in people:
            gate = "" if person.role != "peer" else " approved" if person.approved_at \
                else " trained, awaiting approval" if person.trained_at else " in training"
            print(f"{person.role:10} {person.display_name or '-':20} "
                  f"{person.pseudonym or '-':16} #{person.code}  duty={person.duty}{gate}")
        return EXIT_OK
    if args.action == "approve":
        return _approve(config, args.who)
    plan = asyncio.run(staffcli.plan_removal(config, args.who))
    if plan is not None and plan.risky and not args.yes:
        print(f"{plan.name} ({plan.role}) holds {plan.active} open case(s), {plan.crises} of "
              "them crisis cases: they go back to the queue and guru BK is alerted again from "
              "the first level." if plan.active else f"{plan.name} ({plan.role}) holds no case.")
        if plan.last_counselor:
            print("They are the LAST counselor or backup contact: after this, crisis alerts "
                  "reach nobody and students in danger are told to call the hotlines. Invite "
                  "another counselor first: sebaya staff invite --role counselor")
        print("Nothing was removed. To go ahead: sebaya staff remove "
              f"{args.who!r} --yes", file=sys.stderr)
        return EXIT_CHECK_FAILED
    removed = asyncio.run(staffcli.remove(config, args.who))
    if removed is None:
        print(f"error: no single staff member matches {args.who!r} (use sebaya staff list)",
              file=sys.stderr)
        return EXIT_CHECK_FAILED
    print(f"Removed {removed[0]}; {removed[1]} open case(s) went back to the queue.")
    return EXIT_OK


async def _migrate(config: Config) -> int:
    from bot.core.identity import IdentityVault
    from bot.store.port import open_store

    vault = IdentityVault(load_secret(config), config.school_id)
    store = await open_store(config.database_path, config.database_url(), vault,
                             **config.store_options())
    try:
        version = await store.schema_version()
    finally:
        await store.close()
    print(f"{store.dialect} database at schema version {version}")
    return EXIT_OK


async def _migrate_from_sqlite(config: Config, path: Path, school: str = "default") -> int:
    from bot.core.identity import IdentityVault
    from bot.store.pg.copy import copy_sqlite

    url = config.database_url()
    if not url:
        print("error: set database.url (or SEBAYA_DATABASE_URL) to the PostgreSQL database "
              "to copy into", file=sys.stderr)
        return EXIT_BAD_INPUT
    vault = IdentityVault(load_secret(config), None if school == "default" else school)
    copied = await copy_sqlite(path, url, vault, school=school,
                               migrate_url=config.database_migrate_url())
    for table in copied:
        print(f"{table.table:22} {table.rows:8} rows")
    print(f"Copied {sum(t.rows for t in copied)} rows from {path}; row counts checked. Keep "
          f"{path} until the bot has run on PostgreSQL for a while.")
    return EXIT_OK


def _operations(config: Config, args: argparse.Namespace) -> int:
    if args.command == "backup":
        target = operations.backup_target(Path(args.path), dt.datetime.now(dt.UTC),
                                          folder=args.path.endswith(("/", os.sep)))
        size = operations.backup(config, target, overwrite=args.overwrite)
        print(f"Backed up to {target} ({size / 1024:.0f} KiB, integrity ok). Keep the "
              "secret (SEBAYA_SECRET or the .secret file) separately: this copy opens only "
              "with today's secret, also after a later sebaya secret rotate.")
        return EXIT_OK
    if args.command == "audit":
        lines = operations.audit_lines(config, args.case, args.staff, args.limit)
        print("\n".join(lines) if lines else "No audit rows match.")
        return EXIT_OK
    checks = operations.doctor(config)
    for check in checks:
        print(check.render())
    return EXIT_OK if all(c.ok for c in checks) else EXIT_CHECK_FAILED


async def _seed_data(config: Config) -> int:
    from bot.core.identity import IdentityVault
    from bot.reports.seed import DEMO_SECRET, demo_path, remove_demo, seed_month
    from bot.store.db import Store

    path = demo_path(config.database_path)
    remove_demo(config.database_path)  # made afresh: running it twice doubles nothing
    vault = IdentityVault(DEMO_SECRET)
    store = await Store.open(path, vault)
    try:
        async with store.transaction() as db:
            made = await seed_month(db, vault,
                                    dt.datetime.now(config.tz).date(), config.tz)
    finally:
        await store.close()
    print(f"Synthetic month written to {path} (sample people only; the real database "
          f"{config.database_path.name} is untouched): "
          + ", ".join(f"{k} {v}" for k, v in made.items()))
    print("See it: sebaya report --demo --format html · remove it: sebaya demo --remove-data")
    return EXIT_OK


async def _rotate_secret(config: Config, new_file: Path | None) -> int:
    from bot import secretrotate

    new = secretrotate.new_secret_from(new_file, dict(os.environ))
    rotation = await secretrotate.rotate(config, new)
    hint = "pg_dump -Fc" if config.database_url() else "sebaya backup FILE"
    print("\n".join(secretrotate.next_steps(rotation, hint)))
    return EXIT_OK


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of workers (1 or more)")
    return int(text)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; write YYYY-MM-DD") from exc


def _report(config: Config, args: argparse.Namespace) -> int:
    today = dt.datetime.now(config.tz).date()
    end = args.end or today
    start = args.start or end - dt.timedelta(days=29)
    if start > end:
        print("error: --from is after --to", file=sys.stderr)
        return EXIT_BAD_INPUT
    from bot.reports import build  # matplotlib loads only for reports

    paths = asyncio.run(build.write(config, start, end, args.format, args.out, args.lang,
                                    demo=args.demo))
    print(f"Report for {start} to {end} written to {paths[0].parent}"
          + ("" if args.out else " (the default: reports/ beside the database; --out DIR "
             "to choose)") + ":")
    for path in paths:
        print(path)
    return EXIT_OK


NEEDS_A_SCHOOL = ("staff", "backup", "audit", "doctor", "report", "secret", "console")


async def _migrate_all(configs: list[Config]) -> int:
    """``sebaya migrate`` in a district: every school's database (PostgreSQL: one schema,
    each school's view checks it; SQLite: each school's file)."""
    for config in configs:
        print(f"school {config.school_id}: ", end="", flush=True)
        await _migrate(config)
    return EXIT_OK


def _district_report(config: Config, configs: list[Config], args: argparse.Namespace) -> int:
    from bot.reports import district

    today = dt.datetime.now(config.tz).date()
    end = args.end or today
    start = args.start or end - dt.timedelta(days=29)
    if start > end:
        print("error: --from is after --to", file=sys.stderr)
        return EXIT_BAD_INPUT
    out = args.out or config.database_path.parent / "reports" / "district"
    path = asyncio.run(district.write(configs, start, end, args.format, out,
                                      args.lang or config.languages.default))
    print(f"District report for {start} to {end}, {len(configs)} school(s): {path}")
    return EXIT_OK


def _run_district(config: Config, configs: list[Config], workers: int,
                  config_arg: str | None) -> int:
    """``sebaya run`` with schools: every enabled school in this process (or in each of N
    supervised workers on PostgreSQL)."""
    from bot.schools import channels as school_channels
    from bot.schools.serve import Shared, serve, whatsapp_settings

    shared = Shared()
    for school in configs:
        shared.bundle(school)  # every school's flows fail before anything opens
    if not configs:
        print("error: every school is disabled (sebaya school list)", file=sys.stderr)
        return EXIT_BAD_INPUT
    for problem in school_channels.clashes(configs, dict(os.environ)):
        print(f"error: {problem}", file=sys.stderr)
    if school_channels.clashes(configs, dict(os.environ)):
        return EXIT_BAD_INPUT
    has_channel = any(school_channels.token(c, dict(os.environ))
                      or whatsapp_settings(c, os.environ) for c in configs)
    if workers > 1:
        for school in configs:
            load_secret(school)
        return _run_workers(config, workers, config_arg, has_channel)
    if not has_channel:
        print("error: no school has its Telegram token set (TELEGRAM_BOT_TOKEN_<ID>) or a "
              "WhatsApp number with the app's WHATSAPP_* variables; see sebaya school "
              "onboard ID", file=sys.stderr)
        return EXIT_BAD_INPUT

    async def main() -> int:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stopping.set)
        return await serve(configs, dict(os.environ), stopping, shared)

    return asyncio.run(main())


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default=argparse.SUPPRESS,
                        help="path to config.yaml (default: ./config.yaml)")
    common.add_argument("--school", default=argparse.SUPPRESS, metavar="ID",
                        help="the school of a district deployment (schools/ID.yaml; see "
                        "sebaya school list)")
    parser = argparse.ArgumentParser(prog="sebaya", parents=[common],
                                     description="Sebaya: anonymous peer-support intake bot")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", parents=[common], help="run the bot (Telegram and/or WhatsApp "
                         "when their variables are set, otherwise the local console)")
    run.add_argument("--workers", type=_positive, default=1,
                     help="start and supervise N worker processes on one PostgreSQL database "
                     "(restarted when one dies; SIGTERM stops them all)")
    sub.add_parser("console", parents=[common], help="chat locally as student, peer or counselor")
    demo = sub.add_parser("demo", parents=[common], help="play a scripted multi-party scenario")
    demo.add_argument("--seed-data", action="store_true",
                      help="instead, write a synthetic month to demo.sqlite3 (beside the real "
                      "database, never in it) for `sebaya report --demo`")
    demo.add_argument("--remove-data", action="store_true",
                      help="delete demo.sqlite3, the synthetic month")
    sub.add_parser("check-flows", parents=[common], help="validate and lint flows and texts")
    rules = sub.add_parser("check-rules", parents=[common],
                           help="run every risk rule's examples and not_examples (no pytest)")
    rules.add_argument("--rules", type=Path, default=None,
                       help="a folder with lexicon.yaml, crisis.yaml, concern.yaml (default: "
                       "the rules the bot uses, bot/risk/rules)")
    risk = sub.add_parser("risk", parents=[common], help="explain the risk verdict for a message")
    risk.add_argument("text", nargs="?", help="the message to screen")
    risk.add_argument("--jsonl", action="store_true",
                      help="read JSON Lines with a text field on stdin; write one verdict per line")
    staff = sub.add_parser("staff", parents=[common],
                           help="invite, list, approve or remove staff")
    staff_sub = staff.add_subparsers(dest="action", required=True)
    inv = staff_sub.add_parser("invite", parents=[common], help="print a single-use invite code")
    inv.add_argument("--role", choices=("peer", "counselor", "backup", "tppk", "principal"),
                     required=True)
    inv.add_argument("--name", help="who it is for (shown to staff only)")
    inv.add_argument("--days", type=_days(1, 90), default=7,
                     help="days the code stays valid (1-90)")
    staff_sub.add_parser("list", parents=[common], help="list enrolled staff")
    ap = staff_sub.add_parser("approve", parents=[common],
                              help="approve a trained peer supporter for duty")
    ap.add_argument("who", help="pseudonym, name or #code from `sebaya staff list`")
    rm = staff_sub.add_parser("remove", parents=[common], help="remove a staff member")
    rm.add_argument("who", help="name, pseudonym or #code from `sebaya staff list`")
    rm.add_argument("--yes", action="store_true",
                    help="remove even if they hold open cases or are the last counselor")
    backup = sub.add_parser("backup", parents=[common], help="consistent copy of the database")
    backup.add_argument("path", help="the copy's file name, or a folder (ending in /) for a "
                        "dated file inside it")
    backup.add_argument("--overwrite", action="store_true",
                        help="replace an existing backup file (refused otherwise)")
    audit = sub.add_parser("audit", parents=[common], help="who took, viewed, closed ...")
    audit.add_argument("--case", help="a case code, e.g. K7Q2")
    audit.add_argument("--staff", help="a staff member's name, pseudonym or code")
    audit.add_argument("--limit", type=int, default=200)
    sub.add_parser("doctor", parents=[common], help="check config, database and staffing")
    sub.add_parser("migrate", parents=[common],
                   help="bring the database (SQLite or PostgreSQL) to the latest schema")
    move = sub.add_parser("migrate-from-sqlite", parents=[common],
                          help="copy a school's SQLite database into the (empty) PostgreSQL "
                               "database of database.url / SEBAYA_DATABASE_URL")
    move.add_argument("file", type=Path, help="the SQLite file, e.g. data/sebaya.sqlite3 "
                      "(--school ID: the school it becomes in PostgreSQL; default: default, "
                      "the one school of a single-school deployment)")
    report = sub.add_parser("report", parents=[common],
                            help="programme report (md, csv or html with charts), anonymous")
    report.add_argument("--from", dest="start", type=_date, default=None,
                        help="first day, YYYY-MM-DD (default: 30 days ago)")
    report.add_argument("--to", dest="end", type=_date, default=None,
                        help="last day, YYYY-MM-DD (default: today)")
    report.add_argument("--format", choices=("md", "csv", "html"), default="html")
    report.add_argument("--out", type=Path, default=None,
                        help="folder to write to (default: reports/ beside the database, "
                        "e.g. data/reports; never the current folder)")
    report.add_argument("--lang", choices=("id", "en"), default=None)
    report.add_argument("--demo", action="store_true",
                        help="the synthetic month of `sebaya demo --seed-data` (marked as such)")
    report.add_argument("--district", action="store_true",
                        help="every school side by side and the total (anonymous counts, "
                        "small ones hidden; service health per school)")
    school_cli.add_parser(sub, common)
    secret = sub.add_parser("secret", parents=[common],
                            help="the installation secret: rotate it (ganti rahasia)")
    secret_sub = secret.add_subparsers(dest="action", required=True)
    rotate = secret_sub.add_parser(
        "rotate", parents=[common], allow_abbrev=False,  # --new-secret VALUE is no option
        help="ganti rahasia instalasi (the bot stopped); the new secret from a file or "
             "SEBAYA_NEW_SECRET, never from the command line")
    rotate.add_argument("--new-secret-file", type=Path, default=None, metavar="FILE",
                        help="a file holding the new secret (e.g. openssl rand -base64 48 > "
                        "FILE; chmod 600 FILE); or set SEBAYA_NEW_SECRET")
    draw = sub.add_parser("draw-flows", parents=[common], help="write Mermaid diagrams of flows")
    draw.add_argument("--out", type=Path, default=Path("docs/flows"))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "check-rules":  # needs no config: the rules ship with the package
        return _check_rules(args.rules)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("transitions").setLevel(logging.WARNING)
    redactor = Redactor.from_env()
    redactor.install()  # no secret reaches a log line
    if args.command == "risk":  # needs no config: the rules ship with the package
        try:
            return _risk(args.text, args.jsonl)
        except BrokenPipeError:  # `sebaya risk ... | head`: the reader left; not an error
            _quiet_stdout()
            return EXIT_OK
    try:
        config_path = Path(getattr(args, "config", "config.yaml"))
        if args.command == "school":
            return school_cli.run(config_path, args)
        config = load_config(config_path)
        if args.command == "migrate-from-sqlite":
            return asyncio.run(_migrate_from_sqlite(config, args.file,
                                                    getattr(args, "school", "default")))
        district = school_registry.ids(config_path)
        if getattr(args, "school", None):
            config = load_school_config(config_path, args.school)
            if args.command == "run":  # this school alone, on its own token
                return _run_district(config, [config], getattr(args, "workers", 1),
                                     getattr(args, "config", None))
        elif district and args.command == "migrate":
            return asyncio.run(_migrate_all(school_configs(config_path, enabled_only=False)))
        elif district and args.command == "report" and args.district:
            return _district_report(config, school_configs(config_path), args)
        elif district and args.command == "run":
            return _run_district(config, school_configs(config_path),
                                 getattr(args, "workers", 1), getattr(args, "config", None))
        elif district and args.command in NEEDS_A_SCHOOL:
            print(f"error: this deployment has schools ({', '.join(district)}): say which "
                  f"with --school ID (sebaya school list)", file=sys.stderr)
            return EXIT_BAD_INPUT
        if args.command == "report" and args.district:
            print("error: --district is every school, --school one: choose one" if district
                  else "error: --district needs schools (sebaya school add ID --name NAME)",
                  file=sys.stderr)
            return EXIT_BAD_INPUT
        if args.command == "check-flows":
            try:
                return _check_flows(config)
            except SebayaError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return EXIT_CHECK_FAILED
        if args.command == "draw-flows":
            return _draw_flows(config, args.out)
        if args.command == "staff":
            return _staff(config, args)
        if args.command in ("backup", "audit", "doctor"):
            return _operations(config, args)
        if args.command == "migrate":
            return asyncio.run(_migrate(config))
        if args.command == "report":
            return _report(config, args)
        if args.command == "secret":
            return asyncio.run(_rotate_secret(config, args.new_secret_file))
        load_flow_bundle(config)  # fail before anything opens
        if args.command == "demo" and args.remove_data:
            from bot.reports.seed import demo_path, remove_demo

            found = remove_demo(config.database_path)
            print(f"{demo_path(config.database_path)} " + ("removed" if found else
                                                           "was not there"))
            return EXIT_OK
        if args.command == "demo" and args.seed_data:
            return asyncio.run(_seed_data(config))
        if args.command == "demo":
            return asyncio.run(_demo(config))
        if args.command == "console":
            return asyncio.run(_console(config))
        return _run(config, getattr(args, "workers", 1), getattr(args, "config", None))
    except SebayaError as exc:
        print(redactor.text(f"error: {exc}"), file=sys.stderr)
        return EXIT_BAD_INPUT
