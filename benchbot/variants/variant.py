"""A derived model file as a value, and the error of a precision or batch that cannot apply."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from benchbot.errors import CaseError

PRECISIONS = ("fp32", "fp16", "int8")
INT8_MODES = ("static", "dynamic")


class VariantError(CaseError):
    """A precision or batch variant cannot be made or found; the message says why.

    A CaseError: the case fails with this reason and the sweep goes on. It is never
    answered by measuring the fp32 file under another name.
    """

    kind = "bad_input"


@dataclass(frozen=True)
class Variant:
    """The file a case measures: the source itself, or a variant derived from it.

    ``derivation`` is JSON-able and empty when the source is measured unchanged; else it
    names the source's sha256, each step (``{"batch": 4}``, ``{"fp16": ...}``,
    ``{"int8": ...}``), how the result was checked, and the tool versions.
    """

    path: Path
    sha256: str
    size_bytes: int
    derivation: Mapping[str, Any] = field(default_factory=dict)

    @property
    def size_mb(self) -> float:
        return self.size_bytes / 1e6

    @property
    def derived(self) -> bool:
        """Whether this is another file than the source (a cached or exported variant)."""
        return bool(self.derivation)

    def to_measurement(self) -> dict[str, Any]:
        """What a case records about the file it measured: ``measurement["variant"]``."""
        return {"path": str(self.path), "sha256": self.sha256,
                "size_mb": round(self.size_mb, 6), "derivation": dict(self.derivation)}
