"""The options every mode reads, typed and built once (from the command line and the resolved config).

`Options.from_args` is the one place that knows how argparse names things
(``--no-reconnect`` is ``no_reconnect``, a mode's parser may lack an option);
the modes read `opts.read_only`, `opts.reconnect`, `opts.scrollback`... and
never guess at an attribute with a default. What only one mode has (``--count``,
``--ignore``, ``-f``) stays on that mode's argparse Namespace.

Core: imports nothing from the UI libraries (tests/unit/test_layers.py).
"""

from __future__ import annotations

from ..core.immutable import Record
from .config import Settings

__all__ = ["Options"]

#: What `Settings` owns (config.resolve: the command line, the environment, the profile), read
#: through an Options as if it were its own: ``opts.host`` is ``opts.settings.host``. Its
#: ``secret`` (the profile's) is not among them: ``opts.secret`` is --secret as typed.
FROM_SETTINGS = tuple(name for name in Settings.__slots__ if name != "secret")


class Options(Record):
    """What to connect to, how to log in, and the settings shared by the modes; defaults as the parsers'.

    Immutable (a Record: no dataclasses or typing import at start-up). Each
    setting has one owner: ``settings`` (the resolved `config.Settings`: host,
    port, user, TLS, auth, events, filter, read_only, confirm, the profile...)
    owns what a profile can say, and every name in `FROM_SETTINGS` reads
    through to it; Options owns only what the command line alone says.
    ``secret`` is --secret as typed (warned about: visible in ps; None: the
    environment, the profile or a prompt); ``boot_timeout`` 0 does not wait for
    FullyBooted; ``reconnect`` False is --no-reconnect; ``trace`` "-" is stderr.
    ``settings.events`` None is the mode's own default, ``settings.confirm``
    None too (the shell asks, the pipe tool does not).

    For a script or a test, the settings' fields may be given by name:
    ``Options(user="admin", read_only=True)`` is
    ``Options(Settings(user="admin", read_only=True))``.
    """

    __slots__ = (
        "settings", "secret", "connect_timeout", "timeout", "keepalive", "boot_timeout", "reconnect",
        "trace", "record", "line", "scrollback", "keep_calls",
    )
    _hidden = ("secret",)

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        secret: str | None = None,
        connect_timeout: float = 5.0,
        timeout: float = 10.0,
        keepalive: float | None = None,
        boot_timeout: float = 30.0,
        reconnect: bool = True,
        trace: str | None = None,
        record: str | None = None,
        line: bool = False,
        scrollback: int = 10_000,
        keep_calls: int = 1000,
        **setting: object,
    ) -> None:
        if setting:
            if settings is not None:
                raise TypeError("give either settings or its fields, not both")
            unknown = sorted(set(setting) - set(FROM_SETTINGS))
            if unknown:
                raise TypeError(f"Options has no field {unknown[0]!r}")
            settings = Settings(**setting)
        elif settings is None:
            settings = Settings()
        del setting
        self._fill(locals())

    @classmethod
    def from_args(cls, args: object, settings: Settings | None = None) -> "Options":
        """The options from an argparse Namespace of any mode, and the resolved `settings` (config.resolve).

        What the settings resolved (host, port, user, TLS..., filter, read-only,
        confirm) comes from them; without settings (no server: a replay), from
        `args` as given. The rest from `args`; what a mode's parser does not
        have keeps its default.
        """
        given = {name: value for name, value in vars(args).items() if value is not None}
        if "no_reconnect" in given:
            given["reconnect"] = not given["no_reconnect"]
        if settings is None:
            fields = {name: given[name] for name in FROM_SETTINGS if name in given}
            for name in ("tls", "insecure", "read_only"):
                if name in fields:
                    fields[name] = bool(fields[name])
            settings = Settings(**fields)
        own = {name: given[name] for name in cls.__slots__ if name in given and name != "settings"}
        return cls(settings, **own)


def _read_through(name: str) -> property:
    return property(lambda self: getattr(self.settings, name), doc=f"``settings.{name}`` (config.Settings owns it).")


for _name in FROM_SETTINGS:
    setattr(Options, _name, _read_through(_name))
del _name
