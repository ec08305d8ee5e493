"""The response cache: `.promptship/cache.sqlite`, one row per provider answer.

A row is keyed by the sha256 of the canonical JSON of everything that decides an answer:
the provider's identity (name and endpoint), the model, params, rendered messages, output
spec and the repeat index (so `--repeat 3` makes three distinct calls). Only the `Response`
fields are stored, never a key or any other secret. Several runs may share the file: WAL
mode, a busy timeout and `INSERT OR REPLACE` make concurrent writers safe.

The schema evolves through `MIGRATIONS`, a list of named steps applied in order and
recorded in `_migrations` (the approach of simonw/llm), so an old cache file upgrades in
place and a blank one is built by the same steps.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from promptship.errors import PromptshipError
from promptship.providers.base import Request, Response
from promptship.sha import canonical_json

CACHE_FILE = Path(".promptship") / "cache.sqlite"
KEY_SCHEME = "rc1"  # bump when what the key covers changes, so old rows are never misread
BUSY_TIMEOUT_MS = 30_000

Migration = Callable[[sqlite3.Connection], None]


def _m001_responses(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE responses (
            key TEXT PRIMARY KEY,
            provider TEXT NOT NULL,
            model TEXT NOT NULL,
            text TEXT NOT NULL,
            served_model TEXT NOT NULL,
            input_tokens INTEGER,
            output_tokens INTEGER,
            latency_ms REAL NOT NULL,
            finish_reason TEXT,
            created_at REAL NOT NULL
        )"""
    )


def _m002_last_used(db: sqlite3.Connection) -> None:
    # `prune --older-than` goes by last use, so a row a run keeps hitting stays cached.
    db.execute("ALTER TABLE responses ADD COLUMN last_used_at REAL")
    db.execute("UPDATE responses SET last_used_at = created_at")
    db.execute("CREATE INDEX responses_last_used ON responses (last_used_at)")


MIGRATIONS: list[tuple[str, Migration]] = [
    ("m001_responses", _m001_responses),
    ("m002_last_used", _m002_last_used),
]


def cache_key(identity: dict[str, Any], request: Request, repeat_index: int) -> str:
    """The row key for one call; equal keys mean the same question to the same server."""
    document = {
        "scheme": KEY_SCHEME,
        "provider": identity,
        "model": request.model,
        "params": request.params,
        "messages": list(request.messages),
        "output": request.output,
        "repeat_index": repeat_index,
    }
    return hashlib.sha256(canonical_json(document).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Stats:
    path: str
    entries: int
    size_bytes: int
    oldest: float | None
    newest: float | None
    by_model: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "entries": self.entries,
            "size_bytes": self.size_bytes,
            "oldest": _iso(self.oldest),
            "newest": _iso(self.newest),
            "by_model": self.by_model,
        }


class ResponseCache:
    """An open cache file. Use as a context manager, or call `close()`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            migrate(self._db)
        except sqlite3.DatabaseError as exc:
            raise PromptshipError(
                f"cannot open the response cache: {exc}",
                where=str(path),
                fix="delete the file (it is only a cache) or run `promptship cache clear`",
            ) from None

    @classmethod
    def for_project(cls, root: Path) -> ResponseCache:
        return cls(root / CACHE_FILE)

    def __enter__(self) -> ResponseCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def get(self, key: str) -> Response | None:
        row = self._db.execute(
            "SELECT text, served_model, input_tokens, output_tokens, latency_ms, finish_reason"
            " FROM responses WHERE key = ?",
            (key,),
        ).fetchone()
        if row is None:
            return None
        self._db.execute("UPDATE responses SET last_used_at = ? WHERE key = ?", (time.time(), key))
        return Response(
            text=row[0],
            served_model=row[1],
            input_tokens=row[2],
            output_tokens=row[3],
            latency_ms=row[4],
            finish_reason=row[5],
        )

    def put(self, key: str, provider: str, model: str, response: Response) -> None:
        now = time.time()
        self._db.execute(
            "INSERT OR REPLACE INTO responses (key, provider, model, text, served_model,"
            " input_tokens, output_tokens, latency_ms, finish_reason, created_at, last_used_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key,
                provider,
                model,
                response.text,
                response.served_model,
                response.input_tokens,
                response.output_tokens,
                response.latency_ms,
                response.finish_reason,
                now,
                now,
            ),
        )

    def stats(self) -> Stats:
        count, oldest, newest = self._db.execute(
            "SELECT COUNT(*), MIN(created_at), MAX(created_at) FROM responses"
        ).fetchone()
        by_model = {
            f"{provider}/{model}": n
            for provider, model, n in self._db.execute(
                "SELECT provider, model, COUNT(*) FROM responses"
                " GROUP BY provider, model ORDER BY provider, model"
            )
        }
        size = sum(
            p.stat().st_size
            for p in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm"))
            if p.exists()
        )
        return Stats(str(self.path), count, size, oldest, newest, by_model)

    def clear(self) -> int:
        """Delete every row; returns how many."""
        return self._delete("DELETE FROM responses", ())

    def prune(self, older_than_days: float) -> int:
        """Delete rows not used in the last `older_than_days` days; returns how many."""
        cutoff = time.time() - older_than_days * 86400
        return self._delete("DELETE FROM responses WHERE last_used_at < ?", (cutoff,))

    def _delete(self, sql: str, args: tuple[Any, ...]) -> int:
        count = self._db.execute(sql, args).rowcount
        # Give the space back: a cache that was cleared should not stay large on disk.
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._db.execute("VACUUM")
        return int(count)


def migrate(db: sqlite3.Connection) -> list[str]:
    """Apply the migrations this file lacks, in order; returns their names.

    `BEGIN IMMEDIATE` takes the write lock first, so two processes opening a blank file
    at once cannot both apply the same step.
    """
    applied: list[str] = []
    with _immediate(db):
        db.execute(
            "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at REAL)"
        )
        done = {row[0] for row in db.execute("SELECT name FROM _migrations")}
        for name, step in MIGRATIONS:
            if name not in done:
                step(db)
                db.execute("INSERT INTO _migrations VALUES (?, ?)", (name, time.time()))
                applied.append(name)
    return applied


def applied_migrations(path: Path) -> list[str]:
    with closing(sqlite3.connect(path)) as db:
        return [row[0] for row in db.execute("SELECT name FROM _migrations ORDER BY rowid")]


@contextmanager
def _immediate(db: sqlite3.Connection) -> Iterator[None]:
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))
