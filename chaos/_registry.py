"""Named registries that built-ins and third parties fill the same way.

Fault types, assertions and systems are looked up by name. Built-ins register when their
registry is first used (`builtins`), third-party packages through an entry point group
(`chaos_arena.faults`, `chaos_arena.assertions`, `chaos_arena.systems`) whose objects are
registered on first lookup, and anyone with the decorators or `register` at any time. A
registry stays open: its `version` moves with every change, so what is built from it (the
experiment model, the JSON Schema) is rebuilt. A duplicate name is an error.
"""

from __future__ import annotations

import difflib
import importlib.metadata
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from chaos._errors import SetupError

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
    """Maps names to registered objects of one kind.

    Args:
        kind: what the objects are, for messages (`fault type`).
        entry_point_group: the group third-party packages register under.
        builtins: registers the built-ins (through `register`, like anyone); called once,
            on first use, so importing a registry stays cheap.
    """

    def __init__(
        self, kind: str, entry_point_group: str, *, builtins: Callable[[], object] | None = None
    ) -> None:
        self.kind = kind
        self.entry_point_group = entry_point_group
        self._builtins = builtins
        self._items: dict[str, T] = {}
        self._version = 0
        self._loaded = False

    def register(self, name: str, item: T) -> T:
        if name in self._items and self._items[name] is not item:
            raise SetupError(f"{self.kind} {name!r} is registered twice")
        if name not in self._items:
            self._items[name] = item
            self._version += 1
        return item

    def unregister(self, name: str) -> None:
        """Forget `name` (a test's own fault type, say); unknown names are ignored."""
        if self._items.pop(name, None) is not None:
            self._version += 1

    @property
    def version(self) -> int:
        """Changes whenever a name is registered or forgotten: a cache key for what is built
        from the registry's contents."""
        self._load()
        return self._version

    def get(self, name: str) -> T:
        self._load()
        try:
            return self._items[name]
        except KeyError:
            raise UnknownName(self.kind, name, self.names()) from None

    def names(self) -> list[str]:
        self._load()
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        self._load()
        return name in self._items

    def __iter__(self) -> Iterator[tuple[str, T]]:
        self._load()
        return iter(sorted(self._items.items()))

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        if self._builtins is not None:
            self._builtins()
        for entry in importlib.metadata.entry_points(group=self.entry_point_group):
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
