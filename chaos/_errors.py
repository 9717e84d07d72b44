"""Errors by whose fault they are.

`SpecError` is the user's experiment or system file, `SetupError` the environment,
`GuaranteeViolation` the system under test, and `InternalError` a bug in chaos-arena.
This module imports nothing from the rest of the package.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class ChaosError(Exception):
    """Root of every error chaos-arena raises on purpose."""


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in a user's file, located precisely enough to fix it.

    Attributes:
        path: the file the problem is in.
        line: 1-based line, or 0 when the problem is about the whole file.
        column: 1-based column, or 0 when unknown.
        message: what is wrong, in one sentence.
        key_path: dotted path of the offending key (`faults[0].lambda.error.probability`).
        value: the offending value as written, when there is one.
        hint: what would be valid: the choices, a did-you-mean, or the expected form.
    """

    path: str
    line: int
    column: int
    message: str
    key_path: str = ""
    value: str | None = None
    hint: str | None = None

    def location(self) -> str:
        if self.line <= 0:
            return self.path
        if self.column <= 0:
            return f"{self.path}:{self.line}"
        return f"{self.path}:{self.line}:{self.column}"

    def render(self) -> str:
        """Compiler-style text: `path:line:col: message`, then key path, value and hint."""
        lines = [f"{self.location()}: {self.message}"]
        if self.key_path:
            lines.append(f"    at: {self.key_path}")
        if self.value is not None:
            lines.append(f"    got: {self.value}")
        if self.hint:
            lines.append(f"    hint: {self.hint}")
        return "\n".join(lines)


@dataclass
class SpecError(ChaosError):
    """An experiment or system definition is wrong; carries every problem found, sorted."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.diagnostics = sorted(
            self.diagnostics, key=lambda d: (d.path, d.line, d.column, d.key_path)
        )
        super().__init__(self.render())

    @classmethod
    def single(
        cls,
        path: str,
        message: str,
        *,
        line: int = 0,
        column: int = 0,
        key_path: str = "",
        value: str | None = None,
        hint: str | None = None,
    ) -> SpecError:
        return cls([Diagnostic(path, line, column, message, key_path, value, hint)])

    def render(self) -> str:
        return "\n".join(d.render() for d in self.diagnostics)

    def __str__(self) -> str:
        return self.render()


class SetupError(ChaosError):
    """The environment is wrong: a handler that cannot be imported, a missing file."""


class GuaranteeViolation(ChaosError, AssertionError):
    """A delivery guarantee did not hold for the system under test."""


class InternalError(ChaosError):
    """A bug in chaos-arena itself."""

    def __init__(self, message: str, *, seed: int | None = None) -> None:
        hint = f" --seed {seed}" if seed is not None else ""
        super().__init__(
            f"{message}\nThis is a bug in chaos-arena; please report it with the experiment "
            f"file and{hint or ' its seed'}."
        )
