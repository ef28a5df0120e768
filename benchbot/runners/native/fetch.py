"""``--runner-bin auto``: the prebuilt LiteRT ``benchmark_model`` for the phone's ABI, cached.

LiteRT publishes ``benchmark_model`` per release and ABI under
``https://storage.googleapis.com/litert/binaries/<version>/android_arm64/`` (the
layout litert-cli's ``core/constants.py`` names; the release is the installed
ai-edge-litert's). That binary is LiteRT's CompiledModel tool
(``//litert/tools:benchmark_model``: LiteRT-CLI passes it ``--use_npu`` and
``--dispatch_library_path``, flags only that tool defines), not TFLite's classic one:
benchbot speaks its dialect (``compiled_model`` in :mod:`.tools`), which it also learns
from the binary's usage before the first case. Its GPU accelerator
(``libLiteRtClGlAccelerator.so``) is not fetched: a GPU case needs it beside the binary.
``BENCHBOT_TOOLS_URL`` replaces the base for mirrors and offline farms; such a mirror
may also hold the other ABIs' folders.

The pure parts (:func:`tool_url`, :func:`elf_machine`, :func:`check_elf`) decide
what to fetch and whether a file is the right binary; :func:`fetch_tool` downloads
it into ``~/.cache/benchbot/tools/<version>/<abi>/`` with a timeout, checks it and
renames it into place (never a half-written binary in the cache). A release's binary
is fetched once; ``latest`` (no ai-edge-litert installed) is asked again each time
with the ETag / Last-Modified it was published with (``If-None-Match`` /
``If-Modified-Since``), so a newer publication replaces the cached one.
"""

from __future__ import annotations

import importlib.metadata
import os
import struct
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

from benchbot.errors import UserError

TOOL = "benchmark_model"
DEFAULT_BASE_URL = "https://storage.googleapis.com/litert/binaries"
ENV_BASE_URL = "BENCHBOT_TOOLS_URL"
#: Android ABI -> (folder under a release, ELF e_machine).
ABIS = {"arm64-v8a": ("android_arm64", 183), "armeabi-v7a": ("android_arm", 40),
        "x86_64": ("android_x86_64", 62), "x86": ("android_x86", 3)}
#: ABIs LiteRT itself publishes (the others only a mirror can hold).
PUBLISHED_ABIS = ("arm64-v8a",)
TIMEOUT_S = 60.0


class FetchError(UserError):
    """The tool could not be downloaded or is not a binary for the phone."""


def litert_version() -> str:
    """The installed ai-edge-litert release ('latest' when it is not installed)."""
    try:
        return importlib.metadata.version("ai-edge-litert")
    except importlib.metadata.PackageNotFoundError:
        return "latest"


def base_url(env: dict[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return (env.get(ENV_BASE_URL) or DEFAULT_BASE_URL).rstrip("/")


def tool_url(abi: str, version: str, base: str = DEFAULT_BASE_URL) -> str:
    """Where the ``benchmark_model`` of a release and ABI is published."""
    if abi not in ABIS:
        raise FetchError(f"no prebuilt {TOOL} for ABI {abi!r} (known: {', '.join(ABIS)}); "
                         "pass --runner-bin PATH")
    if base.rstrip("/") == DEFAULT_BASE_URL and abi not in PUBLISHED_ABIS:
        raise FetchError(f"LiteRT publishes {TOOL} only for {', '.join(PUBLISHED_ABIS)}, not "
                         f"{abi}; pass --runner-bin PATH or point {ENV_BASE_URL} at a mirror")
    return f"{base.rstrip('/')}/{version}/{ABIS[abi][0]}/{TOOL}"


def cache_path(abi: str, version: str, root: Path | None = None) -> Path:
    """``~/.cache/benchbot/tools/<version>/<abi>/benchmark_model``."""
    root = root if root is not None else Path.home() / ".cache" / "benchbot" / "tools"
    return root / version / abi / TOOL


def elf_machine(head: bytes) -> int | None:
    """The e_machine of an ELF header (its first 20 bytes or more), or None if not ELF."""
    if len(head) < 20 or head[:4] != b"\x7fELF" or head[5] not in (1, 2):
        return None
    return struct.unpack("<H" if head[5] == 1 else ">H", head[18:20])[0]


def check_elf(head: bytes, abi: str, what: str) -> None:
    """FetchError unless ``head`` starts an ELF file for ``abi``."""
    machine = elf_machine(head)
    want = ABIS[abi][1]
    if machine is None:
        raise FetchError(f"{what} is not an ELF binary; pass --runner-bin PATH")
    if machine != want:
        names = {m: a for a, (_, m) in ABIS.items()}
        raise FetchError(f"{what} is built for {names.get(machine, f'e_machine {machine}')}, "
                         f"not the phone's {abi}; pass --runner-bin PATH")


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".published")


def download(url: str, dest: Path, timeout: float = TIMEOUT_S,
             published: str | None = None) -> str | None:
    """``url`` into ``dest`` atomically (a temporary file renamed into place). With
    ``published`` (a stored ``ETag`` or ``Last-Modified``) the request is conditional:
    None is returned, and nothing written, when the server says it is unchanged (304).
    Returns what the server says identifies this publication ('' when it says nothing)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    request = urllib.request.Request(url)
    if published:
        header = "If-None-Match" if published.startswith(("\"", "W/")) else "If-Modified-Since"
        request.add_header(header, published)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", dir=dest.parent)
    try:
        try:
            resp = urllib.request.urlopen(request, timeout=timeout)
        except urllib.error.HTTPError as exc:
            if exc.code == 304 and published:
                os.close(fd)
                Path(tmp).unlink(missing_ok=True)
                return None
            raise
        with os.fdopen(fd, "wb") as out, resp:
            stamp = resp.headers.get("ETag") or resp.headers.get("Last-Modified") or ""
            while chunk := resp.read(1 << 20):
                out.write(chunk)
        os.chmod(tmp, 0o755)
        os.replace(tmp, dest)
        return stamp
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def fetch_tool(abi: str, *, version: str | None = None, root: Path | None = None,
               env: dict[str, str] | None = None, timeout: float = TIMEOUT_S,
               say: Callable[[str], None] = lambda _: None) -> Path:
    """The cached ``benchmark_model`` for ``abi``: a release's is downloaded once;
    ``latest`` is refreshed when its publication changed (see the module docstring)."""
    version = version or litert_version()
    path = cache_path(abi, version, root)
    cached = path.is_file()
    if cached:
        with path.open("rb") as f:
            check_elf(f.read(64), abi, str(path))
        if version != "latest":
            return path
    url = tool_url(abi, version, base_url(env))
    staged = path.with_name(path.name + ".download")
    stamp_file = _stamp_path(path)
    published = stamp_file.read_text().strip() if cached and stamp_file.is_file() else None
    try:
        stamp = download(url, staged, timeout, published if cached else None)
    except urllib.error.HTTPError as exc:
        if cached:
            say(f"could not check {url} for a newer {TOOL} (HTTP {exc.code}); using {path}")
            return path
        raise FetchError(f"cannot download {TOOL} for {abi} from {url} (HTTP {exc.code}); "
                         "pass --runner-bin PATH") from None
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or exc
        if cached:
            say(f"could not check {url} for a newer {TOOL} ({reason}); using {path}")
            return path
        raise FetchError(f"cannot download {TOOL} for {abi} from {url} ({reason}); "
                         "pass --runner-bin PATH") from None
    if stamp is None:  # 304: the cached one is the one published
        return path
    try:
        with staged.open("rb") as f:
            check_elf(f.read(64), abi, f"the file at {url}")
    except FetchError:
        staged.unlink(missing_ok=True)
        raise
    os.replace(staged, path)
    if stamp:
        stamp_file.write_text(stamp)
    say(f"{'updated' if cached else 'downloaded'} {TOOL} {version} for {abi} from {url} "
        f"to {path}")
    return path


def fetch_for_device(abi: str | None, device: str,
                     say: Callable[[str], None] = lambda _: None) -> Path:
    """``--runner-bin auto`` for a device: its ABI's cached tool, or a FetchError naming why."""
    if not abi:
        raise FetchError(f"--runner-bin auto fetches the Android {TOOL}, and '{device}' reports "
                         "no ABI (ro.product.cpu.abi); pass --runner-bin PATH")
    return fetch_tool(abi, say=say)
