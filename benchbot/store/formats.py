"""The history of the results format, and the one check of a document's version.

A results file (``RUN_ID.json``; while a run is measured, its header and the journal
``RUN_ID.cases.jsonl`` beside it) says which format it is in by ``schema_version``.
:mod:`benchbot.store.codec` writes the newest and decodes each version by its number,
never by which keys happen to be present. A version newer than this benchbot's is
refused with one line saying to upgrade benchbot.

Versions (number, release and commit, what changed):

- **1** (benchbot 0.1.0, 0c94b65): one document per run; a case holds one measuring
  process, its runner's report in one ``measurement`` mapping (``model_card``,
  ``variant``, ``farm``, ``device_lost``, ``attempts`` inside it); settings without
  ``repeat``/``order`` (one process per case, sequential).
- **2** (benchbot 0.2.0, up to 9ab5d17): a case keeps every process in ``runs`` (their
  samples are consecutive slices of ``samples_ms``), ``model_ref``, ``failure`` with a
  kind, ``card``, ``farm``, validity, op profiles, placement, accuracy, sustained
  series, energy; the header gains ``plan`` (resume), ``owner``, ``git``,
  ``schedule``, the journal while running. An A/B session is told by ``ab_baseline``
  in ``meta``; a device's kind by its ``transport``.
- **3** (benchbot 0.2.0, the typed run header): the header's parts are typed values
  with the same keys as in 2, plus ``kind`` (``sweep`` or ``ab``) on the run and
  ``kind`` (``host``, ``phone`` or ``server``) on each device; a farm device's phones
  in ``farm.phones``. Cases are as in 2. Files of 1 and 2 still load.
"""

from __future__ import annotations

from typing import Any

from benchbot.store.jsonread import SchemaError

CURRENT = 3
KNOWN = (1, 2, 3)


class FutureVersion(SchemaError):
    """A document written by a newer benchbot."""


def version_of(doc: Any) -> int:
    """The document's ``schema_version``, checked: SchemaError when it is missing or not
    a whole number, :class:`FutureVersion` (naming the version and the fix) when it is
    newer than this benchbot reads."""
    version = doc.get("schema_version") if isinstance(doc, dict) else None
    if not isinstance(version, int) or isinstance(version, bool):
        raise SchemaError(f"schema_version {version!r} is not a whole number")
    if version > CURRENT:
        raise FutureVersion(f"written by a newer benchbot (results schema {version}, this one "
                            f"reads up to {CURRENT}); upgrade benchbot to read it")
    if version not in KNOWN:
        raise SchemaError(f"schema_version {version} is not one benchbot ever wrote "
                          f"({', '.join(map(str, KNOWN))})")
    return version
