"""Staff: who is enrolled and on duty, invites (the code shown once), duty switches, and
removal with a confirmation that says what happens to their cases."""

from __future__ import annotations

import datetime as dt
import re

from aiohttp import web

from bot.config import Shift
from bot.core import shifts as shifts_core
from bot.core.effects import Audit, OfferWaiting, UpdateStaff
from bot.core.handoff import OFFER_TIMER
from bot.core.roster import WEEKDAYS
from bot.runtime.effects import apply_effects
from bot.staffcli import new_code
from bot.store import audit, invites, staffing, users
from bot.store import roster as roster_store
from bot.store import shifts as shift_rows
from bot.store import web as web_store
from bot.store.users import UserRow
from bot.web.context import VIEWER, ctx
from bot.web.forms import checked_form, needs
from bot.web.render import page

ROLES = ("peer", "counselor", "backup", "principal")
DUTIES = ("on", "off", "auto")
INVITE_DAYS = 7
NOTICES = {"removed": "web.staff.removed", "roster": "web.roster.saved",
           "badroster": "web.roster.bad", "past": "web.roster.past"}
_CODE = re.compile(r"^[A-Z2-9]{4}$")


async def _person(request: web.Request) -> UserRow:
    """The staff member named by their code in the URL (404 for anyone else)."""
    code = request.match_info["code"].upper()
    if not _CODE.match(code):
        raise web.HTTPNotFound()
    c = ctx(request)
    async with c.app.store.read() as db:
        key = await users.key_by_code(db, code)
        person = await users.get(db, key) if key is not None else None
    if person is None or person.role not in ROLES:
        raise web.HTTPNotFound()
    return person


@needs("staff")
async def staff_page(request: web.Request) -> web.Response:
    c = ctx(request)
    now = c.app.clock.now()
    roster = c.app.core.roster
    on_shift = roster.on_shift(now) if roster is not None else True
    async with c.app.store.read() as db:
        people = await users.staff(db)
        loads = {p.key: await users.active_load(db, p.key) for p in people}
    rows = [{"p": p, "load": loads[p.key],
             "on": users.may_be_on_duty(p) and (
                 p.duty == "on" or (p.duty == "auto" and on_shift and p.role != "principal"))}
            for p in people if p.role in ROLES]
    saved = await _roster(request)
    return page(request, "staff.html", viewer=request[VIEWER], rows=rows, roles=ROLES,
                roster=saved, weekdays=WEEKDAYS, from_config=not await _roster_saved(request),
                notice=NOTICES.get(request.query.get("m", ""), ""),
                **await _shift_board(request, now))


async def _shift_board(request: web.Request, now: dt.datetime) -> dict:
    """Who holds which shift of the next 7 days (pseudonyms, no-shows marked) and each peer's
    hours and cases this week and last (counts only): what /jadwal and /beban show."""
    c = ctx(request)
    core, tz = c.app.core, c.app.config.tz
    slots = shifts_core.week_slots(core, now)
    today = now.astimezone(tz).date()
    monday = today - dt.timedelta(days=today.weekday())
    first = dt.datetime.combine(today, dt.time(), tzinfo=tz)
    async with c.app.store.read() as db:
        holds = await shift_rows.holds_between(db, first, first + dt.timedelta(days=8))
        loads = await shift_rows.peer_loads(db, monday, shifts_core.LOAD_WEEKS, tz, now)
    board = [{"start": s.astimezone(tz), "end": e.astimezone(tz),
              "holders": [(h.name, h.no_show) for h in holds if h.starts_at == s]}
             for s, e in slots]
    roster = core.roster
    holidays = sorted(day for day in (roster.holidays if roster is not None else ())
                      if today <= day < today + dt.timedelta(days=shifts_core.WEEK_DAYS))
    lang = c.lang(request, request[VIEWER], "")
    rows = [{"name": p.name, "weeks": [shifts_core.hours_text(w.hours, lang) for w in p.weeks],
             "cases": [w.cases for w in p.weeks], "no_shows": sum(w.no_shows for w in p.weeks)}
            for p in loads]
    return {"board": board, "board_holidays": holidays, "loads": rows}


@needs("staff")
async def invite(request: web.Request) -> web.Response:
    c = ctx(request)
    viewer = request[VIEWER]
    form = await checked_form(request, c.settings.origin, viewer.csrf)
    role = form.get("role", "")
    name = " ".join(form.get("name", "").split())[:60] or None
    if role not in ROLES:
        raise web.HTTPBadRequest(text="role")
    code = new_code()
    now = c.app.clock.now()
    async with c.app.store.transaction() as db:
        await invites.create(db, c.app.vault.token_hash(code), role, name, now,
                             dt.timedelta(days=INVITE_DAYS))
        await audit.record(db, viewer.key.value, "invite_created", {"role": role, "via": "web"},
                           now)
    return page(request, "invite.html", viewer=viewer, code=code, role=role, who=name or "",
                days=INVITE_DAYS)


@needs("staff")
async def set_duty(request: web.Request) -> web.Response:
    c = ctx(request)
    viewer = request[VIEWER]
    form = await checked_form(request, c.settings.origin, viewer.csrf)
    person = await _person(request)
    duty = form.get("duty", "")
    if duty not in DUTIES or person.role == "principal":
        raise web.HTTPBadRequest(text="duty")
    if duty == "on" and person.role == "peer" and not person.pseudonym:
        raise web.HTTPConflict(text=c.text("web.staff.no_pseudonym",
                                           c.lang(request, viewer)))
    if duty == "on" and not users.may_be_on_duty(person):  # as /onduty: training first
        raise web.HTTPConflict(text=c.text("web.staff.not_approved",
                                           c.lang(request, viewer)))
    effects = [UpdateStaff(person.key, duty=duty),
               Audit(viewer.key, "duty_set", {"duty": duty, "role": person.role, "via": "web"})]
    if duty == "on" and person.role == "peer":
        effects.append(OfferWaiting(OFFER_TIMER))  # a waiting story may go to them now
    now = c.app.clock.now()
    async with c.app.store.transaction() as db:
        await apply_effects(db, effects, now, seal=c.app.vault.seal)
    c.app.timers.wake.set()
    raise web.HTTPSeeOther("/staf")


async def _plan(request: web.Request, person: UserRow) -> dict:
    c = ctx(request)
    async with c.app.store.read() as db:
        held = await db.execute_fetchall(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN level = 'crisis' THEN 1 ELSE 0 END), 0) "
            "FROM cases "
            "WHERE assignee_key = ? AND status = 'active'", (person.key.value,))
        others = await db.execute_fetchall(
            "SELECT COUNT(*) FROM users WHERE role IN ('counselor', 'backup') AND key != ?",
            (person.key.value,))
    return {"active": held[0][0], "crises": held[0][1],
            "last_counselor": person.role in ("counselor", "backup") and others[0][0] == 0}


@needs("staff")
async def confirm_removal(request: web.Request) -> web.Response:
    person = await _person(request)
    return page(request, "remove.html", viewer=request[VIEWER], p=person,
                plan=await _plan(request, person))


@needs("staff")
async def remove(request: web.Request) -> web.Response:
    c = ctx(request)
    viewer = request[VIEWER]
    await checked_form(request, c.settings.origin, viewer.csrf)
    person = await _person(request)
    now = c.app.clock.now()
    async with c.app.store.transaction() as db:
        requeued = await staffing.remove(db, person.key, now)
        await web_store.end_all(db, person.key)
        await audit.record(db, viewer.key.value, "staff_removed",
                           {"role": person.role, "requeued": requeued, "via": "web"}, now)
    c.app.timers.wake.set()  # their cases go back to the queue now
    raise web.HTTPSeeOther("/staf?m=removed")


async def _roster_saved(request: web.Request) -> bool:
    async with ctx(request).app.store.read() as db:
        return await roster_store.stored(db) is not None


async def _roster(request: web.Request) -> roster_store.StoredRoster:
    """The roster in use: the one saved from here, else config.yaml's."""
    c = ctx(request)
    async with c.app.store.read() as db:
        saved = await roster_store.stored(db)
    return saved or roster_store.StoredRoster(tuple(c.app.config.roster.shifts),
                                              tuple(c.app.config.roster.holidays))


async def _save_roster(request: web.Request, fresh: roster_store.StoredRoster,
                       change: dict) -> web.Response:
    """Keep the edited roster, audited, and use it at once; the stories waiting for a peer
    are offered again (a shift may have started), as when a peer comes on duty."""
    c = ctx(request)
    viewer = request[VIEWER]
    now = c.app.clock.now()
    async with c.app.store.transaction() as db:
        await roster_store.save(db, fresh)
        await apply_effects(db, [Audit(viewer.key, "roster_changed", {**change, "via": "web"}),
                                 OfferWaiting(OFFER_TIMER)], now, seal=c.app.vault.seal)
    await c.app.refresh_roster()
    c.app.timers.wake.set()
    raise web.HTTPSeeOther("/staf?m=roster#roster")


@needs("staff")
async def add_shift(request: web.Request) -> web.Response:
    c = ctx(request)
    viewer = request[VIEWER]
    await checked_form(request, c.settings.origin, viewer.csrf)
    form = await request.post()  # read again for the repeated "day" fields
    days = [d for d in WEEKDAYS if d in form.getall("day", [])]
    try:
        shift = Shift(days=days, start=form.get("start", ""), end=form.get("end", ""))
    except ValueError:
        raise web.HTTPSeeOther("/staf?m=badroster#roster") from None
    if shift.start == shift.end:
        raise web.HTTPSeeOther("/staf?m=badroster#roster")
    current = await _roster(request)
    fresh = roster_store.StoredRoster((*current.shifts, shift), current.holidays)
    return await _save_roster(request, fresh, {"change": "shift_added", "days": days,
                                               "start": shift.start.strftime("%H:%M"),
                                               "end": shift.end.strftime("%H:%M")})


@needs("staff")
async def remove_shift(request: web.Request) -> web.Response:
    c = ctx(request)
    await checked_form(request, c.settings.origin, request[VIEWER].csrf)
    current = await _roster(request)
    index = request.match_info["n"]
    if not index.isdigit() or int(index) >= len(current.shifts):
        raise web.HTTPNotFound()
    gone = current.shifts[int(index)]
    fresh = roster_store.StoredRoster(
        tuple(s for i, s in enumerate(current.shifts) if i != int(index)), current.holidays)
    return await _save_roster(request, fresh, {"change": "shift_removed", "days": gone.days,
                                               "start": gone.start.strftime("%H:%M"),
                                               "end": gone.end.strftime("%H:%M")})


@needs("staff")
async def add_holiday(request: web.Request) -> web.Response:
    c = ctx(request)
    form = await checked_form(request, c.settings.origin, request[VIEWER].csrf)
    try:
        day = dt.date.fromisoformat(form.get("date", ""))
    except ValueError:
        raise web.HTTPSeeOther("/staf?m=badroster#roster") from None
    if day < c.app.clock.now().astimezone(c.app.config.tz).date():
        raise web.HTTPSeeOther("/staf?m=past#roster")
    current = await _roster(request)
    fresh = roster_store.StoredRoster(current.shifts, (*current.holidays, day))
    return await _save_roster(request, fresh, {"change": "holiday_added",
                                               "date": day.isoformat()})


@needs("staff")
async def remove_holiday(request: web.Request) -> web.Response:
    c = ctx(request)
    await checked_form(request, c.settings.origin, request[VIEWER].csrf)
    try:
        day = dt.date.fromisoformat(request.match_info["day"])
    except ValueError:
        raise web.HTTPNotFound() from None
    current = await _roster(request)
    if day not in current.holidays:
        raise web.HTTPNotFound()
    fresh = roster_store.StoredRoster(current.shifts,
                                      tuple(d for d in current.holidays if d != day))
    return await _save_roster(request, fresh, {"change": "holiday_removed",
                                               "date": day.isoformat()})


def add_routes(server: web.Application) -> None:
    server.router.add_get("/staf", staff_page)
    server.router.add_post("/staf/undang", invite)
    server.router.add_post("/staf/{code}/tugas", set_duty)
    server.router.add_get("/staf/{code}/hapus", confirm_removal)
    server.router.add_post("/staf/{code}/hapus", remove)
    server.router.add_post("/staf/jadwal", add_shift)
    server.router.add_post("/staf/jadwal/{n}/hapus", remove_shift)
    server.router.add_post("/staf/libur", add_holiday)
    server.router.add_post("/staf/libur/{day}/hapus", remove_holiday)
