"""What spec validation needs from outside the spec, as protocols its caller fills in.

The experiment model is built from the registered fault types and assertions, and the JSON
Schema lists the registered systems (a `Vocabulary`); an experiment's systems are found,
read, merged with their overrides and validated by a `SystemResolver` (the real one is
`chaos._systems.Resolver`). The loader's caller passes both in, so the spec imports no fault
type, assertion, system registry or AWS model. A resolved system is a spec value.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TypeVar

from chaos._errors import Diagnostic
from chaos._spec.base import Loc, SpecModel
from chaos._spec.faults import FaultParams, TargetKind
from chaos._spec.prices import PriceTable
from chaos._spec.system import SystemDefinition

if TYPE_CHECKING:
    from chaos._spec.diagnose import Site

T_co = TypeVar("T_co", covariant=True)


class FaultKind(Protocol):
    """What the spec needs of a fault type (`chaos._faults.base.Fault` has it)."""

    @property
    def name(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def Params(self) -> type[FaultParams]: ...
    @property
    def target_kind(self) -> TargetKind: ...


class AssertionKind(Protocol):
    """What the spec needs of an assertion (`chaos._checks.base.Assertion` has it)."""

    @property
    def name(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def Params(self) -> type[SpecModel]: ...
    @property
    def shorthand(self) -> str | None: ...


class Names(Protocol[T_co]):
    """A registry (`chaos._registry.Registry`) as the spec reads it."""

    @property
    def version(self) -> int:
        """Changes whenever the registry's contents do."""
        ...

    def get(self, name: str) -> T_co: ...
    def names(self) -> list[str]: ...
    def __contains__(self, name: object) -> bool: ...
    def __iter__(self) -> Iterator[tuple[str, T_co]]: ...
    def __hash__(self) -> int: ...


@dataclass(frozen=True)
class Vocabulary:
    """The names an experiment may use: fault types, assertions and registered systems."""

    faults: Names[FaultKind]
    assertions: Names[AssertionKind]
    systems: Names[object]

    def version(self) -> tuple[int, int, int]:
        """A cache key, with the registries themselves, for what is built from them."""
        return (self.faults.version, self.assertions.version, self.systems.version)


@dataclass(frozen=True)
class ResolvedSystem:
    """A validated system definition (overrides merged in), with where it came from.

    Attributes:
        definition: the system as it runs.
        source: the definition file; handlers import from its directory too.
        ref: how the experiment named it (a registered name or a path), when it did.
        prices: the price table its cost is computed with; None for the shipped one.
    """

    definition: SystemDefinition
    source: Path
    ref: str = ""
    prices: PriceTable | None = None

    @property
    def name(self) -> str:
        return self.definition.system

    @property
    def import_root(self) -> Path:
        return self.source.parent


class Resolution(NamedTuple):
    """What resolving one system reference gave."""

    name: str
    """The system's name, as far as it could be read (else the reference itself)."""
    system: ResolvedSystem | None
    """None when the system could not be resolved; its problems say why."""
    problems: list[Diagnostic]


class SystemResolver(Protocol):
    """Finds, reads, merges and validates the systems experiments name."""

    def resolve(
        self, ref: str, overrides: Mapping[str, Any], base_dir: Path, site: Site, entry: Loc
    ) -> Resolution:
        """The system `ref` names with `overrides` merged in.

        Args:
            ref: a registered name or a path (relative to `base_dir`).
            overrides: settings merged into the definition, keyed as in its file.
            base_dir: where relative paths count from.
            site: the experiment's document, to place problems of the overrides in.
            entry: the key path of the system entry inside the experiment.
        """
        ...
