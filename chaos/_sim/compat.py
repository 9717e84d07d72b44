"""Third-party code under the virtual clock: freezegun's fakes made to pass for the real thing.

While a clock runs, `datetime.datetime` is freezegun's `FakeDatetime` (a subclass of the real
class, so that `now()` follows virtual time), and so is every `from datetime import datetime`
executed under it: a handler module's annotations name the fake class. freezegun makes
`isinstance` and `issubclass` treat the fakes as the real classes; libraries that look a class
up in a table (pydantic's schema builders, PyYAML's representers) still told them apart, and a
few answers freezegun gives were incomplete. `install` mends that once per process, when the
first clock starts; nothing is undone, since fake classes and instances outlive a run.
Knows nothing of AWS; pydantic is touched only if it is installed.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import freezegun.api

from chaos._errors import InternalError

_installed = False


def install() -> None:
    """Make freezegun's fakes pass for the real classes and functions. Idempotent."""
    global _installed  # noqa: PLW0603  (once per process)
    if _installed:
        return
    # freezegun's own references to the real classes: `datetime.date` is the fake while a
    # clock runs.
    _pass_for(freezegun.api.FakeDate, freezegun.api.real_date)
    _pass_for(freezegun.api.FakeDatetime, freezegun.api.real_datetime)
    # freezegun installs these module globals when a freeze starts (and undoes them at stop).
    freezegun.api.fake_localtime = _localtime
    freezegun.api.fake_gmtime = _gmtime
    freezegun.api.FakeDate._date_to_freeze = staticmethod(_date_to_freeze)  # type: ignore[method-assign]
    _pydantic_now_follows_clock()
    _installed = True


def _pass_for(fake: type, real: type) -> None:
    metaclass = type(fake)
    if "__eq__" in metaclass.__dict__ or metaclass is type:
        raise InternalError("freezegun's fake classes changed: cannot make them pass as real")

    def __eq__(cls: type, other: object) -> bool:
        # A table keyed by the real class finds the fake one and the other way round, whichever
        # was imported under the clock (pydantic's own table is built when it is first used).
        return other is real or other is cls

    def __hash__(cls: type) -> int:
        return hash(real)

    def __get_pydantic_core_schema__(cls: type, source: Any, handler: Any) -> Any:
        # pydantic's schema for the real class: values validate, serialize and show in JSON
        # Schema as real ones do; fake instances, being subclass instances, validate as is.
        return handler.generate_schema(real)

    # Equality and hash of a class come from its metaclass; each fake has its own.
    metaclass.__eq__ = __eq__  # type: ignore[assignment]
    metaclass.__hash__ = __hash__  # type: ignore[assignment]
    fake.__get_pydantic_core_schema__ = classmethod(__get_pydantic_core_schema__)  # type: ignore[attr-defined]
    fake._tz_offset = classmethod(_tz_offset)  # type: ignore[attr-defined]


def _tz_offset(cls: type) -> dt.timedelta:
    # freezegun reads the offset of the innermost running freeze; a fake instance or class used
    # after the clock stopped (a model's `default_factory=datetime.now` from a module imported
    # under it, a naive value's `timestamp()`) raised IndexError (freezegun #324).
    offsets = freezegun.api.tz_offsets
    return offsets[-1] if offsets else dt.timedelta(0)


def _date_to_freeze() -> dt.datetime:
    if freezegun.api.freeze_factories:
        return freezegun.api.get_current_time()
    return freezegun.api.real_datetime.now()


def _localtime(t: float | None = None) -> time.struct_time:
    # freezegun answers "now" with a bare timetuple: no tm_gmtoff or tm_zone, so code reading
    # the local UTC offset (pydantic's FutureDatetime, email.utils.localtime) failed. The real
    # function, applied to the virtual time, answers in full.
    return freezegun.api.real_localtime(freezegun.api.fake_time() if t is None else t)


def _gmtime(t: float | None = None) -> time.struct_time:
    return freezegun.api.real_gmtime(freezegun.api.fake_time() if t is None else t)


_NOW_CHECKS = {
    # pydantic type: (schema kind, later than now?, error type, message), as pydantic-core's.
    "PastDate": ("date", False, "date_past", "Date should be in the past"),
    "FutureDate": ("date", True, "date_future", "Date should be in the future"),
    "PastDatetime": ("datetime", False, "datetime_past", "Input should be in the past"),
    "FutureDatetime": ("datetime", True, "datetime_future", "Input should be in the future"),
}


def _pydantic_now_follows_clock() -> None:
    """pydantic-core compares `FutureDatetime` and friends with the OS clock, read in Rust
    where freezegun cannot reach; the same check in Python reads the virtual clock."""
    try:
        import pydantic.types
        from pydantic_core import PydanticCustomError, core_schema
    except ImportError:  # pragma: no cover - pydantic is a dependency of chaos-arena
        return
    for name, (kind, future, error, message) in _NOW_CHECKS.items():
        constraint = getattr(pydantic.types, name, None)
        if constraint is None:
            raise InternalError(f"pydantic has no {name}: cannot make it follow virtual time")

        def check(
            value: Any, future: bool = future, error: str = error, message: str = message
        ) -> Any:
            now: dt.date
            if isinstance(value, dt.datetime):
                now = dt.datetime.now(dt.UTC if value.tzinfo is not None else None)
            else:
                now = dt.date.today()
            if (value > now) if future else (value < now):
                return value
            raise PydanticCustomError(error, message)

        constraint.__get_pydantic_core_schema__ = classmethod(_now_schema(kind, check, core_schema))


def _now_schema(
    kind: str, check: Callable[[Any], Any], core_schema: Any
) -> Callable[[type, Any, Any], Any]:
    def __get_pydantic_core_schema__(cls: type, source: Any, handler: Any) -> Any:
        if cls is source:  # used as the type itself, not as `Annotated` metadata
            base = core_schema.date_schema() if kind == "date" else core_schema.datetime_schema()
        else:
            base = handler(source)
        return core_schema.no_info_after_validator_function(check, base)

    return __get_pydantic_core_schema__
