"""Static check of the `region` calendar reference: a row that counts in "the ticket's region's
calendar" starts no clock when the region has no entry under `regions:` (CompiledContract.calendar
finds none and the clock is silently not started). Calendars with no opening hours, unknown zones
and unknown holiday countries are `bad-calendar` errors already (check.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from engine.language.attributes import attribute_specs
from engine.language.lint_finding import Finding

REGION = "region"


def _row_calendars(target: dict) -> Iterator[tuple[str, Any]]:
    default = target.get("calendar", REGION)
    rows = dict(target.get("severities") or {})
    if "all" in target:
        rows["all"] = target["all"]
    for key, value in rows.items():
        yield str(key), value.get("calendar", default) if isinstance(value, dict) else default


def region_findings(exp: Any) -> Iterator[Finding]:
    d, doc = exp.data, exp.doc
    regions = d.get("regions") or {}
    users = [(i, t) for i, t in enumerate(d.get("targets") or [])
             if any(cal == REGION for _key, cal in _row_calendars(t))]
    if not users:
        return
    if not regions:
        for i, t in users:
            yield Finding(replace(doc.diag("region-no-calendar", f"target '{t.get('id')}' counts in the calendar of the "
                                           "ticket's region (`calendar: region`, the default), but the contract has no "
                                           "`regions:`: it never starts a clock", ("targets", i)),
                                  severity="warning", clause=t.get("clause"),
                                  hint="name a calendar (`calendar: <id>` or 24x7), or map regions to calendars under "
                                  "`regions:`"), str(t.get("id")))
        return
    spec = attribute_specs(d.get("attributes")).get("region")
    for j, value in enumerate(spec.values or () if spec else ()):
        if value not in regions:
            yield Finding(replace(doc.diag("region-no-calendar", f"region '{value}' is a declared value of `region` but "
                                           f"has no calendar under `regions:`: targets on calendar `region` (e.g. "
                                           f"'{users[0][1].get('id')}') start no clock for its tickets",
                                           ("attributes", "region", "values", j)),
                                  severity="warning", clause=users[0][1].get("clause"),
                                  hint=f"add `{value}: <calendar>` under `regions:`, or remove the value"), str(value))
