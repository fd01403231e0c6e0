"""amish: the Asterisk Manager Interface shell, and a library to script AMI with.

The public API (everything else is internal and may change)::

    from amish import Connection, Message, Parser

    with Connection("127.0.0.1", 5038) as ami:
        ami.connect()
        ami.login("admin", secret)
        print(ami.send({"Action": "Ping"}).response["Ping"])

- ``Connection``: one AMI session over TCP or TLS; ``send``/``submit`` actions,
  ``subscribe`` to events (bounded, drops counted); ``Pending`` is a sent action's
  result, ``Subscription`` a stream of events, ``Closed`` its last item.
- ``Parser``, ``Message``, ``Banner``, ``ProtocolError``, ``encode_action``,
  ``HeaderError``: the sans-IO protocol (bytes in, messages out; headers out, bytes).
- The errors, one per exit code class: ``AmishError`` and its subclasses.

Names are imported on first use (PEP 562), so ``import amish`` costs nothing
and ``amish --version`` stays fast.
"""

__version__ = "0.1.0.dev0"

_EXPORTS = {
    "Connection": "transports.connection",
    "Pending": "transports.connection",
    "Subscription": "transports.connection",
    "Closed": "transports.connection",
    "Parser": "core.protocol",
    "Message": "core.protocol",
    "Banner": "core.protocol",
    "ProtocolError": "core.protocol",
    "HeaderError": "core.protocol",
    "encode_action": "core.protocol",
    "AmishError": "core.errors",
    "ConnectError": "core.errors",
    "TLSError": "core.errors",
    "NotAMIError": "core.errors",
    "AuthenticationError": "core.errors",
    "ConnectionLost": "core.errors",
    "ActionTimeout": "core.errors",
    "InputError": "core.errors",
    "OutputError": "core.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'amish' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"amish.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(__all__)
