"""The one registry shape that runtimes and native tools are kept in: registration order,
each name once (reserved names never), and a lookup error that names the known entries."""

from __future__ import annotations

import pytest

from benchbot.errors import ConfigError
from benchbot.registry import Registry


def test_a_registry_keeps_order_refuses_a_second_name_and_names_the_known_ones() -> None:
    made: Registry[int] = Registry("gadget", reserved=("agent",))
    assert made.add("b", 2) == 2 and made.add("a", 1) == 1
    assert made.names() == ("b", "a") and list(made) == [2, 1] and dict(made.entries) == {"b": 2, "a": 1}
    assert "a" in made and "c" not in made and made.get("a") == 1
    for taken in ("a", "agent"):
        with pytest.raises(ValueError, match=f"a gadget called '{taken}' is already registered"):
            made.add(taken, 3)
    with pytest.raises(ConfigError, match=r"^'c' is not a gadget \(known: b, a\)$"):
        made.get("c")
    with pytest.raises(TypeError):
        made.entries["c"] = 3  # type: ignore[index]  # a read-only view
