from __future__ import annotations

import re
import sys
from datetime import UTC, datetime

from promptship.environments import get_environment
from promptship.errors import UsageError
from promptship.history import iso, live
from promptship.output import console, emit_json
from promptship.project import Project
from promptship.sha import short

_CLOCK = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])(?::([0-5][0-9]))?")


def parse_time(text: str, now: datetime | None = None) -> tuple[int, str | None]:
    """Unix seconds for TIME, and a note when an assumption was made.

    `HH:MM[:SS]` is today in UTC; ISO-8601 without a timezone is read as UTC.
    """
    now = now or datetime.now(UTC)
    clock = _CLOCK.fullmatch(text.strip())
    if clock:
        hour, minute, second = (int(g or 0) for g in clock.groups())
        moment = now.replace(hour=hour, minute=minute, second=second, microsecond=0)
        return int(
            moment.timestamp()
        ), f"{text} read as today in UTC ({iso(int(moment.timestamp()))})"
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"cannot read the time {text!r}",
            fix="use ISO-8601 (2026-11-20T14:32:00Z, 2026-11-20 14:32+02:00) or HH:MM for today in UTC",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
        return int(
            moment.timestamp()
        ), f"{text} has no timezone; read as UTC ({iso(int(moment.timestamp()))})"
    return int(moment.timestamp()), None


def run(env: str, at: str, as_json: bool) -> int:
    project = Project.find()
    get_environment(project, env)
    moment, assumption = parse_time(at)
    if assumption:
        print(f"note: {assumption}", file=sys.stderr)
    answer = live(project, env, moment)
    found, commit = answer.items, answer.commit
    for warning in answer.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if answer.uncommitted:
        print(
            "note: prompts.lock has uncommitted changes; only committed history counts",
            file=sys.stderr,
        )
    if as_json:
        emit_json(
            {
                "env": env,
                "at": iso(moment),
                "commit": commit.sha if commit else None,
                "committed_at": commit.time if commit else None,
                "uncommitted_changes_ignored": answer.uncommitted,
                "prompts": [
                    {
                        "name": item.name,
                        "version": item.pin.label,
                        "sha256": item.pin.sha256,
                        "canary": {
                            "version": f"v{item.pin.canary.version}",
                            "sha256": item.pin.canary.sha256,
                            "weight": item.pin.canary.weight,
                        }
                        if item.pin.canary
                        else None,
                        "promoted_at": item.pin.promoted_at,
                        "promoted_by": item.pin.promoted_by,
                        "live_since": item.since.time,
                        "live_since_commit": item.since.sha,
                    }
                    for item in found
                ],
            }
        )
        return 0
    from rich.markup import escape

    out = console()
    if commit is None:
        out.print(f"nothing was pinned in {env} at {iso(moment)} (no committed lockfile yet)")
        return 0
    out.print(
        f"{env} at {iso(moment)} (prompts.lock as of commit {commit.sha[:12]}, {commit.time}):"
    )
    if not found:
        out.print(f"  nothing pinned in {env}")
    for item in found:
        pin = item.pin
        text = f"  {item.name}  {pin.label}  {pin.sha256}"
        if pin.canary is not None:
            text += f"  + canary v{pin.canary.version} ({short(pin.canary.sha256)}) {pin.canary.weight}%"
        text += (
            f"  live since {item.since.time} ({item.since.sha[:12]}), promoted by {pin.promoted_by}"
        )
        out.print(escape(text))
    return 0
