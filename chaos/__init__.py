"""chaos-arena: pytest-native chaos experiments for serverless AWS architectures.

The public surface is `__all__` below, `chaos.api` and the extension API `chaos.extend`;
everything else is private. Importing `chaos` is cheap (no moto, boto3 or simpy): the pytest
plugin loads it in every session, and the names below are resolved on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chaos._errors import (
    ChaosError,
    Diagnostic,
    GuaranteeViolation,
    InternalError,
    SetupError,
    SpecError,
)

if TYPE_CHECKING:
    from chaos.api import UnexpectedVerdict, check, counts, load, run
    from chaos.extend import Assertion, assertion_type, fault_type

__version__ = "0.1.0"

__all__ = [
    "Assertion",
    "ChaosError",
    "Diagnostic",
    "GuaranteeViolation",
    "InternalError",
    "SetupError",
    "SpecError",
    "UnexpectedVerdict",
    "__version__",
    "assertion_type",
    "check",
    "counts",
    "fault_type",
    "load",
    "run",
]

_LAZY = {
    "UnexpectedVerdict": "chaos.api",
    "check": "chaos.api",
    "counts": "chaos.api",
    "load": "chaos.api",
    "run": "chaos.api",
    "Assertion": "chaos.extend",
    "assertion_type": "chaos.extend",
    "fault_type": "chaos.extend",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'chaos' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
