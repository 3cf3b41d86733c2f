"""Chaos harness: a scripted multi-party load on the real bot process (``python -m bot run``)
against the fake Bot API, while the process is SIGKILLed and restarted at random moments and/or
a share of the Bot API calls fail. Shared by the CI short forms (tests/e2e/test_chaos.py) and
the full-size benchmark (bench/chaos_bench.py).

Students: most go through intake to a peer, exchange messages, close and rate; every
``crisis_every``-th writes a crisis message, is taken by a counselor, exchanges messages and is
closed by the counselor. Staff are scripted actors that read what the bot sent them and act:
accept/take one case at a time, answer each relayed student message with a burst of replies.
Every student step waits for the bot's answer, so a lost message shows as a stuck script.

With ``ChaosRun(..., wa=FakeWhatsApp())`` the students are on WhatsApp (the webhook, Meta's
re-deliveries until answered 200, statuses, faults of the Graph API fake) while the staff stay on
Telegram: one deployment serving both, killed and restarted the same way.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import itertools
import os
import random
import re
import signal
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.app import App
from bot.config import Config
from bot.store.db import ts
from bot.store.invariants import violations_sync
from bot.store.pg.store import UNAVAILABLE
from tests.fakebot import FakeBotApi, Sent
from tests.fakewa import FakeWhatsApp

ROOT = Path(__file__).resolve().parents[1]
ALERT = "BUTUH GURU BK SEKARANG"
_CODE = re.compile(r"#([A-Z0-9]{4,})")
_TOKEN = re.compile(r"\bm:(S\d+):(\d+)\b")
_REPLY = re.compile(r"\br:S\d+:(\d+):(\d+)\b")


@dataclass
class ChaosPlan:
    students: int = 50
    crisis_every: int = 5  # every n-th student writes a crisis message
    peers: int = 10
    counselors: int = 3
    exchanges: int = 4  # messages each student writes to their peer/counselor
    burst: int = 2  # replies staff send per student message (per-chat order is checked)
    kills: int = 10
    kill_every: tuple[float, float] = (0.8, 2.0)  # seconds between kills (uniform)
    fault_rate: float = 0.0  # share of sendMessage calls failing
    fault_kinds: tuple[str, ...] = ("429", "500", "drop_after_delivery", "timeout_after_delivery")
    think: tuple[float, float] = (0.05, 0.4)  # a student's pause between steps
    step_timeout: float = 90.0
    seed: int = 7
    wa_fault_kinds: tuple[str, ...] = ("130429", "500", "131056", "131000")
    wa_duplicate_every: int = 3  # Meta delivers every 3rd message twice
    workers: int = 1  # sebaya run processes (several: PostgreSQL, SEBAYA_DATABASE_URL)
    db_restarts: int = 0  # PostgreSQL restarted during the load (needs a pg_server)


@dataclass
class ChaosReport:
    students: int = 0
    crisis_students: int = 0
    student_messages: int = 0
    updates: int = 0
    kills: int = 0
    db_restarts: int = 0
    workers: int = 1
    load_seconds: float = 0.0
    drain_seconds: float = 0.0
    stuck: list[str] = field(default_factory=list)  # scripts that timed out waiting
    inbox_rows: int = 0
    inbox_distinct: int = 0
    inbox_not_done: int = 0
    inbox_statuses: dict[str, int] = field(default_factory=dict)
    lost_messages: int = 0  # student messages to staff that never reached them
    lost_alerts: int = 0  # crisis cases whose alert reached no counselor
    duplicated_alerts: int = 0  # (counselor, case) pairs alerted more than once
    order_violations: int = 0  # replies seen out of order in a student's chat
    open_cases: int = 0
    cases: int = 0
    surveys: int = 0
    outbox_pending: int = 0
    dead_letters: int = 0
    overdue_timers: int = 0
    sends: int = 0
    send_faults: int = 0
    invariant_checks: int = 0  # times the safety invariants were read during the run
    violations: list[str] = field(default_factory=list)  # broken promises seen (first few)
    whatsapp_deliveries: int = 0  # webhook POSTs the fake Meta made (retries, duplicates)
    whatsapp_refused: int = 0  # payloads the Graph API fake refused (must be 0)

    def lines(self) -> list[str]:
        return [
            f"students {self.students} ({self.crisis_students} crisis), student messages "
            f"{self.student_messages}, updates {self.updates}, SIGKILLs {self.kills}"
            + (f", workers {self.workers}, database restarts {self.db_restarts}"
               if self.workers > 1 or self.db_restarts else ""),
            f"load {self.load_seconds:.1f} s, drain after load {self.drain_seconds:.1f} s; "
            f"sendMessage calls {self.sends}, injected faults {self.send_faults}",
            f"inbox rows {self.inbox_rows} (distinct {self.inbox_distinct}, not done "
            f"{self.inbox_not_done} {self.inbox_statuses or ''}); cases {self.cases} "
            f"(open {self.open_cases}), surveys {self.surveys}",
            f"LOST student messages {self.lost_messages}, LOST alerts {self.lost_alerts}, "
            f"duplicated alerts {self.duplicated_alerts}, order violations "
            f"{self.order_violations}, stuck scripts {len(self.stuck)}",
            f"outbox pending {self.outbox_pending}, dead letters {self.dead_letters}, "
            f"overdue timers {self.overdue_timers}",
            f"safety invariants read {self.invariant_checks} times during the run, broken "
            f"{len(self.violations)} times {self.violations[:3] or ''}",
        ] + ([f"WhatsApp webhook deliveries {self.whatsapp_deliveries} (re-deliveries and "
              f"statuses included), payloads refused {self.whatsapp_refused}"]
             if self.whatsapp_deliveries else [])


class BotProcess:
    """``python -m bot run`` as deployed, killed and restarted at will."""

    def __init__(self, config_path: Path, env: dict[str, str]) -> None:
        self.config_path = config_path
        self.env = env
        self.process: asyncio.subprocess.Process | None = None
        self.kills = 0

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--config", str(self.config_path), cwd=ROOT,
            env=self.env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        self.kills += 1

    async def stop(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), 20)
        except TimeoutError:
            self.process.kill()
            return -9


class BotGroup:
    """Several workers on one PostgreSQL database: a kill takes a random one down, a start
    brings every stopped one back. With one worker it is a BotProcess."""

    def __init__(self, bots: list[BotProcess], rng: random.Random) -> None:
        self.bots, self.rng = bots, rng
        self.kills = 0

    async def start(self) -> None:
        for bot in self.bots:
            if bot.process is None or bot.process.returncode is not None:
                await bot.start()

    async def kill(self) -> None:
        await self.rng.choice(self.bots).kill()
        self.kills += 1

    async def stop(self) -> int:
        codes = [await bot.stop() for bot in self.bots]
        return next((code for code in codes if code != 0), 0)


def _pg_rows(url: str, sql: str) -> list[tuple]:
    """A query on PostgreSQL from synchronous code (the checks read like the SQLite ones)."""
    import asyncpg

    async def fetch() -> list[tuple]:
        con = await asyncpg.connect(url)
        try:  # the one school's rows (row-level security shows none without a school)
            await con.execute("SELECT set_config('sebaya.school', 'default', false)")
            return [tuple(r) for r in await con.fetch(sql)]
        finally:
            await con.close()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, fetch()).result()


def bot_env(fake: FakeBotApi, secret: str, wa: FakeWhatsApp | None = None,
            port: int = 0) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TELEGRAM_", "WHATSAPP_", "SEBAYA_WEBHOOK_"))}
    env.update(SEBAYA_WEB_PORT="0")  # the web view on a free port, never a fixed one
    env.update(TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_API_BASE_URL=fake.base_url,
               TELEGRAM_SEND_RATE="0", SEBAYA_SECRET=secret, PYTHONUNBUFFERED="1")
    if wa is not None:
        env.update(WHATSAPP_ACCESS_TOKEN=wa.token, WHATSAPP_PHONE_NUMBER_ID=wa.phone_number_id,
                   WHATSAPP_APP_SECRET=wa.app_secret, WHATSAPP_VERIFY_TOKEN=wa.verify_token,
                   WHATSAPP_API_BASE_URL=wa.base_url, WHATSAPP_SEND_RATE="0",
                   SEBAYA_WEBHOOK_HOST="127.0.0.1", SEBAYA_WEBHOOK_PORT=str(port))
    return env


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _rows(db: Path, sql: str) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        return conn.execute(sql).fetchall()


class _Staff:
    """A scripted peer or counselor: one case at a time, answers every relayed message."""

    def __init__(self, fake: FakeBotApi, chat: int, role: str, plan: ChaosPlan) -> None:
        self.fake, self.chat, self.role, self.plan = fake, chat, role, plan
        self.button = "Terima" if role == "peer" else "Saya tangani"
        self.pending: dict[str, str] = {}  # code -> button data, oldest first
        self.gone: set[str] = set()
        self.current: str | None = None
        self.pressed: tuple[str, float] | None = None
        self.cursor = 0
        self.answered: set[tuple[str, str]] = set()  # a message delivered twice is answered once

    def _read(self, sent: Sent) -> None:
        text = sent.text
        codes = _CODE.findall(text)
        code = codes[0] if codes else None
        data = next((d for t, d in sent.buttons if t == self.button), None)
        if data and code and code not in self.gone:
            self.pending.setdefault(code, data)
        elif code and any(p in text for p in ("sudah diambil", "sudah ditangani oleh",
                                              "sudah tidak aktif", "Kasus ini sudah")):
            self.gone.add(code)
            self.pending.pop(code, None)
            if self.pressed and self.pressed[0] == code:
                self.pressed = None
        elif code and code not in self.gone and any(
                p in text for p in ("Kamu sekarang menemani", "Bapak/Ibu sekarang menangani",
                                    "sudah Bapak/Ibu tangani")):
            self.current = code
            self.pending.pop(code, None)
            self.pressed = None
        elif code and ("ditutup" in text or "menutup percakapan" in text):
            self.gone.add(code)
            if self.current == code:
                self.current = None
        for tag, i in _TOKEN.findall(text):
            if (tag, i) in self.answered:
                continue
            self.answered.add((tag, i))
            for b in range(self.plan.burst):
                self.fake.say(self.chat, f"r:{tag}:{i}:{b} aku dengerin")
            if self.role == "counselor" and int(i) == self.plan.exchanges:
                self.fake.say(self.chat, "/selesai aman, sudah ditindaklanjuti")

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            mine = self.fake.by_chat.get(self.chat, [])
            while self.cursor < len(mine):
                self._read(mine[self.cursor])
                self.cursor += 1
            waiting = self.pressed is not None and time.monotonic() - self.pressed[1] < 10
            if self.current is None and self.pending and not waiting:
                code, data = next(iter(self.pending.items()))
                self.fake.press(self.chat, self.button, data=data)
                self.pressed = (code, time.monotonic())
            await asyncio.sleep(0.02)


class ChaosRun:
    def __init__(self, fake: FakeBotApi, config: Config, config_path: Path, secret: str,
                 plan: ChaosPlan, wa: FakeWhatsApp | None = None, pg_server: Any = None
                 ) -> None:
        self.fake, self.config, self.plan, self.wa = fake, config, plan, wa
        self.pg_server = pg_server  # restarted plan.db_restarts times during the load
        self.url = config.database_url()  # PostgreSQL (several workers), else the SQLite file
        port = free_port() if wa is not None else 0
        if wa is not None:
            wa.webhook_url = f"http://127.0.0.1:{port}/webhooks/whatsapp"
        self.rng = random.Random(plan.seed)
        env = bot_env(fake, secret, wa, port)
        bots = [BotProcess(config_path, env) for _ in range(plan.workers)]
        self.bot: Any = bots[0] if plan.workers == 1 else BotGroup(bots, self.rng)
        self.report = ChaosReport()
        # Students write on WhatsApp when it runs, else on Telegram; staff are on Telegram.
        self.people: Any = wa if wa is not None else fake
        self.students: list[Any] = ([f"6281{n:08d}" for n in range(plan.students)]
                                    if wa is not None else
                                    [100_000 + n for n in range(plan.students)])
        self.crisis = {s for n, s in enumerate(self.students) if n % plan.crisis_every == 0}
        self.peers = [200_000 + n for n in range(plan.peers)]
        self.counselors = [300_000 + n for n in range(plan.counselors)]
        self.sent_tokens: list[str] = []  # every m:S..:i a student actually sent

    async def enrol_staff(self, secret: bytes) -> None:
        class Offline:
            name = "telegram"

            async def send(self, message):  # never called: the bot is not running yet
                raise AssertionError("offline")

        app = await App.build(self.config, {"telegram": Offline()}, secret=secret)
        try:
            for n, chat in enumerate(self.peers):
                await app.enrol_local_staff("telegram", str(chat), str(chat), "peer",
                                            f"Kak P{n}", duty="on")
            for n, chat in enumerate(self.counselors):
                await app.enrol_local_staff("telegram", str(chat), str(chat), "counselor",
                                            f"Bu K{n}", duty="on")
        finally:
            await app.stop()

    async def _think(self) -> None:
        await asyncio.sleep(self.rng.uniform(*self.plan.think))

    async def _wait(self, student: Any, expect: str, factor: float = 1.0) -> None:
        try:
            await self.people.wait_text(student, expect,
                                        timeout=self.plan.step_timeout * factor)
        except AssertionError:
            raise AssertionError(f"waited for {expect!r}; last: "
                                 f"{[t[:40] for t in self.people.to(student)[-3:]]}") from None

    async def _say(self, student: Any, text: str, expect: str) -> None:
        self.people.say(student, text)
        self.report.student_messages += 1
        await self._wait(student, expect)
        await self._think()

    async def _press(self, student: Any, label: str, expect: str) -> None:
        self.people.press(student, label)
        self.report.student_messages += 1
        await self._wait(student, expect)
        await self._think()

    async def _exchanges(self, student: Any, tag: str) -> None:
        for i in range(1, self.plan.exchanges + 1):
            last = f"r:{tag}:{i}:{self.plan.burst - 1}"
            self.sent_tokens.append(f"m:{tag}:{i} ")
            await self._say(student, f"m:{tag}:{i} makasih udah dengerin", last)

    async def student(self, student: Any) -> None:
        tag = f"S{student}"
        try:
            await self._think()
            await self._say(student, "halo", "Kalau oke, kita mulai ya?")
            if student in self.crisis:
                await self._say(student, "aku udah ga kuat, pengen mati aja",
                                "kamu nggak sendirian")
                await self._wait(student, "Guru BK sekarang menemanimu", 2)
                await self._exchanges(student, tag)
                await self._wait(student, "Sesi dengan guru BK sudah selesai")
                return
            await self._press(student, "Oke, lanjut", "Soal apa")
            await self._press(student, "Pertemanan", "Ceritain sedikit")
            await self._say(student, "aku lagi berantem sama sahabatku", "Seberapa berat")
            await self._press(student, "Lumayan berat", "apakah saat ini ada bahaya")
            self.people.press(student, "Nggak, aman")
            self.report.student_messages += 1
            await self._wait(student, "sekarang menemanimu", 2)
            await self._exchanges(student, tag)
            await self._say(student, "/selesai", "Seberapa membantu")
            await self._press(student, "5", "Mau menambahkan komentar")
            await self._say(student, "makasih banyak", "Komentarmu")
        except AssertionError as exc:
            self.report.stuck.append(f"{tag}: {str(exc)[:200]}")

    async def killer(self, load_done: asyncio.Event) -> None:
        while self.bot.kills < self.plan.kills and not load_done.is_set():
            await asyncio.sleep(self.rng.uniform(*self.plan.kill_every))
            if load_done.is_set():
                return
            await self.bot.kill()
            await asyncio.sleep(self.rng.uniform(0.0, 0.3))  # messages pile up while down
            await self.bot.start()

    async def _pg_violations(self) -> list[str]:
        from bot.store.invariants import violations
        from bot.store.pg.store import PgStore

        if getattr(self, "_pg", None) is None:
            self._pg = await PgStore.open(self.url, None, pool_size=1, urgent_size=1,
                                          migrate=False)
        async with self._pg.read() as db:
            return [str(v) for v in await violations(db)]

    async def watch_invariants(self, stop: asyncio.Event) -> None:
        """Read the safety invariants over the live database every few tenths of a second
        (each committed state must keep every promise: bot/store/invariants.py)."""
        db = self.config.database_path
        while not stop.is_set():
            try:
                if self.url:
                    broken = await self._pg_violations()
                else:
                    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True,
                                                            timeout=5)) as conn:
                        broken = [str(v) for v in violations_sync(conn)]
                self.report.invariant_checks += 1
                if broken and len(self.report.violations) < 20:
                    self.report.violations.extend(broken)
            except (sqlite3.OperationalError, OSError, *UNAVAILABLE):
                pass  # the file is being created or migrated, PostgreSQL restarts: next time
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.3):
                    await stop.wait()

    async def run(self) -> ChaosReport:
        plan, report, fake = self.plan, self.report, self.fake
        report.students, report.crisis_students = plan.students, len(self.crisis)
        report.workers = plan.workers
        fake.fault_rate, fake.fault_kinds = plan.fault_rate, plan.fault_kinds
        if self.wa is not None:
            self.wa.fault_rate = plan.fault_rate
            self.wa.fault_kinds = plan.wa_fault_kinds
            self.wa.duplicate_every = plan.wa_duplicate_every
        await self.bot.start()
        staff_stop = asyncio.Event()
        actors = [_Staff(fake, c, "peer", plan) for c in self.peers]
        actors += [_Staff(fake, c, "counselor", plan) for c in self.counselors]
        staff = [asyncio.create_task(a.run(staff_stop)) for a in actors]
        staff.append(asyncio.create_task(self.watch_invariants(staff_stop)))
        load_done = asyncio.Event()
        killer = asyncio.create_task(self.killer(load_done))
        restarter = asyncio.create_task(self.restarter(load_done))
        begin = time.monotonic()
        try:
            await asyncio.gather(*(self.student(s) for s in self.students))
            report.load_seconds = time.monotonic() - begin
            load_done.set()
            await killer
            await self._settle()
            report.drain_seconds = time.monotonic() - begin - report.load_seconds
        finally:
            load_done.set()
            staff_stop.set()
            await asyncio.gather(*staff, killer, restarter, return_exceptions=True)
            code = await self.bot.stop()
            if getattr(self, "_pg", None) is not None:
                await self._pg.close()
        report.kills = self.bot.kills
        report.updates = fake.pushed + (self.wa.pushed if self.wa is not None else 0)
        if self.wa is not None:
            await self.wa.settled(timeout=30)  # its last statuses went nowhere: fine
        self._check(code)
        return report

    def _rows(self, sql: str) -> list[tuple]:
        if self.url:
            return _pg_rows(self.url, sql)
        return _rows(self.config.database_path, sql)

    async def restarter(self, load_done: asyncio.Event) -> None:
        """PostgreSQL restarts during the load (fast shutdown: every connection is cut)."""
        for _ in range(self.plan.db_restarts):
            await asyncio.sleep(self.rng.uniform(3.0, 8.0))
            if load_done.is_set():
                return
            await asyncio.to_thread(self.pg_server.restart)
            self.report.db_restarts += 1

    async def _settle(self) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            done = self._rows("SELECT COUNT(*) FROM inbox WHERE status = 'done'")[0][0]
            pending = self._rows("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")[0][0]
            pushed = self.fake.pushed + (self.wa.pushed if self.wa is not None else 0)
            if done >= pushed and pending == 0:
                return
            await asyncio.sleep(0.1)

    def _check(self, exit_code: int) -> None:
        report, fake = self.report, self.fake
        report.sends = fake.calls.get("sendMessage", 0)
        report.send_faults = fake.faults_injected
        if self.wa is not None:
            report.sends += self.wa.calls.get("messages", 0)
            report.send_faults += self.wa.faults_injected
            report.whatsapp_deliveries = len(self.wa.webhook_answers)
            report.whatsapp_refused = len(self.wa.refused)
        report.inbox_rows, report.inbox_distinct = self._rows(
            "SELECT COUNT(*), COUNT(DISTINCT external_id) FROM inbox")[0]
        report.inbox_statuses = dict(self._rows(
            "SELECT status, COUNT(*) FROM inbox WHERE status != 'done' GROUP BY status"))
        report.inbox_not_done = sum(report.inbox_statuses.values())
        report.cases, report.open_cases = self._rows(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN status != 'closed' THEN 1 ELSE 0 END), 0) "
            "FROM cases")[0]
        report.surveys = self._rows("SELECT COUNT(*) FROM surveys WHERE score IS NOT NULL")[0][0]
        report.outbox_pending = self._rows(
            "SELECT COUNT(*) FROM outbox WHERE status = 'pending'")[0][0]
        report.dead_letters = self._rows("SELECT COUNT(*) FROM outbox WHERE status = 'dead'")[0][0]
        overdue = ts(dt.datetime.now(dt.UTC) - dt.timedelta(seconds=10))
        report.overdue_timers = self._rows(
            f"SELECT COUNT(*) FROM timers WHERE due_at < '{overdue}' "
            "AND owner_key != 'system'")[0][0]
        staff_text = "\n".join(t for chat in self.peers + self.counselors for t in fake.to(chat))
        report.lost_messages = sum(1 for token in self.sent_tokens if token not in staff_text)
        alerted: dict[str, int] = {}
        for chat in self.counselors:
            seen: dict[str, int] = {}
            for text in fake.to(chat):
                if ALERT in text:
                    code = _CODE.findall(text)[0]
                    seen[code] = seen.get(code, 0) + 1
            report.duplicated_alerts += sum(1 for n in seen.values() if n > 1)
            for code in seen:
                alerted[code] = 1
        crisis_codes = [r[0] for r in self._rows("SELECT code FROM cases WHERE level = 'crisis'")]
        report.lost_alerts = sum(1 for code in crisis_codes if code not in alerted)
        report.lost_alerts += max(0, len(self.crisis) - len(crisis_codes))
        for student in self.students:  # replies arrive in the order staff wrote them
            order = [(int(m.group(1)), int(m.group(2))) for t in self.people.to(student)
                     for m in [_REPLY.search(t)] if m]
            firsts = list(dict.fromkeys(order))
            report.order_violations += sum(1 for a, b in itertools.pairwise(firsts) if b < a)
        if exit_code != 0:
            report.stuck.append(f"bot exit code {exit_code} on SIGTERM")

    def failures(self) -> list[str]:
        """What a passing run must show: nothing lost, nothing stuck, everything drained."""
        r = self.report
        checks = {
            "every update stored once": r.inbox_rows == r.inbox_distinct == r.updates,
            "every update handled": r.inbox_not_done == 0,
            "no lost student message": r.lost_messages == 0,
            "no lost alert": r.lost_alerts == 0,
            "no stuck script": not r.stuck,
            "per-chat order": r.order_violations == 0,
            "every case closed": r.open_cases == 0 and r.cases == r.students,
            "every peer case rated": r.surveys == r.students - r.crisis_students,
            "outbox drained": r.outbox_pending == 0 and r.dead_letters == 0,
            "no overdue timer": r.overdue_timers == 0,
            "safety invariants held throughout": r.invariant_checks > 0 and not r.violations,
            "every WhatsApp payload accepted": r.whatsapp_refused == 0,
        }
        return [name for name, ok in checks.items() if not ok] + r.stuck[:5]
