"""What the farm's client and workers agree on, with no Dask import: resource names, task
keys, the event topic, and the JSON job a task carries.

Dask is an optional extra (``pip install benchbot[farm]``); :func:`require_distributed`
is the one place that turns its absence into a one-line UserError. Nothing outside
``benchbot.farm.dask_*`` and ``benchbot.cli.farm`` imports these modules, and they
import ``distributed`` only when a farm command runs.

A job is plain JSON data (a case, the measure settings, the device profile without its
source path, the device options that apply on a worker), so a worker never unpickles
benchbot objects from another version of benchbot, and the profile is validated again
on the worker by the same schema that read it from TOML. The job carries the results
``schema_version`` its settings, card and result are written in, and both ends encode
and decode them with :mod:`benchbot.store.codec`.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Any, Mapping

from benchbot.errors import UserError
from benchbot.runners.base import config_of
from benchbot.store import PlannedCase
from benchbot.store.codec import card_doc, card_of_doc, planned_doc, planned_of_doc
from benchbot.store.formats import CURRENT
from benchbot.store.modelfile import ModelFile
from benchbot.profiles import Profile, profile_from_toml
from benchbot.sweep import Case

RESOURCE_PREFIX = "device:"
CASE_KEY_PREFIX = "benchbot-case-"
PLUGIN_NAME = "benchbot-rack"
INSTALL_HINT = "pip install benchbot[farm]"


def require_distributed() -> ModuleType:
    """The ``distributed`` package, or a one-line UserError saying how to install it."""
    try:
        return importlib.import_module("distributed")
    except ImportError as exc:
        raise UserError(f"the farm runs on Dask distributed, which is not installed "
                        f"({exc}): {INSTALL_HINT}") from None


def resource_of(device: str) -> str:
    """The Dask worker resource that stands for one device of profile ``device``."""
    return f"{RESOURCE_PREFIX}{device}"


def device_of(resource: str) -> str | None:
    """The profile name of a ``device:NAME`` resource; None for other resources."""
    return resource[len(RESOURCE_PREFIX):] if resource.startswith(RESOURCE_PREFIX) else None


def case_key(run_id: str, case_id: str, submission: int = 0) -> str:
    """The Dask key of one submission of one case of one run (Dask's retries keep it)."""
    return f"{CASE_KEY_PREFIX}{run_id}-{case_id}" + (f".{submission}" if submission else "")


def run_of_key(key: object) -> str | None:
    """The run id in a case key, None for keys that are not benchbot cases."""
    if not isinstance(key, str) or not key.startswith(CASE_KEY_PREFIX):
        return None
    return key[len(CASE_KEY_PREFIX):].rpartition("-")[0] or None


def topic_of(run_id: str) -> str:
    """The event topic a run's workers report progress on."""
    return f"benchbot-run-{run_id}"


def profile_doc(profile: Profile) -> dict[str, Any]:
    """The profile as the TOML document it could have been read from (no source path)."""
    return _toml_like(profile.to_dict())


def _toml_like(value: Any) -> Any:
    if isinstance(value, dict):  # TOML has no null: absent and empty keys take the defaults
        return {k: _toml_like(v) for k, v in value.items()
                if k != "source" and v not in (None, "", [], {})}
    return value


def profile_of_doc(doc: Mapping[str, Any], source: str) -> Profile:
    """A profile sent by the client, validated here by the same schema as a profile file."""
    return profile_from_toml(dict(doc), Path(source))


def measured_files(case: Case) -> tuple[tuple[Path, ...], str]:
    """The files a case measures on the device (its precision/batch variant, else the model
    with the files beside it: an OpenVINO IR's .bin) and their sha256 (over all of them, in
    order): what travels to the worker."""
    if case.variant is not None and case.variant.sha256 != case.model.sha256:
        return (case.variant.path,), case.variant.sha256
    return case.model.files, case.model.sha256  # the model itself (or a variant that is it)


def case_job(case: Case) -> dict[str, Any]:
    """The case as JSON: the planned case (the model's identity and the axes, as a run's
    plan records it), the file measured and the card."""
    (path, *parts), digest = measured_files(case)
    return {**planned_doc(PlannedCase(case.id, config_of(case))),
            "file": {"name": path.name, "sha256": digest, "parts": [p.name for p in parts],
                     "size_bytes": case.variant.size_bytes if case.variant is not None
                     else case.model.size_bytes},
            "derivation": dict(case.variant.derivation) if case.variant is not None else None,
            "card": card_doc(case.card) if case.card is not None else None}


def case_of_job(doc: Mapping[str, Any], file: Path, version: int = CURRENT,
                parts: tuple[Path, ...] = ()) -> Case:
    """The case, measuring ``file`` (and the ``parts`` beside it) on this host (the same
    content as on the client); ``version``: the job's schema_version."""
    from benchbot.variants.variant import Variant

    c = planned_of_doc(doc, "job.case", version).config
    model = ModelFile(path=file, runtime=c.runtime, sha256=c.model.sha256,
                      size_bytes=c.model.size_bytes, parts=parts)
    variant = None
    if doc.get("derivation") is not None:
        variant = Variant(path=file, sha256=str(doc["file"]["sha256"]),
                          size_bytes=int(doc["file"]["size_bytes"]),
                          derivation=dict(doc["derivation"]))
    return Case(model=model, device=c.device, threads=c.threads, batch=c.batch,
                precision=c.precision, backend=c.backend, runner=c.runner,
                int8_mode=c.int8_mode, variant=variant,
                card=card_of_doc(doc["card"], "job.case.card", version) if doc.get("card")
                else None)
