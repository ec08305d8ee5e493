import datetime

import pytest

from promptship import changelog
from promptship.errors import Problem

PATH = "prompts/triage/CHANGELOG.md"
GOOD = """\
# triage

Intro text before the entries is fine.

## v2 - 2026-11-20
Explicit category definitions.

### Details
A sub-heading inside an entry is part of it.

## v1
Imported from the hardcoded production prompt.
"""


def problems(text: str, versions: set[int]) -> list[Problem]:
    return changelog.check(text, PATH, "triage", versions)


def messages(text: str, versions: set[int]) -> list[tuple[int | None, str, str]]:
    return [(p.line, p.severity, p.message) for p in problems(text, versions)]


def test_parse_reads_title_entries_dates_and_lines() -> None:
    log = changelog.parse(GOOD, PATH)
    assert (log.title, log.title_line) == ("triage", 1)
    assert [(e.version, e.date, e.line) for e in log.entries] == [
        (2, "2026-11-20", 5),
        (1, None, 11),
    ]
    assert log.entries[0].body.startswith("Explicit") and "### Details" in log.entries[0].body
    assert log.problems == ()


def test_a_good_changelog_has_no_problems() -> None:
    assert problems(GOOD, {1, 2}) == []


def test_missing_entry_points_where_it_belongs_with_the_fix() -> None:
    found = problems(GOOD, {1, 2, 3})
    assert len(found) == 1
    assert found[0].line == 5 and found[0].message == "no entry for v3"
    assert found[0].fix is not None and "## v3 - YYYY-MM-DD" in found[0].fix
    middle = problems(GOOD.replace("## v1\n", "## v0x\n"), {1, 2})
    assert any(p.message == "no entry for v1" for p in middle)


def test_entry_for_a_version_that_does_not_exist_is_an_error() -> None:
    assert (5, "error", "entry for v2, but triage has no v2") in messages(GOOD, {1})


def test_duplicate_entries_are_errors() -> None:
    text = GOOD + "\n## v1 - 2026-01-01\nAgain.\n"
    found = [p for p in problems(text, {1, 2}) if "second entry" in p.message]
    assert [(p.line, p.message) for p in found] == [
        (14, "second entry for v1 (the first is on line 11)")
    ]


def test_empty_entry_is_an_error() -> None:
    text = "# triage\n\n## v2 - 2026-11-20\n\n## v1\nFirst.\n"
    assert (3, "error", "empty entry for v2") in messages(text, {1, 2})


def test_the_stub_that_new_writes_is_rejected_until_written() -> None:
    stub = changelog.stub_entry(3, datetime.date(2026, 11, 23))
    assert stub == "## v3 - 2026-11-23\nTODO: describe what changed and why.\n"
    text = GOOD.replace("## v2", stub + "\n## v2", 1)
    found = [p for p in problems(text, {1, 2, 3}) if p.severity == "error"]
    assert [(p.line, p.message) for p in found] == [
        (6, "entry for v3 is still the stub written by `promptship new`")
    ]
    written = text.replace(changelog.STUB, "Shorter answers.")
    assert problems(written, {1, 2, 3}) == []


def test_out_of_order_entries_are_warnings() -> None:
    text = "# triage\n\n## v1\nFirst.\n\n## v2\nSecond.\n"
    found = problems(text, {1, 2})
    assert [(p.line, p.severity, p.message) for p in found] == [
        (6, "warning", "entry for v2 comes after v1")
    ]


def test_dates_going_backwards_are_warnings() -> None:
    text = "# triage\n## v2 - 2026-01-01\nSecond.\n## v1 - 2026-05-01\nFirst.\n"
    assert messages(text, {1, 2}) == [
        (2, "warning", "v2 is dated 2026-01-01, before v1 (2026-05-01)")
    ]


@pytest.mark.parametrize(
    ("heading", "fragment"),
    [
        ("## v2 - 2026-13-01", "invalid date"),
        ("## v2 - 20261101", "invalid date"),
        ("## version 2", "is not a version entry"),
        ("## v02", "is not a version entry"),
        ("## V2", "is not a version entry"),
    ],
)
def test_malformed_headings_are_errors_with_their_line(heading: str, fragment: str) -> None:
    text = f"# triage\n\n{heading}\nSomething.\n\n## v1\nFirst.\n"
    found = [p for p in problems(text, {1, 2}) if fragment in p.message]
    assert len(found) == 1 and found[0].line == 3 and found[0].fix


def test_wrong_or_missing_title_is_a_warning() -> None:
    wrong = GOOD.replace("# triage", "# other")
    assert messages(wrong, {1, 2}) == [
        (1, "warning", "changelog title should be '# triage', found '# other'")
    ]
    untitled = GOOD.replace("# triage\n", "")
    assert messages(untitled, {1, 2})[0][1:] == (
        "warning",
        "changelog title should be '# triage', found no '# name' title",
    )


def test_headings_inside_code_fences_are_text() -> None:
    text = "# triage\n\n## v1\nExample:\n```\n## v9 not a heading\n```\n"
    assert problems(text, {1}) == []


def test_missing_changelog_names_the_fix() -> None:
    problem = changelog.missing("prompts/triage", "triage", {1, 2})
    assert problem.severity == "error" and "CHANGELOG.md" in problem.message
    assert problem.fix is not None and "# triage" in problem.fix and "v2" in problem.fix
