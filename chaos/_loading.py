"""Loading for the front ends (CLI, `chaos.api`, the pytest plugin, worker processes): the
spec's loader with the real registries and system resolver passed in.

The spec imports no fault type, assertion or system registry; this module hands them to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chaos._checks.registry import assertion_types
from chaos._faults.registry import fault_types
from chaos._spec.catalog import Vocabulary
from chaos._spec.loader import Loader
from chaos._spec.volume import DEFAULT_MAX_REQUESTS
from chaos._systems import Resolver, system_registry

if TYPE_CHECKING:
    from chaos._spec.experiment import Experiment
    from chaos._spec.schema import Schema


def vocabulary() -> Vocabulary:
    """The registered fault types, assertions and systems."""
    return Vocabulary(fault_types(), assertion_types(), system_registry())


def loader(
    *, import_handlers: bool = False, max_requests: int | None = DEFAULT_MAX_REQUESTS
) -> Loader:
    """A loader for one run: each system definition file is read once, whichever experiments
    name it. `import_handlers`: also import every handler (`chaos-arena validate`).
    `max_requests`: refuse an experiment that sends more a run (None: no limit)."""
    return Loader(vocabulary(), Resolver(import_handlers=import_handlers), max_requests)


def experiment_model() -> type[Experiment]:
    """The experiment model with every registered fault type and assertion."""
    from chaos._spec.experiment import experiment_model as model_of

    return model_of(vocabulary())


def experiment_schema() -> Schema:
    """The JSON Schema of experiment files, registered third-party types included."""
    from chaos._spec.schema import experiment_schema as schema_of

    return schema_of(vocabulary())
