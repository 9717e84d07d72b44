"""Registries stay open: a name registered after the first load validates and runs."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from chaos._errors import SetupError, SpecError
from chaos._faults.base import InvocationEffect, InvocationFault
from chaos._faults.registry import fault_type, fault_types
from chaos._registry import Registry
from chaos._spec.faults import FaultParams, ProbabilityParams, TargetKind
from chaos.api import counts, load, run

LATE = """
    experiment: late
    duration: 20s
    systems: [sync]
    workload: {steady: {rate: 2/s, for: 10s}}
    faults: [{test.late_error: {probability: 100%, at: 2s, for: 4s}}]
    assertions: [{success_rate: 99%}]
"""


def test_a_registry_counts_its_changes() -> None:
    registry: Registry[int] = Registry("number", "chaos_arena.test_numbers")
    first = registry.version
    registry.register("one", 1)
    registry.register("one", 1)  # the same object again: nothing changes
    assert registry.version == first + 1
    with pytest.raises(SetupError, match="registered twice"):
        registry.register("one", 2)
    registry.unregister("one")
    assert "one" not in registry
    assert registry.version == first + 2


def test_builtins_register_on_first_use_through_register() -> None:
    calls: list[str] = []
    registry: Registry[int] = Registry(
        "number", "chaos_arena.test_numbers", builtins=lambda: calls.append("loaded")
    )
    assert calls == []
    assert registry.names() == []
    registry.names()
    assert calls == ["loaded"]


@pytest.fixture
def late_fault() -> Iterator[None]:
    """Registers `test.late_error` after the registry has served a load, for one test."""
    load(LATE.replace("test.late_error", "lambda.error"))  # the model is built and cached

    @fault_type
    class LateError(InvocationFault):
        name = "test.late_error"
        summary = "Every invocation fails (registered after the first load)."
        Params = ProbabilityParams
        target_kind = TargetKind.FUNCTION

        def on_invocation(
            self, params: FaultParams, intensity: float, draw: random.Random
        ) -> InvocationEffect | None:
            return InvocationEffect(error="LateError")

    yield
    fault_types().unregister(LateError.name)


def test_a_fault_type_registered_after_the_first_load_validates_and_runs(
    late_fault: None,
) -> None:
    outcome = run(LATE, "sync")
    assert outcome.verdict.value == "failed"
    assert counts(outcome)["rejected"] > 0


def test_a_fault_type_unregistered_is_unknown_again(late_fault: None) -> None:
    fault_types().unregister("test.late_error")
    with pytest.raises(SpecError, match=r"unknown fault type 'test\.late_error'"):
        load(LATE)
