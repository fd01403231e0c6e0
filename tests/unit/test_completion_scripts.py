"""Shell completions (bash, zsh, fish): generated from the argparse parsers, committed, and working.

The committed files in completions/ must be what amish.completion_scripts generates now, so
that a new option without `scripts/gen-completions` fails here. Each script is loaded
in its real shell and asked for completions: bash through its completion function
(COMP_WORDS/COMP_CWORD), fish with `complete -C`, zsh in a pseudo-terminal (zpty)
with compadd wrapped to print what is offered. The shells are installed by
scripts/test: a missing one fails, it is never a reason to skip.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from amish import cli
from amish.completion_scripts import SHELLS, completion_script

from conftest import ROOT
FILES = {"bash": "completions/amish.bash", "zsh": "completions/_amish", "fish": "completions/amish.fish"}
BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"
HOST = "pbx-test-host"


def parsers() -> dict[str, object]:
    return {"amish": cli.build_parser(), **{f"amish {name}": build() for name, build in cli.SUBCOMMANDS.items()}}


def option_strings(parser) -> set[str]:
    return {s for a in parser._actions for s in a.option_strings}


@pytest.fixture
def home(tmp_path):
    """A clean HOME: no user shell config; an ssh known host for the host completers."""
    h = tmp_path / "home"
    (h / ".ssh").mkdir(parents=True)
    (h / ".ssh" / "known_hosts").write_text(f"{HOST} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE\n")
    return h


def shell_env(home: Path, **extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AMISH_", "XDG_", "BASH_", "ZDOTDIR", "fish_"))}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local/share"))
    env.update(extra)
    return env


def run(argv, env, timeout=60):
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def load_gen_completions():
    path = ROOT / "scripts" / "gen-completions"
    loader = importlib.machinery.SourceFileLoader("gen_completions", str(path))
    spec = importlib.util.spec_from_loader("gen_completions", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


# -- generated, committed, printed ------------------------------------------------------


@pytest.mark.parametrize("shell", SHELLS)
def test_committed_script_is_what_the_parsers_generate(shell):
    committed = (ROOT / FILES[shell]).read_text(encoding="utf-8")
    assert committed == completion_script(shell), (
        f"{FILES[shell]} is out of date with the options in amish/cli.py: run scripts/gen-completions"
    )


def test_gen_completions_check_passes():
    proc = run([sys.executable, "scripts/gen-completions", "--check"], os.environ.copy())
    assert proc.returncode == 0, proc.stderr + "\nrun scripts/gen-completions"


def test_gen_completions_writes_and_checks(tmp_path, monkeypatch, capsys):
    gen = load_gen_completions()
    monkeypatch.setattr(gen, "ROOT", tmp_path)
    assert gen.main(["--check"]) == 1  # nothing written yet
    err = capsys.readouterr().err
    assert all(name in err for name in FILES.values()) and "run scripts/gen-completions" in err
    assert gen.main([]) == 0
    for shell, name in FILES.items():
        assert (tmp_path / name).read_text(encoding="utf-8") == completion_script(shell)
    assert gen.main(["--check"]) == 0
    (tmp_path / FILES["fish"]).write_text("# stale\n")
    capsys.readouterr()
    assert gen.main(["--check"]) == 1
    err = capsys.readouterr().err
    assert FILES["fish"] in err and FILES["bash"] not in err


@pytest.mark.parametrize("shell", SHELLS)
def test_amish_completions_prints_the_committed_file(shell):
    proc = run([sys.executable, "-m", "amish", "--completions", shell], os.environ.copy())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (ROOT / FILES[shell]).read_text(encoding="utf-8")


def test_unknown_shell_is_refused():
    with pytest.raises(ValueError, match="tcsh"):
        completion_script("tcsh")


def test_the_module_is_import_light():
    code = (
        "import sys; from amish.completion_scripts import completion_script; "
        "[completion_script(s) for s in ('bash', 'zsh', 'fish')]; "
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('prompt_toolkit', 'rich', 'pygments')); "
        "print(heavy); sys.exit(bool(heavy))"
    )
    proc = run([sys.executable, "-c", code], os.environ.copy())
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("shell", SHELLS)
def test_every_option_string_of_every_parser_is_in_the_script(shell):
    text = (ROOT / FILES[shell]).read_text(encoding="utf-8")
    missing = []
    for prog, parser in parsers().items():
        for s in option_strings(parser):
            if shell == "fish":  # complete -s X / -l long
                pattern = rf"-l {re.escape(s[2:])}\b" if s.startswith("--") else rf"-s {re.escape(s[1:])}\b"
            else:
                pattern = rf"(?<![\w-]){re.escape(s)}(?![\w-])"
            if not re.search(pattern, text):
                missing.append(f"{prog} {s}")
    assert not missing, f"not in {FILES[shell]}: {missing} (run scripts/gen-completions)"


def test_file_options_subcommands_and_choices_are_in_the_model():
    from amish.completion_scripts import commands

    main, *modes = commands()
    assert [m.name for m in modes] == list(cli.SUBCOMMANDS)
    kinds = {s: (o.complete, tuple(o.choices)) for o in main.options for s in o.strings}
    for s in ("-f", "--file", "--cafile", "--cert", "--key", "--trace", "--record"):
        assert kinds[s] == ("files", ()), s
    assert kinds["--format"] == ("choices", ("pretty", "raw", "json"))
    assert kinds["--auth"] == ("choices", ("md5", "plain"))
    assert kinds["-H"] == ("hosts", ())
    events = {s: tuple(o.choices) for o in modes[0].options for s in o.strings}
    assert events["--format"] == ("pretty", "raw", "jsonl")
    assert [p.complete for p in main.positionals] == ["hosts", ""]
    assert [p.complete for p in modes[2].positionals] == ["files"]


# -- bash -------------------------------------------------------------------------------

BASH_DRIVER = r"""
[[ $1 == yes ]] && source /usr/share/bash-completion/bash_completion
source "$2"
shift 2
COMP_WORDS=("$@")
COMP_CWORD=$(( $# - 1 ))
COMP_LINE="$*" COMP_POINT=${#COMP_LINE}
_amish amish "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
"""


def bash_complete(words: list[str], home: Path, *, bash_completion: bool, script: str | Path = FILES["bash"], **env) -> list[str]:
    """What the completion function offers for COMP_WORDS=words (the cursor on the last)."""
    hostfile = home / "hosts"
    hostfile.write_text(f"10.9.8.7 {HOST}\n")
    proc = run(
        ["bash", "--norc", "--noprofile", "-c", BASH_DRIVER, "bash", "yes" if bash_completion else "no", str(script), *words],
        shell_env(home, HOSTFILE=str(hostfile), **env),
    )
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    return [line for line in proc.stdout.splitlines() if line]


def test_bash_script_loads_without_error():
    proc = run(["bash", "-c", f"source {FILES['bash']}"], os.environ.copy())
    assert proc.returncode == 0 and proc.stderr == ""


def test_bash_script_loads_with_bash_completion(home):
    proc = run(["bash", "--norc", "-c", f"source {BASH_COMPLETION} && source {FILES['bash']} && complete -p amish"], shell_env(home))
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert proc.stdout.strip() == "complete -F _amish amish"


BASH_CASES = [
    (["amish", "--f"], {"--format", "--file", "--filter"}, "superset"),
    (["amish", "--t"], {"--tls", "--timeout", "--trace"}, "exact"),
    (["amish", "--format", ""], {"pretty", "raw", "json"}, "exact"),
    (["amish", "--format", "=", ""], {"pretty", "raw", "json"}, "exact"),  # --format= (bash splits at =)
    (["amish", "--format=j"], {"--format=json"}, "exact"),  # = not in COMP_WORDBREAKS
    (["amish", "--auth", ""], {"md5", "plain"}, "exact"),
    (["amish", "--completions", ""], {"bash", "zsh", "fish"}, "exact"),
    (["amish", "events", "--u"], {"--until", "--user"}, "exact"),
    (["amish", "events", "--format", ""], {"pretty", "raw", "jsonl"}, "exact"),
    (["amish", "raw", "--u"], {"--user"}, "exact"),
    (["amish", "e"], {"events"}, "exact"),
    (["amish", "r"], {"raw", "replay"}, "exact"),
    (["amish", "-f", "READ"], {"README.md"}, "exact"),
    (["amish", "--cafile", "READ"], {"README.md"}, "exact"),
    # --trace's value is optional and only ever after its =: the next word is the host
    (["amish", "--trace", "pbx-t"], {HOST}, "exact"),
    (["amish", "--trace", "--tl"], {"--tls"}, "exact"),
    (["amish", "--trace", "=", "READ"], {"README.md"}, "exact"),  # --trace=READ (bash splits at =)
    (["amish", "--trace", "pbx", "5038", "READ"], set(), "exact"),  # no third positional
    (["amish", "replay", "READ"], {"README.md"}, "exact"),
    (["amish", "replay", "--s"], {"--speed", "--scrollback"}, "exact"),
    (["amish", "pbx-t"], {HOST}, "exact"),
    (["amish", "--tls", "-u", "admin", "pbx-t"], {HOST}, "exact"),
    (["amish", "-H", "pbx-t"], {HOST}, "exact"),
    (["amish", "events", "-n", "3", "pbx-t"], {HOST}, "exact"),
    (["amish", "pbx", "50"], set(), "exact"),  # the port: nothing to offer
    (["amish", "-u", "pbx-t"], set(), "exact"),  # a user: nothing to offer
    (["amish", "--", "--t"], set(), "exact"),  # after --, no options
]


@pytest.mark.parametrize("bash_completion", [False, True], ids=["plain", "bash-completion"])
@pytest.mark.parametrize("words, expected, how", BASH_CASES, ids=[" ".join(c[0]) for c in BASH_CASES])
def test_bash_completes(words, expected, how, bash_completion, home):
    got = set(bash_complete(words, home, bash_completion=bash_completion))
    if how == "exact":
        assert got == expected
    else:
        assert expected <= got


@pytest.mark.parametrize("prog", list(parsers()))
def test_bash_offers_every_option(prog, home):
    words = prog.split() + ["-"]
    assert set(bash_complete(words, home, bash_completion=False)) == option_strings(parsers()[prog])


# -- fish -------------------------------------------------------------------------------


def fish_complete(line: str, home: Path, script: str | Path = FILES["fish"], **env) -> list[str]:
    proc = run(["fish", "--no-config", "-c", 'source $argv[1]; complete -C"$argv[2]"', str(script), line], shell_env(home, **env))
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    return [line.split("\t")[0] for line in proc.stdout.splitlines() if line]


def test_fish_script_loads_without_error(home):
    proc = run(["fish", "-c", f"source {FILES['fish']}"], shell_env(home))
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr


FISH_CASES = [
    ("amish --for", {"--format"}, "exact"),
    ("amish --f", {"--format", "--file", "--filter"}, "exact"),
    ("amish --format ", {"pretty", "raw", "json"}, "exact"),
    ("amish --format=j", {"--format=json"}, "exact"),
    ("amish --auth ", {"md5", "plain"}, "exact"),
    ("amish events --u", {"--until", "--user"}, "exact"),
    ("amish events --for", {"--for", "--format"}, "exact"),
    ("amish events --format ", {"pretty", "raw", "jsonl"}, "exact"),
    ("amish e", {"events"}, "exact"),
    ("amish -f READ", {"README.md"}, "exact"),
    ("amish --key READ", {"README.md"}, "exact"),
    ("amish --trace pbx-t", {HOST}, "exact"),  # the word after a bare --trace is the host
    ("amish replay READ", {"README.md"}, "exact"),
    ("amish pbx-t", {HOST}, "exact"),
    ("amish -H pbx-t", {HOST}, "exact"),
    ("amish events --tls pbx-t", {HOST}, "exact"),
    ("amish -u pbx-t", set(), "exact"),
    ("amish pbx 50", set(), "exact"),
    ("amish ev READ", set(), "exact"),  # no files where none are wanted
]


@pytest.mark.parametrize("line, expected, how", FISH_CASES, ids=[c[0] for c in FISH_CASES])
def test_fish_completes(line, expected, how, home):
    got = set(fish_complete(line, home))
    if how == "exact":
        assert got == expected
    else:
        assert expected <= got


@pytest.mark.parametrize("prog", list(parsers()))
def test_fish_offers_every_option(prog, home):
    assert set(fish_complete(prog + " -", home)) == option_strings(parsers()[prog])


# -- zsh --------------------------------------------------------------------------------

# Drives an interactive zsh in a pseudo-terminal: compinit, the script, compadd wrapped to
# print each match it is given, a widget that runs complete-word on the line and prints <END>.
ZSH_DRIVER = r"""
zmodload zsh/zpty || exit 3
zpty z zsh -f -i
zpty -w z "PROMPT='' RPROMPT=''; unsetopt zle_bracketed_paste 2>/dev/null"
zpty -w z "autoload -Uz compinit && compinit -u -D && source ${(q)1}"
zpty -w z "zstyle ':completion:*' hosts ${(q)3}"
zpty -w z 'compadd () {
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return $?; fi
  local -a __m; builtin compadd -A __m "$@"; local r=$?
  print -rl -- "" ${(@)^__m/#/<M>}
  builtin compadd "$@"; return r
}'
zpty -w z 'comptest () { zle -I; zle complete-word; print "<END>"; zle kill-whole-line; }; zle -N comptest; bindkey "^T" comptest'
zpty -w z "print '<READY>'"
local line
repeat 200; do zpty -r z line || exit 4; [[ $line == *'<READY>'* && $line != *print* ]] && break; done
zpty -n -w z "$2"$'\C-t'
local out=''
repeat 2000; do zpty -r z line || exit 5; out+=$line; [[ $line == *'<END>'* ]] && break; done
print -r -- "$out" | tr -d '\r' | grep -a '<M>' | sed 's/.*<M>//'
zpty -d z
"""


def zsh_complete(line: str, home: Path, script: str | Path = FILES["zsh"], **env) -> list[str]:
    proc = run(["zsh", "-f", "-c", ZSH_DRIVER, "zsh", str(script), line, HOST], shell_env(home, **env), timeout=60)
    assert proc.returncode == 0, f"zpty driver failed ({proc.returncode}): {proc.stderr}"
    return [m for m in proc.stdout.splitlines() if m]


def test_zsh_script_loads_after_compinit(home):
    proc = run(
        ["zsh", "-f", "-c", f"autoload -Uz compinit && compinit -u -D && source {FILES['zsh']} && whence -w _amish && print $_comps[amish]"],
        shell_env(home),
    )
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert proc.stdout.splitlines() == ["_amish: function", "_amish"]


def test_zsh_script_loads_from_fpath(home):
    """The installed form: _amish in a directory on $fpath, found by compinit by its #compdef line."""
    proc = run(
        ["zsh", "-f", "-c", "fpath=($PWD/completions $fpath); autoload -Uz compinit && compinit -u -D && whence -w _amish && print $_comps[amish]"],
        shell_env(home),
    )
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert proc.stdout.splitlines() == ["_amish: function", "_amish"]


def test_zsh_script_sourced_without_compinit_says_so(home):
    proc = run(["zsh", "-f", "-c", f"source {FILES['zsh']}"], shell_env(home))
    assert proc.returncode == 0 and "compinit" in proc.stderr


ZSH_CASES = [
    ("amish --f", {"--format", "--file", "--filter"}, "exact"),
    ("amish --t", {"--tls", "--timeout", "--trace"}, "exact"),
    ("amish --format ", {"pretty", "raw", "json"}, "exact"),
    ("amish --format=", {"pretty", "raw", "json"}, "exact"),
    ("amish --auth ", {"md5", "plain"}, "exact"),
    ("amish events --u", {"--until", "--user"}, "exact"),
    ("amish events --format ", {"pretty", "raw", "jsonl"}, "exact"),
    ("amish e", {"events"}, "exact"),
    ("amish --keep-going --s", {"--secret", "--scrollback"}, "exact"),  # --stop-on-error is ruled out
    ("amish -f READ", {"README.md"}, "exact"),
    ("amish replay READ", {"README.md"}, "exact"),
    ("amish pbx-t", {HOST}, "exact"),
    ("amish -u admin pbx-t", {HOST}, "exact"),
    ("amish events -n 3 pbx-t", {HOST}, "exact"),
    ("amish --trace pbx-t", {HOST}, "exact"),  # the word after a bare --trace is the host
    ("amish --trace=READ", {"README.md"}, "exact"),
]


@pytest.mark.parametrize("line, expected, how", ZSH_CASES, ids=[c[0] for c in ZSH_CASES])
def test_zsh_completes(line, expected, how, home):
    got = set(zsh_complete(line, home))
    if how == "exact":
        assert got == expected
    else:
        assert expected <= got


@pytest.mark.parametrize("prog", list(parsers()))
def test_zsh_offers_every_option(prog, home):
    assert set(zsh_complete(prog + " -", home)) == option_strings(parsers()[prog])


# -- profiles: once --profile exists, its value is a [profiles.NAME] of the config -------------


def main_with_profile():
    p = cli.build_parser()
    if "--profile" not in option_strings(p):
        p.add_argument("--profile", metavar="NAME", help="use the [profiles.NAME] section of the config")
    return p


CONFIG = """\
[defaults]
user = "admin"

[profiles.home]
host = "127.0.0.1"

[profiles."work box"]
host = "pbx.example.com"

  [ profiles.lab ]   # a comment

[profiles.lab.tls]
cafile = "ca.pem"
"""
PROFILES = {"home", "work box", "lab"}


@pytest.fixture(params=["present", "absent"])
def profile_setup(request, tmp_path, home):
    scripts = {}
    for shell in SHELLS:
        path = tmp_path / f"profile-{shell}"
        path.write_text(completion_script(shell, main=main_with_profile, subcommands=cli.SUBCOMMANDS))
        scripts[shell] = path
    xdg = tmp_path / "xdg"
    if request.param == "present":
        (xdg / "amish").mkdir(parents=True)
        (xdg / "amish" / "config.toml").write_text(CONFIG)
    return scripts, str(xdg), PROFILES if request.param == "present" else set()


def test_no_profile_completion_without_a_profile_option():
    import argparse

    def bare():
        p = argparse.ArgumentParser(prog="amish")
        p.add_argument("host", nargs="?")
        p.add_argument("-u", "--user")
        return p

    for shell in SHELLS:
        assert "profiles" not in completion_script(shell, main=bare, subcommands={}).replace("[profiles.NAME]", "")


def test_bash_completes_profiles(profile_setup, home):
    scripts, xdg, expected = profile_setup
    got = bash_complete(["amish", "--profile", ""], home, bash_completion=False, script=scripts["bash"], XDG_CONFIG_HOME=xdg)
    assert set(got) == expected
    assert set(bash_complete(["amish", "--profile", "w"], home, bash_completion=True, script=scripts["bash"], XDG_CONFIG_HOME=xdg)) == (
        {"work box"} & expected
    )


def test_fish_completes_profiles(profile_setup, home):
    scripts, xdg, expected = profile_setup
    assert set(fish_complete("amish --profile ", home, scripts["fish"], XDG_CONFIG_HOME=xdg)) == expected


def test_zsh_completes_profiles(profile_setup, home):
    scripts, xdg, expected = profile_setup
    got = zsh_complete("amish --profile ", home, scripts["zsh"], XDG_CONFIG_HOME=xdg)
    assert {m.replace("\\ ", " ") for m in got} == expected


def test_profiles_default_to_home_config(tmp_path, home):
    (home / ".config" / "amish").mkdir(parents=True)
    (home / ".config" / "amish" / "config.toml").write_text("[profiles.fromhome]\n")
    script = tmp_path / "amish.bash"
    script.write_text(completion_script("bash", main=main_with_profile, subcommands=cli.SUBCOMMANDS))
    env = shell_env(home)
    env.pop("XDG_CONFIG_HOME")
    hostfile = home / "hosts"
    hostfile.write_text("")
    proc = run(["bash", "--norc", "-c", BASH_DRIVER, "bash", "no", str(script), "amish", "--profile", ""], env)
    assert proc.stdout.split() == ["fromhome"], proc.stderr


# -- groups: --group's value is a key of the config's [groups] table ---------------------------

GROUPS_CONFIG = """\
[profiles.home]
host = "127.0.0.1"

[groups]
prod = ["home", "lab-*"]
  "eu west" = ["home"]   # a comment
# old = ["gone"]
lab=[
  "home",
]

[profiles.after]
host = "x"
"""
GROUPS = {"prod", "eu west", "lab"}


@pytest.fixture
def group_setup(tmp_path):
    xdg = tmp_path / "xdg"
    (xdg / "amish").mkdir(parents=True)
    (xdg / "amish" / "config.toml").write_text(GROUPS_CONFIG)
    scripts = {}
    for shell in SHELLS:
        scripts[shell] = tmp_path / f"groups-{shell}"
        scripts[shell].write_text(completion_script(shell, main=cli.build_parser, subcommands=cli.SUBCOMMANDS))
    return scripts, str(xdg)


def test_bash_completes_groups(group_setup, home):
    scripts, xdg = group_setup
    got = bash_complete(["amish", "--group", ""], home, bash_completion=False, script=scripts["bash"], XDG_CONFIG_HOME=xdg)
    assert set(got) == GROUPS
    got = bash_complete(["amish", "events", "--group", "p"], home, bash_completion=True, script=scripts["bash"],
                        XDG_CONFIG_HOME=xdg)
    assert set(got) == {"prod"}


def test_fish_completes_groups(group_setup, home):
    scripts, xdg = group_setup
    assert set(fish_complete("amish --group ", home, scripts["fish"], XDG_CONFIG_HOME=xdg)) == GROUPS


def test_zsh_completes_groups(group_setup, home):
    scripts, xdg = group_setup
    got = zsh_complete("amish --group ", home, scripts["zsh"], XDG_CONFIG_HOME=xdg)
    assert {m.replace("\\ ", " ") for m in got} == GROUPS


# -- quoting: choices and help with characters each shell treats specially ------------------

ODD_CHOICES = ["a b", "it's", "x:y", "[z]", "$(false)"]


def odd_parser():
    import argparse

    p = argparse.ArgumentParser(prog="amish")
    p.add_argument("--mode", choices=ODD_CHOICES, help="help with ] [ : ' \" \\ $(false) `false` %(default)s")
    p.add_argument("-x", action="count", help="more: %(prog)s")
    p.add_argument("host", nargs="?", help="the host: [x]")
    return p


@pytest.fixture
def odd_scripts(tmp_path):
    scripts = {}
    for shell in SHELLS:
        scripts[shell] = tmp_path / f"odd-{shell}"
        scripts[shell].write_text(completion_script(shell, main=odd_parser, subcommands={}))
    return scripts


def test_odd_characters_survive_quoting(odd_scripts, home):
    assert set(bash_complete(["amish", "--mode", ""], home, bash_completion=False, script=odd_scripts["bash"])) == set(ODD_CHOICES)
    assert set(bash_complete(["amish", "-"], home, bash_completion=True, script=odd_scripts["bash"])) == {"-h", "--help", "--mode", "-x"}
    assert set(fish_complete("amish --mode ", home, odd_scripts["fish"])) == set(ODD_CHOICES)
    zsh_got = zsh_complete("amish --mode ", home, odd_scripts["zsh"])
    assert {re.sub(r"\\(.)", r"\1", m) for m in zsh_got} == set(ODD_CHOICES)  # zsh offers them quoted
    assert set(zsh_complete("amish -", home, odd_scripts["zsh"])) == {"-h", "--help", "--mode", "-x"}
