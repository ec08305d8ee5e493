"""The one place that turns failures into messages and exit codes.

PromptshipError -> its one line and exit 1 (usage 2); Ctrl-C -> 130; anything unexpected
-> 3, with a hint to rerun with PROMPTSHIP_DEBUG=1 for the traceback. Imports nothing heavy,
so the pre-commit fast path (`launcher.py`) uses it too.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from promptship.errors import PromptshipError

DEBUG_VARIABLE = "PROMPTSHIP_DEBUG"


def run(call: Callable[[], int]) -> int:
    """`call()`'s exit code, or the exit code of what it raised (after saying what happened)."""
    try:
        return call()
    except PromptshipError as exc:
        print_error(exc.format())
        return exc.exit_code
    except KeyboardInterrupt:
        print_error("interrupted")
        return 130
    except BrokenPipeError:
        return 1
    except Exception:
        if os.environ.get(DEBUG_VARIABLE):
            raise
        import traceback

        last = traceback.format_exc().strip().splitlines()[-1]
        print_error(
            f"unexpected error: {last}\n"
            f"This is a bug in promptship; rerun with {DEBUG_VARIABLE}=1 for the traceback and report it."
        )
        return 3


def print_error(text: str) -> None:
    prefix = "error: "
    if sys.stderr.isatty() and not os.environ.get("NO_COLOR"):
        prefix = "\033[31merror:\033[0m "
    print(prefix + text, file=sys.stderr)
