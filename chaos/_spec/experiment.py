"""The experiment format: workload, faults, assertions, systems and expectations.

`Experiment` is the typed model users' YAML is parsed into, once. Fault and assertion
entries are unions built from the registries (`experiment_model(vocabulary)`), so a third
party's fault type validates, and appears in the JSON Schema, exactly like a built-in. Entries
are written `name`, `{name: value}` or `{name: {parameters}}`; the shape is checked here,
before the union, so a mis-indented entry gets a sentence about indentation, not a union error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    WithJsonSchema,
    create_model,
    model_validator,
)

from chaos._registry import did_you_mean
from chaos._spec.base import Problem, SpecModel, SpecProblems, spec_error
from chaos._spec.catalog import AssertionKind, Names, Vocabulary
from chaos._spec.faults import FaultParams
from chaos._spec.search import SearchSpace
from chaos._spec.seeds import Seeds
from chaos._spec.stop import StopWhen
from chaos._spec.types import (
    PERCENT_SCHEMA,
    Duration,
    Fraction,
    Integer,
    NonNegativeRate,
    PositiveDuration,
    Rate,
    Size,
    Slug,
)
from chaos._spec.units import UnitError, parse_fraction

REFERENCE_SYSTEMS = ("sync", "eda")


class Expectation(StrEnum):
    """The verdict an experiment expects of a system."""

    SURVIVES = "survives"
    FAILS = "fails"
    INCONCLUSIVE = "inconclusive"


VERDICT_OF = {
    Expectation.SURVIVES: "survived",
    Expectation.FAILS: "failed",
    Expectation.INCONCLUSIVE: "inconclusive",
}
"""The verdict each expectation names (the values of `checks.verdict.Verdict`)."""


class ShareExpectation(SpecModel):
    """At least this share of the seeds run gives the verdict: `{survives: 95%}`. Without
    `seeds:` (or `--seeds`) one seed runs, so the one run must give it."""

    verdict: Expectation
    share: float


EXPECT_HINT = "write survives, fails, inconclusive, or a share of seeds such as '{survives: 95%}'"


def _expectation(value: Any) -> Any:
    """`survives` or `{survives: 95%}`, checked here so that each form gets its own
    message (a union would report both forms' complaints about either)."""
    if isinstance(value, Expectation | ShareExpectation):
        return value
    if isinstance(value, str):
        if value in Expectation.__members__.values():
            return Expectation(value)
        close = did_you_mean(value, [e.value for e in Expectation])
        hint = f"did you mean {close!r}? {EXPECT_HINT}" if close else EXPECT_HINT
        raise spec_error(
            "expectation",
            f"{value!r} is not one of: survives, fails, inconclusive (or a share of seeds)",
            hint,
        )
    if not isinstance(value, dict):
        raise spec_error("expectation", f"{_kind_of(value)} is not an expectation", EXPECT_HINT)
    if len(value) != 1:
        raise spec_error(
            "expectation",
            f"a share expectation names one verdict and its share, not {len(value)}",
            EXPECT_HINT,
        )
    ((verdict, share),) = value.items()
    if verdict not in Expectation.__members__.values():
        raise spec_error("expectation", f"{verdict!r} is not a verdict", EXPECT_HINT)
    try:
        fraction = parse_fraction(share)
    except UnitError as error:
        raise spec_error("expectation", str(error), f"expected {error.expected}") from None
    return ShareExpectation(verdict=Expectation(verdict), share=fraction)


ExpectEntry = Annotated[
    Expectation | ShareExpectation,
    BeforeValidator(_expectation),
    WithJsonSchema(
        {
            "anyOf": [
                {"enum": [e.value for e in Expectation]},
                {
                    "type": "object",
                    "minProperties": 1,
                    "maxProperties": 1,
                    "properties": {e.value: PERCENT_SCHEMA for e in Expectation},
                    "additionalProperties": False,
                },
            ],
            "description": "a verdict, or the share of seeds that must give it",
        }
    ),
]


@dataclass(frozen=True)
class Expected:
    """What an experiment expects of one system: a verdict, from at least `share` of the
    seeds (1.0: from every seed)."""

    verdict: Expectation
    share: float = 1.0
    """1.0 for a plain `survives`; a share expectation's own share otherwise."""
    explicit_share: bool = False
    """The experiment wrote a share (`{survives: 95%}`), not a plain verdict."""


class Steady(SpecModel):
    """Constant-rate traffic."""

    rate: Rate
    at: Duration = 0.0
    duration: PositiveDuration | None = Field(None, alias="for")
    """Omitted: until the end of the experiment."""


class Burst(SpecModel):
    """Extra traffic at a higher rate for a short window, on top of steady traffic."""

    rate: Rate
    at: Duration
    duration: PositiveDuration = Field(alias="for")


class RampUp(SpecModel):
    """Traffic whose rate changes linearly from one rate to another over a window."""

    from_rate: NonNegativeRate = Field(alias="from")
    to_rate: NonNegativeRate = Field(alias="to")
    at: Duration = 0.0
    duration: PositiveDuration = Field(alias="for")

    @model_validator(mode="after")
    def _sends_something(self) -> RampUp:
        if self.from_rate == 0 and self.to_rate == 0:
            raise SpecProblems(
                [
                    Problem(
                        ("to",),
                        "a ramp from 0/s to 0/s sends nothing",
                        "give 'from' or 'to' a rate above zero",
                    )
                ]
            )
        return self


def _status_text(value: Any) -> Any:
    # YAML reads an unquoted 429 as a number; the status code means the same either way.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


RetryOn = Annotated[
    Literal["5xx", "429", "timeout"],
    BeforeValidator(_status_text),
    WithJsonSchema({"enum": ["5xx", "429", 429, "timeout"]}),
]


class RetryPolicy(SpecModel):
    """How a client sends again after an error; none by default, as with raw HTTP clients."""

    attempts: Integer = Field(3, ge=2, le=20)
    """Total attempts, the first included."""
    backoff: Duration = 1.0
    """Base of the exponential backoff: attempt n waits backoff * 2^(n-1)."""
    max_backoff: Duration = 20.0
    jitter: bool = True
    """Full jitter: wait a uniformly random share of the backoff."""
    when: tuple[RetryOn, ...] = ("5xx", "429", "timeout")
    """Which answers are sent again. (Not `on`: YAML 1.1 reads an unquoted `on` as true.)"""


class ClientDef(SpecModel):
    timeout: PositiveDuration = 30.0
    """The client gives up on a response after this long (and may retry)."""
    retry: RetryPolicy | None = None


class Workload(SpecModel):
    """The traffic a population of clients sends."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["steady"]},
                {"required": ["bursts"]},
                {"required": ["ramps"]},
            ]
        }
    )

    steady: Steady | None = None
    bursts: tuple[Burst, ...] = ()
    ramps: tuple[RampUp, ...] = ()
    arrivals: Literal["uniform", "poisson"] = "uniform"
    """uniform: evenly spaced; poisson: exponential gaps with the same mean rate."""
    poison: Fraction = 0.0
    """Share of requests whose payload the handler always rejects."""
    payload_size: Size = 256
    """Size of each request's JSON body, padded out by its `payload` field."""
    client: ClientDef = ClientDef()

    @model_validator(mode="after")
    def _some_traffic(self) -> Workload:
        if self.steady is None and not self.bursts and not self.ramps:
            raise SpecProblems(
                [
                    Problem(
                        ("steady",),
                        "a workload needs steady traffic, bursts or ramps",
                        "add 'steady: {rate: 10/s}'",
                        missing=True,
                    )
                ]
            )
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
    """Settings merged into the system definition, keyed as in the definition file."""


def _kind_of(value: Any) -> str:
    """How a value reads in a message: 'a number', 'a list', ..."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _system_ref(item: Any) -> Any:
    """`eda` or `{eda: {overrides}}` -> the SystemRef fields; anything else, a clear error."""
    example = "write '- eda' or '- eda: {queue: {visibility_timeout: 2m}}'"
    if isinstance(item, str):
        return {"ref": item}
    if isinstance(item, SystemRef):
        return item
    if not isinstance(item, dict):
        raise spec_error(
            "system_shape", f"a system is a name or a path, not {_kind_of(item)}", example
        )
    if len(item) != 1:
        raise _several_keys("system", item, [], example)
    ((ref, overrides),) = item.items()
    if not isinstance(ref, str):
        raise spec_error("system_shape", "a system's name must be text", example)
    if overrides is None:
        overrides = {}
    if not isinstance(overrides, dict):
        raise spec_error(
            "system_shape",
            f"the overrides of system {ref!r} must be a mapping of its settings, "
            f"not {_kind_of(overrides)}",
            example,
        )
    return {"ref": ref, "overrides": overrides}


def _several_keys(kind: str, item: dict[Any, Any], names: list[str], example: str) -> Exception:
    keys = [str(k) for k in item]
    if not keys:
        return spec_error(f"{kind}_shape", f"an empty mapping is not a {kind}", example)
    known = [k for k in keys if k in names]
    if not known:
        # `- eda:` followed by under-indented settings: the name is the key with no value.
        known = [str(k) for k, v in item.items() if v is None]
    if len(known) == 1:
        others = ", ".join(repr(k) for k in keys if k != known[0])
        return spec_error(
            f"{kind}_shape",
            f"{others} must be indented under {known[0]!r}: a {kind} entry has one key, its name",
            example,
        )
    return spec_error(
        f"{kind}_shape",
        f"a {kind} entry has one key, its name, with its settings under it; this one has "
        f"{len(keys)}: {', '.join(keys)}",
        example,
    )


@dataclass(frozen=True)
class _EntryShape:
    """Checks and normalises one `faults:` or `assertions:` entry before the union sees it."""

    kind: str
    example: str
    shorthands: Mapping[str, str | None]
    """Registered names, each with the parameter a scalar value fills (or None)."""

    def __call__(self, item: Any) -> Any:
        if isinstance(item, str):
            return {item: {}}
        if not isinstance(item, dict):
            raise spec_error(
                f"{self.kind}_shape",
                f"a {self.kind} entry is a name or a mapping with the name as its "
                f"only key, not {_kind_of(item)}",
                self.example,
            )
        if len(item) != 1:
            raise _several_keys(self.kind, item, list(self.shorthands), self.example)
        ((name, value),) = item.items()
        if not isinstance(name, str):
            raise spec_error(f"{self.kind}_shape", f"a {self.kind} name must be text", self.example)
        if value is None:
            return {name: {}}
        if isinstance(value, dict) or name not in self.shorthands:
            return item
        shorthand = self.shorthands[name]
        if shorthand is None:
            raise spec_error(
                f"{self.kind}_shape",
                f"{name!r} takes a mapping of parameters, not {_kind_of(value)}",
                f"write '- {name}: {{...}}' with its parameters, or '- {name}'",
            )
        return {name: {shorthand: value}}


def _single_key(value: Any) -> str | None:
    if isinstance(value, dict) and len(value) == 1:
        key = next(iter(value))
        return key if isinstance(key, str) else None
    return None


def _entry_union(
    base: type[SpecModel],
    kind_attr: str,
    shape: _EntryShape,
    entries: Sequence[tuple[str, type[SpecModel], str]],
) -> Any:
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
    return Annotated[_union(models), Discriminator(_single_key), BeforeValidator(shape)]


def _tuple_of(item: Any) -> Any:
    return tuple[item, ...]


def _union(models: list[Any]) -> Any:
    from typing import Union

    return Union[tuple(models)]  # noqa: UP007  (a runtime-built union)


SystemEntry = Annotated[SystemRef, BeforeValidator(_system_ref)]


class Experiment(SpecModel):
    """One experiment: the typed form of one YAML document."""

    experiment: Slug
    """The experiment's name, unique in its file; it names the test items."""
    description: str = ""
    seed: Integer = Field(1, ge=0, lt=2**63)
    """Seed of every random choice: same seed, same run."""
    seeds: Seeds | None = None
    """Run once per seed (`1-50`, `1-5,9`, `[1, 2, 7]`) and report the survival rate;
    `--seeds` on the command line replaces it, `--seed` runs that one seed."""
    duration: PositiveDuration
    """Simulated time, drain included."""
    systems: tuple[SystemEntry, ...] = Field(
        tuple(SystemRef(ref=name) for name in REFERENCE_SYSTEMS), min_length=1
    )
    """Reference system names or paths to system definitions, each with optional overrides."""
    workload: Workload
    faults: tuple[FaultEntry, ...] = ()
    assertions: tuple[AssertionEntry, ...] = ()
    expect: dict[str, ExpectEntry] = {}
    """Expected verdict per system (default: survives), or the share of seeds that must
    give it (`{survives: 95%}`); a mismatch fails the test."""
    tags: tuple[Slug, ...] = ()
    stop_when: StopWhen | None = None
    """Guards that end fault injection when one trips (AWS FIS stop conditions)."""
    search: SearchSpace | None = None
    """What `chaos-arena search` may vary to make the assertions fail; runs ignore it."""

    def system_names(self) -> list[str]:
        return [ref.ref for ref in self.systems]

    def expectation(self, system: str) -> Expected:
        """What the experiment expects of `system`: `survives` from every seed unless it
        says otherwise."""
        entry = self.expect.get(system, Expectation.SURVIVES)
        if isinstance(entry, ShareExpectation):
            return Expected(entry.verdict, entry.share, explicit_share=True)
        return Expected(Expectation(entry))

    def run_seed(self, override: int | None = None) -> int:
        """The seed a run uses: `override` when one is given, else the experiment's own."""
        return self.seed if override is None else override

    def fault_windows(self, stopped_at: float | None = None) -> tuple[Window, ...]:
        """When each fault is active, in `faults:` order: from `at` for `for` (or to the
        end), never past the end. The one computation of fault windows: the schedule, the
        evidence and the reports all take theirs from here.

        `stopped_at`: when a `stop_when` guard ended fault injection; windows are cut
        there, and those that had not started by then are left out."""
        duration = self.duration
        windows = []
        for index, entry in enumerate(self.faults):
            params = entry.params
            end = min(
                duration if params.duration is None else params.at + params.duration, duration
            )
            if stopped_at is not None:
                if params.at >= stopped_at:
                    continue
                end = min(end, stopped_at)
            windows.append(Window(index, entry.fault_type, params.target, params.at, end))
        return tuple(windows)


@dataclass(frozen=True)
class Window:
    """When one fault of an experiment is active, and how findings and reports name it."""

    index: int
    """The fault's position in the experiment's `faults:`."""
    fault_type: str
    target: str | None
    start: float
    end: float

    @property
    def label(self) -> str:
        """`lambda.error`, or `lambda.error on consumer` for a targeted fault."""
        return f"{self.fault_type} on {self.target}" if self.target else self.fault_type

    def covers(self, t: float) -> bool:
        return self.start <= t < self.end


FAULT_EXAMPLE = "write '- lambda.error: {probability: 5%, at: 1m, for: 2m}'"
ASSERTION_EXAMPLE = "write '- no_loss' or '- eventual_completion: {within: 5m}'"


def experiment_model(vocabulary: Vocabulary) -> type[Experiment]:
    """The experiment model with every fault type and assertion of `vocabulary` in its
    unions; built again when a registry changes (a fault type registered after a load)."""
    return _experiment_model(vocabulary, vocabulary.version())


@lru_cache(maxsize=8)
def _experiment_model(vocabulary: Vocabulary, _version: object) -> type[Experiment]:
    faults = [(n, f.Params, f.summary) for n, f in vocabulary.faults]
    fault_shape = _EntryShape("fault", FAULT_EXAMPLE, dict.fromkeys(n for n, _, _ in faults))
    fault_union = _entry_union(FaultEntry, "fault_type", fault_shape, faults)
    return create_model(
        "Experiment",
        __base__=Experiment,
        __doc__=Experiment.__doc__,
        faults=(_tuple_of(fault_union), ()),
        assertions=(_tuple_of(_assertion_union(vocabulary.assertions)), ()),
    )


def _assertion_union(assertions: Names[AssertionKind]) -> Any:
    entries = [(n, a.Params, a.summary) for n, a in assertions]
    shape = _EntryShape("assertion", ASSERTION_EXAMPLE, {n: a.shorthand for n, a in assertions})
    return _entry_union(AssertionEntry, "assertion_type", shape, entries)


def assertion_entries(
    assertions: Names[AssertionKind], items: Sequence[Any]
) -> tuple[AssertionEntry, ...]:
    """`assertions:` entries as written (`no_loss`, `{dlq: only_poison}`), validated."""
    adapter: TypeAdapter[tuple[AssertionEntry, ...]] = _entries_adapter(
        assertions, assertions.version
    )
    return adapter.validate_python(list(items))


@lru_cache(maxsize=8)
def _entries_adapter(assertions: Names[AssertionKind], _version: int) -> Any:
    return TypeAdapter(_tuple_of(_assertion_union(assertions)))


__all__ = [
    "ASSERTION_EXAMPLE",
    "FAULT_EXAMPLE",
    "REFERENCE_SYSTEMS",
    "AssertionEntry",
    "Burst",
    "ClientDef",
    "Expectation",
    "Expected",
    "Experiment",
    "FaultEntry",
    "RampUp",
    "RetryPolicy",
    "ShareExpectation",
    "Steady",
    "SystemRef",
    "Window",
    "Workload",
    "assertion_entries",
    "experiment_model",
]
