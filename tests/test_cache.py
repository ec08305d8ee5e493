"""The response cache: migrations, keys, concurrent writers, stats/clear/prune."""

from __future__ import annotations

import multiprocessing
import sqlite3
import time
from pathlib import Path

import pytest

from conftest import CLI
from promptship import cache
from promptship.cache import MIGRATIONS, ResponseCache, applied_migrations, cache_key
from promptship.providers.base import Request, Response

IDENTITY = {"name": "local", "endpoint": "http://127.0.0.1:1/v1"}


def _request(text: str = "hi", **params: object) -> Request:
    return Request("gemma3-270m", ({"role": "user", "content": text},), dict(params))


def _response(text: str = "billing") -> Response:
    return Response(text, "gemma-3-270m-q4", 12, 1, 42.5, "stop")


def test_blank_file_gets_every_migration_in_order(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    ResponseCache(path).close()
    assert applied_migrations(path) == [name for name, _ in MIGRATIONS]
    ResponseCache(path).close()  # reopening applies nothing twice
    assert applied_migrations(path) == [name for name, _ in MIGRATIONS]


def test_old_schema_upgrades_in_place_and_keeps_rows(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at REAL)")
    name, first = MIGRATIONS[0]
    first(db)
    db.execute("INSERT INTO _migrations VALUES (?, ?)", (name, 0))
    db.execute(
        "INSERT INTO responses VALUES ('k', 'local', 'm', 'old text', 'served', 1, 2, 3.0, NULL, ?)",
        (time.time(),),
    )
    db.close()
    with ResponseCache(path) as c:
        got = c.get("k")
        assert got is not None and got.text == "old text" and got.served_model == "served"
        assert c.prune(1) == 0  # m002 back-filled last_used_at, so the row counts as fresh
    assert applied_migrations(path) == [n for n, _ in MIGRATIONS]


def test_key_covers_everything_that_decides_an_answer() -> None:
    base = cache_key(IDENTITY, _request(), 0)
    assert base == cache_key(dict(reversed(IDENTITY.items())), _request(), 0)
    assert base != cache_key({**IDENTITY, "endpoint": "http://127.0.0.1:2/v1"}, _request(), 0)
    assert base != cache_key(IDENTITY, _request("hi!"), 0)
    assert base != cache_key(IDENTITY, _request(temperature=0.5), 0)
    assert base != cache_key(IDENTITY, _request(), 1)
    other_model = Request("other", _request().messages)
    assert base != cache_key(IDENTITY, other_model, 0)
    json_out = Request("gemma3-270m", _request().messages, {}, {"format": "json"})
    assert base != cache_key(IDENTITY, json_out, 0)


def test_put_get_round_trip(tmp_path: Path) -> None:
    with ResponseCache(tmp_path / "c.sqlite") as c:
        assert c.get("nope") is None
        c.put("k", "local", "gemma3-270m", _response())
        assert c.get("k") == _response()
        c.put("k", "local", "gemma3-270m", _response("technical"))  # replace, not duplicate
        assert c.get("k") == _response("technical")
        assert c.stats().entries == 1


def _writer(path: str, prefix: str, count: int) -> None:
    with ResponseCache(Path(path)) as c:
        for i in range(count):
            c.put(f"{prefix}{i}", "local", "m", _response(f"{prefix}{i}"))
            c.put("shared", "local", "m", _response(prefix))


def test_two_processes_write_at_once_from_a_blank_file(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(path), p, 150)) for p in ("a", "b")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    with ResponseCache(path) as c:
        assert c.stats().entries == 301
        assert c.get("a149") is not None and c.get("b0") is not None
    assert applied_migrations(path) == [n for n, _ in MIGRATIONS]


def test_corrupt_cache_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(cache.PromptshipError, match="cache clear"):
        ResponseCache(path)


def test_cache_commands(examples: Path, cli: CLI) -> None:
    with ResponseCache.for_project(examples) as c:
        c.put("old", "local", "gemma3-270m", _response())
        c.put("new", "openai", "gpt-4o-mini", _response())
        c._db.execute("UPDATE responses SET last_used_at = ? WHERE key = 'old'", (0,))
    result = cli("cache", "stats")
    assert result.code == 0 and "entries: 2" in result.out and "local/gemma3-270m: 1" in result.out
    result = cli("cache", "stats", "--json")
    assert '"entries": 2' in result.out
    result = cli("cache", "prune", "--older-than", "7")
    assert result.code == 0 and "removed 1 cached response" in result.out
    result = cli("cache", "prune", "--older-than", "-1")
    assert result.code == 2
    result = cli("cache", "clear", "--json")
    assert result.code == 0 and '"removed": 1' in result.out
    assert '"entries": 0' in cli("cache", "stats", "--json").out
