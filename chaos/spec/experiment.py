"""The experiment format: workload, faults, assertions, systems and expectations.

`Experiment` is the typed model users' YAML is parsed into, once. Fault and assertion
entries are unions built from the registries (`experiment_model()`), so a third party's
fault type validates, and appears in the JSON Schema, exactly like a built-in.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Discriminator, Field, Tag, create_model, field_validator, model_validator

from chaos.faults.base import FaultParams
from chaos.spec.base import SpecModel
from chaos.spec.types import Duration, Fraction, PositiveDuration, Rate, Size, Slug

REFERENCE_SYSTEMS = ("sync", "eda")


class Expectation(StrEnum):
    """The verdict an experiment expects of a system."""

    SURVIVES = "survives"
    FAILS = "fails"
    INCONCLUSIVE = "inconclusive"


class Steady(SpecModel):
    """Constant-rate traffic."""

    rate: Rate
    at: Duration = 0.0
    duration: Duration | None = Field(None, alias="for", gt=0)
    """Omitted: until the end of the experiment."""


class Burst(SpecModel):
    """Extra traffic at a higher rate for a short window, on top of steady traffic."""

    rate: Rate
    at: Duration
    duration: PositiveDuration = Field(alias="for")


class RampUp(SpecModel):
    """Traffic whose rate changes linearly from one rate to another over a window."""

    from_rate: Rate = Field(alias="from")
    to_rate: Rate = Field(alias="to")
    at: Duration = 0.0
    duration: PositiveDuration = Field(alias="for")


class RetryPolicy(SpecModel):
    """How a client sends again after an error; none by default, as with raw HTTP clients."""

    attempts: int = Field(3, ge=2, le=20)
    """Total attempts, the first included."""
    backoff: Duration = 1.0
    """Base of the exponential backoff: attempt n waits backoff * 2^(n-1)."""
    max_backoff: Duration = 20.0
    jitter: bool = True
    """Full jitter: wait a uniformly random share of the backoff."""
    on: tuple[Literal["5xx", "429", "timeout"], ...] = ("5xx", "429", "timeout")


class ClientDef(SpecModel):
    timeout: PositiveDuration = 30.0
    """The client gives up on a response after this long (and may retry)."""
    retry: RetryPolicy | None = None


class Workload(SpecModel):
    """The traffic a population of clients sends."""

    steady: Steady | None = None
    bursts: tuple[Burst, ...] = ()
    ramps: tuple[RampUp, ...] = ()
    arrivals: Literal["uniform", "poisson"] = "uniform"
    """uniform: evenly spaced; poisson: exponential gaps with the same mean rate."""
    poison: Fraction = 0.0
    """Share of requests whose payload the handler always rejects."""
    payload_size: Size = 256
    client: ClientDef = ClientDef()

    @model_validator(mode="after")
    def _some_traffic(self) -> Workload:
        if self.steady is None and not self.bursts and not self.ramps:
            raise ValueError("a workload needs steady traffic, bursts or ramps")
        return self


class FaultEntry(SpecModel):
    """One fault as written: `{fault-type: {parameters}}`."""

    fault_type: ClassVar[str] = ""
    params: FaultParams


class AssertionEntry(SpecModel):
    """One assertion as written: `name`, `{name: value}` or `{name: {parameters}}`."""

    assertion_type: ClassVar[str] = ""
    params: SpecModel


class SystemRef(SpecModel):
    """A system to run: a reference name or a path to a system definition, plus overrides."""

    ref: str
    overrides: dict[str, Any] = {}


class Experiment(SpecModel):
    """One experiment: the typed form of one YAML document."""

    experiment: Slug
    description: str = ""
    seed: int = Field(1, ge=0, lt=2**63)
    duration: PositiveDuration
    """Simulated time, drain included."""
    systems: tuple[SystemRef, ...] = tuple(SystemRef(ref=name) for name in REFERENCE_SYSTEMS)
    workload: Workload
    faults: tuple[FaultEntry, ...] = ()
    assertions: tuple[AssertionEntry, ...] = ()
    expect: dict[str, Expectation] = {}
    tags: tuple[Slug, ...] = ()

    @field_validator("systems", mode="before")
    @classmethod
    def _system_refs(cls, value: Any) -> Any:
        if not isinstance(value, list | tuple):
            return value
        return [_system_ref(item) for item in value]

    @field_validator("assertions", mode="before")
    @classmethod
    def _assertion_shorthands(cls, value: Any) -> Any:
        if not isinstance(value, list | tuple):
            return value
        return [_expand_assertion(item) for item in value]

    def system_names(self) -> list[str]:
        return [ref.ref for ref in self.systems]


def _system_ref(item: Any) -> Any:
    if isinstance(item, str):
        return {"ref": item}
    if isinstance(item, dict) and len(item) == 1:
        ((ref, overrides),) = item.items()
        return {"ref": ref, "overrides": {} if overrides is None else overrides}
    return item


def _expand_assertion(item: Any) -> Any:
    from chaos.checks.registry import assertion_types

    registry = assertion_types()
    if isinstance(item, str):
        return {item: {}}
    if isinstance(item, dict) and len(item) == 1:
        ((name, value),) = item.items()
        if value is None:
            return {name: {}}
        if not isinstance(value, dict) and name in registry:
            shorthand = registry.get(name).shorthand
            if shorthand is not None:
                return {name: {shorthand: value}}
        return item
    return item


def _single_key(value: Any) -> str | None:
    if isinstance(value, dict) and len(value) == 1:
        key = next(iter(value))
        return key if isinstance(key, str) else None
    return None


def _entry_union(base: type[SpecModel], kind_attr: str,
                 entries: list[tuple[str, type[SpecModel], str]]) -> Any:
    models = []
    for name, params_model, doc in entries:
        model = create_model(
            f"{base.__name__}_{name.replace('.', '_')}",
            __base__=base,
            __doc__=doc,
            params=(params_model, Field(alias=name)),
        )
        setattr(model, kind_attr, name)
        models.append(Annotated[model, Tag(name)])
    if not models:
        return base
    return Annotated[_union(models), Discriminator(_single_key)]


def _union(models: list[Any]) -> Any:
    from typing import Union

    return Union[tuple(models)]  # noqa: UP007  (a runtime-built union)


@cache
def experiment_model() -> type[Experiment]:
    """The experiment model with every registered fault type and assertion in its unions."""
    from chaos.checks.registry import assertion_types
    from chaos.faults.registry import fault_types

    faults = [(n, f.Params, f.summary) for n, f in fault_types()]
    assertions = [(n, a.Params, a.summary) for n, a in assertion_types()]
    fault_union = _entry_union(FaultEntry, "fault_type", faults)
    assertion_union = _entry_union(AssertionEntry, "assertion_type", assertions)
    return create_model(
        "Experiment",
        __base__=Experiment,
        __doc__=Experiment.__doc__,
        faults=(tuple[fault_union, ...], ()),
        assertions=(tuple[assertion_union, ...], ()),
    )
