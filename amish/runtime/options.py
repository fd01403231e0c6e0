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

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from .config import Settings

__all__ = ["Options"]


class Options(Record):
    """What to connect to, how to log in, and the settings shared by the modes; defaults as the parsers'.

    Immutable (a Record: no dataclasses or typing import at start-up).
    ``secret`` is --secret as typed (warned about: visible in ps; None: the
    environment, the profile or a prompt); ``events`` None is the mode's own
    default; ``boot_timeout`` 0 does not wait for FullyBooted; ``reconnect``
    False is --no-reconnect; ``confirm`` None is the mode's default (the shell
    asks, the pipe tool does not); ``trace`` "-" is stderr; ``settings`` is the
    resolved config (the profile's secret, secret_command...), None when no
    server is involved (replay).
    """

    __slots__ = (
        "host", "port", "tls", "cafile", "cert", "keyfile", "insecure", "user", "secret", "auth", "events",
        "connect_timeout", "timeout", "keepalive", "boot_timeout", "reconnect", "read_only", "confirm", "filter",
        "trace", "record", "line", "scrollback", "keep_calls", "settings", "transport", "prefix",
    )
    _hidden = ("secret", "settings")

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 5038,
        tls: bool = False,
        cafile: str | None = None,
        cert: str | None = None,
        keyfile: str | None = None,
        insecure: bool = False,
        user: str | None = None,
        secret: str | None = None,
        auth: str = "md5",
        events: str | None = None,
        connect_timeout: float = 5.0,
        timeout: float = 10.0,
        keepalive: float | None = None,
        boot_timeout: float = 30.0,
        reconnect: bool = True,
        read_only: bool = False,
        confirm: bool | None = None,
        filter: str = "",
        trace: str | None = None,
        record: str | None = None,
        line: bool = False,
        scrollback: int = 10_000,
        keep_calls: int = 1000,
        settings: Settings | None = None,
        transport: str = "tcp",
        prefix: str = "",
    ) -> None:
        self._fill(locals())

    @classmethod
    def from_args(cls, args: object, settings: Settings | None = None) -> "Options":
        """The options from an argparse Namespace of any mode, and the resolved `settings` (config.resolve).

        What the settings resolved (host, port, user, TLS..., filter, read-only,
        confirm) comes from them; the rest from `args`; what a mode's parser does
        not have keeps its default.
        """
        given = dict(vars(args))
        if "no_reconnect" in given:
            given["reconnect"] = not given["no_reconnect"]
        if settings is not None:
            for name in ("host", "port", "tls", "cafile", "cert", "keyfile", "insecure", "user", "auth", "events",
                         "filter", "read_only", "transport", "prefix"):
                given[name] = getattr(settings, name)
            if settings.confirm is not None:
                given["confirm"] = settings.confirm
            given["settings"] = settings
        values = {name: given[name] for name in cls.__slots__ if given.get(name) is not None}
        for name in ("tls", "insecure", "read_only"):
            if name in values:
                values[name] = bool(values[name])
        return cls(**values)
