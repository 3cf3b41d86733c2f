"""The paragraph a principal reads first: this period in a few sentences, compared with the
period of the same length just before. It uses only figures the tables show (protected)."""

from __future__ import annotations

from bot.reports import numbers
from bot.reports.figures import ReportData, median, percentile
from bot.reports.tables import count, mean_score, minutes, protected

SENTENCES = {
    "id": {
        "none": "Pada periode ini ({period}) belum ada kasus.",
        "cases": "Pada periode ini ({period}) ada {cases} kasus: {peer} ke konselor sebaya, "
                 "{counselor} ke guru BK dan {crisis} krisis.",
        "up": "Itu naik {pct}% dibanding periode sebelumnya ({before}: {then} kasus).",
        "down": "Itu turun {pct}% dibanding periode sebelumnya ({before}: {then} kasus).",
        "same": "Sama dengan periode sebelumnya ({before}: {then} kasus).",
        "then": "Periode sebelumnya ({before}): {then} kasus.",
        "no_before": "Periode sebelumnya ({before}) tidak ada kasus, jadi belum bisa "
                     "dibandingkan.",
        "ack": "Separuh peringatan krisis diakui guru BK dalam {half}, 90% dalam {most}.",
        "unack": "{n} peringatan krisis tidak pernah diakui: mohon ditinjau.",
        "reply": "Separuh kasus mendapat balasan pertama dalam {half}.",
        "score": "Rata-rata kepuasan siswa {mean} ({n} penilaian).",
        "score_then": "Rata-rata kepuasan siswa {mean} ({n} penilaian; periode sebelumnya "
                      "{then}).",
        "services": "Latihan mandiri dipakai {selfhelp} kali; ada {appointments} permintaan "
                    "janji temu dan {groups} pendaftaran sesi kelompok.",
    },
    "en": {
        "none": "There were no cases in this period ({period}).",
        "cases": "In this period ({period}) there were {cases} cases: {peer} to peer "
                 "supporters, {counselor} to the counselor and {crisis} crisis cases.",
        "up": "That is {pct}% more than the previous period ({before}: {then} cases).",
        "down": "That is {pct}% fewer than the previous period ({before}: {then} cases).",
        "same": "The same as the previous period ({before}: {then} cases).",
        "then": "Previous period ({before}): {then} cases.",
        "no_before": "The previous period ({before}) had no cases, so there is nothing to "
                     "compare with yet.",
        "ack": "Half of the crisis alerts were acknowledged within {half}, 90% within {most}.",
        "unack": "{n} crisis alerts were never acknowledged: please review.",
        "reply": "Half of the cases had a first reply within {half}.",
        "score": "Mean student satisfaction {mean} ({n} ratings).",
        "score_then": "Mean student satisfaction {mean} ({n} ratings; previous period {then}).",
        "services": "Self-help exercises were used {selfhelp} times; there were {appointments} "
                    "appointment requests and {groups} group session sign-ups.",
    },
}


def _comparison(data: ReportData, now, lang: str) -> str | None:
    s = SENTENCES.get(lang, SENTENCES["id"])
    before = data.previous
    if before is None:
        return None
    then = protected(before)["cases"]
    where = numbers.period(before.start, before.end, lang)
    if then.exact and then.value == 0:
        return s["no_before"].format(before=where)
    text = count(then, lang)
    if not (now.exact and then.exact):
        return s["then"].format(before=where, then=text)
    if now.value == then.value:
        return s["same"].format(before=where, then=text)
    pct = numbers.number(abs(now.value - then.value) * 100 / then.value, lang)
    return s["up" if now.value > then.value else "down"].format(pct=pct, before=where,
                                                                 then=text)


def paragraph(data: ReportData, lang: str) -> str:
    """A few sentences: cases, the change since the previous period, crisis, replies,
    satisfaction and services."""
    s = SENTENCES.get(lang, SENTENCES["id"])
    shown = protected(data)
    period = numbers.period(data.start, data.end, lang)
    if shown["cases"].exact and shown["cases"].value == 0:
        out = [s["none"].format(period=period)]
    else:
        out = [s["cases"].format(period=period, cases=count(shown["cases"], lang),
                                 **{r: count(shown[("route", r)], lang)
                                    for r in ("peer", "counselor", "crisis")})]
    comparison = _comparison(data, shown["cases"], lang)
    if comparison:
        out.append(comparison)
    if median(data.ack_minutes) is not None:
        out.append(s["ack"].format(half=minutes(median(data.ack_minutes), lang),
                                   most=minutes(percentile(data.ack_minutes, 0.9), lang)))
    if data.unacknowledged:
        out.append(s["unack"].format(n=count(shown["unacknowledged"], lang)))
    if median(data.first_reply_minutes) is not None:
        out.append(s["reply"].format(half=minutes(median(data.first_reply_minutes), lang)))
    if data.satisfaction is not None:
        then = data.previous.satisfaction if data.previous is not None else None
        key = "score" if then is None else "score_then"
        out.append(s[key].format(mean=mean_score(data, lang), n=count(shown["surveys"], lang),
                                 then=then is not None and mean_score(data.previous, lang)))
    if any(shown[k].value for k in ("selfhelp", "appointments", "groups")):
        out.append(s["services"].format(selfhelp=count(shown["selfhelp"], lang),
                                        appointments=count(shown["appointments"], lang),
                                        groups=count(shown["groups"], lang)))
    return " ".join(out)
