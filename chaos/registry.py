"""Named registries that built-ins and third parties fill the same way.

Fault types, assertions and systems are looked up by name. Built-ins register with a
decorator when their module is imported; third-party packages register through an entry
point group (`chaos_arena.faults`, `chaos_arena.assertions`, `chaos_arena.systems`) whose
objects are registered on first lookup. A duplicate name is an error.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from chaos.errors import SetupError

T = TypeVar("T")


class UnknownName(KeyError):
    """A name that is not registered; carries the valid choices and a did-you-mean."""

    def __init__(self, kind: str, name: str, choices: list[str]) -> None:
        self.kind = kind
        self.name = name
        self.choices = choices
        self.suggestion = did_you_mean(name, choices)
        super().__init__(name)

    def __str__(self) -> str:
        hint = f"; did you mean {self.suggestion!r}?" if self.suggestion else ""
        return f"unknown {self.kind} {self.name!r}{hint}"


def did_you_mean(name: str, choices: list[str]) -> str | None:
    """The closest choice to `name`, if one is close enough to be a likely typo."""
    matches = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return matches[0] if matches else None


class Registry(Generic[T]):
    """Maps names to registered objects of one kind."""

    def __init__(self, kind: str, entry_point_group: str) -> None:
        self.kind = kind
        self.entry_point_group = entry_point_group
        self._items: dict[str, T] = {}
        self._entry_points_loaded = False

    def register(self, name: str, item: T) -> T:
        if name in self._items and self._items[name] is not item:
            raise SetupError(f"{self.kind} {name!r} is registered twice")
        self._items[name] = item
        return item

    def decorator(self, name: str) -> Callable[[T], T]:
        def register(item: T) -> T:
            return self.register(name, item)

        return register

    def get(self, name: str) -> T:
        self._load_entry_points()
        try:
            return self._items[name]
        except KeyError:
            raise UnknownName(self.kind, name, self.names()) from None

    def names(self) -> list[str]:
        self._load_entry_points()
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        self._load_entry_points()
        return name in self._items

    def __iter__(self) -> Iterator[tuple[str, T]]:
        self._load_entry_points()
        return iter(sorted(self._items.items()))

    def _load_entry_points(self) -> None:
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        for entry in entry_points(group=self.entry_point_group):
            try:
                loaded = entry.load()
            except Exception as error:
                raise SetupError(
                    f"cannot load {self.kind} plugin {entry.name!r} ({entry.value}): {error}"
                ) from error
            # A plugin module registers itself on import with the decorators; an entry point
            # that names an object directly is registered under the entry point's name.
            if entry.name not in self._items and not _is_module(loaded):
                self.register(entry.name, loaded)


def _is_module(obj: object) -> bool:
    return type(obj).__name__ == "module"
