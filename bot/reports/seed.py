"""``sebaya demo --seed-data``: a realistic synthetic month, so a fresh install can see the
report. It goes into a database of its own (``demo.sqlite3`` beside the real one, made afresh
each time): its fake counselor and peers can never be offered a real student's story or a real
crisis, and every report read from it says it is sample data."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import aiosqlite

from bot.core.identity import IdentityVault
from bot.store import cases, services, users
from bot.store.db import ts

TOPICS = (("belajar", 30), ("pertemanan", 25), ("keluarga", 15), ("perasaan", 15),
          ("percintaan", 8), ("perundungan", 5), ("lainnya", 2))
PEERS = ("Bintang", "Awan", "Langit", "Pelangi")
CRISIS_CATEGORIES = ("suicidal", "self_harm", "abuse")
EXERCISES = ("selfhelp_breathing", "selfhelp_grounding", "selfhelp_exam", "selfhelp_sleep",
             "info_bk", "info_privacy", "info_orientation", "info_career")


def _school_moment(rng: random.Random, day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    hour = rng.choice((7, 8, 9, 10, 11, 12, 13, 14, 15, 19, 20, 21))
    local = dt.datetime.combine(day, dt.time(hour, rng.randrange(60)), tzinfo=tz)
    return local.astimezone(dt.UTC)


DEMO_SECRET = b"sebaya-synthetic-demo-data-not-a-real-installation"


def demo_path(database_path: Path) -> Path:
    """Where the synthetic month lives: beside the real database, never inside it."""
    return database_path.with_name("demo.sqlite3")


def remove_demo(database_path: Path) -> bool:
    """Delete the synthetic database (and its WAL); True when there was one."""
    path = demo_path(database_path)
    found = path.exists()
    for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        part.unlink(missing_ok=True)
    return found


async def seed_month(db: aiosqlite.Connection, vault: IdentityVault, today: dt.date,
                     tz: dt.tzinfo, seed: int = 2026, days: int = 30) -> dict[str, int]:
    """Insert ``days`` of synthetic activity ending ``today``; returns what was made."""
    rng = random.Random(seed)
    made = {"students": 0, "cases": 0, "crisis": 0, "surveys": 0, "appointments": 0,
            "group_signups": 0, "selfhelp": 0}
    start = today - dt.timedelta(days=days - 1)

    async def person(label: str, role: str, name: str | None, when: dt.datetime):
        key = vault.user_key("demo", label)
        user = await users.touch(db, key, "demo", lambda: vault.seal(label), "id", when)
        if role != "student":
            await users.set_role(db, key, role, name)
        return user

    first = dt.datetime.combine(start, dt.time(7), tzinfo=tz).astimezone(dt.UTC)
    peers = [await person(f"peer-{n}", "peer", n, first) for n in PEERS]
    counselor = await person("bk-1", "counselor", "Bu Guru BK", first)
    topics, weights = zip(*TOPICS, strict=True)
    student_no = 0
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        school_day = day.weekday() < 5
        for _ in range(rng.randint(2, 6) if school_day else rng.randint(0, 2)):
            student_no += 1
            opened = _school_moment(rng, day, tz)
            student = await person(f"student-{student_no}", "student", None, opened)
            made["students"] += 1
            topic = rng.choices(topics, weights)[0]
            weight = rng.choices((1, 2, 3), (45, 40, 15))[0]
            crisis = rng.random() < 0.06
            route = "counselor" if crisis or (weight == 3 and rng.random() < 0.5) else "peer"
            case_id = await cases.create(
                db, student.key, student.code, route, topic, weight, {"demo": True}, opened,
                "crisis" if crisis else "normal",
                rng.choice(CRISIS_CATEGORIES) if crisis else None)
            made["cases"] += 1
            made["crisis"] += crisis
            staff = counselor if route == "counselor" else rng.choice(peers)
            wait = dt.timedelta(minutes=rng.uniform(1, 6) if crisis else rng.uniform(2, 45))
            claimed = opened + wait
            closed = claimed + dt.timedelta(minutes=rng.uniform(10, 90))
            await db.execute(
                "UPDATE cases SET status = 'closed', assignee_key = ?, claimed_at = ?, "
                "closed_at = ?, closed_by = ?, outcome_note = seal(?) WHERE id = ?",
                (staff.key.value, ts(claimed), ts(closed), staff.key.value, "demo", case_id))
            replied = claimed + dt.timedelta(minutes=rng.uniform(0.5, 4))
            await cases.add_message(db, case_id, "student", "(demo)", opened)
            await cases.add_message(db, case_id, route, "(demo)", replied)
            if not crisis and rng.random() < 0.7:
                score = rng.choices((1, 2, 3, 4, 5), (3, 5, 15, 40, 37))[0]
                await db.execute(
                    "INSERT INTO surveys (case_id, route, topic, score, at) VALUES (?, ?, ?, ?, ?)",
                    (case_id, route, topic, score, ts(closed)))
                made["surveys"] += 1
            if rng.random() < 0.15:
                slot = closed + dt.timedelta(days=2)
                await services.request(db, student.key, slot, topic, None, closed)
                made["appointments"] += 1
                if rng.random() < 0.8:
                    await db.execute("UPDATE appointments SET status = 'confirmed', "
                                     "confirmed_by = ? WHERE student_key = ?",
                                     (counselor.key.value, student.key.value))
        for _ in range(rng.randint(1, 5) if school_day else rng.randint(0, 2)):
            used = _school_moment(rng, day, tz)
            await db.execute(
                "INSERT INTO audit (at, actor_key, action, detail) VALUES (?, NULL, "
                "'service_used', ?)", (ts(used), f'{{"service": "{rng.choice(EXERCISES)}"}}'))
            made["selfhelp"] += 1
    for week in range(days // 7):
        starts = dt.datetime.combine(start + dt.timedelta(days=7 * week + 3), dt.time(13),
                                     tzinfo=tz)
        session = await services.create_session(
            db, rng.choice(("Kelola stres ujian", "Pertemanan sehat", "Mengenal diri")),
            starts.astimezone(dt.UTC), "Ruang BK", 12, counselor.key, first)
        for n in range(rng.randint(5, 11)):
            signer = vault.user_key("demo", f"student-{rng.randint(1, max(1, student_no))}")
            when = starts.astimezone(dt.UTC) - dt.timedelta(days=2, minutes=n)
            if await services.sign_up(db, session, signer, when):
                await db.execute(
                    "INSERT INTO audit (at, actor_key, action, detail) VALUES (?, NULL, "
                    "'service_used', '{\"service\": \"group_signup\"}')", (ts(when),))
                made["group_signups"] += 1
    await db.execute("INSERT INTO audit (at, actor_key, action, detail) VALUES (?, NULL, "
                     "'demo_data_seeded', ?)", (ts(dt.datetime.now(dt.UTC)),
                                                f'{{"days": {days}, "seed": {seed}}}'))
    await db.execute("INSERT INTO meta (key, value) VALUES ('synthetic', '1') "
                     "ON CONFLICT (key) DO UPDATE SET value = excluded.value")
    return made
