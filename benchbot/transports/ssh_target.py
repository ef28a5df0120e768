"""Where an SSH transport connects, and how it gets in: the target, host keys, login.

:func:`resolve_target` merges a profile's ``[ssh]`` table with ``~/.ssh/config``;
:func:`open_client` opens one paramiko connection to it, trusting only host keys
already in known_hosts (StrictHostKeyChecking=yes). The errors of connecting are
translated here, at the edge, each into one line that says what to do:

    host key not in known_hosts       -> HostKeyRejected (says the ssh-keyscan line to run)
    host key differs from known_hosts -> HostKeyRejected (says it CHANGED, which line to fix)
    credentials refused               -> AuthFailed
    host name does not resolve        -> TransportError
    refused, unreachable, no answer   -> DeviceLost
"""

from __future__ import annotations

import getpass
import shlex
import socket
from dataclasses import dataclass
from pathlib import Path

import paramiko
from paramiko.hostkeys import HostKeyEntry, HostKeys

from benchbot.errors import AuthFailed, DeviceLost, HostKeyRejected, TransportError, UserError
from benchbot.transports.settings import SshSettings

DEFAULT_SSH_CONFIG = Path("~/.ssh/config")
DEFAULT_KNOWN_HOSTS = Path("~/.ssh/known_hosts")
KEEPALIVE_S = 15


# ----------------------------------------------------------------- where
@dataclass(frozen=True)
class SshTarget:
    """Where to connect, after merging the profile with ~/.ssh/config (profile first)."""

    hostname: str
    port: int
    user: str
    key_files: tuple[str, ...]
    known_hosts: Path

    @property
    def where(self) -> str:
        return self.hostname if self.port == 22 else f"{self.hostname}:{self.port}"

    @property
    def host_key_name(self) -> str:
        """The name known_hosts files this host under (OpenSSH's ``[host]:port`` form)."""
        return self.hostname if self.port == 22 else f"[{self.hostname}]:{self.port}"


def resolve_target(settings: SshSettings, ssh_config: Path = DEFAULT_SSH_CONFIG) -> SshTarget:
    """Merge the profile with the ssh config's HostName/Port/User/IdentityFile/UserKnownHostsFile.

    Profile values win when set; ``port`` counts as set when it is not the default 22.
    """
    cfg: dict[str, object] = {}
    path = ssh_config.expanduser()
    if path.is_file():
        try:
            cfg = dict(paramiko.SSHConfig.from_path(str(path)).lookup(settings.host))
            port = settings.port if settings.port != 22 else int(str(cfg.get("port", 22)))
        except (OSError, paramiko.SSHException, ValueError) as exc:
            raise UserError(f"cannot read ssh config {path}: {exc}") from exc
    else:
        port = settings.port
    keys: list[str] = []
    if settings.key_file is not None:
        key = settings.key_file.expanduser()
        if not key.is_file():
            raise AuthFailed(f"ssh key file {key} does not exist; fix key_file in the device profile")
        keys.append(str(key))
    for name in cfg.get("identityfile", []) or []:  # type: ignore[union-attr]
        if Path(str(name)).expanduser().is_file():  # OpenSSH, too, skips missing ones
            keys.append(str(Path(str(name)).expanduser()))
    known = settings.known_hosts
    if known is None and cfg.get("userknownhostsfile"):
        known = Path(str(cfg["userknownhostsfile"]).split()[0])
    return SshTarget(hostname=str(cfg.get("hostname", settings.host)), port=port,
                     user=settings.user or str(cfg.get("user") or getpass.getuser()),
                     key_files=tuple(dict.fromkeys(keys)),
                     known_hosts=(known or DEFAULT_KNOWN_HOSTS).expanduser())


# ----------------------------------------------------------------- host keys
class _UnknownHostKey(Exception):
    def __init__(self, key: paramiko.PKey) -> None:
        super().__init__("unknown host key")
        self.key = key


class _RejectUnknownHostKey(paramiko.MissingHostKeyPolicy):
    """Never trust a key that is not already in known_hosts (StrictHostKeyChecking=yes)."""

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        raise _UnknownHostKey(key)


def _shown(path: Path) -> str:
    """A path for a shell line, ``~/...`` when under the home directory."""
    home = Path("~").expanduser()
    try:
        return "~/" + shlex.quote(str(path.relative_to(home)))
    except ValueError:
        return shlex.quote(str(path))


def _keyscan(target: SshTarget) -> str:
    port = f"-p {target.port} " if target.port != 22 else ""
    return f"ssh-keyscan {port}{shlex.quote(target.hostname)} >> {_shown(target.known_hosts)}"


def _known_host_lines(target: SshTarget) -> list[int]:
    """Line numbers of known_hosts entries for this host (plain or hashed names)."""
    try:
        lines = target.known_hosts.read_text(errors="replace").splitlines()
    except OSError:
        return []
    found = []
    for number, line in enumerate(lines, 1):
        try:
            entry = HostKeyEntry.from_line(line, number)
        except Exception:  # a malformed line is not ours to judge here
            continue
        for pattern in entry.hostnames if entry else ():
            hashed = pattern.startswith("|1|")
            if pattern == target.host_key_name or (
                    hashed and HostKeys.hash_host(target.host_key_name, pattern) == pattern):
                found.append(number)
                break
    return found


def unknown_host_message(target: SshTarget, key: paramiko.PKey) -> str:
    return (f"host key of {target.where} is not in {_shown(target.known_hosts)}; check it "
            f"(the server offers {key.get_name()} {key.fingerprint}) and add it with: "
            f"{_keyscan(target)}")


def changed_host_message(target: SshTarget, offered: paramiko.PKey, expected: paramiko.PKey) -> str:
    lines = _known_host_lines(target)
    where = (f"line {', '.join(map(str, lines))} of " if lines else "") + _shown(target.known_hosts)
    return (f"host key of {target.where} has CHANGED (possible man-in-the-middle attack): "
            f"{where} expects {expected.get_name()} {expected.fingerprint}, the server offers "
            f"{offered.get_name()} {offered.fingerprint}; if the change is expected, remove the old "
            f"key with: ssh-keygen -R {shlex.quote(target.host_key_name)} -f "
            f"{_shown(target.known_hosts)} and add the new one with: {_keyscan(target)}")


# ----------------------------------------------------------------- connecting
def open_client(target: SshTarget, timeout: float) -> paramiko.SSHClient:
    """A connected, authenticated client for target, with keepalives on.

    Every paramiko or socket error becomes one of ours (see the module docstring);
    anything else (Ctrl-C) goes on up as it is. The client is closed on failure.
    """
    client = paramiko.SSHClient()
    if target.known_hosts.is_file():
        try:
            client.load_host_keys(str(target.known_hosts))
        except (OSError, paramiko.SSHException) as exc:
            raise HostKeyRejected(f"cannot read {target.known_hosts}: {exc}") from exc
    client.set_missing_host_key_policy(_RejectUnknownHostKey())
    try:
        client.connect(target.hostname, port=target.port, username=target.user,
                       key_filename=list(target.key_files) or None, allow_agent=True,
                       look_for_keys=not target.key_files, timeout=timeout, banner_timeout=timeout,
                       auth_timeout=timeout, channel_timeout=timeout)
    except BaseException as exc:
        client.close()
        error = connect_error(target, exc, timeout)
        if error is exc:  # not paramiko's nor the network's (Ctrl-C): as it is
            raise
        raise error from exc
    transport = client.get_transport()
    assert transport is not None
    transport.set_keepalive(KEEPALIVE_S)
    return client


def connect_error(target: SshTarget, exc: BaseException, timeout: float) -> BaseException:
    """Our error for what connecting to target raised; exc itself when not ours to translate."""
    if isinstance(exc, _UnknownHostKey):
        return HostKeyRejected(unknown_host_message(target, exc.key))
    if isinstance(exc, paramiko.BadHostKeyException):
        return HostKeyRejected(changed_host_message(target, exc.key, exc.expected_key))
    if isinstance(exc, paramiko.AuthenticationException):
        keys = ", ".join(target.key_files) or "default keys"
        return AuthFailed(f"{target.where} refused ssh login as {target.user} with {keys} "
                          f"(and ssh-agent keys): {str(exc).rstrip('.')}; check user and "
                          "key_file in the profile")
    if isinstance(exc, socket.gaierror):
        return TransportError(f"cannot resolve ssh host {target.hostname}: {exc.strerror or exc}")
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return DeviceLost(f"no answer from {target.where} over ssh within "
                          f"{timeout:g} s; is the server up and reachable?")
    if isinstance(exc, paramiko.ssh_exception.NoValidConnectionsError):
        reasons = {e.strerror or str(e) for e in exc.errors.values()}
        return DeviceLost(f"cannot connect to {target.where} over ssh: "
                          f"{'; '.join(sorted(reasons)).lower()}; is sshd running on that port?")
    if isinstance(exc, (OSError, EOFError, paramiko.SSHException)):
        detail = (getattr(exc, "strerror", None) or str(exc) or type(exc).__name__).splitlines()
        return DeviceLost(f"ssh connection to {target.where} failed: {detail[0] if detail else exc}")
    return exc
