"""What a handler did when it failed, named the way a person would report it.

"RecursionError: maximum recursion depth exceeded, at handler.py:4": the exception, its
message, and the innermost frame of the handler's own code (not the SDK's frame that raised
a ClientError on its behalf). Kept beside the ledger, not in it: messages can hold memory
addresses and other things that differ between processes.
"""

from __future__ import annotations

import os
import sysconfig
import traceback
from dataclasses import dataclass
from types import TracebackType

from chaos._sandbox.code import is_engine_frame, is_handler_frame, shown_path

MESSAGE_LIMIT = 160
TRACEBACK_LIMIT = 4_000


class HandlerNotFound(AttributeError):
    """The handler module has no such function (AWS: Runtime.HandlerNotFound)."""


@dataclass(frozen=True)
class HandlerError:
    """One failure of handler code (an invocation's, or an execution environment's init)."""

    error_type: str
    """The exception's class name, or the runtime's error (Runtime.ExitError...)."""
    message: str
    location: str = ""
    """`file:line` of the innermost handler frame, when there is one."""
    traceback: str = ""
    relayed: bool = False
    """Raised by engine code on the handler's behalf (the SDK relaying an AWS error the
    handler did not catch): the experiment's faults explain it, not the handler's code."""

    def describe(self) -> str:
        text = self.error_type if not self.message else f"{self.error_type}: {self.message}"
        return f"{text}, at {self.location}" if self.location else text


def describe(error: BaseException) -> HandlerError:
    """The error handler code raised, with where in that code it came from."""
    message = _clip(portable(str(error)), MESSAGE_LIMIT)
    return HandlerError(
        type(error).__name__,
        message,
        _innermost_handler_frame(error.__traceback__),
        _clip(portable("".join(traceback.format_exception(error))), TRACEBACK_LIMIT),
        relayed=_raised_by_engine(error.__traceback__),
    )


def portable(text: str) -> str:
    """`text` without the paths of this installation: a message that quotes a traceback
    (Powertools' BatchProcessingError does) names the same files on every machine."""
    paths = sysconfig.get_paths()
    for key, shown in (("purelib", "site-packages"), ("platlib", "site-packages")):
        text = text.replace(paths[key] + os.sep, shown + os.sep)
    text = text.replace(paths["stdlib"] + os.sep, "stdlib" + os.sep)
    return text.replace(os.getcwd() + os.sep, "")


def _raised_by_engine(tb: TracebackType | None) -> bool:
    last = None
    while tb is not None:
        last, tb = tb, tb.tb_next
    return last is not None and is_engine_frame(last.tb_frame)


def _innermost_handler_frame(tb: TracebackType | None) -> str:
    found = ""
    while tb is not None:
        if is_handler_frame(tb.tb_frame):
            found = f"{shown_path(tb.tb_frame.f_code.co_filename)}:{tb.tb_lineno}"
        tb = tb.tb_next
    return found


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split()) if limit == MESSAGE_LIMIT else text
    return text if len(text) <= limit else text[: limit - 1] + "…"
