"""A registry: the named entries of one kind (runtimes, native tools), in the order they
were registered, each name once. Looking up a name that is not there is a ConfigError
naming the known ones; registering a name twice is a programming error (ValueError)."""

from __future__ import annotations

from types import MappingProxyType
from typing import Generic, Iterator, Mapping, TypeVar

from benchbot.errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    """Entries of one kind by name; ``entries`` is a read-only view of them."""

    def __init__(self, what: str, reserved: tuple[str, ...] = ()) -> None:
        self.what = what  # "runtime", "native tool": how an error names an entry
        self.reserved = reserved  # names no entry may take (the agent is not a native tool)
        self._entries: dict[str, T] = {}
        self.entries: Mapping[str, T] = MappingProxyType(self._entries)

    def add(self, name: str, entry: T) -> T:
        if name in self._entries or name in self.reserved:
            raise ValueError(f"a {self.what} called {name!r} is already registered")
        self._entries[name] = entry
        return entry

    def get(self, name: str) -> T:
        if name not in self._entries:
            raise ConfigError(f"{name!r} is not a {self.what} "
                              f"(known: {', '.join(self._entries)})")
        return self._entries[name]

    def names(self) -> tuple[str, ...]:
        return tuple(self._entries)

    def __iter__(self) -> Iterator[T]:
        return iter(self._entries.values())

    def __contains__(self, name: object) -> bool:
        return name in self._entries
