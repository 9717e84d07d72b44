"""Third-party code under the virtual clock (chaos/_sim/compat.py): a module executed while the
clock runs names freezegun's fake classes, and libraries must treat them as the real ones.

The end-to-end patterns (pydantic, attrs, Powertools in real handlers) are in
tests/sandbox/test_third_party.py; these pin each repair on its own.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
import time
import types
from typing import Any

import freezegun.api
import pydantic
import pytest
import simpy
import yaml

from chaos._sim import EPOCH, VirtualClock

T = 90.0
"""Virtual seconds at which the module runs."""


def under_clock(source: str) -> tuple[types.ModuleType, dict[str, Any]]:
    """Execute `source` as a module while a clock reads T, then call its `probe()` there."""
    env = simpy.Environment()
    env.run(until=T)
    module = types.ModuleType("handler_under_clock")
    with VirtualClock(env):
        # dont_inherit: not this file's `from __future__ import annotations`
        exec(
            compile(textwrap.dedent(source), "<handler>", "exec", dont_inherit=True),
            module.__dict__,
        )
        seen = module.probe()
    return module, seen


MODEL = """
    from datetime import UTC, date, datetime, timedelta
    from pydantic import BaseModel, TypeAdapter

    class Order(BaseModel):
        at: datetime
        day: date
        due: datetime | None = None

    def probe():
        now = datetime.now(UTC)
        order = Order(at=now, day=now.date(), due="2026-01-02T00:00:00Z")
        return {
            "order": order,
            "json": order.model_dump_json(),
            "back": Order.model_validate_json(order.model_dump_json()),
            "schema": Order.model_json_schema()["properties"],
            "adapted": TypeAdapter(list[datetime]).validate_python([now, "2026-01-01T00:01:00Z"]),
            "now": now,
        }
"""


def test_a_pydantic_model_defined_under_the_clock_validates_like_real_datetimes() -> None:
    # Issue 11: PydanticSchemaGenerationError for FakeDatetime at the handler's import.
    _, seen = under_clock(MODEL)
    at = EPOCH + dt.timedelta(seconds=T)
    assert seen["order"].at == at
    assert seen["json"] == (
        '{"at":"2026-01-01T00:01:30Z","day":"2026-01-01","due":"2026-01-02T00:00:00Z"}'
    )
    assert seen["back"] == seen["order"]
    assert seen["schema"]["at"] == {"format": "date-time", "title": "At", "type": "string"}
    assert seen["schema"]["day"] == {"format": "date", "title": "Day", "type": "string"}
    assert seen["adapted"] == [at, EPOCH + dt.timedelta(seconds=60)]
    assert isinstance(seen["back"].at, freezegun.api.real_datetime)


def test_fake_values_made_under_the_clock_validate_in_models_made_before_it() -> None:
    class Before(pydantic.BaseModel):
        at: dt.datetime
        day: dt.date

    _, seen = under_clock(MODEL)
    now = seen["now"]
    assert type(now) is freezegun.api.FakeDatetime
    before = Before(at=now, day=now.date())
    assert before.model_dump_json() == '{"at":"2026-01-01T00:01:30Z","day":"2026-01-01"}'


def test_the_fake_classes_equal_and_hash_as_the_real_ones() -> None:
    # Tables keyed by class (PyYAML's representers, pydantic's schema table) find either one.
    under_clock("def probe():\n    return {}\n")
    fake, real = freezegun.api.FakeDatetime, freezegun.api.real_datetime
    assert fake == real and real == fake and hash(fake) == hash(real)
    assert {real: "datetime"}[fake] == "datetime"
    assert freezegun.api.FakeDate == freezegun.api.real_date
    assert fake != freezegun.api.FakeDate and fake != dt.date


def test_yaml_dumps_a_datetime_made_under_the_clock() -> None:
    _, seen = under_clock(MODEL)
    assert yaml.safe_dump({"at": seen["now"]}) == "at: 2026-01-01 00:01:30+00:00\n"


def test_a_module_made_under_the_clock_keeps_working_after_it_stopped() -> None:
    # freezegun #324: FakeDatetime.now() and a naive fake's timestamp() raised IndexError once
    # no freeze was running; a module executed under the clock keeps the fake classes.
    source = """
        from datetime import datetime, date
        from pydantic import BaseModel, Field

        class Stamp(BaseModel):
            at: datetime = Field(default_factory=datetime.now)

        def probe():
            return {"naive": datetime.now()}
    """
    module, seen = under_clock(source)
    assert seen["naive"].timestamp() == pytest.approx(EPOCH.timestamp() + T)
    before = time.time()
    assert module.Stamp().at.timestamp() >= before - 1  # real time again
    assert module.date.today() == dt.date.today()


def test_localtime_under_the_clock_carries_its_utc_offset() -> None:
    _, seen = under_clock(
        "import time\ndef probe():\n    return {'local': time.localtime(), 'utc': time.gmtime()}\n"
    )
    assert seen["utc"].tm_gmtoff == 0
    assert seen["local"].tm_gmtoff is not None
    assert time.mktime(seen["local"]) == pytest.approx(EPOCH.timestamp() + T)


def test_future_and_past_datetimes_are_judged_by_virtual_time() -> None:
    # pydantic-core reads the OS clock in Rust; virtual now is 2026-01-01T00:01:30Z.
    source = """
        from datetime import UTC, datetime, timedelta
        from pydantic import BaseModel, FutureDate, FutureDatetime, PastDatetime, ValidationError

        class Window(BaseModel):
            opens: PastDatetime
            closes: FutureDatetime
            renew_on: FutureDate | None = None

        def probe():
            now = datetime.now(UTC)
            ok = Window(opens=now - timedelta(seconds=1), closes=now + timedelta(seconds=1),
                        renew_on=now.date() + timedelta(days=1))
            try:
                Window(opens=now + timedelta(seconds=1), closes=now - timedelta(seconds=1))
            except ValidationError as error:
                return {"ok": ok, "errors": [e["type"] for e in error.errors()]}
            return {"ok": ok, "errors": []}
    """
    _, seen = under_clock(source)
    assert seen["ok"].closes == EPOCH + dt.timedelta(seconds=T + 1)
    assert seen["errors"] == ["datetime_past", "datetime_future"]


def test_pydantic_first_used_under_the_clock_still_knows_the_real_datetime_after() -> None:
    # pydantic builds its table of known types when its schema generation is first imported;
    # under the clock that table is keyed by the fake classes.
    script = """
        import sys, simpy
        from chaos._sim import VirtualClock
        assert "pydantic._internal._generate_schema" not in sys.modules
        with VirtualClock(simpy.Environment()):
            from datetime import datetime
            from pydantic import BaseModel
            class During(BaseModel):
                at: datetime
        import datetime, pydantic
        class After(pydantic.BaseModel):
            at: datetime.datetime
        print(After(at="2026-01-01T00:00:00Z").at.year, During(at=datetime.datetime.now()).at.year)
    """
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[0] == "2026"
