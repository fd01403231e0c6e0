"""The library API: `from amish import Connection, Message, Parser` and the errors, nothing loaded before use."""

from __future__ import annotations

import subprocess
import sys

import amish


def test_every_public_name_is_importable_from_the_package():
    for name in amish.__all__:
        assert getattr(amish, name) is not None, name
    from amish import Connection, Message, Parser  # noqa: F401  the README's example
    from amish.transports.connection import Connection as C

    assert Connection is C


def test_the_public_names_are_the_modules_own():
    from amish.transports import connection
    from amish.core import errors, protocol

    for name, module in amish._EXPORTS.items():
        assert getattr(amish, name) is getattr({"transports.connection": connection, "core.protocol": protocol, "core.errors": errors}[module], name)


def test_importing_the_package_loads_nothing_else():
    code = "import sys, amish; print(sorted(m for m in sys.modules if m.startswith('amish.')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_an_unknown_name_is_an_attribute_error():
    try:
        amish.NoSuchThing  # noqa: B018
    except AttributeError as e:
        assert "NoSuchThing" in str(e)
    else:
        raise AssertionError("no AttributeError")


def test_the_readme_example_runs_against_the_sandbox(asterisk):
    from amish import Connection

    with Connection(asterisk.host, asterisk.port) as ami:
        ami.connect()
        ami.login("admin", "amish-admin-secret")
        assert ami.send({"Action": "Ping"}).response["Ping"] == "Pong"
