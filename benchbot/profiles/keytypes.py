"""The types a profile key may have, as small declarative checkers.

Each type checks one parsed TOML value and converts it to the frozen shape the
profile dataclasses hold (tuples, floats, read-only mappings, expanded paths).
A mismatch raises :class:`Invalid` with a message that names the dotted key but
not the file; :mod:`benchbot.profiles.schema` adds the file once, at the edge,
so every message the user sees is one line of the form
``FILE: 'ssh.port' must be an integer, got a string``.

Types compose (``ArrayOf(ArrayOf(Integer()))``, ``Section({...})``), which is
what lets the whole profile schema be one nested table instead of a pile of
``if`` statements.
"""

from __future__ import annotations

import datetime
import difflib
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

KeyPath = tuple[str | int, ...]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


class Invalid(Exception):
    """A value does not fit the schema; the message names the key, not the file."""


def render_path(path: KeyPath) -> str:
    """Spell a key path the way it would be written in TOML: ``match."ro.x"[0]``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            key = part if _BARE_KEY.fullmatch(part) else json.dumps(part)
            text += f".{key}" if text else key
    return text


def quote(value: str) -> str:
    """Quote a string value as TOML would (a basic string)."""
    return json.dumps(value)


def describe_value(value: object) -> str:
    """Name the TOML type of a parsed value, with an article: 'a string'."""
    if isinstance(value, bool):  # before int: bool is a subclass of int
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "an empty string" if value == "" else "a string"
    if isinstance(value, list):
        return "an array" if value else "an empty array"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, datetime.datetime):
        return "a date-time"
    if isinstance(value, datetime.date):
        return "a date"
    if isinstance(value, datetime.time):
        return "a time"
    return f"a {type(value).__name__}"


def _mismatch(path: KeyPath, expected: str, value: object) -> Invalid:
    return Invalid(f"'{render_path(path)}' must be {expected}, got {describe_value(value)}")


class KeyType:
    """Base of all key types: ``noun`` is 'a string', ``plural`` is 'strings'."""

    noun = "a value"
    plural = "values"
    python_types: tuple[type, ...] = ()  # the parsed TOML types this type can accept

    def convert(self, value: object, path: KeyPath) -> object:
        """Check ``value`` found at ``path`` and return its frozen form."""
        raise NotImplementedError


@dataclass(frozen=True)
class Text(KeyType):
    """A string; empty only where ``allow_empty``; optionally one of ``choices``."""

    allow_empty: bool = False
    choices: tuple[str, ...] = ()

    @property
    def noun(self) -> str:  # type: ignore[override]
        if self.choices:
            return "one of " + ", ".join(quote(c) for c in self.choices)
        return "a string" if self.allow_empty else "a non-empty string"

    plural = "strings"
    python_types = (str,)

    def convert(self, value: object, path: KeyPath) -> object:
        if not isinstance(value, str) or (value == "" and not self.allow_empty):
            raise _mismatch(path, self.noun, value)
        if self.choices and value not in self.choices:
            raise Invalid(f"'{render_path(path)}' must be {self.noun}, got {quote(value)}")
        return value


@dataclass(frozen=True)
class HostPath(Text):
    """A path on this host; ``~`` is expanded so profiles can point into $HOME."""

    def convert(self, value: object, path: KeyPath) -> object:
        return Path(str(super().convert(value, path))).expanduser()


@dataclass(frozen=True)
class Flag(KeyType):
    """true or false."""

    noun = "true or false"
    plural = "booleans"
    python_types = (bool,)

    def convert(self, value: object, path: KeyPath) -> object:
        if not isinstance(value, bool):
            raise _mismatch(path, self.noun, value)
        return value


@dataclass(frozen=True)
class Integer(KeyType):
    """An integer (never a boolean) within ``[minimum, maximum]``."""

    minimum: int | None = None
    maximum: int | None = None
    noun = "an integer"
    plural = "integers"
    python_types = (int,)

    def convert(self, value: object, path: KeyPath) -> object:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _mismatch(path, self.noun, value)
        _check_range(value, path, self.minimum, self.maximum)
        return value


@dataclass(frozen=True)
class Number(KeyType):
    """An integer or float (never a boolean), finite, returned as a float.

    ``minimum`` is inclusive; ``above`` is an exclusive lower bound.
    """

    minimum: float | None = None
    above: float | None = None
    noun = "a number"
    plural = "numbers"
    python_types = (int, float)

    def convert(self, value: object, path: KeyPath) -> object:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _mismatch(path, self.noun, value)
        if not math.isfinite(value):
            raise Invalid(f"'{render_path(path)}' must be a finite number, got {value}")
        if self.above is not None and not value > self.above:
            raise Invalid(f"'{render_path(path)}' must be greater than {self.above:g}, got {value}")
        _check_range(value, path, self.minimum, None)
        return float(value)


def _check_range(value: float, path: KeyPath, low: float | None, high: float | None) -> None:
    where = render_path(path)
    if low is not None and high is not None and not low <= value <= high:
        raise Invalid(f"'{where}' must be between {low:g} and {high:g}, got {value}")
    if low is not None and value < low:
        raise Invalid(f"'{where}' must be at least {low:g}, got {value}")
    if high is not None and value > high:
        raise Invalid(f"'{where}' must be at most {high:g}, got {value}")


@dataclass(frozen=True)
class ArrayOf(KeyType):
    """An array whose items all have type ``item``; returned as a tuple."""

    item: KeyType
    min_items: int = 0
    python_types = (list,)

    @property
    def noun(self) -> str:  # type: ignore[override]
        qualifier = "a non-empty" if self.min_items else "an"
        return f"{qualifier} array of {self.item.plural}"

    @property
    def plural(self) -> str:  # type: ignore[override]
        qualifier = "non-empty " if self.min_items else ""
        return f"{qualifier}arrays of {self.item.plural}"

    def convert(self, value: object, path: KeyPath) -> object:
        if not isinstance(value, list) or len(value) < self.min_items:
            raise _mismatch(path, self.noun, value)
        return tuple(self.item.convert(v, (*path, i)) for i, v in enumerate(value))


@dataclass(frozen=True)
class OneOrMany(KeyType):
    """One ``item`` or a non-empty array of them; always returned as a tuple.

    Lets a profile write ``key = "a"`` for the common case and ``key = ["a", "b"]``
    for alternatives, while readers always see a tuple.
    """

    item: KeyType

    @property
    def noun(self) -> str:  # type: ignore[override]
        return f"{self.item.noun} or a non-empty array of {self.item.plural}"

    @property
    def plural(self) -> str:  # type: ignore[override]
        return f"{self.item.plural} or arrays of them"

    def convert(self, value: object, path: KeyPath) -> object:
        if isinstance(value, list):
            if not value:
                raise _mismatch(path, self.noun, value)
            return tuple(self.item.convert(v, (*path, i)) for i, v in enumerate(value))
        if isinstance(value, self.item.python_types) and not isinstance(value, bool):
            return (self.item.convert(value, path),)
        raise _mismatch(path, self.noun, value)


@dataclass(frozen=True)
class TableOf(KeyType):
    """A table of free-form keys (parsed by ``key``) to values of one type.

    Returns a read-only mapping so the profile stays immutable all the way down.
    """

    value: KeyType
    key: Callable[[str, KeyPath], object] | None = None
    noun = "a table"
    plural = "tables"
    python_types = (dict,)

    def convert(self, value: object, path: KeyPath) -> object:
        if not isinstance(value, dict):
            raise _mismatch(path, self.noun, value)
        out: dict[object, object] = {}
        for raw_key, raw_value in value.items():
            where = (*path, raw_key)
            key = self.key(raw_key, where) if self.key else raw_key
            out[key] = self.value.convert(raw_value, where)
        return MappingProxyType(out)


@dataclass(frozen=True)
class Field:
    """One known key of a :class:`Section`: its type and whether it must be given."""

    type: KeyType
    required: bool = False


@dataclass(frozen=True)
class Section(KeyType):
    """A table with a fixed set of keys; unknown keys are errors.

    Returns a plain dict holding only the keys that were given, so defaults live
    in one place: the dataclass the dict is splatted into.
    """

    fields: Mapping[str, Field]
    noun = "a table"
    plural = "tables"
    python_types = (dict,)

    def convert(self, value: object, path: KeyPath) -> dict[str, object]:
        if not isinstance(value, dict):
            raise _mismatch(path, self.noun, value)
        for key in value:
            if key not in self.fields:
                raise self._unknown(key, path)
        out: dict[str, object] = {}
        for key, field in self.fields.items():
            if key in value:
                out[key] = field.type.convert(value[key], (*path, key))
            elif field.required:
                where = render_path((*path, key))
                raise Invalid(f"missing required key '{where}' (expected {field.type.noun})")
        return out

    def _unknown(self, key: str, path: KeyPath) -> Invalid:
        known = sorted(self.fields)
        message = f"unknown key '{render_path((*path, key))}' (known: {', '.join(known)})"
        close = difflib.get_close_matches(key, known, n=1)
        if close:
            message += f"; did you mean '{close[0]}'?"
        return Invalid(message)
