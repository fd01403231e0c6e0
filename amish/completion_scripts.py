"""Shell completion scripts for bash, zsh and fish, generated from the argparse parsers.

    amish --completions bash|zsh|fish       print one
    scripts/gen-completions [--check]       (re)write completions/ from it

Everything comes from walking the parsers of amish/cli.py: every option string,
whether it takes a value (and whether that value is optional), its choices, its
help, which values are files (a metavar or dest named FILE), hosts (HOST) or
profile names (--profile: the [profiles.NAME] sections of
$XDG_CONFIG_HOME/amish/config.toml), group names (--group: the keys of its
[groups] table), and the positionals. So a new option is
completed as soon as the scripts are regenerated, and tests/unit/test_completion_scripts.py
fails until they are.

Import-light on purpose: argparse only (and amish.cli, itself argparse only).
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, field
from typing import Callable, Mapping

from . import cli

SHELLS = ("bash", "zsh", "fish")
PROG = "amish"

# [profiles.NAME] or [profiles."NAME"] section headers -> NAME, one a line (a sed -n script).
# No single quote in it: it goes inside single quotes in all three shells.
PROFILE_SED = r's/^[[:space:]]*\[[[:space:]]*profiles\.[[:space:]]*"\{0,1\}\([^]".]*[^]".[:space:]]\)"\{0,1\}[[:space:]]*\].*$/\1/p'
# The keys of the [groups] table (NAME = [...] or "NAME" = [...]) -> NAME, one a line: from the [groups]
# header to the next table header. No single quote in it either.
GROUP_SED = (r'/^[[:space:]]*\[[[:space:]]*groups[[:space:]]*\]/,/^[[:space:]]*\[/{ '
             r's/^[[:space:]]*"\{0,1\}\([^]["=#]*[^]["=#[:space:]]\)"\{0,1\}[[:space:]]*=.*$/\1/p; }')
CONFIG = "amish/config.toml"  # under ${XDG_CONFIG_HOME:-$HOME/.config}
#: what is read from the config file to complete a value: kind -> (the sed -n script, what one is called)
CONFIG_LISTS = {"profiles": (PROFILE_SED, "profile"), "groups": (GROUP_SED, "group")}


# -- the model: what the parsers say ------------------------------------------------


@dataclass
class Option:
    strings: list[str]
    help: str
    arg: str  # "" (a flag), "required" or "optional" (nargs="?": only ever --opt=VALUE, never the next word)
    complete: str = ""  # "choices", "files", "hosts", "profiles", "groups" or "" (a free value)
    choices: list[str] = field(default_factory=list)
    metavar: str = ""
    repeatable: bool = False  # append/count: may be given again
    exclusive: list[str] = field(default_factory=list)  # other options it rules out (mutually exclusive groups)
    final: bool = False  # --help, --version: nothing follows


@dataclass
class Positional:
    name: str
    help: str
    complete: str  # "files", "hosts" or ""
    optional: bool


@dataclass
class Command:
    name: str  # "" for amish itself, else the mode (events, raw, replay)
    description: str
    options: list[Option]
    positionals: list[Positional]

    @property
    def key(self) -> str:
        return self.name or "main"

    def strings(self, arg: str | None = None) -> list[str]:
        return [s for o in self.options if arg is None or o.arg == arg for s in o.strings]


def _expand_help(action: argparse.Action, prog: str) -> str:
    text = action.help or ""
    if "%" in text:  # argparse's own %(default)s and friends
        params = {k: v for k, v in vars(action).items() if v is not argparse.SUPPRESS}
        params["prog"] = prog
        if params.get("choices") is not None:
            params["choices"] = ", ".join(map(str, params["choices"]))
        for k, v in list(params.items()):
            if hasattr(v, "__name__"):
                params[k] = v.__name__
        try:
            text = text % params
        except (KeyError, TypeError, ValueError):
            pass
    return " ".join(text.split())


def _summary(text: str | None) -> str:
    """A parser's description, shortened to its first sentence or clause."""
    text = " ".join((text or "").split())
    m = re.match(r"(.+?)(\.|:)(\s|$)", text)
    return m.group(1) if m else text


def _value_kind(action: argparse.Action) -> str:
    if action.choices is not None:
        return "choices"
    if "--profile" in action.option_strings:
        return "profiles"
    if "--group" in action.option_strings:
        return "groups"
    name = str(action.metavar or action.dest or "").upper()
    if name in ("FILE", "PATH") or name.endswith("FILE"):
        return "files"
    if name == "HOST":
        return "hosts"
    return ""


def describe(parser: argparse.ArgumentParser, name: str = "") -> Command:
    """The completion model of one parser."""
    exclusive: dict[int, list[str]] = {}
    for group in parser._mutually_exclusive_groups:
        members = [a for a in group._group_actions if a.option_strings]
        for a in members:
            exclusive.setdefault(id(a), []).extend(s for b in members if b is not a for s in b.option_strings)
    options, positionals = [], []
    for action in parser._actions:
        if action.help is argparse.SUPPRESS:
            continue
        help = _expand_help(action, parser.prog)
        if not action.option_strings:
            positionals.append(
                Positional(
                    name=str(action.metavar or action.dest),
                    help=help,
                    complete=_value_kind(action) if action.choices is None else "",
                    optional=action.nargs in ("?", "*"),
                )
            )
            continue
        arg = "" if action.nargs == 0 else "optional" if action.nargs == "?" else "required"
        options.append(
            Option(
                strings=list(action.option_strings),
                help=help,
                arg=arg,
                complete=_value_kind(action) if arg else "",
                choices=[str(c) for c in action.choices] if action.choices is not None and arg else [],
                metavar=str(action.metavar or action.dest.upper()) if arg else "",
                repeatable=isinstance(action, (argparse._AppendAction, argparse._CountAction, argparse._AppendConstAction)),
                exclusive=exclusive.get(id(action), []),
                final=isinstance(action, (argparse._HelpAction, argparse._VersionAction)),
            )
        )
    return Command(name, _summary(parser.description), options, positionals)


def commands(
    main: Callable[[], argparse.ArgumentParser] | None = None,
    subcommands: Mapping[str, Callable[[], argparse.ArgumentParser]] | None = None,
) -> list[Command]:
    """amish itself first, then its modes; by default from amish.cli."""
    if main is None or subcommands is None:
        main = main or cli.build_parser
        subcommands = cli.SUBCOMMANDS if subcommands is None else subcommands
    return [describe(main())] + [describe(build(), name) for name, build in subcommands.items()]


def completion_script(
    shell: str,
    *,
    main: Callable[[], argparse.ArgumentParser] | None = None,
    subcommands: Mapping[str, Callable[[], argparse.ArgumentParser]] | None = None,
) -> str:
    """The completion script for `shell` (bash, zsh or fish), from the parsers (amish.cli's by default)."""
    try:
        generate = {"bash": _bash, "zsh": _zsh, "fish": _fish}[shell]
    except KeyError:
        raise ValueError(f"no completions for {shell!r}: one of {', '.join(SHELLS)}") from None
    return generate(commands(main, subcommands))


def _config_lists(cmds: list[Command]) -> list[str]:
    """The kinds of CONFIG_LISTS some option completes (a helper function is written for each)."""
    used = {o.complete for c in cmds for o in c.options}
    return [kind for kind in CONFIG_LISTS if kind in used]


_PLAIN = re.compile(r"[A-Za-z0-9_.,+=:/@-]+")  # words no shell here needs quoted


def _sh(s: str) -> str:
    """Quoted for bash and zsh."""
    return s if _PLAIN.fullmatch(s) else "'" + s.replace("'", "'\\''") + "'"


def _sq(s: str) -> str:
    """Always single-quoted, for bash and zsh."""
    return "'" + s.replace("'", "'\\''") + "'"


def _header(comment: str) -> list[str]:
    return [f"# {line}".rstrip() for line in comment.strip("\n").splitlines()]


GENERATED = "Generated from amish's argparse parsers by scripts/gen-completions: do not edit."


# -- bash -----------------------------------------------------------------------------

BASH_HEADER = f"""
bash completion for amish. {GENERATED}
Install: where bash-completion finds it when amish is first completed,
    amish --completions bash > ~/.local/share/bash-completion/completions/amish
or, without bash-completion, in ~/.bashrc:
    source <(amish --completions bash)
"""

BASH_HELPERS = r"""
__amish_words() {  # the arguments that start with $cur
    local w
    for w in "$@"; do
        [[ $w == "$cur"* ]] && COMPREPLY+=("$w")
    done
}

__amish_files() {
    if declare -F _filedir >/dev/null; then
        _filedir
    else
        compopt -o filenames 2>/dev/null
        local IFS=$'\n'
        COMPREPLY+=($(compgen -f -- "$cur"))
    fi
}

__amish_hosts() {
    if declare -F _known_hosts_real >/dev/null; then
        _known_hosts_real -- "$cur"
    else
        local IFS=$'\n'
        COMPREPLY+=($(compgen -A hostname -- "$cur"))
    fi
}
"""

def _bash_config_list(kind: str) -> str:
    return rf"""
__amish_{kind}() {{
    local f=${{XDG_CONFIG_HOME:-$HOME/.config}}/{CONFIG}
    [[ -r $f ]] || return 0
    local -a names
    mapfile -t names < <(sed -n '{CONFIG_LISTS[kind][0]}' "$f" 2>/dev/null)
    __amish_words "${{names[@]}}"
}}
"""


def _bash_case(strings: list[str]) -> str:
    return "|".join(_sh(s) for s in strings)


def _bash_command(cmd: Command, modes: list[Command]) -> list[str]:
    out = [f"__amish_{cmd.key}() {{", "    # the value of the option before the cursor", '    case $prev in']
    for o in cmd.options:
        if not o.arg:
            continue
        if o.complete == "choices":
            action = f"__amish_words {' '.join(_sh(c) for c in o.choices)}"
        elif o.complete:
            action = f"__amish_{o.complete}"
        else:
            action = ""  # a free value: nothing to offer
        pattern = _bash_case(o.strings)
        if o.arg == "optional":  # a value only after its = (the next word is never its value)
            if action:
                out.append(f"        {pattern}) [[ -n $attached ]] && {{ {action}; return 0; }} ;;")
            continue
        out.append(f"        {pattern}) {action + '; ' if action else ''}return 0 ;;")
    out += ["    esac"]
    # which positional the cursor is on: skip options and their values
    out += [
        "    local i w n=0 skip=0 dd=0",
        "    for (( i = start; i < COMP_CWORD; i++ )); do",
        "        w=${COMP_WORDS[i]}",
        "        if (( dd )); then (( n++ )); continue; fi",
        "        if (( skip == 1 )); then skip=0; [[ $w == = ]] && skip=1; continue; fi",
        "        if (( skip == 2 )); then",
        "            skip=0",
        "            [[ $w == = ]] && { skip=1; continue; }",
        "        fi",
        "        case $w in",
        "            --) dd=1 ;;",
    ]
    if cmd.strings("required"):
        out.append(f"            {_bash_case(cmd.strings('required'))}) skip=1 ;;")
    if cmd.strings("optional"):
        out.append(f"            {_bash_case(cmd.strings('optional'))}) skip=2 ;;")
    out += [
        "            -*) ;;",
        "            *) (( n++ )) ;;",
        "        esac",
        "    done",
        "    if [[ $cur == -* ]] && (( ! dd )); then",
        f"        __amish_words {' '.join(_sh(s) for s in cmd.strings())}",
        "        return 0",
        "    fi",
        "    case $n in",
    ]
    for i, p in enumerate(cmd.positionals):
        actions = []
        if i == 0 and not cmd.name and modes:
            actions.append(
                f"(( COMP_CWORD == 1 )) && __amish_words {' '.join(_sh(m.name) for m in modes)}"
            )
        if p.complete:
            actions.append(f"__amish_{p.complete}")
        out.append(f"        {i}) {'; '.join(actions) + ' ' if actions else ''};;  # {p.name}")
    out += ["    esac", "    return 0", "}"]
    return out


def _bash(cmds: list[Command]) -> str:
    modes = cmds[1:]
    out = ["# shellcheck shell=bash"] + _header(BASH_HEADER)
    out += BASH_HELPERS.rstrip("\n").splitlines()
    for kind in _config_lists(cmds):
        out += _bash_config_list(kind).rstrip("\n").splitlines()
    for c in cmds:
        out.append("")
        out += _bash_command(c, modes)
    out += [
        "",
        "_amish() {",
        "    local cur=${COMP_WORDS[COMP_CWORD]} prev= start=1 cmd=main eq= attached=",
        "    (( COMP_CWORD > 0 )) && prev=${COMP_WORDS[COMP_CWORD-1]}",
        "    # --option=value: bash splits it at = (COMP_WORDBREAKS), or leaves it whole",
        "    if [[ $cur == = ]]; then",
        "        cur= attached=1",
        "    elif [[ $prev == = ]] && (( COMP_CWORD > 1 )); then",
        "        prev=${COMP_WORDS[COMP_CWORD-2]} attached=1",
        "    elif [[ $cur == --*=* ]]; then",
        '        prev=${cur%%=*} eq=${cur%%=*}= cur=${cur#*=} attached=1',
        "    fi",
        "    COMPREPLY=()",
        "    if (( COMP_CWORD > 1 )); then",
        "        case ${COMP_WORDS[1]} in",
    ]
    if modes:
        out.append(f"            {_bash_case([m.name for m in modes])}) cmd=${{COMP_WORDS[1]}} start=2 ;;")
    out += [
        "        esac",
        "    fi",
        '    "__amish_$cmd"',
        '    [[ -n $eq ]] && COMPREPLY=("${COMPREPLY[@]/#/$eq}")',
        "    return 0",
        "}",
        "",
        f"complete -F _amish {PROG}",
    ]
    return "\n".join(out) + "\n"


# -- zsh ------------------------------------------------------------------------------

ZSH_HEADER = f"""
zsh completion for amish. {GENERATED}
Install: as _amish in a directory on $fpath, before compinit runs in ~/.zshrc:
    mkdir -p ~/.zfunc && amish --completions zsh > ~/.zfunc/_amish
    # in ~/.zshrc, before compinit:  fpath=(~/.zfunc $fpath)
or, after compinit in ~/.zshrc:
    source <(amish --completions zsh)
"""

def _zsh_config_list(kind: str) -> str:
    sed, one = CONFIG_LISTS[kind]
    return rf"""
_amish_{kind}() {{
  local f=${{XDG_CONFIG_HOME:-$HOME/.config}}/{CONFIG} expl
  [[ -r $f ]] || return 1
  local -a {kind}
  {kind}=(${{(f)"$(sed -n '{sed}' $f 2>/dev/null)"}})
  _wanted {kind} expl {one} compadd -a {kind}
}}
"""


def _zsh_desc(s: str) -> str:
    return re.sub(r"([\\\[\]:])", r"\\\1", s)


def _zsh_msg(s: str) -> str:
    return re.sub(r"([\\:])", r"\\\1", s)


def _zsh_action(complete: str, choices: list[str]) -> str:
    if complete == "choices":
        return "(" + " ".join(re.sub(r"([^A-Za-z0-9_.,+=/@-])", r"\\\1", c) for c in choices) + ")"
    return {"files": "_files", "hosts": "_hosts", "profiles": "_amish_profiles", "groups": "_amish_groups"}.get(
        complete, "")


def _zsh_mode(m: Command) -> str:
    """name:description for _describe (a colon in the name escaped)."""
    return m.name.replace(":", "\\:") + ":" + m.description


def _zsh_specs(cmd: Command, first: str | None) -> list[str]:
    specs = []
    for o in cmd.options:
        if o.final:
            excl = "(- *)"
        else:
            others = [s for s in o.strings if not o.repeatable] + o.exclusive
            excl = f"({' '.join(others)})" if others else ""
        star = "*" if o.repeatable else ""
        desc = f"[{_zsh_desc(o.help)}]"
        arg = ""
        if o.arg:
            colons = "::" if o.arg == "optional" else ":"
            arg = f"{colons}{_zsh_msg(o.metavar)}:{_zsh_action(o.complete, o.choices)}"
        for s in o.strings:
            # a long option's value may also follow an = (argparse takes --format=json);
            # an optional value only ever does (=-: in the same word)
            eq = "=-" if o.arg == "optional" else "=" if o.arg == "required" and s.startswith("--") else ""
            specs.append(_sq(f"{excl}{star}{s}{eq}{desc}{arg}"))
    for i, p in enumerate(cmd.positionals, 1):
        action = first if i == 1 and first else _zsh_action(p.complete, [])
        colons = "::" if p.optional else ":"
        specs.append(_sq(f"{i}{colons}{_zsh_msg(p.help or p.name)}:{action}"))
    return specs


def _zsh(cmds: list[Command]) -> str:
    main, modes = cmds[0], cmds[1:]
    out = [f"#compdef {PROG}"] + _header(ZSH_HEADER)
    for kind in _config_lists(cmds):
        out += _zsh_config_list(kind).rstrip("\n").splitlines()
    if modes:
        out += [
            "",
            "_amish_first() {  # amish's first word: a mode, or the host",
            "  local ret=1",
            "  if (( CURRENT == 2 )); then",
            "    local -a modes",
            "    modes=(",
        ]
        out += [f"      {_sq(_zsh_mode(m))}" for m in modes]
        out += [
            "    )",
            "    _describe -t modes 'amish mode' modes && ret=0",
            "  fi",
        ]
        host = main.positionals[0].complete if main.positionals else ""
        if host == "hosts":
            out.append("  _hosts && ret=0")
        elif host == "files":
            out.append("  _files && ret=0")
        out += ["  return ret", "}"]
    for c in cmds:
        specs = _zsh_specs(c, "_amish_first" if not c.name and modes else None)
        out += ["", f"_amish_{c.key}() {{", "  _arguments -s -S : \\"]
        out += [f"    {s} \\" for s in specs[:-1]] + [f"    {specs[-1]}"] if specs else []
        out += ["}"]
    out += [
        "",
        "_amish() {",
        "  local curcontext=$curcontext",
    ]
    if modes:
        out += [
            "  if (( CURRENT > 2 )); then",
            "    case $words[2] in",
            f"      ({'|'.join(m.name for m in modes)})",
            "        local cmd=$words[2]",
            "        curcontext=${curcontext%:*:*}:amish-$cmd:",
            "        words[2]=()",
            "        (( CURRENT-- ))",
            '        "_amish_$cmd"',
            "        return",
            "        ;;",
            "    esac",
            "  fi",
        ]
    out += [
        "  _amish_main",
        "}",
        "",
        "if [[ $zsh_eval_context[-1] == loadautofunc ]]; then",
        "  _amish \"$@\"  # autoloaded from $fpath by compinit",
        "elif (( $+functions[compdef] )); then",
        f"  compdef _amish {PROG}  # sourced",
        "else",
        "  print -u2 'amish completion: run compinit (autoload -Uz compinit && compinit) before sourcing this'",
        "fi",
    ]
    return "\n".join(out) + "\n"


# -- fish -----------------------------------------------------------------------------

FISH_HEADER = f"""
fish completion for amish. {GENERATED}
Install:
    amish --completions fish > ~/.config/fish/completions/amish.fish
"""


def _fq(s: str) -> str:
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _fish_word(s: str) -> str:
    return s if _PLAIN.fullmatch(s) else re.sub(r"([^A-Za-z0-9_.,+=:/@-])", r"\\\1", s)


def _fish_arg(w: str) -> str:
    return w if _PLAIN.fullmatch(w) else _fq(w)


def _fish_flags(strings: list[str]) -> str:
    """complete's -l long, -s X (short) or -o old (a long option with one dash)."""
    flags = []
    for s in strings:
        if s.startswith("--"):
            flags.append(f"-l {_fish_arg(s[2:])}")
        elif len(s) == 2:
            flags.append(f"-s {_fish_arg(s[1])}")
        else:
            flags.append(f"-o {_fish_arg(s[1:])}")
    return " ".join(flags)


def _fish_list(words: list[str]) -> str:
    return " ".join(_fish_arg(w) for w in words)


def _fish(cmds: list[Command]) -> str:
    main, modes = cmds[0], cmds[1:]
    mode_names = [m.name for m in modes]
    out = _header(FISH_HEADER)
    out += [
        "",
        "function __amish_mode -d 'the amish mode being completed (main when none)'",
        "    set -l tokens (commandline -opc)",
    ]
    if modes:
        out += [
            f"    if set -q tokens[2]; and contains -- $tokens[2] {_fish_list(mode_names)}",
            "        echo $tokens[2]",
            "        return",
            "    end",
        ]
    out += [
        "    echo main",
        "end",
        "",
        "function __amish_using -a mode",
        '    test (__amish_mode) = "$mode"',
        "end",
        "",
        "function __amish_first_word",
        "    test (count (commandline -opc)) -eq 1",
        "end",
        "",
        "function __amish_npos -a want -d 'is the cursor on positional argument number $want?'",
        "    set -l tokens (commandline -opc)",
        "    set -e tokens[1]",
        "    set -l valued",
        '    switch "$tokens[1]"',
    ]
    for c in modes + [main]:
        out.append(f"        case {_fish_list([c.name]) if c.name else chr(39) + '*' + chr(39)}")
        if c.name:
            out.append("            set -e tokens[1]")
        if c.strings("required"):
            out.append(f"            set valued {_fish_list(c.strings('required'))}")
    out += [
        "    end",
        "    set -l n 0",
        "    set -l skip 0",
        "    set -l dd 0",
        "    for w in $tokens",
        "        if test $dd = 1",
        "            set n (math $n + 1)",
        "            continue",
        "        end",
        "        if test $skip = 1",
        "            set skip 0",
        "            continue",
        "        end",
        "        if test \"$w\" = --",
        "            set dd 1",
        "        else if contains -- $w $valued",
        "            set skip 1",
        "        else if not string match -q -- '-*' $w",
        "            set n (math $n + 1)",
        "        end",
        "    end",
        '    test $n -eq "$want"',
        "end",
    ]
    said = {"profiles": "the [profiles.NAME] sections of the amish config",
            "groups": "the [groups] of the amish config"}
    for kind in _config_lists(cmds):
        out += [
            "",
            f"function __amish_{kind} -d '{said[kind]}'",
            "    set -l dir $XDG_CONFIG_HOME",
            "    test -n \"$dir\"; or set dir $HOME/.config",
            f"    test -r $dir/{CONFIG}; or return 0",
            f"    sed -n '{CONFIG_LISTS[kind][0]}' $dir/{CONFIG} 2>/dev/null",
            "end",
        ]
    out += ["", f"complete -c {PROG} -f  # no files unless asked for"]
    if modes:
        out += [""]
        for m in modes:
            out.append(f"complete -c {PROG} -n __amish_first_word -a {m.name} -d {_fq(m.description)}")
    fish_values = {
        "files": "-F",
        "hosts": "-a '(__fish_print_hostnames)'",
        "profiles": "-a '(__amish_profiles)'",
        "groups": "-a '(__amish_groups)'",
    }
    for c in cmds:
        cond = f"__amish_using {c.key}"
        out += ["", f"# {PROG}{' ' + c.name if c.name else ''}"]
        for o in c.options:
            parts = [f"complete -c {PROG} -n {_fq(cond)} {_fish_flags(o.strings)}"]
            if o.arg == "required":
                if o.complete == "choices":
                    parts.append(f"-x -a {_fq(' '.join(_fish_word(v) for v in o.choices))}")
                elif o.complete == "files":
                    parts.append("-r -F")
                elif o.complete:
                    parts.append(f"-x {fish_values[o.complete]}")
                else:
                    parts.append("-x")
            parts.append(f"-d {_fq(o.help)}" if o.help else "")
            out.append(" ".join(p for p in parts if p))
            # an optional value (--trace=FILE) is never the next word: nothing to offer after it
        for i, p in enumerate(c.positionals):
            if p.complete:
                pcond = _fq(f"{cond}; and __amish_npos {i}")
                out.append(f"complete -c {PROG} -n {pcond} {fish_values[p.complete]} -d {_fq(p.help or p.name)}")
    return "\n".join(out) + "\n"
