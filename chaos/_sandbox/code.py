"""Whose code is running: the user's own, or the engine's (chaos-arena, the SDK, moto)?

Clock reads are charged only when the handler's own code makes them, and a fiber is only
preempted while no engine frame is on its stack: switching away from moto halfway through a
call could leave a lock held or a table half-written. A frame's owner is the top-level
package of its module; the answer is cached per code object, so the check costs a dict
lookup on the hot path.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Iterable
from types import CodeType, FrameType

from chaos._sim.fibers import SERVE_CODE

ENGINE_PACKAGES: set[str] = {"chaos", "freezegun", "greenlet", "simpy", "_pytest", "pytest"}
"""Top-level packages that are never the handler's own code; `add_engine_packages` extends
it (the AWS layer adds the SDK and moto)."""

UNINTERRUPTIBLE: set[str] = {"chaos", "greenlet", "simpy"}
"""Packages whose frames on a fiber's stack make preemption wait: their state must not be
left half-changed. The AWS layer adds the SDK and moto."""

_STDLIB = frozenset(sys.stdlib_module_names)
_INSTALLED = re.compile(r"[/\\](site|dist)-packages[/\\]")
# Keyed by the code object's identity (and keeping it alive): code objects compare equal
# across modules when their bytecode and names are, whatever their file.
_handler_code: dict[int, tuple[CodeType, bool]] = {}
_uninterruptible_code: dict[int, tuple[CodeType, bool]] = {}


def add_engine_packages(names: Iterable[str], *, uninterruptible: bool = False) -> None:
    """Count `names` as engine code (and, optionally, as code preemption must wait for)."""
    ENGINE_PACKAGES.update(names)
    if uninterruptible:
        UNINTERRUPTIBLE.update(names)
    _handler_code.clear()
    _uninterruptible_code.clear()


HANDLER_PACKAGES: set[str] = set()
"""Top-level packages of the handlers being run: the user's own code wherever it is
installed (the reference systems may live in site-packages)."""


def add_handler_package(module: str) -> None:
    """Count `module`'s top-level package as the user's own code."""
    package = module.partition(".")[0]
    if package not in HANDLER_PACKAGES:
        HANDLER_PACKAGES.add(package)
        _handler_code.clear()


def _package(frame: FrameType) -> str:
    name = frame.f_globals.get("__name__")
    return name.partition(".")[0] if isinstance(name, str) else ""


def is_handler_frame(frame: FrameType) -> bool:
    """True for the user's own source (their handler modules' packages, and their project's
    modules outside installed packages); False for the standard library, installed
    libraries and the engine.

    Installed libraries are not counted: they run on the handler's behalf like the SDK, and
    some of their code runs at moments no handler chose (Hypothesis reads the clock from a
    garbage-collector callback, which fires inside whatever code is allocating).
    """
    code = frame.f_code
    known = _handler_code.get(id(code))
    if known is None:
        package = _package(frame)
        mine = package in HANDLER_PACKAGES or (
            package not in ENGINE_PACKAGES
            and package not in _STDLIB
            and not _INSTALLED.search(code.co_filename)
        )
        known = _handler_code[id(code)] = (code, mine)
    return known[1]


def is_engine_frame(frame: FrameType) -> bool:
    """Is this frame the engine's (chaos-arena, the SDK, moto), as opposed to the user's,
    the standard library's or an installed library's?"""
    return _package(frame) in ENGINE_PACKAGES


def interruptible(frame: FrameType | None) -> bool:
    """Can the fiber whose stack ends at `frame` be switched away from right now?"""
    while frame is not None and frame.f_code is not SERVE_CODE:
        code = frame.f_code
        known = _uninterruptible_code.get(id(code))
        if known is None:
            known = _uninterruptible_code[id(code)] = (code, _package(frame) in UNINTERRUPTIBLE)
        if known[1] and not _is_entry(frame):
            return False
        frame = frame.f_back
    return True


ENTRY_CODES: set[CodeType] = set()
"""Engine frames that hold no state a switch could leave half-changed: those that only call
into handler code (the init that executes a handler module) and the clock hooks handler
code calls (freezegun's fake clocks and the charge behind them, where a clock-polling loop
spends most of its time). On the stack, they do not block preemption."""


def _is_entry(frame: FrameType) -> bool:
    return frame.f_code in ENTRY_CODES


def location(frame: FrameType | None) -> str:
    """`file.py:line` of the innermost handler frame at or below `frame`, or ''."""
    while frame is not None:
        if is_handler_frame(frame):
            return f"{shown_path(frame.f_code.co_filename)}:{frame.f_lineno}"
        frame = frame.f_back
    return ""


@functools.cache
def shown_path(path: str) -> str:
    """A source path as a user reads it: relative to the current directory when inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return path
    return path if relative.startswith("..") else relative
