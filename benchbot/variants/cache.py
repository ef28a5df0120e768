"""The content-addressed cache of derived ONNX variants.

    <cache_dir>/<key>/<name>_<precision>[_bN].onnx
    <cache_dir>/<key>/variant.json      the file's sha256, size and derivation

``key`` is the sha256 of the source's content hash and the derivation parameters
(precision, batch, int8 mode, calibration settings, recipe and tool versions): the same
source derived the same way is found again and never rebuilt; an edited source, a new
recipe or another onnxruntime gets a new entry. ``variant.json`` is written after the
model file, so an entry with it is complete; both writes are atomic.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Mapping

from benchbot.store import write_atomic
from benchbot.variants.variant import Variant

SIDECAR = "variant.json"
KEY_CHARS = 24


def cache_key(source_sha256: str, params: Mapping[str, Any]) -> str:
    """The entry's folder name: a hash of the source content and how it is derived."""
    blob = source_sha256.encode() + b"\0" + json.dumps(params, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:KEY_CHARS]


def lookup(entry: Path) -> Variant | None:
    """The variant stored in ``entry``, or None when it is missing or incomplete."""
    try:
        doc = json.loads((entry / SIDECAR).read_text(encoding="utf-8"))
        path = entry / str(doc["file"])
        if path.stat().st_size != int(doc["size_bytes"]):
            return None  # truncated or replaced by hand: rebuild
        return Variant(path=path, sha256=str(doc["sha256"]), size_bytes=int(doc["size_bytes"]),
                       derivation=doc["derivation"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def store(entry: Path, file_name: str, data: bytes, derivation: Mapping[str, Any]) -> Variant:
    """Write the variant's bytes, then its sidecar; returns the stored variant."""
    path = entry / file_name
    write_atomic(path, data)
    variant = Variant(path=path, sha256=hashlib.sha256(data).hexdigest(),
                      size_bytes=len(data), derivation=dict(derivation))
    doc = {"file": file_name, "sha256": variant.sha256, "size_bytes": variant.size_bytes,
           "derivation": variant.derivation}
    write_atomic(entry / SIDECAR, json.dumps(doc, indent=1, sort_keys=True) + "\n")
    return variant
