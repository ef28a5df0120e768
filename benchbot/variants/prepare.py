"""Variants for a whole plan, derived once each before any case is measured."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

from benchbot.sweep import Case
from benchbot.variants.derive import derive
from benchbot.variants.variant import Variant, VariantError


def derive_cases(cases: Iterable[Case], int8_mode: str, cache_dir: Path,
                 say: Callable[[str], None] | None = None) -> dict[str, Variant | VariantError]:
    """Case id -> the file to measure, or the VariantError that fails the case.

    Each (model, precision, batch) is derived once, whatever the devices, threads and
    backends; ``say`` hears one line per variant made or found.
    """
    done: dict[tuple[str, str, str, int], Variant | VariantError] = {}
    by_case: dict[str, Variant | VariantError] = {}
    for case in cases:
        key = (case.model.sha256, case.runtime, case.precision, case.batch)
        if key not in done:
            try:
                done[key] = derive(case.model, case.precision, case.batch, int8_mode, cache_dir)
            except VariantError as exc:
                done[key] = exc
            result = done[key]
            if say is not None and (isinstance(result, VariantError) or result.derived):
                what = f"{case.model.path.name} {case.precision} batch {case.batch}"
                say(f"{what}: {result}" if isinstance(result, VariantError)
                    else f"{what}: {result.path} ({result.size_mb:.1f} MB)")
        by_case[case.id] = done[key]
    return by_case
