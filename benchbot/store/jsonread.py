"""Reading JSON documents against the schema: each check names the field's place
(``cases[3].runs[0].load_ms``) in the :class:`SchemaError` it raises (pure)."""

from __future__ import annotations

import math
from typing import Any, Callable, TypeVar

T = TypeVar("T")


class SchemaError(ValueError):
    """A results document does not have the shape of the schema; says where."""


def finite(value: Any) -> Any:
    """JSON has no NaN or Infinity: non-finite floats become null (deeply)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


class At:
    """A JSON object being read, with its place in the document for error messages."""

    def __init__(self, doc: Any, where: str) -> None:
        if not isinstance(doc, dict):
            raise SchemaError(f"{where or 'the document'}: expected an object, "
                              f"got {type(doc).__name__}")
        self.doc = doc
        self.where = where

    def _place(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def get(self, key: str, check: Callable[[Any, str], T], default: Any = ...) -> T:
        if key not in self.doc or (self.doc[key] is None and default is not ...):
            if default is ...:
                raise SchemaError(f"{self._place(key)}: missing")
            return default  # type: ignore[no-any-return]
        return check(self.doc[key], self._place(key))

    def sub(self, key: str) -> At | None:
        value = self.doc.get(key)
        return None if value is None else At(value, self._place(key))


def text(v: Any, where: str) -> str:
    if not isinstance(v, str):
        raise SchemaError(f"{where}: expected a string, got {v!r}")
    return v


def whole(v: Any, where: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise SchemaError(f"{where}: expected a whole number, got {v!r}")
    return v


def number(v: Any, where: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise SchemaError(f"{where}: expected a finite number, got {v!r}")
    return float(v)


def optional(check: Callable[[Any, str], T]) -> Callable[[Any, str], T | None]:
    return lambda v, where: None if v is None else check(v, where)


def listed(check: Callable[[Any, str], T]) -> Callable[[Any, str], tuple[T, ...]]:
    def read(v: Any, where: str) -> tuple[T, ...]:
        if not isinstance(v, list):
            raise SchemaError(f"{where}: expected a list, got {type(v).__name__}")
        if check is number and all(type(x) is float and math.isfinite(x) for x in v):
            return tuple(v)  # a list of samples, as benchbot writes it: nothing to name
        return tuple(check(x, f"{where}[{i}]") for i, x in enumerate(v))
    return read


def mapping(v: Any, where: str) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise SchemaError(f"{where}: expected an object, got {type(v).__name__}")
    return v


def one_of(choices: tuple[str, ...]) -> Callable[[Any, str], str]:
    def read(v: Any, where: str) -> str:
        if v not in choices:
            raise SchemaError(f"{where}: expected one of {', '.join(choices)}, got {v!r}")
        return str(v)
    return read
