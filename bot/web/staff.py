"""Staff: who is enrolled and on duty, invites (the code shown once), duty switches, and
removal with a confirmation that says what happens to their cases."""

from __future__ import annotations

import datetime as dt
import re

from aiohttp import web

from bot.core.effects import Audit, OfferWaiting, UpdateStaff
from bot.core.handoff import OFFER_TIMER
from bot.runtime.effects import apply_effects
from bot.staffcli import new_code
from bot.store import audit, invites, staffing, users
from bot.store import web as web_store
from bot.store.users import UserRow
from bot.web.context import VIEWER, ctx
from bot.web.forms import checked_form, needs
from bot.web.render import page

ROLES = ("peer", "counselor", "backup", "principal")
DUTIES = ("on", "off", "auto")
INVITE_DAYS = 7
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
             "on": p.duty == "on" or (p.duty == "auto" and on_shift and p.role != "principal")}
            for p in people if p.role in ROLES]
    return page(c.env, "staff.html", viewer=request[VIEWER], rows=rows, roles=ROLES,
                shifts=c.app.config.roster.shifts, removed=request.query.get("m") == "removed")


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
    return page(c.env, "invite.html", viewer=viewer, code=code, role=role, who=name or "",
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
        raise web.HTTPConflict(text="Konselor sebaya ini belum memilih nama samaran.")
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
    c = ctx(request)
    person = await _person(request)
    return page(c.env, "remove.html", viewer=request[VIEWER], p=person,
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


def add_routes(server: web.Application) -> None:
    server.router.add_get("/staf", staff_page)
    server.router.add_post("/staf/undang", invite)
    server.router.add_post("/staf/{code}/tugas", set_duty)
    server.router.add_get("/staf/{code}/hapus", confirm_removal)
    server.router.add_post("/staf/{code}/hapus", remove)
