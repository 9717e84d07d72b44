"""Units as written in files: what parses, what is refused and how, and the spellings back."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaos._spec import units
from chaos._spec.units import UnitError


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("250ms", 0.25),
        ("30s", 30.0),
        ("5m", 300.0),
        ("1h", 3600.0),
        ("2d", 172_800.0),
        ("1.5s", 1.5),
        (".5s", 0.5),
        (" 10 s ", 10.0),
        ("0s", 0.0),
    ],
)
def test_durations(text: str, seconds: float) -> None:
    assert units.parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("text", "per_second"),
    [
        ("20/s", 20.0),
        ("600/m", 10.0),
        ("3600/h", 1.0),
        ("0.5/s", 0.5),
        ("20 / s", 20.0),
    ],
)
def test_rates(text: str, per_second: float) -> None:
    assert units.parse_rate(text) == pytest.approx(per_second)


@pytest.mark.parametrize(
    ("parse", "float_spelling", "integer_spelling"),
    [
        (units.parse_rate, "1e12/s", "1000000000000/s"),
        (units.parse_rate, "1E12/s", "1000000000000/s"),
        (units.parse_rate, "2.5e3/m", "2500/m"),
        (units.parse_rate, "1e+5/h", "100000/h"),
        (units.parse_rate, "5e-1/s", "0.5/s"),
        (units.parse_duration, "1e3s", "1000s"),
        (units.parse_duration, "3.6e3 s", "3600s"),
        (units.parse_size, "1e3B", "1000B"),
    ],
)
def test_float_and_integer_spellings_are_the_same_quantity(
    parse: object, float_spelling: str, integer_spelling: str
) -> None:
    """Issue 13: `1e12/s` was refused as "not a rate" while `1000000000000/s` passed (and
    exhausted memory): one quantity, one meaning, whichever way its number is written."""
    assert callable(parse)
    assert parse(float_spelling) == parse(integer_spelling)


@pytest.mark.parametrize(
    ("value", "fraction"),
    [
        ("1%", 0.01),
        ("100%", 1.0),
        ("0%", 0.0),
        ("12.5%", 0.125),
        (0.05, 0.05),
        (1, 1.0),
        (0, 0.0),
    ],
)
def test_fractions(value: object, fraction: float) -> None:
    assert units.parse_fraction(value) == pytest.approx(fraction)


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("512B", 512),
        ("1KB", 1000),
        ("4KiB", 4096),
        ("1MB", 1_000_000),
        ("1mib", 1_048_576),
    ],
)
def test_sizes(text: str, size: int) -> None:
    assert units.parse_size(text) == size


@pytest.mark.parametrize(
    ("parse", "value", "message", "suggestion"),
    [
        (units.parse_duration, 300, "needs a unit; 300 alone is ambiguous", None),
        (units.parse_duration, 2.5, "needs a unit", None),
        (units.parse_duration, "5 minutes", "'5 minutes' is not a duration", "5m"),
        (units.parse_duration, "10sec", "is not a duration", "10s"),
        (units.parse_duration, "2hrs", "is not a duration", "2h"),
        (units.parse_duration, "-5s", "cannot be negative", None),
        (units.parse_duration, "soon", "'soon' is not a duration", None),
        (units.parse_duration, True, "not true or false", None),
        (units.parse_duration, None, "not empty", None),
        (units.parse_duration, ["5s"], "not a list", None),
        (units.parse_duration, "1" * 400 + "s", "too large", None),
        (units.parse_rate, 20, "needs a unit", None),
        (units.parse_rate, "20/sec", "'20/sec' is not a rate", "20/s"),
        (units.parse_rate, "20 rps", "is not a rate", "20/s"),
        (units.parse_rate, "100/min", "is not a rate", "100/m"),
        (units.parse_rate, "-1/s", "cannot be negative", None),
        (units.parse_rate, "20/d", "is not a rate", None),
        (units.parse_fraction, "150%", "outside 0% to 100%", None),
        (units.parse_fraction, 1.5, "outside 0% to 100%", None),
        (units.parse_fraction, -0.1, "outside 0% to 100%", None),
        (units.parse_fraction, "-5%", "cannot be negative", None),
        (units.parse_fraction, "half", "'half' is not a percentage", None),
        (units.parse_fraction, False, "cannot be true or false", None),
        (units.parse_fraction, float("nan"), "outside 0% to 100%", None),
        (units.parse_size, "1K", "'1K' is not a size", "1KB"),
        (units.parse_size, 1024, "needs a unit", None),
        (units.parse_size, "9" * 400 + "MB", "too large", None),
        (units.parse_rate, "1e400/s", "too large", None),
        (units.parse_rate, "1e/s", "'1e/s' is not a rate", None),
    ],
)
def test_refusals_say_why(
    parse: object, value: object, message: str, suggestion: str | None
) -> None:
    assert callable(parse)
    with pytest.raises(UnitError) as caught:
        parse(value)
    assert message in str(caught.value)
    assert caught.value.expected
    assert caught.value.suggestion == suggestion


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (0.25, "250ms"),
        (30, "30s"),
        (90, "90s"),
        (300, "5m"),
        (3600, "1h"),
        (86_400, "1d"),
        (1.5, "1.5s"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert units.format_duration(seconds) == text


@pytest.mark.parametrize(
    ("per_second", "text"),
    [
        (20, "20/s"),
        (0, "0/s"),
        (0.5, "30/m"),
        (1 / 3600, "1/h"),
        (2.5, "2.5/s"),
    ],
)
def test_format_rate(per_second: float, text: str) -> None:
    assert units.format_rate(per_second) == text


def test_format_percent_and_size() -> None:
    assert units.format_percent(0.05) == "5%"
    assert units.format_size(1000) == "1KB"
    assert units.format_size(512) == "512B"
    assert units.format_size(2_000_000) == "2MB"


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**7))
def test_whole_seconds_round_trip(seconds: int) -> None:
    assert units.parse_duration(units.format_duration(seconds)) == seconds


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=10**6))
def test_whole_rates_round_trip(per_second: int) -> None:
    assert units.parse_rate(units.format_rate(per_second)) == per_second


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=20), st.integers(), st.floats(), st.booleans(), st.none()))
def test_parsers_return_a_number_or_refuse(value: object) -> None:
    for parse in (units.parse_duration, units.parse_rate, units.parse_fraction, units.parse_size):
        try:
            number = parse(value)
        except UnitError as error:
            assert str(error)
        else:
            assert number >= 0


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1m30s", 90.0),
        ("1h5m", 3900.0),
        ("2s500ms", 2.5),
        ("1d2h3m4s5ms", 93_784.005),
        ("1m 30s", 90.0),
        ("1.5h30m", 7200.0),
    ],
)
def test_compound_durations(text: str, seconds: float) -> None:
    """Units combined largest first, each once, as Go's time.ParseDuration writes them."""
    assert units.parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["30s1m", "1m1m", "1m30", "ms", "1min30s", "1s1d"])
def test_compound_durations_out_of_order_or_incomplete_are_refused(text: str) -> None:
    with pytest.raises(UnitError) as refused:
        units.parse_duration(text)
    assert refused.value.expected == units.DURATION_FORM


_COMPOUND_PARTS = st.lists(
    st.tuples(st.sampled_from(["d", "h", "m", "s", "ms"]), st.integers(0, 999)),
    min_size=1,
    max_size=5,
)


@settings(max_examples=200)
@given(_COMPOUND_PARTS)
def test_duration_schema_pattern_agrees_with_the_parser(parts: list[tuple[str, int]]) -> None:
    """What an editor accepts (the JSON Schema pattern) is what the loader accepts, for
    compound spellings in any order; the positive pattern accepts only durations above 0."""
    from pydantic import TypeAdapter

    from chaos._spec.types import Duration, PositiveDuration

    text = "".join(f"{number}{unit}" for unit, number in parts)
    patterns = {
        kind: TypeAdapter(kind).json_schema()["pattern"] for kind in (Duration, PositiveDuration)
    }
    try:
        seconds: float | None = units.parse_duration(text)
    except UnitError:
        seconds = None
    for kind, pattern in patterns.items():
        accepted = re.search(pattern, text) is not None
        positive_only = kind is PositiveDuration
        wanted = seconds is not None and (seconds > 0 or not positive_only)
        assert accepted == wanted, (pattern, text)
