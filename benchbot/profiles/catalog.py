"""Finding and reading profile files: the built-in folder, BENCHBOT_PROFILES, --profiles.

Profiles live one per file, ``NAME.toml``, in a list of folders searched in
order: the built-in ``device_profiles/``, then each folder in the environment
variable ``BENCHBOT_PROFILES``, then each ``--profiles DIR``. A later folder's
``NAME.toml`` replaces an earlier one's, so a lab can override a built-in
profile without editing the package.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path

from benchbot.errors import ProfileError
from benchbot.profiles.schema import profile_from_toml
from benchbot.profiles.values import Profile

ENV_VAR = "BENCHBOT_PROFILES"
PACKAGE_DIR = Path(__file__).resolve().parents[1]  # the benchbot package


def load_profile_file(path: Path) -> Profile:
    """Read, parse and validate one profile file.

    Raises ProfileError, one line naming ``path``, if the file cannot be read,
    is not valid TOML (the message gives the line) or does not fit the schema.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read profile: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProfileError(f"{path}: not UTF-8 text (bad byte at offset {exc.start})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        reason = " ".join(str(exc).split())  # keep the message to one line
        raise ProfileError(f"{path}: invalid TOML: {reason}") from None
    return profile_from_toml(data, path)


def builtin_profiles_dir() -> Path:
    """The profiles shipped with benchbot.

    A wheel carries them inside the package as ``benchbot/_device_profiles``; a
    source checkout has them next to the package, in ``device_profiles/``.
    """
    package = PACKAGE_DIR
    bundled = package / "_device_profiles"
    if bundled.is_dir():
        return bundled
    return package.parent / "device_profiles"


def profile_dirs(extra: list[Path] | None = None, env: Mapping[str, str] | None = None) -> list[Path]:
    """The folders to search, lowest priority first: built-in, BENCHBOT_PROFILES, ``extra``.

    ``extra`` comes from ``--profiles DIR``. A folder named in the environment or
    in ``extra`` that is not a directory is a ProfileError naming it; a missing
    built-in folder is skipped. When a folder appears twice, its last position
    counts, so the override order stays what the user wrote.
    """
    environ = os.environ if env is None else env
    dirs: list[Path] = []
    builtin = builtin_profiles_dir()
    if builtin.is_dir():
        dirs.append(builtin)
    for entry in environ.get(ENV_VAR, "").split(os.pathsep):
        if entry.strip():
            dirs.append(_require_dir(Path(entry.strip()).expanduser(), f"{ENV_VAR} entry"))
    for path in extra or []:
        dirs.append(_require_dir(Path(path).expanduser(), "--profiles folder"))
    return _last_occurrence(dirs)


def list_profiles(dirs: Sequence[Path]) -> list[Profile]:
    """Every profile in ``dirs``, sorted by name; later folders win.

    Each winning file is loaded and validated, so a malformed one raises a
    ProfileError naming it rather than silently disappearing from the list.
    """
    files = _profile_files(dirs)
    return [load_profile_file(files[name]) for name in sorted(files)]


def get_profile(name: str, dirs: Sequence[Path]) -> Profile:
    """The profile called ``name`` from the last folder in ``dirs`` that has it.

    Only that one file is read, so a broken profile elsewhere does not stop a run.
    """
    files = _profile_files(dirs)
    if name not in files:
        known = ", ".join(sorted(files)) or "none"
        raise ProfileError(
            f"unknown device '{name}' (known: {known}); add a profile with --profiles DIR or {ENV_VAR}"
        )
    return load_profile_file(files[name])


def _profile_files(dirs: Sequence[Path]) -> dict[str, Path]:
    """Profile name (the file stem) -> the file that defines it, later folders winning."""
    files: dict[str, Path] = {}
    for directory in dirs:
        _require_dir(directory, "profiles folder")
        for path in sorted(directory.glob("*.toml")):
            if path.is_file():
                files[path.stem] = path
    return files


def _require_dir(path: Path, origin: str) -> Path:
    if not path.is_dir():
        what = "does not exist" if not path.exists() else "is not a directory"
        raise ProfileError(f"{origin} '{path}' {what}; create it or fix the path")
    return path


def _last_occurrence(dirs: list[Path]) -> list[Path]:
    """Drop earlier repeats of a folder, keeping each one at its last position."""
    keys = [d.resolve() for d in dirs]
    return [d for i, (d, key) in enumerate(zip(dirs, keys)) if key not in keys[i + 1:]]
