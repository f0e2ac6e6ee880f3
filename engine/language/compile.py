"""Compile a validated, expanded contract into the typed model the runtime evaluates (engine.language.model).

The compiled form is data: rules indexed by trigger event and pre-sorted by salience, conditions
turned into predicates (the original durable_rules JSON is kept beside them for other backends),
targets as lookup tables, calendars built here once (a customer-local calendar keeps its built
default and is re-localised per ticket attribute by the model). The model names are re-exported:
`from engine.language.compile import CompiledContract, Rule` keeps working.
"""

from __future__ import annotations

from typing import Any

from engine.calendars.business import (
    BusinessCalendar,
    calendar_from_spec,
    holiday_country_attribute,
    timezone_attribute,
)
from engine.language.conditions import compile_condition, compile_getter, compile_matches, condition_fields
from engine.language.escalation import compile_graph
from engine.language.expand import Expanded
from engine.language.model import (
    ALWAYS,
    ActionSpec,
    Assumption,
    Attribute,
    Calendar,
    Clause,
    CompiledContract,
    EventRefusal,
    Exclusion,
    Match,
    NotEncoded,
    Obligation,
    Parameter,
    Plan,
    Reclassification,
    Rule,
    Severity,
    SeverityPolicy,
    SeverityRefusal,
    Target,
    TargetRow,
    Template,
    Value,
    compile_template,
    freeze,
    match_function,
    match_spec,
)
from engine.model.durations import parse_duration

__all__ = [
    "ALWAYS",
    "ActionSpec",
    "Assumption",
    "Attribute",
    "BusinessCalendar",
    "Calendar",
    "Clause",
    "CompiledContract",
    "EventRefusal",
    "Exclusion",
    "Match",
    "NotEncoded",
    "Obligation",
    "Parameter",
    "Plan",
    "Reclassification",
    "Rule",
    "Severity",
    "SeverityPolicy",
    "SeverityRefusal",
    "Target",
    "TargetRow",
    "Template",
    "Value",
    "build_calendar",
    "compile_contract",
    "compile_template",
    "freeze",
    "match_function",
]


def _writes(kind: str, args: Any) -> tuple[str, ...]:
    """Fact paths an action may change: a rule reading none of them keeps its match after it fires."""
    if kind in ("start_clock", "stop_clock", "pause_clock", "resume_clock", "reschedule_clock"):
        clock = args.get("clock") if isinstance(args, dict) else None
        if clock is None or clock == "all":
            return ("state.clock.", "state.breached.")
        names = clock if isinstance(clock, list) else [clock]
        return tuple(path for name in names for path in (f"state.clock.{name}", f"state.breached.{name}"))
    if kind in ("reclassify", "downgrade"):
        return ("ticket.severity",)
    if kind == "escalate":
        return ("state.escalation.",)
    if kind == "set":
        return tuple(f"state.vars.{k}" for k in args)
    if kind in ("obligation", "fulfil"):
        name = args.get("id") if isinstance(args, dict) else args
        return (f"state.obligation.{name}",)
    if kind in ("start_timer", "cancel_timer"):
        name = args.get("timer") if isinstance(args, dict) else args
        return (f"state.timer.{name}",)
    return ()


def _overlaps(writes: tuple[str, ...], reads: tuple[str, ...]) -> bool:
    return any(r.startswith(w) or w.startswith(r) for w in writes for r in reads)


def _row(value: Any, default_calendar: str) -> TargetRow:
    if isinstance(value, dict):
        duration = value.get("duration")
        calendar = value.get("calendar", default_calendar)
    else:
        duration, calendar = value, default_calendar
    return TargetRow(None if duration in (None, "none") else parse_duration(str(duration)), calendar,
                     None if duration is None else str(duration))


def build_calendar(name: str, spec: Any) -> Calendar:
    """A named calendar built once from its spec (the spec is not kept: the model carries what
    `show` prints, and the runtime re-localises the built calendar, never the spec)."""
    if not isinstance(spec, dict):
        return Calendar(name, calendar_from_spec(spec), always_open=True)
    zone, holidays = spec.get("timezone"), spec.get("holidays")
    country = holidays.get("country") if isinstance(holidays, dict) else None
    return Calendar(
        id=name,
        calendar=calendar_from_spec(spec),
        clause=spec.get("clause"),
        zone_attr=timezone_attribute(spec),
        country_attr=holiday_country_attribute(spec),
        timezone=zone.get("default") if isinstance(zone, dict) else zone,
        hours=tuple((str(k), tuple(map(str, v or ()))) for k, v in (spec.get("hours") or {}).items()),
        holiday_country=country.get("default") if isinstance(country, dict) else country,
        holiday_subdivision=holidays.get("subdivision") if isinstance(holidays, dict) else None,
        holiday_dates=tuple(map(str, holidays.get("dates") or ())) if isinstance(holidays, dict) else (),
        has_holidays=bool(holidays),
    )


def _value(arg: Any) -> Value:
    if isinstance(arg, dict) and set(arg) == {"ref"}:
        return Value(getter=compile_getter(arg["ref"]))
    return Value(literal=arg)


# The action arguments that are durations (checked by check.py, parsed here); a `set:` of a key
# named `due` or `target` is data like any other `set:`, kept as written.
_DURATION_ARGS = frozenset({("start_clock", "target"), ("start_timer", "after")})


def _action(kind: str, args: Any) -> ActionSpec:
    if not isinstance(args, dict):
        return ActionSpec(kind, {"name": args}, None, _writes(kind, args))
    compiled: dict[str, Any] = {}
    for key, value in args.items():
        if key == "reason":
            continue
        if (kind, key) in _DURATION_ARGS and isinstance(value, str):
            compiled[key] = parse_duration(value)
        elif key in ("to", "exclusion", "from"):
            compiled[key] = _value(value)
        else:
            compiled[key] = value
    reason = compile_template(args["reason"]) if isinstance(args.get("reason"), str) else None
    return ActionSpec(kind, compiled, reason, _writes(kind, args))


def _rule(rid: str, spec: dict, order: int, file: str | None, line: int | None) -> Rule:
    when = spec["when"]
    events = when["event"]
    events = (events,) if isinstance(events, str) else tuple(events)
    cond = when.get("match")
    reads = tuple((path, compile_getter(path)) for path in condition_fields(cond)) if cond else ()
    actions = tuple(_action(kind, args) for item in spec["then"] for kind, args in item.items())
    return Rule(
        id=rid,
        clause=spec["clause"],
        salience=int(spec.get("salience", 0)),
        order=order,
        events=events,
        condition=cond,
        reads=reads,
        actions=actions,
        description=spec.get("description", ""),
        file=file,
        line=line,
    )


def compile_contract(exp: Expanded) -> CompiledContract:
    """Build the runtime form; call only on a contract that validated without errors."""
    d = exp.data
    contract_id = d["id"]
    target_list: list[Target] = []
    for t in d.get("targets") or []:
        default_cal = t.get("calendar", "region")
        rows = {sev: _row(v, default_cal) for sev, v in (t.get("severities") or {}).items()}
        default = _row(t["all"], default_cal) if "all" in t else None
        pred = compile_condition(t["match"]) if t.get("match") else None
        target_list.append(Target(t["id"], t["clock"], t["clause"], pred, rows, default, t.get("match")))
    targets: dict[str, list[Target]] = {}
    for target in target_list:
        targets.setdefault(target.clock, []).append(target)
    obligations = {
        o["id"]: Obligation(o["id"], o["clause"], o["party"], o["what"],
                            parse_duration(o["due"]) if o.get("due") else None, o.get("calendar", "region"),
                            o.get("consequence", ""), None if o.get("due") is None else str(o["due"]))
        for o in d.get("obligations") or []
    }
    rules: list[Rule] = []
    for i, rc in enumerate(d.get("reclassification") or []):
        spec = {
            "id": rc["id"], "clause": rc["clause"], "salience": 100, "description": rc.get("description", ""),
            "when": {"event": rc["on"], **({"match": rc["match"]} if rc.get("match") else {})},
            "then": [{"reclassify": {"to": rc["to"], **({"reason": rc["reason"]} if rc.get("reason") else {})}}],
        }
        line = exp.doc.locate(("reclassification", i))[0]
        rules.append(_rule(f"{contract_id}.{rc['id']}", spec, len(rules), exp.doc.file, line))
    for rid, spec, origin in exp.rules:
        rules.append(_rule(rid, spec, len(rules), origin.doc.file, origin.doc.locate(origin.path)[0]))
    by_event: dict[str, list[Rule]] = {}
    for rule in rules:
        for event in rule.events:
            by_event.setdefault(event, []).append(rule)
    ordered = {k: tuple(sorted(v, key=lambda r: (-r.salience, r.order))) for k, v in by_event.items()}
    affects = {event: tuple(tuple(j for j, other in enumerate(rules)
                                  if _overlaps(tuple(w for a in rule.actions for w in a.writes),
                                               tuple(p for p, _ in other.reads)))
                            for rule in rules)
               for event, rules in ordered.items()}
    rescan = {event: tuple(min(j + 1, min(hit, default=j + 1)) for j, hit in enumerate(per_rule))
              for event, per_rule in affects.items()}
    changes = d.get("severity_changes") or {}
    policy = SeverityPolicy(
        rule=f"{contract_id}.severity-changes", clause=changes.get("clause"),
        refusals=tuple(SeverityRefusal(compile_condition(r["when"]),
                                       compile_template(r["reason"]) if r.get("reason") else None, r["when"])
                       for r in changes.get("refuse") or []),
        declared=bool(changes))
    event_refusals: list[EventRefusal] = []
    refusals: dict[str, list[EventRefusal]] = {}
    for r in d.get("refusals") or []:
        refusal = EventRefusal(f"{contract_id}.{r['id']}", r["clause"],
                               compile_condition(r["when"]) if r.get("when") else None,
                               compile_template(r["reason"]) if r.get("reason") else None, r.get("when"))
        event_refusals.append(refusal)
        for kind in [r["on"]] if isinstance(r["on"], str) else r["on"]:
            refusals.setdefault(kind, []).append(refusal)
    warn = exp.params.get("warn_at", [])
    warn = [warn] if isinstance(warn, (int, float)) else list(warn or [])
    exclusions = d.get("exclusions") or {}
    return CompiledContract(
        id=contract_id,
        version=str(d.get("version")),
        title=d.get("title", ""),
        source=d.get("source", ""),
        file=exp.doc.file,
        included=tuple(exp.included),
        params=dict(exp.params),
        severities=tuple(s["id"] for s in d["severities"]),
        regions=dict(d.get("regions") or {}),
        calendars={name: build_calendar(name, spec) for name, spec in (d.get("calendars") or {}).items()},
        targets={k: tuple(v) for k, v in targets.items()},
        obligations=obligations,
        exclusions={k: v["clause"] for k, v in exclusions.items()},
        graphs=tuple(compile_graph(g) for g in d.get("escalation") or []),
        rules=tuple(rules),
        rules_by_event=ordered,
        affects=affects,
        rescan=rescan,
        matches={event: compile_matches([match_spec(r.condition, r.reads) for r in rules], freeze)
                 for event, rules in ordered.items()},
        warn_at=tuple(sorted(float(x) for x in warn)),
        severity_policy=policy,
        severity_clauses={s["id"]: s["clause"] for s in d["severities"]},
        refusals={kind: tuple(v) for kind, v in refusals.items()},
        effective_from=_optional_text(d.get("effective_from")),
        effective_to=_optional_text(d.get("effective_to")),
        parties={str(k): str(v) for k, v in (d.get("parties") or {}).items()},
        clauses=_clauses(d.get("clauses")),
        attributes=_attributes(d.get("attributes")),
        parameters=tuple(Parameter(name, (p or {}).get("value"), (p or {}).get("description") or "")
                         for name, p in (d.get("parameters") or {}).items()),
        plans={k: Plan(k, v.get("title", ""), v.get("clause"), v.get("description", ""))
               for k, v in (d.get("plans") or {}).items()},
        severity_terms=tuple(Severity(s["id"], s["name"], s["definition"], s["clause"]) for s in d["severities"]),
        target_list=tuple(target_list),
        exclusion_list=tuple(Exclusion(k, v["clause"], v.get("text")) for k, v in exclusions.items()),
        reclassifications=tuple(
            Reclassification(rc["id"], rc["on"] if isinstance(rc["on"], str) else tuple(rc["on"]), rc["to"],
                             rc["clause"], rc.get("match"), rc.get("reason"), rc.get("description", ""))
            for rc in d.get("reclassification") or []),
        event_refusals=tuple(event_refusals),
        assumptions=tuple(Assumption(a["clause"], a["seed"], a["choice"], a.get("parameter"))
                          for a in d.get("assumptions") or []),
        not_encoded=tuple(NotEncoded(n["clause"], n["reason"]) for n in d.get("not_encoded") or []),
    )


def _optional_text(value: Any) -> str | None:
    return None if value is None else str(value)


def _clauses(spec: Any) -> dict[str, Clause]:
    """`clauses:` id -> text, or id -> {text, ref}."""
    out: dict[str, Clause] = {}
    for cid, value in (spec or {}).items() if isinstance(spec, dict) else ():
        if isinstance(value, dict):
            out[cid] = Clause(cid, str(value.get("text", "")), value.get("ref"))
        else:
            out[cid] = Clause(cid, str(value))
    return out


def _attributes(spec: Any) -> dict[str, Attribute]:
    """`attributes:` name -> {type, values, description}."""
    out: dict[str, Attribute] = {}
    for name, value in (spec or {}).items() if isinstance(spec, dict) else ():
        value = value or {}
        values = value.get("values")
        out[name] = Attribute(name, str(value.get("type", "")), None if values is None else tuple(values),
                              value.get("description", ""))
    return out
