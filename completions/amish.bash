# shellcheck shell=bash
# bash completion for amish. Generated from amish's argparse parsers by scripts/gen-completions: do not edit.
# Install: where bash-completion finds it when amish is first completed,
#     amish --completions bash > ~/.local/share/bash-completion/completions/amish
# or, without bash-completion, in ~/.bashrc:
#     source <(amish --completions bash)

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

__amish_profiles() {
    local f=${XDG_CONFIG_HOME:-$HOME/.config}/amish/config.toml
    [[ -r $f ]] || return 0
    local -a names
    mapfile -t names < <(sed -n 's/^[[:space:]]*\[[[:space:]]*profiles\.[[:space:]]*"\{0,1\}\([^]".]*[^]".[:space:]]\)"\{0,1\}[[:space:]]*\].*$/\1/p' "$f" 2>/dev/null)
    __amish_words "${names[@]}"
}

__amish_groups() {
    local f=${XDG_CONFIG_HOME:-$HOME/.config}/amish/config.toml
    [[ -r $f ]] || return 0
    local -a names
    mapfile -t names < <(sed -n '/^[[:space:]]*\[[[:space:]]*groups[[:space:]]*\]/,/^[[:space:]]*\[/{ s/^[[:space:]]*"\{0,1\}\([^]["=#]*[^]["=#[:space:]]\)"\{0,1\}[[:space:]]*=.*$/\1/p; }' "$f" 2>/dev/null)
    __amish_words "${names[@]}"
}

__amish_main() {
    # the value of the option before the cursor
    case $prev in
        -H|--host) __amish_hosts; return 0 ;;
        -p|--port) return 0 ;;
        --profile) __amish_profiles; return 0 ;;
        --group) __amish_groups; return 0 ;;
        -u|--user) return 0 ;;
        --secret) return 0 ;;
        --auth) __amish_words md5 plain; return 0 ;;
        --events) return 0 ;;
        --connect-timeout) return 0 ;;
        --timeout) return 0 ;;
        --cafile) __amish_files; return 0 ;;
        --cert) __amish_files; return 0 ;;
        --key) __amish_files; return 0 ;;
        --keepalive) return 0 ;;
        --boot-timeout) return 0 ;;
        --trace) [[ -n $attached ]] && { __amish_files; return 0; } ;;
        --record) __amish_files; return 0 ;;
        -f|--file) __amish_files; return 0 ;;
        --format) __amish_words pretty raw json; return 0 ;;
        --var) return 0 ;;
        --originate-timeout) return 0 ;;
        --parallel) return 0 ;;
        --output-dir) return 0 ;;
        --filter) return 0 ;;
        --scrollback) return 0 ;;
        --keep-calls) return 0 ;;
        --completions) __amish_words bash zsh fish; return 0 ;;
    esac
    local i w n=0 skip=0 dd=0
    for (( i = start; i < COMP_CWORD; i++ )); do
        w=${COMP_WORDS[i]}
        if (( dd )); then (( n++ )); continue; fi
        if (( skip == 1 )); then skip=0; [[ $w == = ]] && skip=1; continue; fi
        if (( skip == 2 )); then
            skip=0
            [[ $w == = ]] && { skip=1; continue; }
        fi
        case $w in
            --) dd=1 ;;
            -H|--host|-p|--port|--profile|--group|-u|--user|--secret|--auth|--events|--connect-timeout|--timeout|--cafile|--cert|--key|--keepalive|--boot-timeout|--record|-f|--file|--format|--var|--originate-timeout|--parallel|--output-dir|--filter|--scrollback|--keep-calls|--completions) skip=1 ;;
            --trace) skip=2 ;;
            -*) ;;
            *) (( n++ )) ;;
        esac
    done
    if [[ $cur == -* ]] && (( ! dd )); then
        __amish_words -h --help -H --host -p --port --profile --group -u --user --secret --auth --events --connect-timeout --timeout --tls --cafile --cert --key --insecure --read-only --confirm --no-confirm --keepalive --no-reconnect --boot-timeout --trace --record -f --file --format --var --pipeline --keep-going --stop-on-error --wait-originate --originate-timeout --parallel --output-dir --line --filter --scrollback --keep-calls --completions --example-config --version
        return 0
    fi
    case $n in
        0) (( COMP_CWORD == 1 )) && __amish_words events raw replay audit calls; __amish_hosts ;;  # host
        1) ;;  # port
    esac
    return 0
}

__amish_events() {
    # the value of the option before the cursor
    case $prev in
        -H|--host) __amish_hosts; return 0 ;;
        -p|--port) return 0 ;;
        --profile) __amish_profiles; return 0 ;;
        --group) __amish_groups; return 0 ;;
        -u|--user) return 0 ;;
        --secret) return 0 ;;
        --auth) __amish_words md5 plain; return 0 ;;
        --events) return 0 ;;
        --connect-timeout) return 0 ;;
        --timeout) return 0 ;;
        --cafile) __amish_files; return 0 ;;
        --cert) __amish_files; return 0 ;;
        --key) __amish_files; return 0 ;;
        --keepalive) return 0 ;;
        --boot-timeout) return 0 ;;
        --trace) [[ -n $attached ]] && { __amish_files; return 0; } ;;
        --record) __amish_files; return 0 ;;
        --filter|-e) return 0 ;;
        --format) __amish_words pretty raw jsonl; return 0 ;;
        --count|-n) return 0 ;;
        --until) return 0 ;;
        --duration|--for) return 0 ;;
    esac
    local i w n=0 skip=0 dd=0
    for (( i = start; i < COMP_CWORD; i++ )); do
        w=${COMP_WORDS[i]}
        if (( dd )); then (( n++ )); continue; fi
        if (( skip == 1 )); then skip=0; [[ $w == = ]] && skip=1; continue; fi
        if (( skip == 2 )); then
            skip=0
            [[ $w == = ]] && { skip=1; continue; }
        fi
        case $w in
            --) dd=1 ;;
            -H|--host|-p|--port|--profile|--group|-u|--user|--secret|--auth|--events|--connect-timeout|--timeout|--cafile|--cert|--key|--keepalive|--boot-timeout|--record|--filter|-e|--format|--count|-n|--until|--duration|--for) skip=1 ;;
            --trace) skip=2 ;;
            -*) ;;
            *) (( n++ )) ;;
        esac
    done
    if [[ $cur == -* ]] && (( ! dd )); then
        __amish_words -h --help -H --host -p --port --profile --group -u --user --secret --auth --events --connect-timeout --timeout --tls --cafile --cert --key --insecure --read-only --confirm --no-confirm --keepalive --no-reconnect --boot-timeout --trace --record --filter -e --format --count -n --until --duration --for
        return 0
    fi
    case $n in
        0) __amish_hosts ;;  # host
        1) ;;  # port
    esac
    return 0
}

__amish_raw() {
    # the value of the option before the cursor
    case $prev in
        -H|--host) __amish_hosts; return 0 ;;
        -p|--port) return 0 ;;
        --profile) __amish_profiles; return 0 ;;
        --group) __amish_groups; return 0 ;;
        -u|--user) return 0 ;;
        --secret) return 0 ;;
        --auth) __amish_words md5 plain; return 0 ;;
        --events) return 0 ;;
        --connect-timeout) return 0 ;;
        --timeout) return 0 ;;
        --cafile) __amish_files; return 0 ;;
        --cert) __amish_files; return 0 ;;
        --key) __amish_files; return 0 ;;
        --keepalive) return 0 ;;
        --boot-timeout) return 0 ;;
        --trace) [[ -n $attached ]] && { __amish_files; return 0; } ;;
        --record) __amish_files; return 0 ;;
    esac
    local i w n=0 skip=0 dd=0
    for (( i = start; i < COMP_CWORD; i++ )); do
        w=${COMP_WORDS[i]}
        if (( dd )); then (( n++ )); continue; fi
        if (( skip == 1 )); then skip=0; [[ $w == = ]] && skip=1; continue; fi
        if (( skip == 2 )); then
            skip=0
            [[ $w == = ]] && { skip=1; continue; }
        fi
        case $w in
            --) dd=1 ;;
            -H|--host|-p|--port|--profile|--group|-u|--user|--secret|--auth|--events|--connect-timeout|--timeout|--cafile|--cert|--key|--keepalive|--boot-timeout|--record) skip=1 ;;
            --trace) skip=2 ;;
            -*) ;;
            *) (( n++ )) ;;
        esac
    done
    if [[ $cur == -* ]] && (( ! dd )); then
        __amish_words -h --help -H --host -p --port --profile --group -u --user --secret --auth --events --connect-timeout --timeout --tls --cafile --cert --key --insecure --read-only --confirm --no-confirm --keepalive --no-reconnect --boot-timeout --trace --record
        return 0
    fi
    case $n in
        0) __amish_hosts ;;  # host
        1) ;;  # port
    esac
    return 0
}

__amish_replay() {
    # the value of the option before the cursor
    case $prev in
        --speed) return 0 ;;
        --filter) return 0 ;;
        --scrollback) return 0 ;;
        --keep-calls) return 0 ;;
    esac
    local i w n=0 skip=0 dd=0
    for (( i = start; i < COMP_CWORD; i++ )); do
        w=${COMP_WORDS[i]}
        if (( dd )); then (( n++ )); continue; fi
        if (( skip == 1 )); then skip=0; [[ $w == = ]] && skip=1; continue; fi
        if (( skip == 2 )); then
            skip=0
            [[ $w == = ]] && { skip=1; continue; }
        fi
        case $w in
            --) dd=1 ;;
            --speed|--filter|--scrollback|--keep-calls) skip=1 ;;
            -*) ;;
            *) (( n++ )) ;;
        esac
    done
    if [[ $cur == -* ]] && (( ! dd )); then
        __amish_words -h --help --speed --line --filter --scrollback --keep-calls
        return 0
    fi
    case $n in
        0) __amish_files ;;  # file
    esac
    return 0
}

__amish_audit() {
    # the value of the option before the cursor
    case $prev in
        -H|--host) __amish_hosts; return 0 ;;
        -p|--port) return 0 ;;
        --profile) __amish_profiles; return 0 ;;
        --group) __amish_groups; return 0 ;;
        -u|--user) return 0 ;;
        --secret) return 0 ;;
        --auth) __amish_words md5 plain; return 0 ;;
        --events) return 0 ;;
        --connect-timeout) return 0 ;;
        --timeout) return 0 ;;
        --cafile) __amish_files; return 0 ;;
        --cert) __amish_files; return 0 ;;
        --key) __amish_files; return 0 ;;
        --keepalive) return 0 ;;
        --boot-timeout) return 0 ;;
        --trace) [[ -n $attached ]] && { __amish_files; return 0; } ;;
        --record) __amish_files; return 0 ;;
        --format) __amish_words pretty json; return 0 ;;
        --ignore) return 0 ;;
    esac
    local i w n=0 skip=0 dd=0
    for (( i = start; i < COMP_CWORD; i++ )); do
        w=${COMP_WORDS[i]}
        if (( dd )); then (( n++ )); continue; fi
        if (( skip == 1 )); then skip=0; [[ $w == = ]] && skip=1; continue; fi
        if (( skip == 2 )); then
            skip=0
            [[ $w == = ]] && { skip=1; continue; }
        fi
        case $w in
            --) dd=1 ;;
            -H|--host|-p|--port|--profile|--group|-u|--user|--secret|--auth|--events|--connect-timeout|--timeout|--cafile|--cert|--key|--keepalive|--boot-timeout|--record|--format|--ignore) skip=1 ;;
            --trace) skip=2 ;;
            -*) ;;
            *) (( n++ )) ;;
        esac
    done
    if [[ $cur == -* ]] && (( ! dd )); then
        __amish_words -h --help -H --host -p --port --profile --group -u --user --secret --auth --events --connect-timeout --timeout --tls --cafile --cert --key --insecure --read-only --confirm --no-confirm --keepalive --no-reconnect --boot-timeout --trace --record --format --ignore
        return 0
    fi
    case $n in
        0) __amish_hosts ;;  # host
        1) ;;  # port
    esac
    return 0
}

__amish_calls() {
    # the value of the option before the cursor
    case $prev in
        -H|--host) __amish_hosts; return 0 ;;
        -p|--port) return 0 ;;
        --profile) __amish_profiles; return 0 ;;
        --group) __amish_groups; return 0 ;;
        -u|--user) return 0 ;;
        --secret) return 0 ;;
        --auth) __amish_words md5 plain; return 0 ;;
        --events) return 0 ;;
        --connect-timeout) return 0 ;;
        --timeout) return 0 ;;
        --cafile) __amish_files; return 0 ;;
        --cert) __amish_files; return 0 ;;
        --key) __amish_files; return 0 ;;
        --keepalive) return 0 ;;
        --boot-timeout) return 0 ;;
        --trace) [[ -n $attached ]] && { __amish_files; return 0; } ;;
        --record) __amish_files; return 0 ;;
        --format) __amish_words pretty jsonl; return 0 ;;
        --filter|-e) return 0 ;;
        --count|-n) return 0 ;;
        --from) __amish_files; return 0 ;;
        --keep) return 0 ;;
    esac
    local i w n=0 skip=0 dd=0
    for (( i = start; i < COMP_CWORD; i++ )); do
        w=${COMP_WORDS[i]}
        if (( dd )); then (( n++ )); continue; fi
        if (( skip == 1 )); then skip=0; [[ $w == = ]] && skip=1; continue; fi
        if (( skip == 2 )); then
            skip=0
            [[ $w == = ]] && { skip=1; continue; }
        fi
        case $w in
            --) dd=1 ;;
            -H|--host|-p|--port|--profile|--group|-u|--user|--secret|--auth|--events|--connect-timeout|--timeout|--cafile|--cert|--key|--keepalive|--boot-timeout|--record|--format|--filter|-e|--count|-n|--from|--keep) skip=1 ;;
            --trace) skip=2 ;;
            -*) ;;
            *) (( n++ )) ;;
        esac
    done
    if [[ $cur == -* ]] && (( ! dd )); then
        __amish_words -h --help -H --host -p --port --profile --group -u --user --secret --auth --events --connect-timeout --timeout --tls --cafile --cert --key --insecure --read-only --confirm --no-confirm --keepalive --no-reconnect --boot-timeout --trace --record --format --filter -e --count -n --live --from --keep
        return 0
    fi
    case $n in
        0) __amish_hosts ;;  # host
        1) ;;  # port
    esac
    return 0
}

_amish() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev= start=1 cmd=main eq= attached=
    (( COMP_CWORD > 0 )) && prev=${COMP_WORDS[COMP_CWORD-1]}
    # --option=value: bash splits it at = (COMP_WORDBREAKS), or leaves it whole
    if [[ $cur == = ]]; then
        cur= attached=1
    elif [[ $prev == = ]] && (( COMP_CWORD > 1 )); then
        prev=${COMP_WORDS[COMP_CWORD-2]} attached=1
    elif [[ $cur == --*=* ]]; then
        prev=${cur%%=*} eq=${cur%%=*}= cur=${cur#*=} attached=1
    fi
    COMPREPLY=()
    if (( COMP_CWORD > 1 )); then
        case ${COMP_WORDS[1]} in
            events|raw|replay|audit|calls) cmd=${COMP_WORDS[1]} start=2 ;;
        esac
    fi
    "__amish_$cmd"
    [[ -n $eq ]] && COMPREPLY=("${COMPREPLY[@]/#/$eq}")
    return 0
}

complete -F _amish amish
