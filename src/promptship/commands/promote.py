from __future__ import annotations

from promptship.output import emit_json
from promptship.project import Project
from promptship.promotion import Outcome, promote


def run(
    name: str,
    version: str,
    env: str,
    note: str | None,
    canary: int | None,
    force: bool,
    reason: str | None,
    commit: bool,
    as_json: bool,
) -> int:
    outcome = promote(
        Project.find(),
        name,
        version,
        env,
        note=note,
        canary=canary,
        force=force,
        reason=reason,
        commit=commit,
    )
    report(outcome, as_json)
    return 0


def report(outcome: Outcome, as_json: bool) -> None:
    """Print a promotion or rollback (shared with `rollback`)."""
    if as_json:
        from promptship.lockformat import to_data

        emit_json(
            {
                "env": outcome.env,
                "name": outcome.name,
                "changed": outcome.changed,
                "pin": to_data(outcome.pin) if outcome.pin else None,
                "previous": to_data(outcome.previous) if outcome.previous else None,
                "commit": outcome.commit,
                "message": outcome.message,
            }
        )
        return
    print(outcome.message)  # plain text: no need to load rich for one line
    if outcome.commit:
        print(f"committed prompts.lock as {outcome.commit[:12]}")
