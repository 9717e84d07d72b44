"""Whatever a file holds, loading it gives typed experiments or a SpecError with locations.

Never another exception: not from YAML, pydantic, the units, the system resolution or the
diagnostics themselves.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaos._errors import SpecError
from chaos._loading import loader
from chaos._spec.experiment import Experiment

SHOWN = "prop.chaos.yaml"
LOADER = loader()
BASE_DIR = Path(__file__).parent / "valid"

KEYS = [
    "experiment",
    "description",
    "seed",
    "duration",
    "systems",
    "workload",
    "faults",
    "assertions",
    "expect",
    "tags",
    "steady",
    "bursts",
    "ramps",
    "arrivals",
    "poison",
    "payload_size",
    "client",
    "rate",
    "at",
    "for",
    "from",
    "to",
    "timeout",
    "retry",
    "attempts",
    "when",
    "target",
    "ramp",
    "steps",
    "probability",
    "delay",
    "concurrency",
    "capacity",
    "lambda.error",
    "lambda.timeout",
    "dynamodb.throttle",
    "sqs.delay",
    "no_loss",
    "dlq",
    "eventual_completion",
    "within",
    "success_rate",
    "min",
    "sync",
    "eda",
    "queue",
    "functions",
    "consumer",
    "visibility_timeout",
    "on",
    "<<",
]
WORDS = [
    "10s",
    "5m",
    "0s",
    "-1s",
    "1e3s",
    "20/s",
    "0/s",
    "600/m",
    "5%",
    "150%",
    "0.5",
    "1KB",
    "sync",
    "eda",
    "edaa",
    "fails",
    "survives",
    "only_poison",
    "orders",
    "consumer",
    "systems/small-sync.yaml",
    "../nowhere.yaml",
    "/dev/zero",
    "poisson",
    "5xx",
    "",
]

scalars = st.one_of(
    st.sampled_from(WORDS),
    st.text(max_size=12),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
)
keys = st.one_of(st.sampled_from(KEYS), st.text(max_size=8), st.integers(-3, 3), st.booleans())
yaml_shaped = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)),
    max_leaves=30,
)

VALID: dict[str, Any] = {
    "experiment": "base",
    "duration": "10m",
    "systems": ["sync", {"eda": {"consumer": {"batch_size": 5}}}],
    "workload": {
        "steady": {"rate": "10/s", "for": "5m"},
        "bursts": [{"rate": "50/s", "at": "1m", "for": "10s"}],
        "poison": "1%",
    },
    "faults": [
        {"lambda.error": {"probability": "10%", "at": "1m", "for": "1m"}},
        {"dynamodb.throttle": {"probability": 0.5, "target": "orders"}},
    ],
    "assertions": ["no_loss", {"eventual_completion": {"within": "5m"}}, {"dlq": "only_poison"}],
    "expect": {"sync": "fails", "eda": "survives"},
}


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    """The valid experiment with one value somewhere inside replaced by arbitrary data."""
    document: Any = yaml.safe_load(yaml.safe_dump(VALID))
    node = document
    while True:
        children = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
        key, child = draw(st.sampled_from(children))
        if not isinstance(child, dict | list) or not child or draw(st.booleans()):
            node[key] = draw(yaml_shaped)
            return document
        node = child


def _check(text: str) -> None:
    try:
        loaded = LOADER.text(text, SHOWN, base_dir=BASE_DIR)
    except SpecError as error:
        assert error.diagnostics
        for diagnostic in error.diagnostics:
            assert diagnostic.message
            assert diagnostic.line >= 0 and diagnostic.column >= 0
            # Problems in system files are reported there; everything else is located here.
            if diagnostic.path == SHOWN and text.strip() and diagnostic.line == 0:
                assert diagnostic.column == 0
        assert error.render()
    else:
        assert loaded
        assert all(isinstance(item.experiment, Experiment) for item in loaded)
        assert all(math.isfinite(item.experiment.duration) for item in loaded)


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True)


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(st.text(max_size=300))
def test_any_text(text: str) -> None:
    _check(text)


@PROPERTY
@given(yaml_shaped)
def test_any_yaml_shaped_data(data: Any) -> None:
    _check(_dump(data))


@PROPERTY
@given(mutated())
def test_a_valid_experiment_with_anything_in_one_place(data: Any) -> None:
    _check(_dump(data))


@PROPERTY
@given(st.lists(mutated(), min_size=1, max_size=3))
def test_lists_and_documents_of_experiments(items: list[Any]) -> None:
    _check(_dump(items))
    _check("\n---\n".join(_dump(item) for item in items))


def test_the_unmutated_experiment_is_valid() -> None:
    (loaded,) = LOADER.text(_dump(VALID), SHOWN, base_dir=BASE_DIR)
    assert loaded.experiment.experiment == "base"


@pytest.mark.parametrize(
    "text",
    [
        "[" * 5000,
        "a: " + "[" * 2000 + "]" * 2000,
        "- " * 3000,
        "\x85\ufeff\u2028",
        "? [a]\n: b",
        "a: &x [*x]",
        "!!binary AAAA",
        "%YAML 1.1\n---\nexperiment: x",
        "--- |\n  text",
        "experiment: x\nduration: 1m\nworkload: {steady: {rate: 1/s}}\nsystems: [/dev/zero]",
    ],
)
def test_awkward_inputs(text: str) -> None:
    _check(text)
