"""Profiles and secrets: the TOML config file, ami:// URLs, and where each setting comes from.

The config file is ``$AMISH_CONFIG``, else ``$XDG_CONFIG_HOME/amish/config.toml``
(``~/.config/amish/config.toml`` when XDG_CONFIG_HOME is unset)::

    default_profile = "pbx"

    [profiles.pbx]
    host = "pbx.example.com"
    tls = true
    cafile = "~/.config/amish/pbx-ca.pem"
    user = "admin"
    secret_command = "pass show asterisk/pbx"

    [groups]
    prod = ["pbx", "pbx2", "lab-*"]   # profile names; globs match several

Everything here is a pure function of its arguments except `load_config` (reads
the file), `run_secret_command` (runs a program) and `example_config` (reads the
bundled example): `resolve` and `find_secret` are tested as tables.

Where a setting comes from, first match wins:

* host, port, TLS: the command line (HOST or an ``ami://``/``amis://`` URL,
  -H, -p, --tls...), then the profile, then the defaults (127.0.0.1, 5038 or
  5039 with TLS);
* the user: the command line (-u or the URL), then ``AMISH_USER``, then the profile;
* the secret: --secret (warned about: visible in ps), ``AMISH_SECRET``, the
  profile's ``secret_command``, the profile's ``secret`` (only from a file no one
  else can read), a prompt.

The profile is --profile NAME, else ``default_profile`` when the command line
names no host (a host typed on the command line never gets the default
profile's secret sent to it).

Several targets make a fleet (`resolve_fleet`): --profile given more than once,
--group NAME (the profiles a [groups] entry names, globs expanded, in order),
-H given more than once; each target is resolved as if it were the only one,
the rest of the command line applying to all.

No prompt_toolkit or rich here: the command line imports this before anything
heavy. Nor, at import time, tomllib, subprocess, urllib.parse, pathlib,
dataclasses or typing (~30 ms of the pipe tool's start-up): each is imported by
the function that needs it (a config file that exists, a secret_command, an
ami:// URL).
"""

from __future__ import annotations

import os
import shlex
import stat
import sys

from ..core.errors import AmishError, InputError
from ..core.immutable import Record

TYPE_CHECKING = False  # typing costs 3 ms of every start-up
if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path
    from typing import Any, Callable, Mapping

__all__ = [
    "AUTHS",
    "THEMES",
    "Config",
    "Profile",
    "Settings",
    "Target",
    "check_private",
    "config_path",
    "example_config",
    "find_secret",
    "load_config",
    "parse_config",
    "parse_target",
    "profile_fields",
    "resolve",
    "resolve_fleet",
    "is_fleet",
    "run_secret_command",
]

AUTHS = ("md5", "plain")
TRANSPORTS = ("tcp", "http")
HTTP_PORT, HTTPS_PORT = 8088, 8089


def _PREFIX_OK(value: str) -> bool:
    return all(c.isalnum() and c.isascii() or c in "-_./" for c in value)
THEMES = ("default", "none")
SECRET_COMMAND_TIMEOUT = 30.0
DEFAULT_HOST = "127.0.0.1"
PORT, TLS_PORT = 5038, 5039


# -- the file -------------------------------------------------------------------------


class Profile(Record):
    """One [profiles.NAME] section; None means "not set here"."""

    __slots__ = (
        "name", "host", "port", "tls", "cafile", "cert", "key", "insecure", "user", "auth", "events", "filter",
        "theme", "secret", "secret_command", "read_only", "confirm", "transport", "prefix",
    )
    _hidden = ("secret",)

    def __init__(
        self,
        name: str = "",
        host: str | None = None,
        port: int | None = None,
        tls: bool | None = None,
        cafile: str | None = None,
        cert: str | None = None,
        key: str | None = None,
        insecure: bool | None = None,
        user: str | None = None,
        auth: str | None = None,
        events: str | None = None,
        filter: str | None = None,
        theme: str | None = None,
        secret: str | None = None,
        secret_command: str | None = None,
        read_only: bool | None = None,
        confirm: bool | None = None,
        transport: str | None = None,
        prefix: str | None = None,
    ) -> None:
        self._fill(locals())


#: key -> (the type it must have, how to say it)
_KEYS: dict[str, tuple[type, str]] = {
    "host": (str, "a string"),
    "port": (int, "an integer"),
    "tls": (bool, "true or false"),
    "cafile": (str, "a string (a file name)"),
    "cert": (str, "a string (a file name)"),
    "key": (str, "a string (a file name)"),
    "insecure": (bool, "true or false"),
    "user": (str, "a string"),
    "auth": (str, '"md5" or "plain"'),
    "events": (str, 'a string (an event mask such as "on" or "system,call")'),
    "filter": (str, "a string (an event filter)"),
    "theme": (str, '"default" or "none"'),
    "secret": (str, "a string"),
    "secret_command": (str, "a string (a command line)"),
    "read_only": (bool, "true or false"),
    "confirm": (bool, "true or false"),
    "transport": (str, '"tcp" or "http"'),
    "prefix": (str, 'a string (http.conf\'s prefix, such as "/asterisk")'),
}
_FILES = ("cafile", "cert", "key")
_TOP_KEYS = ("default_profile", "profiles", "groups")

_TOML_TYPES = {
    bool: "a boolean",
    int: "an integer",
    float: "a float",
    str: "a string",
    dict: "a table",
    list: "an array",
}


def _toml_type(value: object) -> str:
    for t in (bool, int, float, str, dict, list):  # bool before int: True is an int
        if isinstance(value, t):
            return _TOML_TYPES[t]
    return type(value).__name__  # dates and times


class Config(Record):
    """A parsed config file; `Config()` is no file at all."""

    __slots__ = ("path", "profiles", "default_profile", "mode", "exists", "groups")

    def __init__(
        self,
        path: str | None = None,
        profiles: dict[str, Profile] | None = None,  # None: a new empty dict
        default_profile: str | None = None,
        mode: int | None = None,  # st_mode when it was read, for check_private
        exists: bool = False,
        groups: dict[str, tuple[str, ...]] | None = None,  # name -> profile names and globs, as written
    ) -> None:
        if profiles is None:
            profiles = {}
        if groups is None:
            groups = {}
        self._fill(locals())

    def group(self, name: str) -> list[str]:
        """The profiles of [groups] NAME, in the order written, globs expanded (sorted), each once."""
        where = self.path or _config_file(os.environ)
        if name not in self.groups:
            if not self.exists:
                raise InputError(f"no group {name!r}: there is no config file ({where}; amish --example-config shows one)")
            known = ", ".join(sorted(self.groups)) or "none"
            raise InputError(f"{where}: no group {name!r} (known groups: {known})")
        return _expand_group(self.groups[name], self.profiles)

    def profile(self, name: str) -> Profile:
        try:
            return self.profiles[name]
        except KeyError:
            pass
        where = self.path or _config_file(os.environ)
        if not self.exists:
            raise InputError(f"no profile {name!r}: there is no config file ({where}; amish --example-config shows one)")
        known = ", ".join(sorted(self.profiles)) or "none"
        raise InputError(f"{where}: no profile {name!r} (known profiles: {known})")


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    """$AMISH_CONFIG, else $XDG_CONFIG_HOME/amish/config.toml (~/.config when unset)."""
    from pathlib import Path

    return Path(_config_file(os.environ if environ is None else environ))


def _config_file(env: Mapping[str, str]) -> str:
    """config_path() as a string, without importing pathlib (~4 ms of start-up)."""
    if env.get("AMISH_CONFIG"):
        return _expanduser(env["AMISH_CONFIG"])
    base = env.get("XDG_CONFIG_HOME") or ""
    if os.path.isabs(base):  # the XDG spec: a relative value is ignored
        root = base
    elif env.get("HOME"):
        root = os.path.join(env["HOME"], ".config")
    else:
        from pathlib import Path

        root = os.path.join(str(Path.home()), ".config")
    return _normpath(os.path.join(root, "amish", "config.toml"))


def _normpath(path: str) -> str:
    """str(pathlib.PurePosixPath(path)): no empty or '.' parts, no trailing slash ('..' is kept, unlike normpath)."""
    root = ""
    if path.startswith("/"):
        root = "//" if path[1:2] == "/" and path[2:3] != "/" else "/"  # POSIX keeps exactly two leading slashes
    return root + "/".join(part for part in path.split("/") if part and part != ".") or "."


def _expanduser(path: str) -> str:
    """str(pathlib.Path(path).expanduser()), without importing pathlib."""
    path = _normpath(path)
    if path.startswith("~"):
        head, sep, tail = path.partition("/")
        home = os.path.expanduser(head)
        if home.startswith("~"):
            raise RuntimeError("Could not determine home directory.")  # what pathlib raises
        path = _normpath(home + sep + tail)
    return path


def parse_config(text: str, path: str = "config.toml", *, mode: int | None = None) -> Config:
    """Parse and check the text of a config file; every problem is one InputError naming path, profile and key."""
    import tomllib  # ~8 ms: only when there is a config file

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"{path}: not valid TOML: {e}") from None
    for key in data:
        if key not in _TOP_KEYS:
            hint = " (profile keys go under [profiles.NAME])" if key in _KEYS else ""
            raise InputError(f"{path}: unknown key {key!r} at the top level{hint}; known: {', '.join(_TOP_KEYS)}")
    sections = data.get("profiles", {})
    if not isinstance(sections, dict):
        raise InputError(f"{path}: profiles must be a table ([profiles.NAME] sections), not {_toml_type(sections)}")
    base = os.path.dirname(os.path.abspath(path))
    profiles = {name: _profile(path, name, body, base) for name, body in sections.items()}
    groups = _groups(path, data.get("groups", {}), profiles)
    default = data.get("default_profile")
    if default is not None:
        if not isinstance(default, str):
            raise InputError(f"{path}: default_profile must be a string (a profile's name), not {_toml_type(default)}")
        if default not in profiles:
            known = ", ".join(sorted(profiles)) or "none"
            raise InputError(f"{path}: default_profile {default!r} names no profile (known profiles: {known})")
    return Config(path=path, profiles=profiles, default_profile=default, mode=mode, exists=True, groups=groups)


_GLOB = "*?["


def _groups(path: str, table: object, profiles: dict[str, Profile]) -> dict[str, tuple[str, ...]]:
    """[groups]: NAME = ["profile", "glob-*", ...]; a plain name must name a profile, a group must match one."""
    if not isinstance(table, dict):
        raise InputError(f'{path}: groups must be a table ([groups] with NAME = ["profile", ...]), not {_toml_type(table)}')
    out = {}
    for name, names in table.items():
        where = f"{path}: [groups] {_toml_key(name)}"
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            what = _toml_type(names) if not isinstance(names, list) else "an array holding " + ", ".join(
                sorted({_toml_type(n) for n in names if not isinstance(n, str)}))
            raise InputError(f"{where}: must be an array of profile names (globs allowed), not {what}")
        if not names:
            raise InputError(f"{where}: is empty (an array of profile names, globs allowed)")
        for entry in names:
            if not entry.strip():
                raise InputError(f"{where}: an empty profile name")
            if not any(c in entry for c in _GLOB) and entry not in profiles:
                known = ", ".join(sorted(profiles)) or "none"
                raise InputError(f"{where}: {entry!r} names no profile (known profiles: {known})")
        if not _expand_group(names, profiles):
            raise InputError(f"{where}: {', '.join(map(repr, names))} matches no profile (known profiles: "
                             f"{', '.join(sorted(profiles)) or 'none'})")
        out[name] = tuple(names)
    return out


def _expand_group(names, profiles) -> list[str]:
    from fnmatch import fnmatchcase

    out: list[str] = []
    for entry in names:
        if any(c in entry for c in _GLOB):
            found = sorted(p for p in profiles if fnmatchcase(p, entry))
        else:
            found = [entry] if entry in profiles else []
        out.extend(p for p in found if p not in out)
    return out


def _profile(path: str, name: str, body: object, base: str) -> Profile:
    where = f"{path}: [profiles.{_toml_key(name)}]"
    if not isinstance(body, dict):
        raise InputError(f"{where} must be a table, not {_toml_type(body)}")
    values: dict[str, Any] = {}
    for key, value in body.items():
        if key not in _KEYS:
            raise InputError(f"{where}: unknown key {key!r}; known: {', '.join(_KEYS)}")
        want, said = _KEYS[key]
        if not isinstance(value, want) or (want is int and isinstance(value, bool)):
            raise InputError(f"{where} {key}: must be {said}, not {_toml_type(value)}")
        values[key] = _check_value(where, key, value, base)
    return Profile(name=name, **values)


def _check_value(where: str, key: str, value: Any, base: str) -> Any:
    if key == "port" and not 0 < value < 65536:
        raise InputError(f"{where} port: {value} is out of range (1-65535)")
    if key == "auth" and value not in AUTHS:
        raise InputError(f'{where} auth: must be "md5" or "plain", not {value!r}')
    if key == "transport" and value not in TRANSPORTS:
        raise InputError(f'{where} transport: must be "tcp" or "http", not {value!r}')
    if key == "prefix" and not _PREFIX_OK(value):
        raise InputError(f"{where} prefix: {value!r} is not a path prefix (letters, digits, - _ . / only)")
    if key == "theme" and value not in THEMES:
        raise InputError(f'{where} theme: must be "default" or "none", not {value!r}')
    if key in ("host", "user", "events") and not value.strip():
        raise InputError(f"{where} {key}: is empty")
    if key == "host" and "://" in value:
        raise InputError(f"{where} host: a host name or address, not a URL "
                         '(use tls = true for amis://, transport = "http" for http://)')
    if key == "filter":
        from ..core.eventfilter import FilterError, parse_filter  # only for a profile with a filter

        try:
            parse_filter(value)
        except FilterError as e:
            raise InputError(f"{where} filter: {e}") from None
    if key == "secret_command":
        try:
            argv = shlex.split(value)
        except ValueError as e:
            raise InputError(f"{where} secret_command: cannot split it into words: {e}") from None
        if not argv:
            raise InputError(f"{where} secret_command: is empty")
    if key in _FILES:
        value = os.path.join(base, os.path.expanduser(value))  # relative to the config file
    return value


def _toml_key(name: str) -> str:
    return name if name.replace("-", "").replace("_", "").isalnum() and name.isascii() else f'"{name}"'


def load_config(path: str | os.PathLike | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Read and parse the config file. A missing default file is no config; a missing $AMISH_CONFIG is an error."""
    env = os.environ if environ is None else environ
    explicit = path is not None or bool(env.get("AMISH_CONFIG"))
    if path is not None:
        from pathlib import Path

        p = str(Path(path).expanduser())
    else:
        p = _config_file(env)
    try:
        with open(p, "rb") as f:
            mode = os.fstat(f.fileno()).st_mode
            data = f.read()
    except FileNotFoundError:
        if explicit:
            raise InputError(f"{p}: no such config file (from {'AMISH_CONFIG' if path is None else 'the path given'})") from None
        return Config(path=p)
    except OSError as e:
        raise InputError(f"cannot read {p}: {e.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise InputError(f"{p}: not valid TOML: not UTF-8 (at line {line})") from None
    return parse_config(text, p, mode=mode)


def example_config() -> str:
    """The commented example config bundled with amish (amish --example-config)."""
    from importlib.resources import files  # only for --example-config

    return files("amish").joinpath("data", "config.example.toml").read_text(encoding="utf-8")


# -- ami:// URLs ------------------------------------------------------------------------


class Target(Record):
    """Where a HOST argument points: a plain host, or what an ami:// / amis:// URL says."""

    __slots__ = ("host", "port", "user", "tls", "transport", "prefix")

    def __init__(
        self,
        host: str,
        port: int | None = None,
        user: str | None = None,
        tls: bool | None = None,  # None: a plain host says nothing about TLS
        transport: str | None = None,  # None: a plain host; "tcp" (ami://, amis://) or "http" (http://, https://)
        prefix: str = "",  # http.conf's prefix, from an http(s):// URL's path
    ) -> None:
        self._fill(locals())


def parse_target(text: str, what: str = "HOST") -> Target:
    """A host name or address, or ``ami://[user@]host[:port]`` (``amis://`` for TLS; IPv6 in brackets),
    or ``http://[user@]host[:port][/prefix]`` (``https://``): AMI over HTTP, the path http.conf's prefix.

    A password in the URL is refused without being repeated: it would be in ps,
    the shell's history and this error message.
    """
    if "://" not in text:
        return _plain_target(text, what)
    scheme = text.split("://", 1)[0].lower()
    if scheme not in ("ami", "amis", "http", "https"):
        raise InputError(f"{what}: unknown URL scheme {scheme!r}: use ami://user@host:port (amis:// for TLS), "
                         "or http://user@host:8088 (https:// for TLS) for AMI over HTTP")
    web = scheme in ("http", "https")
    netloc = text.split("://", 1)[1].split("/", 1)[0]
    if ":" in netloc.rpartition("@")[0]:
        raise InputError(
            f"{what}: an {scheme}:// URL may not hold a password (ps and the shell's history would show it): "
            "set AMISH_SECRET or a profile's secret_command instead"
        )
    from urllib.parse import unquote, urlsplit  # ~3 ms: only for a URL

    shape = f"{scheme}://user@host:port" + ("/prefix" if web else "")
    try:
        u = urlsplit(text)
        port = u.port
    except ValueError:
        raise InputError(
            f"{what}: not a valid {scheme}:// URL: expected {shape} with a port of 1-65535 "
            "(an IPv6 address in brackets: [::1])"
        ) from None
    if u.query or u.fragment or (not web and u.path not in ("", "/")):
        raise InputError(f"{what}: an {scheme}:// URL is {shape}, with no " + ("query" if web else "path or query"))
    prefix = ""
    if web:
        path = u.path.rstrip("/")
        if path.endswith("/rawman"):  # the endpoint itself, pasted from a browser: its prefix is what is before
            path = path[: -len("/rawman")]
        if not _PREFIX_OK(path):
            raise InputError(f"{what}: {path!r} is not a path prefix (http.conf's prefix: letters, digits, - _ . /)")
        prefix = path
    host = u.hostname
    if not host:
        raise InputError(f"{what}: the {scheme}:// URL names no host")
    if port == 0:
        raise InputError(f"{what}: port 0 is out of range")
    return Target(host, port, unquote(u.username) if u.username else None, scheme in ("amis", "https"),
                  "http" if web else "tcp", prefix)


def _plain_target(text: str, what: str) -> Target:
    """A host without a scheme: ``pbx``, ``10.0.0.5``, ``::1``, ``[::1]``, or one with a port:
    ``pbx:5038``, ``[::1]:5038`` (a bare IPv6 address has more than one colon, so it is never split)."""
    host, port = text, None
    if text.startswith("["):
        inside, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise InputError(f"{what}: {text!r} is not HOST, HOST:PORT or [IPv6]:PORT")
        host, port = inside, rest[1:] if rest else None
    elif text.count(":") == 1:
        host, port = text.split(":")
    if not host:
        raise InputError(f"{what}: " + ("is empty" if not text else f"{text!r} names no host"))
    if port is None:
        return Target(host)
    if not (port.isascii() and port.isdigit()) or not 0 < int(port) < 65536:
        raise InputError(f"{what}: {text!r}: the port must be a number from 1 to 65535 (HOST:PORT)")
    return Target(host, int(port))


def _port(text: str | int) -> int:
    if isinstance(text, int):
        port = text
    else:
        try:
            port = int(text)
        except ValueError:
            raise InputError(f"port must be a number, not {text!r}") from None
    if not 0 < port < 65536:
        raise InputError(f"port {port} is out of range")
    return port


# -- resolving: command line > environment > profile > defaults ------------------------------


class Settings(Record):
    """Everything needed to connect and log in, resolved."""

    __slots__ = (
        "host", "port", "tls", "cafile", "cert", "keyfile", "insecure", "user", "auth", "events", "filter", "theme",
        "read_only", "confirm", "profile", "config_path", "config_mode", "secret_command", "secret",
        "transport", "prefix",
    )
    _hidden = ("secret",)

    def __init__(
        self,
        host: str = DEFAULT_HOST,
        port: int = PORT,
        tls: bool = False,
        cafile: str | None = None,
        cert: str | None = None,
        keyfile: str | None = None,
        insecure: bool = False,
        user: str | None = None,
        auth: str = "md5",
        events: str | None = None,  # None: the mode's default
        filter: str = "",
        theme: str = "default",
        read_only: bool = False,
        confirm: bool | None = None,  # None: the mode's default (the shell asks, the pipe tool does not)
        profile: str | None = None,  # the profile used, if any
        config_path: str | None = None,
        config_mode: int | None = None,
        secret_command: str | None = None,
        secret: str | None = None,  # the profile's
        transport: str = "tcp",  # "http": AMI over HTTP (/rawman)
        prefix: str = "",  # http.conf's prefix (AMI over HTTP)
    ) -> None:
        self._fill(locals())


def resolve(args: Any, config: Config, environ: Mapping[str, str] | None = None) -> Settings:
    """The settings from the parsed options (`args`: any object with the option attributes), the config and the environment."""
    env = os.environ if environ is None else environ

    def opt(name: str) -> Any:
        value = getattr(args, name, None)
        if isinstance(value, list):  # --profile and -H may be repeated: one of them is one target
            if len(value) > 1:
                raise InputError(f"several targets given: resolve_fleet resolves them ({name})")
            value = value[0] if value else None
        return value

    # the command line's host, port, user and TLS: HOST, -H (each may be a URL), PORT, -p, -u, --tls
    targets = [(what, parse_target(v, what)) for what, v in (("HOST", opt("host")), ("-H", opt("host_opt"))) if v]
    hosts = {t.host for _, t in targets}
    if len(hosts) > 1:
        raise InputError(f"two hosts given: {targets[0][1].host} and -H {targets[1][1].host}")
    ports = [(what, _port(v)) for what, v in (("PORT", opt("port")), ("-p", opt("port_opt"))) if v]
    ports += [(what, t.port) for what, t in targets if t.port is not None]
    if len({p for _, p in ports}) > 1:
        raise InputError("two ports given: " + " and ".join(f"{p} ({what})" for what, p in ports))
    users = {t.user for _, t in targets if t.user} | ({opt("user")} if opt("user") else set())
    if len(users) > 1:
        raise InputError(f"two users given: {' and '.join(sorted(users))}")
    url_tls = {t.tls for _, t in targets if t.tls is not None}
    url_transport = {t.transport for _, t in targets if t.transport is not None}
    if len(url_tls) > 1 or len(url_transport) > 1:
        if url_transport == {"tcp"}:
            raise InputError("an ami:// and an amis:// URL given: one host, one scheme")
        raise InputError("two URLs of different schemes given (ami://, amis://, http://, https://): one host, one scheme")
    if opt("tls") and False in url_tls:
        if "http" in url_transport:
            raise InputError("--tls with an http:// URL (plain HTTP): use https:// for TLS")
        raise InputError("--tls with an ami:// URL (plain TCP): use amis:// for TLS")

    name = opt("profile")
    if name is None and not targets and config.default_profile:
        name = config.default_profile
    p = config.profile(name) if name is not None else Profile()

    if opt("tls") or True in url_tls:
        tls = True
    elif False in url_tls:
        tls = False
    else:
        tls = bool(p.tls)
    transport = next(iter(url_transport)) if url_transport else p.transport or "tcp"
    if transport == "http":
        prefix = next((t.prefix for _, t in targets if t.transport == "http"), None)
        prefix = p.prefix or "" if prefix is None else prefix
        default_port = HTTPS_PORT if tls else HTTP_PORT
    else:
        prefix = ""
        default_port = TLS_PORT if tls else PORT
    host = next(iter(hosts)) if hosts else p.host or DEFAULT_HOST
    port = ports[0][1] if ports else p.port or default_port
    user = next(iter(users)) if users else env.get("AMISH_USER") or p.user
    return Settings(
        host=host,
        port=port,
        tls=tls,
        cafile=opt("cafile") or p.cafile,
        cert=opt("cert") or p.cert,
        keyfile=opt("keyfile") or p.key,
        insecure=bool(opt("insecure") or p.insecure),
        user=user or None,
        auth=opt("auth") or p.auth or "md5",
        events=opt("events") or p.events,
        filter=opt("filter") or p.filter or "",
        theme=p.theme or "default",
        read_only=bool(opt("read_only") or p.read_only),  # a safety rail: either one turns it on
        confirm=_confirm(opt("confirm"), p.confirm),
        profile=name,
        config_path=config.path if name is not None else None,
        config_mode=config.mode,
        secret_command=p.secret_command,
        secret=p.secret,
        transport=transport,
        prefix=prefix,
    )


def is_fleet(args: Any) -> bool:
    """Whether the command line names a fleet: --group, or --profile or -H more than once."""
    def many(name: str) -> bool:
        value = getattr(args, name, None)
        return isinstance(value, list) and len(value) > 1

    return bool(getattr(args, "group", None)) or many("profile") or many("host_opt")


def resolve_fleet(args: Any, config: Config, environ: Mapping[str, str] | None = None) -> list[tuple[str, Settings]]:
    """The servers a fleet command line names, each resolved as if it were the only target.

    The targets, in order: each --profile, each --group's profiles, each -H
    (a host or an ami:// URL); a server named twice is one member. HOST (the
    positional) with several targets is refused: give every host with -H.
    """
    from types import SimpleNamespace

    given = dict(vars(args)) if hasattr(args, "__dict__") else {}
    if given.get("host"):
        raise InputError(f"HOST {given['host']} with several targets: give every host with -H (-H a -H b)")
    names: list[str] = list(given.get("profile") or [])
    for group in given.get("group") or []:
        names.extend(config.group(group))
    members: list[tuple[str, Settings]] = []
    seen: set[str] = set()

    def add(name: str, **override) -> None:
        if name in seen:
            return
        seen.add(name)
        members.append((name, resolve(SimpleNamespace(**{**given, **override}), config, environ)))

    for name in names:
        add(name, profile=name, host_opt=None, group=None)
    for text in given.get("host_opt") or []:
        t = parse_target(text, "-H")
        label = t.host if t.port is None else (f"[{t.host}]:{t.port}" if ":" in t.host else f"{t.host}:{t.port}")
        add(label, profile=None, host_opt=text, group=None)
    if not members:
        raise InputError("the fleet names no server")
    return members


def _confirm(given: bool | None, profile: bool | None) -> bool | None:
    """--confirm (True) wins; then the profile's confirm; then an explicit False from the command line; else None."""
    if given is True:
        return True
    if profile is not None:
        return profile
    return given


# -- the secret ---------------------------------------------------------------------------


def check_private(path: str | None, mode: int | None, profile: str | None = None) -> None:
    """Refuse a secret kept in a file that group or others may read (mode as from os.stat)."""
    if mode is None or not mode & (stat.S_IRGRP | stat.S_IROTH):
        return
    who = " and ".join(w for w, bit in (("its group", stat.S_IRGRP), ("others", stat.S_IROTH)) if mode & bit)
    where = f"[profiles.{_toml_key(profile)}] " if profile is not None else ""
    raise InputError(
        f"{path}: {where}secret refused: the file is readable by {who} (mode {stat.S_IMODE(mode):04o}); "
        f"fix it with: chmod 600 {shlex.quote(str(path))}"
    )


def run_secret_command(command: str, timeout: float = SECRET_COMMAND_TIMEOUT) -> str:
    """Run `command` (no shell: split like a shell would) and return the first line it prints, stripped.

    A failure names the program and the exit code only: what it wrote to stderr
    is not repeated (it might hold the secret), nor are its arguments.
    """
    try:
        argv = shlex.split(command)
    except ValueError as e:
        raise InputError(f"secret_command: cannot split it into words: {e}") from None
    if not argv:
        raise InputError("secret_command: is empty")
    prog = argv[0]
    import subprocess  # ~5 ms: only when a secret_command runs
    try:
        stdin_tty = sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, OSError):
        stdin_tty = False
    try:
        proc = subprocess.Popen(
            argv,
            stdin=None if stdin_tty else subprocess.DEVNULL,  # never eat a pipe's actions; a terminal may prompt
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    except OSError as e:
        raise AmishError(f"secret_command: cannot run {prog}: {e.strerror}") from None
    try:
        out, _err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        try:
            proc.communicate(timeout=2)
        except subprocess.TimeoutExpired:  # something it started still holds the pipe: leave it
            pass
        raise AmishError(f"secret_command: {prog} did not finish within {timeout:g} s") from None
    if proc.returncode != 0:
        how = f"was killed by signal {-proc.returncode}" if proc.returncode < 0 else f"failed with exit code {proc.returncode}"
        raise AmishError(f"secret_command: {prog} {how} (its error output is not shown: it might hold the secret)")
    try:
        text = out.decode("utf-8")
    except UnicodeDecodeError:
        raise AmishError(f"secret_command: {prog} printed something that is not UTF-8") from None
    lines = text.splitlines()
    secret = lines[0].strip() if lines else ""
    if not secret:
        raise AmishError(f"secret_command: {prog} printed no secret on its first line")
    return secret


def find_secret(
    settings: Settings,
    *,
    environ: Mapping[str, str] | None = None,
    prompt: Callable[[], str],
    run: Callable[[str], str] = run_secret_command,
) -> str:
    """The secret, first match wins: $AMISH_SECRET, the profile's secret_command, its secret, `prompt()`.

    (--secret on the command line comes before all of these; the command line handles it.)
    """
    env = os.environ if environ is None else environ
    if env.get("AMISH_SECRET") is not None:
        return env["AMISH_SECRET"]
    if settings.secret_command:
        return run(settings.secret_command)
    if settings.secret is not None:
        check_private(settings.config_path, settings.config_mode, settings.profile)
        return settings.secret
    return prompt()


def profile_fields() -> list[str]:
    """The keys a [profiles.NAME] section may hold (for docs and tests)."""
    return [name for name in Profile.__slots__ if name != "name"]
