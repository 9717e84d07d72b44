"""The assertion registry. Built-ins register in `chaos.checks.builtin`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chaos.registry import Registry

if TYPE_CHECKING:
    from chaos.checks.base import Assertion

ASSERTIONS: Registry[Assertion] = Registry("assertion", "chaos_arena.assertions")


def assertion_type(cls: type[Assertion]) -> type[Assertion]:
    """Class decorator: register one instance of an assertion under its `name`."""
    ASSERTIONS.register(cls.name, cls())
    return cls


def assertion_types() -> Registry[Assertion]:
    """The registry with the built-ins loaded."""
    import chaos.checks.builtin  # noqa: F401  (registers the built-ins)

    return ASSERTIONS
