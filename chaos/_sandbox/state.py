"""Process state that belongs to an execution environment, put in place whenever its fiber runs.

On AWS each execution environment is its own process: its environment variables, its
standard streams, its warnings filters, its signal handlers and its asyncio event loop are
its own. Here every environment shares our process, so a `ProcessState` holds that state
and swaps it in at every switch into one of its fibers and out at every switch back (a few
attribute assignments: invocations interleave, so once per invocation would not do).

- `os.environ`: the mapping's backing dict is swapped (the object stays, so modules holding
  a reference to it see the swap too); `os.putenv` does nothing in a fiber (see `guards`), so
  the process's C-level environment never changes.
- `sys.stdout`/`sys.stderr` and the root logger's handlers: the run's log streams (`logs`).
- `warnings.filters` and how warnings are shown: Python's default filters, shown in the
  invocation's log. The host's filters (pytest's `filterwarnings = error`) never decide
  what handler code's warnings do.
- asyncio's running loop (thread-local, so shared by every greenlet of the thread).
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from chaos._sandbox.logs import InvocationLog

if TYPE_CHECKING:
    from chaos._sandbox.contain import Containment
    from chaos._sim.fibers import Fiber


def _default_filters() -> list[Any]:
    """The warnings filters of a fresh interpreter (CPython 3.11, release build)."""
    saved = warnings.filters
    try:
        warnings.filters = []
        warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")
        warnings.simplefilter("ignore", DeprecationWarning, append=True)
        warnings.simplefilter("ignore", PendingDeprecationWarning, append=True)
        warnings.simplefilter("ignore", ImportWarning, append=True)
        warnings.simplefilter("ignore", ResourceWarning, append=True)
        return list(warnings.filters)
    finally:
        warnings.filters = saved
        warnings._filters_mutated()  # type: ignore[attr-defined]


DEFAULT_FILTERS = tuple(_default_filters())


def _show_in_log(message: warnings.WarningMessage) -> None:
    """How a handler's warning is shown: written to its (swapped) stderr, as Python does."""
    text = warnings.formatwarning(
        message.message,
        message.category,
        message.filename,
        message.lineno,
        message.line,
    )
    sys.stderr.write(text)


def _encoded(values: Mapping[str, str]) -> dict[Any, Any]:
    environ = os.environ
    return {environ.encodekey(key): environ.encodevalue(value) for key, value in values.items()}


class ProcessState:
    """One execution environment's process state; a `FiberState` for its fibers."""

    def __init__(self, containment: Containment, environment: Mapping[str, str]) -> None:
        self._containment = containment
        self._environ_data = _encoded(environment)
        self._environ: Any = _ENVIRON
        self._stdout: Any = containment.stdout
        self._stderr: Any = containment.stderr
        self._root_handlers = [containment.log_handler]
        self._filters: Any = list(DEFAULT_FILTERS)
        self._showwarnmsg: Any = _show_in_log
        self._loop: Any = None
        self.signals: dict[int, Any] = {}
        """Signal handlers the environment's code installed (never the process's own)."""
        self.log: InvocationLog | None = None
        """The log of the invocation this environment is serving."""
        self._host: tuple[Any, ...] = ()

    def enter(self, fiber: Fiber) -> None:
        root = logging.root
        self._host = (
            os.environ,
            _ENVIRON._data,  # type: ignore[attr-defined]
            sys.stdout,
            sys.stderr,
            root.handlers,
            warnings.filters,
            warnings._showwarnmsg,  # type: ignore[attr-defined]
            _running_loop(),
        )
        os.environ = self._environ  # noqa: B003  (the binding, not the contents)
        _ENVIRON._data = self._environ_data  # type: ignore[attr-defined]
        if _ENVIRONB is not None:
            _ENVIRONB._data = self._environ_data
        sys.stdout, sys.stderr = self._stdout, self._stderr
        root.handlers = self._root_handlers
        warnings.filters = self._filters
        warnings._showwarnmsg = self._showwarnmsg  # type: ignore[attr-defined]
        warnings._filters_mutated()  # type: ignore[attr-defined]
        _set_running_loop(self._loop)
        self._containment.entered(fiber)

    def leave(self, fiber: Fiber) -> None:
        self._containment.left(fiber)
        root = logging.root
        # Whatever the code rebound stays the environment's for its next turn.
        self._environ, self._environ_data = os.environ, _ENVIRON._data  # type: ignore[attr-defined]
        self._stdout, self._stderr = sys.stdout, sys.stderr
        self._root_handlers = root.handlers
        self._filters = warnings.filters
        self._showwarnmsg = warnings._showwarnmsg  # type: ignore[attr-defined]
        self._loop = _running_loop()
        environ, data, stdout, stderr, handlers, filters, show, loop = self._host
        os.environ = environ  # noqa: B003  (the binding, not the contents)
        _ENVIRON._data = data  # type: ignore[attr-defined]
        if _ENVIRONB is not None:
            _ENVIRONB._data = data
        sys.stdout, sys.stderr = stdout, stderr
        root.handlers = handlers
        warnings.filters = filters
        warnings._showwarnmsg = show  # type: ignore[attr-defined]
        warnings._filters_mutated()  # type: ignore[attr-defined]
        _set_running_loop(loop)
        self._host = ()


_ENVIRON = os.environ
_ENVIRONB = getattr(os, "environb", None)


def _running_loop() -> Any:
    events = sys.modules.get("asyncio.events")
    return None if events is None else events._get_running_loop()


def _set_running_loop(loop: Any) -> None:
    events = sys.modules.get("asyncio.events")
    if events is not None:
        events._set_running_loop(loop)
