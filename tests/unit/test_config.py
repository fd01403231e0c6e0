"""Profiles and secrets: the config file, ami:// URLs, precedence, the secret's sources; end to end on the sandbox."""

from __future__ import annotations

import copy
import os
import pickle
import socket
import subprocess
import sys
from pathlib import Path

import re

import pytest

from amish import cli
from amish.runtime.config import (
    Config,
    Profile,
    Settings,
    Target,
    _config_file,
    check_private,
    config_path,
    example_config,
    find_secret,
    load_config,
    parse_config,
    parse_target,
    profile_fields,
    resolve,
    run_secret_command,
)
from amish.core.errors import AmishError, InputError
from conftest import ADMIN

PATH = "/etc/amish-test/config.toml"


def one_line_error(exc: pytest.ExceptionInfo) -> str:
    message = str(exc.value)
    assert "\n" not in message, message
    return message


# -- parsing the file ---------------------------------------------------------------------

FULL = """\
default_profile = "work"

[profiles.work]
host = "pbx.example.com"
port = 15039
tls = true
cafile = "ca.pem"
cert = "~/client.pem"
key = "/abs/client.key"
insecure = false
user = "ops"
auth = "plain"
events = "system,call"
filter = "Newchannel|Hangup"
theme = "none"
secret = "s3cret"
secret_command = "pass show 'asterisk/work box'"
read_only = true
confirm = true

[profiles."home lab"]
"""


def test_a_full_profile_is_parsed():
    c = parse_config(FULL, PATH)
    assert c.default_profile == "work" and c.exists and c.path == PATH
    assert set(c.profiles) == {"work", "home lab"}
    assert c.profiles["work"] == Profile(
        name="work", host="pbx.example.com", port=15039, tls=True,
        cafile="/etc/amish-test/ca.pem",  # relative to the config file
        cert=os.path.expanduser("~/client.pem"), key="/abs/client.key", insecure=False,
        user="ops", auth="plain", events="system,call", filter="Newchannel|Hangup", theme="none",
        secret="s3cret", secret_command="pass show 'asterisk/work box'", read_only=True, confirm=True,
    )
    assert c.profiles["home lab"] == Profile(name="home lab")


def test_the_secret_is_not_in_a_profiles_repr():
    assert "s3cret" not in repr(parse_config(FULL, PATH))
    assert "s3cret" not in repr(Settings(secret="s3cret"))


@pytest.mark.parametrize("text", ["", "# nothing\n", "[profiles]\n"], ids=["empty", "comment", "no-profiles"])
def test_a_config_without_profiles(text):
    c = parse_config(text, PATH)
    assert c.profiles == {} and c.default_profile is None


def test_the_example_config_parses_and_explains_every_key():
    text = example_config()
    c = parse_config(text, PATH)
    assert c.default_profile in c.profiles and len(c.profiles) >= 2
    for key in profile_fields() + ["default_profile"]:
        assert f"\n{key} =" in text or f"\n# {key} =" in text, f"{key} is not in the example"


WRONG_TYPES = {  # key -> a TOML value of the wrong type, and what the error says it is
    "host": ("5038", "an integer"),
    "port": ('"5038"', "a string"),
    "tls": ('"yes"', "a string"),
    "cafile": ("1", "an integer"),
    "cert": ("[1]", "an array"),
    "key": ("true", "a boolean"),
    "insecure": ("1", "an integer"),
    "user": ("{ name = 'x' }", "a table"),
    "auth": ("5", "an integer"),
    "events": ("true", "a boolean"),
    "filter": ("1.5", "a float"),
    "theme": ("0", "an integer"),
    "secret": ("1234", "an integer"),
    "secret_command": ('["pass", "show"]', "an array"),
    "read_only": ('"true"', "a string"),
    "confirm": ("1979-05-27", "date"),
    "transport": ("1", "an integer"),
    "prefix": ("false", "a boolean"),
}


def test_every_key_has_a_wrong_type_case():
    assert set(WRONG_TYPES) == set(profile_fields())


@pytest.mark.parametrize("key", sorted(WRONG_TYPES))
def test_a_wrong_type_names_file_profile_and_key(key):
    value, said = WRONG_TYPES[key]
    with pytest.raises(InputError) as e:
        parse_config(f'[profiles.pbx]\n{key} = {value}\n', PATH)
    message = one_line_error(e)
    assert message.startswith(f"{PATH}: [profiles.pbx] {key}: must be ")
    assert said in message


BAD = [
    ('[profiles.pbx]\nhostname = "x"\n', "[profiles.pbx]: unknown key 'hostname'; known: host, port"),
    ('[profiles."my pbx"]\nsecrets = "x"\n', "[profiles.\"my pbx\"]: unknown key 'secrets'"),
    ('host = "x"\n', "unknown key 'host' at the top level (profile keys go under [profiles.NAME])"),
    ('colour = "x"\n', "unknown key 'colour' at the top level; known: default_profile, profiles"),
    ('profiles = 3\n', "profiles must be a table"),
    ('[profiles]\npbx = "host"\n', "[profiles.pbx] must be a table, not a string"),
    ('[profiles.pbx.tls]\ncafile = "x"\n', "[profiles.pbx] tls: must be true or false, not a table"),
    ('[profiles.pbx.ssl]\ncafile = "x"\n', "[profiles.pbx]: unknown key 'ssl'"),
    ('default_profile = 1\n[profiles.a]\n', "default_profile must be a string"),
    ('default_profile = "b"\n[profiles.a]\n', "default_profile 'b' names no profile (known profiles: a)"),
    ('[profiles.pbx]\nport = true\n', "[profiles.pbx] port: must be an integer, not a boolean"),
    ('[profiles.pbx]\nport = 0\n', "[profiles.pbx] port: 0 is out of range"),
    ('[profiles.pbx]\nport = 65536\n', "[profiles.pbx] port: 65536 is out of range"),
    ('[profiles.pbx]\nauth = "sha1"\n', "[profiles.pbx] auth: must be \"md5\" or \"plain\", not 'sha1'"),
    ('[profiles.pbx]\ntheme = "solarized"\n', "[profiles.pbx] theme: must be \"default\" or \"none\""),
    ('[profiles.pbx]\nhost = " "\n', "[profiles.pbx] host: is empty"),
    ('[profiles.pbx]\nhost = "amis://pbx"\n', "[profiles.pbx] host: a host name or address, not a URL"),
    ('[profiles.pbx]\nuser = ""\n', "[profiles.pbx] user: is empty"),
    ('[profiles.pbx]\nfilter = "(Hangup"\n', "[profiles.pbx] filter: "),
    ('[profiles.pbx]\nsecret_command = "pass \'show"\n', "[profiles.pbx] secret_command: cannot split it into words"),
    ('[profiles.pbx]\nsecret_command = "  "\n', "[profiles.pbx] secret_command: is empty"),
    # [groups]: NAME = [profile names and globs]
    ('groups = ["a"]\n', 'groups must be a table ([groups] with NAME = ["profile", ...]), not an array'),
    ('[profiles.a]\n[groups]\nprod = "a"\n', "[groups] prod: must be an array of profile names (globs allowed), not a string"),
    ('[profiles.a]\n[groups]\nprod = ["a", 1]\n', "[groups] prod: must be an array of profile names (globs allowed), not an array holding an integer"),
    ('[profiles.a]\n[groups]\nprod = []\n', "[groups] prod: is empty"),
    ('[profiles.a]\n[groups]\nprod = ["a", " "]\n', "[groups] prod: an empty profile name"),
    ('[profiles.a]\n[groups]\nprod = ["a", "b"]\n', "[groups] prod: 'b' names no profile (known profiles: a)"),
    ('[profiles.a]\n[groups]\nprod = ["lab-*"]\n', "[groups] prod: 'lab-*' matches no profile (known profiles: a)"),
    ('[profiles.a]\n[groups.prod]\nx = 1\n', "[groups] prod: must be an array of profile names (globs allowed), not a table"),
]


@pytest.mark.parametrize("text, expected", BAD, ids=[f"bad-{i}" for i in range(len(BAD))])
def test_bad_config(text, expected):
    with pytest.raises(InputError) as e:
        parse_config(text, PATH)
    message = one_line_error(e)
    assert message.startswith(PATH + ": ")
    assert expected in message


@pytest.mark.parametrize(
    "text, line",
    [
        ('[profiles.pbx]\nhost = "x"\nport = \n', 3),
        ('[profiles.pbx\n', 1),
        ('[profiles.pbx]\nhost = "x"\nhost = "y"\n', 3),
        ('default_profile = "a"\n\n[profiles.a]\nuser = admin\n', 4),
    ],
    ids=["no-value", "unclosed-table", "duplicate-key", "bare-string"],
)
def test_bad_toml_names_the_line(text, line):
    with pytest.raises(InputError) as e:
        parse_config(text, PATH)
    message = one_line_error(e)
    assert message.startswith(f"{PATH}: not valid TOML: ")
    assert f"line {line}" in message


def test_a_secret_in_bad_toml_is_not_echoed():
    with pytest.raises(InputError) as e:
        parse_config('[profiles.pbx]\nsecret = "hunter2\n', PATH)
    assert "hunter2" not in str(e.value)


@pytest.mark.parametrize(
    "environ, expected",
    [
        ({"AMISH_CONFIG": "/x/amish.toml", "XDG_CONFIG_HOME": "/xdg"}, "/x/amish.toml"),
        ({"XDG_CONFIG_HOME": "/xdg", "HOME": "/home/u"}, "/xdg/amish/config.toml"),
        ({"HOME": "/home/u"}, "/home/u/.config/amish/config.toml"),
        ({"XDG_CONFIG_HOME": "relative", "HOME": "/home/u"}, "/home/u/.config/amish/config.toml"),
        ({"XDG_CONFIG_HOME": "", "HOME": "/home/u"}, "/home/u/.config/amish/config.toml"),
    ],
    ids=["AMISH_CONFIG", "XDG", "HOME", "relative-XDG-ignored", "empty-XDG"],
)
def test_config_path(environ, expected):
    assert str(config_path(environ)) == expected


@pytest.mark.parametrize(
    "environ",
    [
        {"AMISH_CONFIG": "./c.toml"},
        {"AMISH_CONFIG": "/x//y/./c.toml/"},
        {"AMISH_CONFIG": "//x/c.toml"},
        {"AMISH_CONFIG": "///x/c.toml"},
        {"AMISH_CONFIG": "../x/c.toml"},
        {"AMISH_CONFIG": "~"},
        {"AMISH_CONFIG": "~//x/./c.toml"},
        {"AMISH_CONFIG": "a/~/c.toml"},
        {"XDG_CONFIG_HOME": "/xdg//./", "HOME": "/home/u"},
        {"XDG_CONFIG_HOME": "//xdg", "HOME": "/home/u"},
        {"HOME": "/home//u/"},
        {"HOME": "relative/home"},
        {},
    ],
)
def test_config_path_is_spelled_as_pathlib_would(environ):
    """Without pathlib at start-up, the path (and so every message naming it) is unchanged."""
    env = environ

    def expected() -> Path:  # what config_path was, with pathlib
        if env.get("AMISH_CONFIG"):
            return Path(env["AMISH_CONFIG"]).expanduser()
        base = env.get("XDG_CONFIG_HOME") or ""
        if os.path.isabs(base):
            root = Path(base)
        else:
            root = (Path(env["HOME"]) if env.get("HOME") else Path.home()) / ".config"
        return root / "amish" / "config.toml"

    got = config_path(environ)
    assert isinstance(got, Path) and str(got) == str(expected())
    assert _config_file(environ) == str(expected())  # what load_config opens and names in its messages


def test_profiles_and_settings_are_immutable_records():
    p = Profile(name="p", host="h", secret="s3cret")
    assert p == Profile("p", "h", secret="s3cret") and hash(p) == hash(Profile("p", "h", secret="s3cret"))
    assert p != Profile(name="p", host="h") and p != ("p", "h")
    assert repr(Target("h", 1)) == "Target(host='h', port=1, user=None, tls=None, transport=None, prefix='')"
    assert repr(Profile()).startswith("Profile(name='', host=None, ") and "secret=" not in repr(p)
    assert "secret_command=None" in repr(p)
    for record in (p, Settings(secret="s3cret"), Target("h"), Config()):
        with pytest.raises(AttributeError, match="cannot assign to field 'host'"):
            record.host = "other"
        with pytest.raises(AttributeError):
            del record.host
        assert copy.copy(record) == record == pickle.loads(pickle.dumps(record))
    assert Config().profiles == {} and Config().profiles is not Config().profiles
    with pytest.raises(TypeError):
        hash(Config())  # a dict inside, as with the frozen dataclass it was
    match Target("h", 5038):
        case Target(host, port):
            assert (host, port) == ("h", 5038)
    assert profile_fields()[:3] == ["host", "port", "tls"] and profile_fields()[-1] == "prefix"


def test_importing_the_pipe_tools_modules_is_light():
    """The pipe tool's start-up: what only some runs need is imported when they need it."""
    code = (
        "import sys; before = set(sys.modules); "
        "import amish.runtime.config, amish.core.actionfile, amish.pipe, amish.runtime.formats, amish.core.safety; "
        "print(' '.join(sorted(set(sys.modules) - before)))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(proc.stdout.split())
    assert "amish.runtime.config" in loaded
    heavy = {"tomllib", "subprocess", "urllib.parse", "pathlib", "dataclasses", "inspect", "typing", "json", "ipaddress",
             "importlib.resources"}
    assert loaded & heavy == set()


def test_load_config(tmp_path):
    assert load_config(environ={"XDG_CONFIG_HOME": str(tmp_path)}) == Config(path=str(tmp_path / "amish" / "config.toml"))
    with pytest.raises(InputError, match="no such config file .from AMISH_CONFIG"):
        load_config(environ={"AMISH_CONFIG": str(tmp_path / "missing.toml")})
    f = tmp_path / "c.toml"
    f.write_text('[profiles.a]\nhost = "h"\n')
    f.chmod(0o640)
    c = load_config(environ={"AMISH_CONFIG": str(f)})
    assert c.profiles["a"].host == "h" and c.mode & 0o777 == 0o640 and c.path == str(f)
    f.write_bytes(b'[profiles.a]\nhost = "\xff"\n')
    with pytest.raises(InputError, match=r"not UTF-8 \(at line 2\)"):
        load_config(f)


# -- ami:// URLs ------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, expected",
    [
        ("pbx.example.com", Target("pbx.example.com")),
        ("10.0.0.5", Target("10.0.0.5")),
        ("::1", Target("::1")),
        ("[::1]", Target("::1")),
        ("pbx:5038", Target("pbx", 5038)),  # -H host:port, no scheme: a host with a port, not a host name
        ("10.0.0.5:15038", Target("10.0.0.5", 15038)),
        ("[::1]:5038", Target("::1", 5038)),
        ("2001:db8::7", Target("2001:db8::7")),  # more than one colon: an IPv6 address, never split
        ("ami://pbx", Target("pbx", None, None, False, "tcp")),
        ("ami://pbx/", Target("pbx", None, None, False, "tcp")),
        ("amis://pbx", Target("pbx", None, None, True, "tcp")),
        ("AMIS://pbx", Target("pbx", None, None, True, "tcp")),
        ("ami://admin@pbx", Target("pbx", None, "admin", False, "tcp")),
        ("ami://admin@pbx:15038", Target("pbx", 15038, "admin", False, "tcp")),
        ("amis://admin@127.0.0.1:15039", Target("127.0.0.1", 15039, "admin", True, "tcp")),
        ("ami://pbx:5038", Target("pbx", 5038, None, False, "tcp")),
        ("ami://admin@[::1]:5038", Target("::1", 5038, "admin", False, "tcp")),
        ("amis://[2001:db8::7]", Target("2001:db8::7", None, None, True, "tcp")),
        ("ami://ops%40site@pbx", Target("pbx", None, "ops@site", False, "tcp")),
        ("http://pbx", Target("pbx", None, None, False, "http")),
        ("HTTPS://admin@pbx:8089", Target("pbx", 8089, "admin", True, "http")),
        ("http://admin@127.0.0.1:8088/asterisk", Target("127.0.0.1", 8088, "admin", False, "http", "/asterisk")),
        ("http://pbx/asterisk/rawman", Target("pbx", None, None, False, "http", "/asterisk")),
        ("https://[::1]/a/b/", Target("::1", None, None, True, "http", "/a/b")),
    ],
)
def test_url_forms(text, expected):
    assert parse_target(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ftp://pbx", "unknown URL scheme 'ftp'"),
        ("http://pbx?x=1", "with no query"),
        ("http://pbx/a b", "is not a path prefix"),
        ("http://admin:pw@pbx", "may not hold a password"),
        ("ami://", "names no host"),
        ("ami://admin@", "names no host"),
        ("ami://pbx:notaport", "not a valid ami:// URL"),
        ("ami://pbx:70000", "not a valid ami:// URL"),
        ("ami://pbx:0", "port 0 is out of range"),
        ("ami://::1:5038", "not a valid ami:// URL"),
        ("ami://pbx/manager", "no path or query"),
        ("ami://pbx?x=1", "no path or query"),
        ("", "is empty"),
        ("pbx:notaport", "'pbx:notaport': the port must be a number from 1 to 65535 (HOST:PORT)"),
        ("pbx:70000", "the port must be a number from 1 to 65535"),
        ("pbx:0", "the port must be a number from 1 to 65535"),
        ("pbx:", "the port must be a number from 1 to 65535"),
        ("pbx:５０３８", "the port must be a number from 1 to 65535"),
        (":5038", "':5038' names no host"),
        ("[::1]x", "is not HOST, HOST:PORT or [IPv6]:PORT"),
        ("[::1", "is not HOST, HOST:PORT or [IPv6]:PORT"),
    ],
)
def test_bad_urls(text, expected):
    with pytest.raises(InputError) as e:
        parse_target(text)
    assert expected in one_line_error(e)


@pytest.mark.parametrize(
    "url",
    [
        "ami://admin:Pw-0f-mine@pbx",
        "amis://admin:Pw-0f-mine@pbx:5039",
        "ami://admin:Pw-0f-mine@[::1]:5038",
        "ami://:Pw-0f-mine@pbx",
        "ami://admin:Pw-0f-mine@x@pbx",
        "ami://admin:Pw-0f-mine#x@pbx",
        "ami://admin:Pw-0f-mine/x@pbx",
    ],
)
def test_a_password_in_the_url_is_refused_and_never_echoed(url):
    with pytest.raises(InputError) as e:
        parse_target(url)
    message = one_line_error(e)
    assert "Pw-0f-mine" not in message
    if "/x@" not in url:  # a / ends the host part: that one is just not a valid URL
        assert "AMISH_SECRET" in message and "secret_command" in message


# -- precedence: command line > environment > profile > defaults -------------------------

PROFILES = parse_config(
    """\
[profiles.work]
host = "pbx.example.com"
tls = true
cafile = "/etc/work-ca.pem"
user = "ops"
auth = "plain"
events = "system"
filter = "Hangup"
theme = "none"
read_only = true
secret_command = "pass work"

[profiles.lab]
host = "lab.example.com"
port = 6000
user = "lab"
insecure = true
cert = "/lab/cert.pem"
key = "/lab/key.pem"
secret = "lab-secret"
confirm = true
""",
    "/home/u/.config/amish/config.toml",
)
WITH_DEFAULT = Config(path=PROFILES.path, profiles=PROFILES.profiles, default_profile="lab", exists=True)
NO_CONFIG = Config(path="/home/u/.config/amish/config.toml")

DEFAULTS = dict(host="127.0.0.1", port=5038, tls=False, cafile=None, cert=None, keyfile=None, insecure=False, user=None,
                auth="md5", events=None, filter="", theme="default", read_only=False, confirm=None, profile=None,
                secret_command=None)


def settings_for(argv, config=PROFILES, environ=None, parser=cli.build_parser):
    return resolve(parser().parse_args(argv), config, environ or {})


@pytest.mark.parametrize(
    "argv, config, environ, expected",
    [
        ([], NO_CONFIG, {}, {}),
        ([], PROFILES, {}, {}),
        (["--tls"], NO_CONFIG, {}, dict(tls=True, port=5039)),
        (["pbx", "6000"], NO_CONFIG, {}, dict(host="pbx", port=6000)),
        (["-H", "pbx", "-p", "6000"], NO_CONFIG, {}, dict(host="pbx", port=6000)),
        (["pbx", "-H", "pbx"], NO_CONFIG, {}, dict(host="pbx")),
        ([], NO_CONFIG, {"AMISH_USER": "envuser"}, dict(user="envuser")),
        (["--profile", "work"], PROFILES, {},
         dict(host="pbx.example.com", port=5039, tls=True, cafile="/etc/work-ca.pem", user="ops", auth="plain",
              events="system", filter="Hangup", theme="none", read_only=True, profile="work", secret_command="pass work")),
        (["--profile", "lab"], PROFILES, {},
         dict(host="lab.example.com", port=6000, user="lab", insecure=True, cert="/lab/cert.pem", keyfile="/lab/key.pem",
              confirm=True, profile="lab")),
        # the command line wins, field by field
        (["--profile", "work", "other", "7000", "-u", "me", "--auth", "md5", "--events", "on",
          "--filter", "Newchannel", "--cafile", "/my-ca.pem"], PROFILES, {},
         dict(host="other", port=7000, tls=True, cafile="/my-ca.pem", user="me", auth="md5", events="on",
              filter="Newchannel", theme="none", read_only=True, profile="work", secret_command="pass work")),
        (["--profile", "lab", "--cert", "/c.pem", "--key", "/k.pem", "-p", "6001"], PROFILES, {},
         dict(host="lab.example.com", port=6001, user="lab", insecure=True, cert="/c.pem", keyfile="/k.pem",
              confirm=True, profile="lab")),
        # the environment's user comes after -u, before the profile's
        (["--profile", "work"], PROFILES, {"AMISH_USER": "envuser"},
         dict(host="pbx.example.com", port=5039, tls=True, cafile="/etc/work-ca.pem", user="envuser", auth="plain",
              events="system", filter="Hangup", theme="none", read_only=True, profile="work", secret_command="pass work")),
        (["--profile", "work", "-u", "me"], PROFILES, {"AMISH_USER": "envuser"},
         dict(host="pbx.example.com", port=5039, tls=True, cafile="/etc/work-ca.pem", user="me", auth="plain",
              events="system", filter="Hangup", theme="none", read_only=True, profile="work", secret_command="pass work")),
        # URLs on the command line
        (["ami://admin@pbx"], NO_CONFIG, {}, dict(host="pbx", user="admin")),
        (["amis://admin@pbx"], NO_CONFIG, {}, dict(host="pbx", user="admin", tls=True, port=5039)),
        (["amis://pbx:15039", "--cafile", "/ca.pem"], NO_CONFIG, {}, dict(host="pbx", tls=True, port=15039, cafile="/ca.pem")),
        (["amis://pbx", "--tls"], NO_CONFIG, {}, dict(host="pbx", tls=True, port=5039)),
        (["ami://admin@[::1]:5038"], NO_CONFIG, {}, dict(host="::1", user="admin")),
        (["-H", "amis://admin@pbx:6000"], NO_CONFIG, {}, dict(host="pbx", user="admin", tls=True, port=6000)),
        (["ami://admin@pbx", "6000"], NO_CONFIG, {}, dict(host="pbx", user="admin", port=6000)),
        (["ami://admin@pbx", "-u", "admin"], NO_CONFIG, {}, dict(host="pbx", user="admin")),
        (["ami://admin@pbx"], NO_CONFIG, {"AMISH_USER": "envuser"}, dict(host="pbx", user="admin")),
        # ami:// says plain TCP, even over a TLS profile
        (["--profile", "work", "ami://pbx"], PROFILES, {},
         dict(host="pbx", port=5038, tls=False, cafile="/etc/work-ca.pem", user="ops", auth="plain",
              events="system", filter="Hangup", theme="none", read_only=True, profile="work", secret_command="pass work")),
        # default_profile: only when the command line names no host
        ([], WITH_DEFAULT, {},
         dict(host="lab.example.com", port=6000, user="lab", insecure=True, cert="/lab/cert.pem", keyfile="/lab/key.pem",
              confirm=True, profile="lab")),
        (["-u", "me"], WITH_DEFAULT, {},
         dict(host="lab.example.com", port=6000, user="me", insecure=True, cert="/lab/cert.pem", keyfile="/lab/key.pem",
              confirm=True, profile="lab")),
        (["elsewhere"], WITH_DEFAULT, {}, dict(host="elsewhere")),
        (["ami://elsewhere"], WITH_DEFAULT, {}, dict(host="elsewhere")),
        (["--profile", "work"], WITH_DEFAULT, {},
         dict(host="pbx.example.com", port=5039, tls=True, cafile="/etc/work-ca.pem", user="ops", auth="plain",
              events="system", filter="Hangup", theme="none", read_only=True, profile="work", secret_command="pass work")),
    ],
)
def test_precedence(argv, config, environ, expected):
    s = settings_for(argv, config, environ)
    got = {k: getattr(s, k) for k in DEFAULTS}
    assert got == {**DEFAULTS, **expected}
    assert s.secret == ("lab-secret" if s.profile == "lab" else None)
    assert s.config_path == (config.path if s.profile else None)


@pytest.mark.parametrize(
    "given, profile, read_only, confirm",
    [
        ({}, {}, False, None),
        ({}, dict(read_only=True, confirm=False), True, False),
        ({}, dict(read_only=False, confirm=True), False, True),
        (dict(read_only=True, confirm=True), dict(read_only=False, confirm=False), True, True),
        (dict(read_only=False, confirm=False), dict(read_only=True, confirm=True), True, True),
        (dict(read_only=False, confirm=False), {}, False, False),
    ],
    ids=["unset", "profile-on-off", "profile-off-on", "command-line-on", "profile-wins-over-unset-flags", "flags-off"],
)
def test_read_only_and_confirm(given, profile, read_only, confirm):
    """read_only: either turns it on (a safety rail); confirm: --confirm, the profile, else the mode's default (None)."""
    import argparse

    config = Config(path=PATH, profiles={"p": Profile(name="p", **profile)}, exists=True)
    s = resolve(argparse.Namespace(profile="p", **given), config, {})
    assert (s.read_only, s.confirm) == (read_only, confirm)


@pytest.mark.parametrize("parser", [cli.build_events_parser, cli.build_raw_parser], ids=["events", "raw"])
def test_every_mode_takes_a_profile(parser):
    s = settings_for(["--profile", "work"], parser=parser)
    assert (s.host, s.port, s.user, s.tls) == ("pbx.example.com", 5039, "ops", True)
    assert s.filter == "Hangup"


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["a", "-H", "b"], "two hosts given: a and -H b"),
        (["ami://a", "-H", "b"], "two hosts given: a and -H b"),
        (["a", "1", "-p", "2"], "two ports given: 1 (PORT) and 2 (-p)"),
        (["ami://a:1", "2"], "two ports given: 2 (PORT) and 1 (HOST)"),
        (["ami://x@a", "-u", "y"], "two users given: x and y"),
        (["ami://a", "--tls"], "--tls with an ami:// URL (plain TCP): use amis:// for TLS"),
        (["ami://a", "-H", "amis://a"], "an ami:// and an amis:// URL given"),
        (["a", "notaport"], "port must be a number, not 'notaport'"),
        (["a", "0"], "port 0 is out of range"),
        (["--profile", "nope"], "no profile 'nope' (known profiles: lab, work)"),
        (["ami://admin:Pw-0f-mine@pbx"], "may not hold a password"),
    ],
)
def test_conflicts_and_unknown_profiles(argv, expected):
    with pytest.raises(InputError) as e:
        settings_for(argv)
    message = one_line_error(e)
    assert expected in message
    assert "Pw-0f-mine" not in message


GROUPS = parse_config(
    """\
[profiles.pbx1]
host = "pbx1.example.com"
user = "ops"
[profiles.pbx2]
host = "pbx2.example.com"
user = "ops"
secret_command = "pass pbx2"
[profiles.lab-a]
host = "lab-a"
[profiles.lab-b]
host = "lab-b"
port = 6000
[groups]
prod = ["pbx2", "pbx1", "lab-*"]
lab = ["lab-?", "lab-a"]
one = ["pbx1"]
""",
    PATH,
)


@pytest.mark.parametrize(
    "group, expected",
    [
        ("prod", ["pbx2", "pbx1", "lab-a", "lab-b"]),  # the order written; a glob's matches sorted
        ("lab", ["lab-a", "lab-b"]),  # a profile named twice is one member
        ("one", ["pbx1"]),
    ],
)
def test_groups_expand_globs_in_order(group, expected):
    assert GROUPS.group(group) == expected


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["--group", "prod"], [("pbx2", "pbx2.example.com", 5038, "ops"), ("pbx1", "pbx1.example.com", 5038, "ops"),
                               ("lab-a", "lab-a", 5038, None), ("lab-b", "lab-b", 6000, None)]),
        (["--profile", "pbx1", "--profile", "lab-b"], [("pbx1", "pbx1.example.com", 5038, "ops"),
                                                      ("lab-b", "lab-b", 6000, None)]),
        # the rest of the command line applies to every member
        (["--profile", "pbx1", "--profile", "lab-b", "-u", "me"], [("pbx1", "pbx1.example.com", 5038, "me"),
                                                                  ("lab-b", "lab-b", 6000, "me")]),
        (["--group", "one", "--profile", "pbx1", "--group", "lab"],
         [("pbx1", "pbx1.example.com", 5038, "ops"), ("lab-a", "lab-a", 5038, None), ("lab-b", "lab-b", 6000, None)]),
        (["-H", "a", "-H", "ami://me@b:6001", "-H", "amis://[::1]:7000"],
         [("a", "a", 5038, None), ("b:6001", "b", 6001, "me"), ("[::1]:7000", "::1", 7000, None)]),
        # on a fleet, each -H is a server of its own
        (["--profile", "pbx2", "--profile", "pbx1", "-H", "x"],
         [("pbx2", "pbx2.example.com", 5038, "ops"), ("pbx1", "pbx1.example.com", 5038, "ops"), ("x", "x", 5038, None)]),
        # a group of one is still a fleet (its output names the server)
        (["--group", "one"], [("pbx1", "pbx1.example.com", 5038, "ops")]),
    ],
)
def test_resolve_fleet(argv, expected):
    from amish.runtime.config import is_fleet, resolve_fleet

    args = cli.build_parser().parse_args(argv)
    assert is_fleet(args)
    members = resolve_fleet(args, GROUPS, {})
    assert [(n, s.host, s.port, s.user) for n, s in members] == expected
    secrets = {n: s.secret_command for n, s in members}
    assert secrets.get("pbx2", "pass pbx2") == "pass pbx2"  # each member keeps its own secret source


@pytest.mark.parametrize(
    "argv",
    [[], ["--profile", "pbx1"], ["-H", "a"], ["a", "-H", "a"], ["--profile", "pbx1", "x"], ["--profile", "pbx2", "-H", "x"]],
)
def test_one_target_is_not_a_fleet(argv):
    """One target, however it is named, is one server exactly as before (a profile with -H: its settings, that host)."""
    from amish.runtime.config import is_fleet

    args = cli.build_parser().parse_args(argv)
    assert not is_fleet(args)
    resolve(args, GROUPS, {})  # resolved exactly as before


@pytest.mark.parametrize(
    "argv, config, expected",
    [
        (["--group", "nope"], None, f"{PATH}: no group 'nope' (known groups: lab, one, prod)"),
        (["--group", "x"], NO_CONFIG, "no group 'x': there is no config file (/home/u/.config/amish/config.toml"),
        (["--profile", "pbx1", "--profile", "nope"], None, "no profile 'nope' (known profiles: lab-a, lab-b, pbx1, pbx2)"),
        (["pbx", "-H", "a", "-H", "b"], None, "HOST pbx with several targets: give every host with -H (-H a -H b)"),
        (["-H", "a", "-H", "ami://x:y@b"], None, "may not hold a password"),
        (["-H", "ami://a:1", "-H", "b", "-p", "2"], None, "two ports given"),
    ],
)
def test_fleet_errors_are_one_line(argv, config, expected):
    from amish.runtime.config import resolve_fleet

    with pytest.raises(InputError) as e:
        resolve_fleet(cli.build_parser().parse_args(argv), config or GROUPS, {})
    assert expected in one_line_error(e)
    assert "x:y" not in str(e.value)


def test_an_unknown_profile_without_a_config_file():
    with pytest.raises(InputError) as e:
        settings_for(["--profile", "work"], NO_CONFIG)
    assert "no profile 'work': there is no config file (/home/u/.config/amish/config.toml" in one_line_error(e)
    with pytest.raises(InputError, match=r"known profiles: none"):
        settings_for(["--profile", "work"], parse_config("", PATH))


def test_cli_writes_the_resolved_settings_back_into_args(tmp_path, monkeypatch):
    f = tmp_path / "config.toml"
    f.write_text(PROFILES_TEXT)
    monkeypatch.setenv("AMISH_CONFIG", str(f))
    monkeypatch.delenv("AMISH_USER", raising=False)
    monkeypatch.setenv("NO_COLOR", "")  # so that monkeypatch removes the NO_COLOR=1 amish sets
    monkeypatch.delenv("NO_COLOR")
    args = cli.build_parser().parse_args(["--profile", "work", "--events", "on"])
    assert cli.endpoint(args) == ("pbx.example.com", 5039)
    assert (args.user, args.tls, args.cafile, args.auth, args.events, args.filter) == (
        "ops", True, "/etc/work-ca.pem", "plain", "on", "Hangup")
    assert args.settings.theme == "none" and os.environ.get("NO_COLOR") == "1"
    assert args.read_only is True and args.confirm is False
    args = cli.build_parser().parse_args([])
    assert cli.endpoint(args) == ("127.0.0.1", 5038)
    assert (args.user, args.tls, args.insecure, args.auth, args.filter) == (None, False, False, "md5", "")
    assert args.read_only is False and args.confirm is None  # unset: each mode keeps its default (the shell asks)


PROFILES_TEXT = """\
[profiles.work]
host = "pbx.example.com"
tls = true
cafile = "/etc/work-ca.pem"
user = "ops"
auth = "plain"
filter = "Hangup"
theme = "none"
read_only = true
confirm = false
"""


# -- the secret -----------------------------------------------------------------------------


class Sources:
    """Stand-ins for the secret_command runner and the prompt, recording what was asked."""

    def __init__(self):
        self.calls = []

    def run(self, command):
        self.calls.append(("run", command))
        return "from-command"

    def prompt(self):
        self.calls.append(("prompt",))
        return "from-prompt"


@pytest.mark.parametrize(
    "environ, settings, expected, calls",
    [
        ({"AMISH_SECRET": "from-env"}, Settings(secret_command="cmd", secret="from-file"), "from-env", []),
        ({"AMISH_SECRET": ""}, Settings(secret_command="cmd"), "", []),  # set but empty still counts
        ({}, Settings(secret_command="cmd", secret="from-file"), "from-command", [("run", "cmd")]),
        ({}, Settings(secret="from-file", config_path=PATH, config_mode=0o100600), "from-file", []),
        ({}, Settings(secret="from-file"), "from-file", []),
        ({}, Settings(), "from-prompt", [("prompt",)]),
        ({"AMISH_SECRET": "from-env"}, Settings(), "from-env", []),
    ],
    ids=["env-wins", "empty-env", "command-over-secret", "file-secret", "file-secret-no-mode", "prompt-last", "env-over-prompt"],
)
def test_secret_order(environ, settings, expected, calls):
    s = Sources()
    assert find_secret(settings, environ=environ, prompt=s.prompt, run=s.run) == expected
    assert s.calls == calls


def test_secret_from_a_readable_file_is_refused_before_the_prompt():
    s = Sources()
    with pytest.raises(InputError) as e:
        find_secret(Settings(secret="from-file", profile="lab", config_path=PATH, config_mode=0o100644),
                    environ={}, prompt=s.prompt, run=s.run)
    message = one_line_error(e)
    assert message == (f"{PATH}: [profiles.lab] secret refused: the file is readable by its group and others "
                       f"(mode 0644); fix it with: chmod 600 {PATH}")
    assert "from-file" not in message and s.calls == []


@pytest.mark.parametrize(
    "mode, who",
    [(0o600, None), (0o400, None), (0o700, None), (0o620, None), (0o602, None),
     (0o640, "its group"), (0o604, "others"), (0o644, "its group and others"), (0o666, "its group and others")],
)
def test_check_private(mode, who):
    if who is None:
        check_private(PATH, 0o100000 | mode)
        return
    with pytest.raises(InputError) as e:
        check_private(PATH, 0o100000 | mode)
    assert f"readable by {who} (mode {mode:04o}); fix it with: chmod 600 {PATH}" in one_line_error(e)


def test_the_chmod_hint_quotes_the_path():
    with pytest.raises(InputError, match=r"chmod 600 '/home/u/my amish/config.toml'$"):
        check_private("/home/u/my amish/config.toml", 0o100644)


@pytest.mark.parametrize("mode, ok", [(0o644, False), (0o640, False), (0o600, True)])
def test_permission_check_on_a_real_config_file(tmp_path, mode, ok):
    f = tmp_path / "config.toml"
    f.write_text('[profiles.lab]\nuser = "admin"\nsecret = "file-secret"\n')
    f.chmod(mode)
    s = resolve(cli.build_parser().parse_args(["--profile", "lab"]), load_config(f), {})
    if ok:
        assert find_secret(s, environ={}, prompt=Sources().prompt) == "file-secret"
        return
    with pytest.raises(InputError) as e:
        find_secret(s, environ={}, prompt=Sources().prompt)
    assert one_line_error(e).endswith(f"fix it with: chmod 600 {f}")


def script(tmp_path: Path, body: str, name: str = "get-secret") -> Path:
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


@pytest.mark.parametrize(
    "body, expected",
    [
        ("printf 'Top-secret-1\\nsecond line\\n'\n", "Top-secret-1"),
        ("printf '  padded secret  \\n'\n", "padded secret"),
        ("printf 'no newline'\n", "no newline"),
        ("echo 'from stdout'; echo 'noise on stderr' >&2\n", "from stdout"),
        ("printf 'caf\\303\\251\\r\\n'\n", "café"),
    ],
    ids=["first-line", "stripped", "no-newline", "stderr-ignored", "utf8-crlf"],
)
def test_secret_command_success(tmp_path, body, expected):
    assert run_secret_command(str(script(tmp_path, body))) == expected


def test_secret_command_is_split_like_a_shell_but_not_run_by_one(tmp_path):
    s = script(tmp_path, 'printf "%s|%s" "$1" "$2"\n', name="two args")
    assert run_secret_command(f"'{s}' 'one word' \"$HOME;x\"") == "one word|$HOME;x"


def test_secret_command_does_not_read_a_pipes_stdin(tmp_path):
    s = script(tmp_path, "cat; echo read-nothing\n")
    assert run_secret_command(str(s), timeout=10) == "read-nothing"


@pytest.mark.parametrize(
    "body, expected",
    [
        ("echo 'Leaked-secret-9' >&2; exit 3\n", "get-secret failed with exit code 3 (its error output is not shown"),
        ("echo 'Leaked-secret-9'; exit 1\n", "get-secret failed with exit code 1"),
        ("kill -9 $$\n", "get-secret was killed by signal 9"),
        ("exit 0\n", "get-secret printed no secret on its first line"),
        ("printf '\\n Leaked-secret-9\\n'\n", "get-secret printed no secret on its first line"),
        ("printf '\\377Leaked-secret-9'\n", "get-secret printed something that is not UTF-8"),
    ],
    ids=["stderr-not-shown", "stdout-not-shown", "signal", "no-output", "blank-first-line", "not-utf8"],
)
def test_secret_command_failure(tmp_path, body, expected):
    s = script(tmp_path, body)
    with pytest.raises(AmishError) as e:
        run_secret_command(f"{s} --arg Leaked-secret-9")
    message = one_line_error(e)
    assert message.startswith(f"secret_command: {s} ")
    assert expected in message
    assert "Leaked-secret-9" not in message


def test_secret_command_not_found(tmp_path):
    with pytest.raises(AmishError) as e:
        run_secret_command(f"{tmp_path}/no-such-program Arg-secret")
    message = one_line_error(e)
    assert message == f"secret_command: cannot run {tmp_path}/no-such-program: No such file or directory"


def test_secret_command_timeout(tmp_path):
    import time

    s = script(tmp_path, "echo too-late-secret; exec sleep 30\n")
    start = time.monotonic()
    with pytest.raises(AmishError) as e:
        run_secret_command(str(s), timeout=0.5)
    assert time.monotonic() - start < 10
    assert one_line_error(e) == f"secret_command: {s} did not finish within 0.5 s"


def test_secret_command_timeout_with_a_child_holding_the_pipe(tmp_path):
    import time

    s = script(tmp_path, "sleep 30 &\nsleep 30\n")
    start = time.monotonic()
    with pytest.raises(AmishError, match="did not finish within 0.5 s"):
        run_secret_command(str(s), timeout=0.5)
    assert time.monotonic() - start < 10


# -- end to end, against the sandbox Asterisk ----------------------------------------------


def clean_env(**extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMISH_") and k != "NO_COLOR"}
    env.update(extra)
    return env


def amish(args, env, stdin=b"Ping\n", timeout=60):
    return subprocess.run([sys.executable, "-m", "amish", *args], input=stdin, capture_output=True, env=env, timeout=timeout)


@pytest.fixture
def sandbox_config(asterisk, tmp_path):
    f = tmp_path / "config.toml"
    f.write_text(
        f"""\
default_profile = "plain"

[profiles.sandbox]
host = "{asterisk.host}"
port = {asterisk.tls_port}
tls = true
cafile = "{asterisk.cafile}"
user = "admin"
secret_command = "printf {ADMIN[1]}"

[profiles.plain]
host = "{asterisk.host}"
port = {asterisk.port}
user = "admin"
secret = "{ADMIN[1]}"

[profiles.failing]
host = "{asterisk.host}"
port = {asterisk.port}
user = "admin"
secret_command = "sh -c 'echo {ADMIN[1]} >&2; exit 7'"
"""
    )
    f.chmod(0o600)
    return f


def assert_pong(proc):
    assert proc.returncode == 0, proc.stderr
    assert b"Response: Success" in proc.stdout and b"Ping: Pong" in proc.stdout
    assert ADMIN[1].encode() not in proc.stdout + proc.stderr


@pytest.mark.asterisk
def test_a_tls_profile_with_a_secret_command(sandbox_config):
    proc = amish(["--profile", "sandbox"], clean_env(AMISH_CONFIG=str(sandbox_config)))
    assert_pong(proc)
    assert proc.stderr == b""


@pytest.mark.asterisk
def test_the_profile_through_a_shell_pipe(sandbox_config):
    proc = subprocess.run(
        f"printf 'Ping\\n' | {sys.executable} -m amish --profile sandbox --trace",
        shell=True, capture_output=True, env=clean_env(AMISH_CONFIG=str(sandbox_config)), timeout=60,
    )
    assert_pong(proc)
    assert b"Action: Login" in proc.stderr  # the trace is there, the secret is not


@pytest.mark.asterisk
def test_the_default_profile_and_its_file_secret(sandbox_config):
    assert_pong(amish([], clean_env(AMISH_CONFIG=str(sandbox_config))))


@pytest.mark.asterisk
def test_a_readable_config_file_refuses_its_secret(sandbox_config):
    sandbox_config.chmod(0o644)
    proc = amish(["--profile", "plain"], clean_env(AMISH_CONFIG=str(sandbox_config)))
    assert proc.returncode == 4
    assert proc.stderr.decode().endswith(f"fix it with: chmod 600 {sandbox_config}\n")
    assert ADMIN[1].encode() not in proc.stderr + proc.stdout
    assert len(proc.stderr.splitlines()) == 1


@pytest.mark.asterisk
def test_amish_secret_wins_over_the_profile(sandbox_config):
    proc = amish(["--profile", "sandbox"], clean_env(AMISH_CONFIG=str(sandbox_config), AMISH_SECRET="wrong"))
    assert proc.returncode == 2 and b"Authentication failed" in proc.stderr


@pytest.mark.asterisk
def test_a_failing_secret_command_does_not_show_its_stderr(sandbox_config):
    proc = amish(["--profile", "failing"], clean_env(AMISH_CONFIG=str(sandbox_config)))
    assert proc.returncode == 2
    assert proc.stderr == b"amish: secret_command: sh failed with exit code 7 (its error output is not shown: it might hold the secret)\n"


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound to find it, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.asterisk
def test_the_command_line_wins_over_the_profile(asterisk, tmp_path):
    # every field the command line gives is wrong in the profile: only the command line's values can reach a Pong
    f = tmp_path / "config.toml"
    f.write_text(
        f"""\
[profiles.elsewhere]
host = "127.0.0.2"
port = {closed_port()}
tls = true
cafile = "{asterisk.other_cafile}"
user = "nobody"
secret = "{ADMIN[1]}"
"""
    )
    f.chmod(0o600)
    env = clean_env(AMISH_CONFIG=str(f))
    proc = amish(["--profile", "elsewhere", "-p", str(asterisk.port), "ami://admin@" + asterisk.host], env)
    assert_pong(proc)
    # the profile alone, and the command line less one of its values, cannot
    assert amish(["--profile", "elsewhere"], env).returncode == 2
    assert amish(["--profile", "elsewhere", "ami://admin@" + asterisk.host], env).returncode == 2
    assert amish(["--profile", "elsewhere", "-p", str(asterisk.port), "ami://" + asterisk.host], env).returncode == 2
    assert amish(["--profile", "elsewhere", "-p", str(asterisk.port), "--host", asterisk.host, "-u", "admin"],
                 env).returncode == 2


@pytest.mark.asterisk
def test_an_amis_url(asterisk, tmp_path):
    env = clean_env(AMISH_SECRET=ADMIN[1], AMISH_CONFIG=str(tmp_path / "none.toml"))
    env.pop("AMISH_CONFIG")
    env["XDG_CONFIG_HOME"] = str(tmp_path)  # no config file at all
    proc = amish([f"amis://admin@{asterisk.host}:{asterisk.tls_port}", "--cafile", asterisk.cafile], env)
    assert_pong(proc)
    proc = amish([f"ami://admin@{asterisk.host}:{asterisk.port}"], env)
    assert_pong(proc)


@pytest.mark.asterisk
def test_events_mode_with_a_profile(asterisk, sandbox_config):
    proc = amish(["events", "--profile", "sandbox", "--events", "on", "--count", "1", "--duration", "20",
                  "--format", "jsonl", "--filter", "FullyBooted|SuccessfulAuth"],
                 clean_env(AMISH_CONFIG=str(sandbox_config)), stdin=b"")
    assert proc.returncode == 0, proc.stderr
    assert b'"Event": ' in proc.stdout
    assert ADMIN[1].encode() not in proc.stdout + proc.stderr


def test_a_password_in_the_url_on_the_command_line(tmp_path):
    proc = amish(["ami://admin:Pw-0f-mine@127.0.0.1:1"], clean_env(XDG_CONFIG_HOME=str(tmp_path)))
    assert proc.returncode == 4
    err = proc.stderr.decode()
    assert "Pw-0f-mine" not in err and "AMISH_SECRET" in err and len(err.splitlines()) == 1


def test_bad_config_and_unknown_profile_on_the_command_line(tmp_path):
    f = tmp_path / "config.toml"
    f.write_text('[profiles.a]\n[profiles.b]\nport = "x"\n')
    proc = amish(["--profile", "a"], clean_env(AMISH_CONFIG=str(f)))
    assert proc.returncode == 4
    assert proc.stderr.decode() == f"amish: {f}: [profiles.b] port: must be an integer, not a string\n"
    f.write_text('[profiles.a]\n[profiles.b]\n')
    proc = amish(["--profile", "c"], clean_env(AMISH_CONFIG=str(f)))
    assert proc.returncode == 4
    assert proc.stderr.decode() == f"amish: {f}: no profile 'c' (known profiles: a, b)\n"


def test_example_config_option(tmp_path):
    proc = amish(["--example-config"], clean_env(AMISH_CONFIG=str(tmp_path / "missing.toml")), stdin=b"")
    assert proc.returncode == 0 and proc.stderr == b""
    assert proc.stdout.decode() == example_config()
    parse_config(proc.stdout.decode(), "example")


@pytest.mark.parametrize(
    "argv, profile, expected",
    [
        (["http://pbx"], {}, ("pbx", 8088, False, "http", "")),
        (["https://pbx"], {}, ("pbx", 8089, True, "http", "")),
        (["http://pbx:9000/asterisk"], {}, ("pbx", 9000, False, "http", "/asterisk")),
        (["http://pbx", "--tls"], {}, "--tls with an http:// URL (plain HTTP): use https://"),
        (["http://pbx", "-H", "ami://pbx"], {}, "two URLs of different schemes"),
        (["--profile", "w"], {"host": "pbx", "transport": "http", "prefix": "/ast"}, ("pbx", 8088, False, "http", "/ast")),
        (["--profile", "w"], {"host": "pbx", "transport": "http", "tls": True}, ("pbx", 8089, True, "http", "")),
        # a URL on the command line wins over the profile's transport and prefix
        (["--profile", "w", "ami://pbx"], {"transport": "http", "prefix": "/ast"}, ("pbx", 5038, False, "tcp", "")),
        (["--profile", "w", "http://pbx"], {"prefix": "/ast"}, ("pbx", 8088, False, "http", "")),
    ],
)
def test_http_urls_and_profiles_resolve(argv, profile, expected):
    config = Config(profiles={"w": Profile(name="w", **profile)}, exists=True)
    if isinstance(expected, str):
        with pytest.raises(InputError, match=re.escape(expected)):
            settings_for(argv, config)
        return
    s = settings_for(argv, config)
    assert (s.host, s.port, s.tls, s.transport, s.prefix) == expected


def test_a_profile_transport_and_prefix_are_checked():
    with pytest.raises(InputError, match=r'transport: must be "tcp" or "http", not \'ftp\''):
        parse_config('[profiles.p]\ntransport = "ftp"\n', PATH)
    with pytest.raises(InputError, match="prefix: 'a b' is not a path prefix"):
        parse_config('[profiles.p]\nprefix = "a b"\n', PATH)
