"""The base of every spec model, and the errors its validators raise.

Models are frozen and closed (unknown keys are errors). Validators raise `spec_error` for one
problem with a hint, or `SpecProblems` for rules that span keys, each problem located at the
key it is about (so `validate` points at `queue.visibility_timeout`, not at the whole system).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from pydantic import BaseModel, ConfigDict
from pydantic_core import PydanticCustomError

Loc = tuple[str | int, ...]


class SpecModel(BaseModel):
    """A frozen, closed model: parsed once from YAML, never mutated afterwards."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        populate_by_name=True,
        use_attribute_docstrings=True,
    )


def key_path(loc: Sequence[str | int]) -> str:
    """`faults[0].lambda.error.probability` from a location tuple."""
    out = ""
    for part in loc:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def spec_error(kind: str, message: str, hint: str | None = None) -> PydanticCustomError:
    """A validation error whose message and hint the diagnostics show as they are."""
    template = "{message} ({hint})" if hint else "{message}"
    return PydanticCustomError(kind, template, {"message": message, "hint": hint or ""})


@dataclass(frozen=True)
class Problem:
    """One broken rule, at `loc` relative to the model that found it.

    Attributes:
        loc: the key the problem is about (field names as written, aliases included).
        message: what is wrong, in one sentence.
        hint: how to fix it, or the valid choices.
        related: other keys whose values take part, in case only one of them was written
            where the user is looking (an experiment's override of a system setting).
        missing: `loc` is a key that should be there and is not.
    """

    loc: Loc
    message: str
    hint: str | None = None
    related: tuple[Loc, ...] = ()
    missing: bool = False
    on_key: bool = False
    """The key itself is wrong (unknown, misspelt), so point at the key, not its value."""
    shown: str | None = None
    """The offending value as text, for when the file does not have it as written."""

    def under(self, prefix: Loc) -> Problem:
        """The same problem, its keys relative to a mapping `prefix` levels up."""
        return replace(
            self, loc=(*prefix, *self.loc), related=tuple((*prefix, *r) for r in self.related)
        )


class SpecProblems(ValueError):
    """Raised by a model validator for rules that span keys: each problem keeps its key."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(_one_line(p) for p in self.problems))


def _one_line(problem: Problem) -> str:
    where = key_path(problem.loc)
    return f"{where}: {problem.message}" if where else problem.message
