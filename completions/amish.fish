# fish completion for amish. Generated from amish's argparse parsers by scripts/gen-completions: do not edit.
# Install:
#     amish --completions fish > ~/.config/fish/completions/amish.fish

function __amish_mode -d 'the amish mode being completed (main when none)'
    set -l tokens (commandline -opc)
    if set -q tokens[2]; and contains -- $tokens[2] events raw replay audit calls
        echo $tokens[2]
        return
    end
    echo main
end

function __amish_using -a mode
    test (__amish_mode) = "$mode"
end

function __amish_first_word
    test (count (commandline -opc)) -eq 1
end

function __amish_npos -a want -d 'is the cursor on positional argument number $want?'
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l valued
    switch "$tokens[1]"
        case events
            set -e tokens[1]
            set valued -H --host -p --port --profile --group -u --user --secret --auth --events --connect-timeout --timeout --cafile --cert --key --keepalive --boot-timeout --record --filter -e --format --count -n --until --duration --for
        case raw
            set -e tokens[1]
            set valued -H --host -p --port --profile --group -u --user --secret --auth --events --connect-timeout --timeout --cafile --cert --key --keepalive --boot-timeout --record
        case replay
            set -e tokens[1]
            set valued --speed --filter --scrollback --keep-calls
        case audit
            set -e tokens[1]
            set valued -H --host -p --port --profile --group -u --user --secret --auth --events --connect-timeout --timeout --cafile --cert --key --keepalive --boot-timeout --record --format --ignore
        case calls
            set -e tokens[1]
            set valued -H --host -p --port --profile --group -u --user --secret --auth --events --connect-timeout --timeout --cafile --cert --key --keepalive --boot-timeout --record --format --filter -e --count -n --from --keep
        case '*'
            set valued -H --host -p --port --profile --group -u --user --secret --auth --events --connect-timeout --timeout --cafile --cert --key --keepalive --boot-timeout --record -f --file --format --var --originate-timeout --parallel --output-dir --filter --scrollback --keep-calls --completions
    end
    set -l n 0
    set -l skip 0
    set -l dd 0
    for w in $tokens
        if test $dd = 1
            set n (math $n + 1)
            continue
        end
        if test $skip = 1
            set skip 0
            continue
        end
        if test "$w" = --
            set dd 1
        else if contains -- $w $valued
            set skip 1
        else if not string match -q -- '-*' $w
            set n (math $n + 1)
        end
    end
    test $n -eq "$want"
end

function __amish_profiles -d 'the [profiles.NAME] sections of the amish config'
    set -l dir $XDG_CONFIG_HOME
    test -n "$dir"; or set dir $HOME/.config
    test -r $dir/amish/config.toml; or return 0
    sed -n 's/^[[:space:]]*\[[[:space:]]*profiles\.[[:space:]]*"\{0,1\}\([^]".]*[^]".[:space:]]\)"\{0,1\}[[:space:]]*\].*$/\1/p' $dir/amish/config.toml 2>/dev/null
end

function __amish_groups -d 'the [groups] of the amish config'
    set -l dir $XDG_CONFIG_HOME
    test -n "$dir"; or set dir $HOME/.config
    test -r $dir/amish/config.toml; or return 0
    sed -n '/^[[:space:]]*\[[[:space:]]*groups[[:space:]]*\]/,/^[[:space:]]*\[/{ s/^[[:space:]]*"\{0,1\}\([^]["=#]*[^]["=#[:space:]]\)"\{0,1\}[[:space:]]*=.*$/\1/p; }' $dir/amish/config.toml 2>/dev/null
end

complete -c amish -f  # no files unless asked for

complete -c amish -n __amish_first_word -a events -d 'Stream the server\'s events to stdout, filtered'
complete -c amish -n __amish_first_word -a raw -d 'Like \'telnet HOST 5038\''
complete -c amish -n __amish_first_word -a replay -d 'Open a recording (--record), or a plain AMI dump (telnet/tcpflow text, ngrep -W byline output), in the shell without a server'
complete -c amish -n __amish_first_word -a audit -d 'Check the server\'s AMI exposure against best practice'
complete -c amish -n __amish_first_word -a calls -d 'Print each call when it ends (from, to, duration, billsec, dials, transfers, cause), the calls in progress (--live), or the calls in a recording or dump (--from FILE, offline)'

# amish
complete -c amish -n '__amish_using main' -s h -l help -d 'show this help message and exit'
complete -c amish -n '__amish_using main' -s H -l host -x -a '(__fish_print_hostnames)' -d 'Asterisk host, or ami://user@host:port; more than once: a fleet'
complete -c amish -n '__amish_using main' -s p -l port -x -d 'AMI port'
complete -c amish -n '__amish_using main' -l profile -x -a '(__amish_profiles)' -d 'fill in what the command line leaves out from [profiles.NAME] of the config file; more than once: a fleet'
complete -c amish -n '__amish_using main' -l group -x -a '(__amish_groups)' -d 'a fleet: every profile of [groups] NAME in the config file (repeatable)'
complete -c amish -n '__amish_using main' -s u -l user -x -d 'AMI user (manager.conf section); default $AMISH_USER, then the profile\'s'
complete -c amish -n '__amish_using main' -l secret -x -d 'the AMI secret (visible in ps: prefer AMISH_SECRET, a secret_command or the prompt)'
complete -c amish -n '__amish_using main' -l auth -x -a 'md5 plain' -d 'login by MD5 challenge (default) or plain secret'
complete -c amish -n '__amish_using main' -l events -x -d 'the login\'s Events header: on, off, or classes such as system,call'
complete -c amish -n '__amish_using main' -l connect-timeout -x -d 'seconds to connect and get the banner (default 5)'
complete -c amish -n '__amish_using main' -l timeout -x -d 'seconds to wait for each response (default 10)'
complete -c amish -n '__amish_using main' -l tls -d 'connect with TLS (default port 5039)'
complete -c amish -n '__amish_using main' -l cafile -r -F -d 'CA certificates to verify the server with (PEM)'
complete -c amish -n '__amish_using main' -l cert -r -F -d 'client certificate (PEM)'
complete -c amish -n '__amish_using main' -l key -r -F -d 'client certificate\'s private key (PEM)'
complete -c amish -n '__amish_using main' -l insecure -d 'do not verify the server\'s certificate'
complete -c amish -n '__amish_using main' -l read-only -d 'send only actions on amish\'s list of read-only ones (statuses, lists, show commands...); refuse the rest, in every mode'
complete -c amish -n '__amish_using main' -l confirm -d 'ask before actions that hang up, move calls, reload or write config (the shell\'s default; for action files it asks on the terminal)'
complete -c amish -n '__amish_using main' -l no-confirm -d 'never ask'
complete -c amish -n '__amish_using main' -l keepalive -x -d 'Ping after S seconds of silence; no answer within S means the peer is dead'
complete -c amish -n '__amish_using main' -l no-reconnect -d 'end instead of reconnecting when the connection drops'
complete -c amish -n '__amish_using main' -l boot-timeout -x -d 'after login, wait up to S seconds for Asterisk to say FullyBooted (default 30; 0: don\'t wait)'
complete -c amish -n '__amish_using main' -l trace -d 'show every byte on the wire, both ways, secrets masked: to stderr, or with --trace=FILE to FILE (the next word is never taken for the file)'
complete -c amish -n '__amish_using main' -l record -r -F -d 'record the session (both ways, timestamps, secrets masked) for amish replay'
complete -c amish -n '__amish_using main' -s f -l file -r -F -d 'read actions from FILE (\'-\' for stdin)'
complete -c amish -n '__amish_using main' -l format -x -a 'pretty raw json' -d 'pretty (default on a terminal), raw (the AMI text as received; default otherwise), json (one object per action)'
complete -c amish -n '__amish_using main' -l var -x -d 'set ${NAME} in the action file (repeatable; the environment is used too)'
complete -c amish -n '__amish_using main' -l pipeline -d 'send every action at once, then print the results in input order'
complete -c amish -n '__amish_using main' -l keep-going -d 'run every action even after an Error (default)'
complete -c amish -n '__amish_using main' -l stop-on-error -d 'stop at the first action that answers Error'
complete -c amish -n '__amish_using main' -l wait-originate -d 'an async Originate waits for its OriginateResponse and reports the call\'s outcome'
complete -c amish -n '__amish_using main' -l originate-timeout -x -d 'seconds --wait-originate waits for the call\'s outcome (default 30)'
complete -c amish -n '__amish_using main' -l parallel -x -d 'on a fleet: at most N servers at once (default 10)'
complete -c amish -n '__amish_using main' -l output-dir -x -d 'on a fleet: each server\'s output in a file of its own in DIR, not on stdout'
complete -c amish -n '__amish_using main' -l line -d 'line mode: print above a plain prompt instead of the full-screen view'
complete -c amish -n '__amish_using main' -l filter -x -d 'start with this event filter, e.g. \'Newchannel|Hangup\''
complete -c amish -n '__amish_using main' -l scrollback -x -d 'event lines kept in the events pane (default 10000)'
complete -c amish -n '__amish_using main' -l keep-calls -x -d 'ended calls kept for the Calls view (default 1000; the oldest go first)'
complete -c amish -n '__amish_using main' -l completions -x -a 'bash zsh fish' -d 'print the completion script for bash, zsh or fish'
complete -c amish -n '__amish_using main' -l example-config -d 'print a commented example config file (profiles, secrets)'
complete -c amish -n '__amish_using main' -l version -d 'show program\'s version number and exit'
complete -c amish -n '__amish_using main; and __amish_npos 0' -a '(__fish_print_hostnames)' -d 'Asterisk host (default 127.0.0.1), or ami://user@host:port (amis:// for TLS), or http://user@host:8088/prefix (https://) for AMI over HTTP'

# amish events
complete -c amish -n '__amish_using events' -s h -l help -d 'show this help message and exit'
complete -c amish -n '__amish_using events' -s H -l host -x -a '(__fish_print_hostnames)' -d 'Asterisk host, or ami://user@host:port; more than once: a fleet'
complete -c amish -n '__amish_using events' -s p -l port -x -d 'AMI port'
complete -c amish -n '__amish_using events' -l profile -x -a '(__amish_profiles)' -d 'fill in what the command line leaves out from [profiles.NAME] of the config file; more than once: a fleet'
complete -c amish -n '__amish_using events' -l group -x -a '(__amish_groups)' -d 'a fleet: every profile of [groups] NAME in the config file (repeatable)'
complete -c amish -n '__amish_using events' -s u -l user -x -d 'AMI user (manager.conf section); default $AMISH_USER, then the profile\'s'
complete -c amish -n '__amish_using events' -l secret -x -d 'the AMI secret (visible in ps: prefer AMISH_SECRET, a secret_command or the prompt)'
complete -c amish -n '__amish_using events' -l auth -x -a 'md5 plain' -d 'login by MD5 challenge (default) or plain secret'
complete -c amish -n '__amish_using events' -l events -x -d 'the login\'s Events header: on, off, or classes such as system,call'
complete -c amish -n '__amish_using events' -l connect-timeout -x -d 'seconds to connect and get the banner (default 5)'
complete -c amish -n '__amish_using events' -l timeout -x -d 'seconds to wait for each response (default 10)'
complete -c amish -n '__amish_using events' -l tls -d 'connect with TLS (default port 5039)'
complete -c amish -n '__amish_using events' -l cafile -r -F -d 'CA certificates to verify the server with (PEM)'
complete -c amish -n '__amish_using events' -l cert -r -F -d 'client certificate (PEM)'
complete -c amish -n '__amish_using events' -l key -r -F -d 'client certificate\'s private key (PEM)'
complete -c amish -n '__amish_using events' -l insecure -d 'do not verify the server\'s certificate'
complete -c amish -n '__amish_using events' -l read-only -d 'send only actions on amish\'s list of read-only ones (statuses, lists, show commands...); refuse the rest, in every mode'
complete -c amish -n '__amish_using events' -l confirm -d 'ask before actions that hang up, move calls, reload or write config (the shell\'s default; for action files it asks on the terminal)'
complete -c amish -n '__amish_using events' -l no-confirm -d 'never ask'
complete -c amish -n '__amish_using events' -l keepalive -x -d 'Ping after S seconds of silence; no answer within S means the peer is dead'
complete -c amish -n '__amish_using events' -l no-reconnect -d 'end instead of reconnecting when the connection drops'
complete -c amish -n '__amish_using events' -l boot-timeout -x -d 'after login, wait up to S seconds for Asterisk to say FullyBooted (default 30; 0: don\'t wait)'
complete -c amish -n '__amish_using events' -l trace -d 'show every byte on the wire, both ways, secrets masked: to stderr, or with --trace=FILE to FILE (the next word is never taken for the file)'
complete -c amish -n '__amish_using events' -l record -r -F -d 'record the session (both ways, timestamps, secrets masked) for amish replay'
complete -c amish -n '__amish_using events' -l filter -s e -x -d 'only events matching EXPR (the shell\'s filter language)'
complete -c amish -n '__amish_using events' -l format -x -a 'pretty raw jsonl' -d 'pretty (default on a terminal), raw (AMI text; default otherwise), jsonl'
complete -c amish -n '__amish_using events' -l count -s n -x -d 'stop after N matching events'
complete -c amish -n '__amish_using events' -l until -x -d 'stop after the first matching event of this name'
complete -c amish -n '__amish_using events' -l duration -l for -x -d 'stop after S seconds (with --count/--until: give up, exit 3)'
complete -c amish -n '__amish_using events; and __amish_npos 0' -a '(__fish_print_hostnames)' -d 'Asterisk host (default 127.0.0.1), or ami://user@host:port (amis:// for TLS), or http://user@host:8088/prefix (https://) for AMI over HTTP'

# amish raw
complete -c amish -n '__amish_using raw' -s h -l help -d 'show this help message and exit'
complete -c amish -n '__amish_using raw' -s H -l host -x -a '(__fish_print_hostnames)' -d 'Asterisk host, or ami://user@host:port; more than once: a fleet'
complete -c amish -n '__amish_using raw' -s p -l port -x -d 'AMI port'
complete -c amish -n '__amish_using raw' -l profile -x -a '(__amish_profiles)' -d 'fill in what the command line leaves out from [profiles.NAME] of the config file; more than once: a fleet'
complete -c amish -n '__amish_using raw' -l group -x -a '(__amish_groups)' -d 'a fleet: every profile of [groups] NAME in the config file (repeatable)'
complete -c amish -n '__amish_using raw' -s u -l user -x -d 'AMI user (manager.conf section); default $AMISH_USER, then the profile\'s'
complete -c amish -n '__amish_using raw' -l secret -x -d 'the AMI secret (visible in ps: prefer AMISH_SECRET, a secret_command or the prompt)'
complete -c amish -n '__amish_using raw' -l auth -x -a 'md5 plain' -d 'login by MD5 challenge (default) or plain secret'
complete -c amish -n '__amish_using raw' -l events -x -d 'the login\'s Events header: on, off, or classes such as system,call'
complete -c amish -n '__amish_using raw' -l connect-timeout -x -d 'seconds to connect and get the banner (default 5)'
complete -c amish -n '__amish_using raw' -l timeout -x -d 'seconds to wait for each response (default 10)'
complete -c amish -n '__amish_using raw' -l tls -d 'connect with TLS (default port 5039)'
complete -c amish -n '__amish_using raw' -l cafile -r -F -d 'CA certificates to verify the server with (PEM)'
complete -c amish -n '__amish_using raw' -l cert -r -F -d 'client certificate (PEM)'
complete -c amish -n '__amish_using raw' -l key -r -F -d 'client certificate\'s private key (PEM)'
complete -c amish -n '__amish_using raw' -l insecure -d 'do not verify the server\'s certificate'
complete -c amish -n '__amish_using raw' -l read-only -d 'send only actions on amish\'s list of read-only ones (statuses, lists, show commands...); refuse the rest, in every mode'
complete -c amish -n '__amish_using raw' -l confirm -d 'ask before actions that hang up, move calls, reload or write config (the shell\'s default; for action files it asks on the terminal)'
complete -c amish -n '__amish_using raw' -l no-confirm -d 'never ask'
complete -c amish -n '__amish_using raw' -l keepalive -x -d 'Ping after S seconds of silence; no answer within S means the peer is dead'
complete -c amish -n '__amish_using raw' -l no-reconnect -d 'end instead of reconnecting when the connection drops'
complete -c amish -n '__amish_using raw' -l boot-timeout -x -d 'after login, wait up to S seconds for Asterisk to say FullyBooted (default 30; 0: don\'t wait)'
complete -c amish -n '__amish_using raw' -l trace -d 'show every byte on the wire, both ways, secrets masked: to stderr, or with --trace=FILE to FILE (the next word is never taken for the file)'
complete -c amish -n '__amish_using raw' -l record -r -F -d 'record the session (both ways, timestamps, secrets masked) for amish replay'
complete -c amish -n '__amish_using raw; and __amish_npos 0' -a '(__fish_print_hostnames)' -d 'Asterisk host (default 127.0.0.1), or ami://user@host:port (amis:// for TLS), or http://user@host:8088/prefix (https://) for AMI over HTTP'

# amish replay
complete -c amish -n '__amish_using replay' -s h -l help -d 'show this help message and exit'
complete -c amish -n '__amish_using replay' -l speed -x -d '1 = as recorded (default), 10 = ten times faster, 0 = all at once'
complete -c amish -n '__amish_using replay' -l line -d 'line mode instead of the full-screen view'
complete -c amish -n '__amish_using replay' -l filter -x -d 'start with this event filter'
complete -c amish -n '__amish_using replay' -l scrollback -x -d 'event lines kept in the events pane'
complete -c amish -n '__amish_using replay' -l keep-calls -x -d 'ended calls kept for the Calls view (default 1000)'
complete -c amish -n '__amish_using replay; and __amish_npos 0' -F -d 'the recording or dump'

# amish audit
complete -c amish -n '__amish_using audit' -s h -l help -d 'show this help message and exit'
complete -c amish -n '__amish_using audit' -s H -l host -x -a '(__fish_print_hostnames)' -d 'Asterisk host, or ami://user@host:port; more than once: a fleet'
complete -c amish -n '__amish_using audit' -s p -l port -x -d 'AMI port'
complete -c amish -n '__amish_using audit' -l profile -x -a '(__amish_profiles)' -d 'fill in what the command line leaves out from [profiles.NAME] of the config file; more than once: a fleet'
complete -c amish -n '__amish_using audit' -l group -x -a '(__amish_groups)' -d 'a fleet: every profile of [groups] NAME in the config file (repeatable)'
complete -c amish -n '__amish_using audit' -s u -l user -x -d 'AMI user (manager.conf section); default $AMISH_USER, then the profile\'s'
complete -c amish -n '__amish_using audit' -l secret -x -d 'the AMI secret (visible in ps: prefer AMISH_SECRET, a secret_command or the prompt)'
complete -c amish -n '__amish_using audit' -l auth -x -a 'md5 plain' -d 'login by MD5 challenge (default) or plain secret'
complete -c amish -n '__amish_using audit' -l events -x -d 'the login\'s Events header: on, off, or classes such as system,call'
complete -c amish -n '__amish_using audit' -l connect-timeout -x -d 'seconds to connect and get the banner (default 5)'
complete -c amish -n '__amish_using audit' -l timeout -x -d 'seconds to wait for each response (default 10)'
complete -c amish -n '__amish_using audit' -l tls -d 'connect with TLS (default port 5039)'
complete -c amish -n '__amish_using audit' -l cafile -r -F -d 'CA certificates to verify the server with (PEM)'
complete -c amish -n '__amish_using audit' -l cert -r -F -d 'client certificate (PEM)'
complete -c amish -n '__amish_using audit' -l key -r -F -d 'client certificate\'s private key (PEM)'
complete -c amish -n '__amish_using audit' -l insecure -d 'do not verify the server\'s certificate'
complete -c amish -n '__amish_using audit' -l read-only -d 'send only actions on amish\'s list of read-only ones (statuses, lists, show commands...); refuse the rest, in every mode'
complete -c amish -n '__amish_using audit' -l confirm -d 'ask before actions that hang up, move calls, reload or write config (the shell\'s default; for action files it asks on the terminal)'
complete -c amish -n '__amish_using audit' -l no-confirm -d 'never ask'
complete -c amish -n '__amish_using audit' -l keepalive -x -d 'Ping after S seconds of silence; no answer within S means the peer is dead'
complete -c amish -n '__amish_using audit' -l no-reconnect -d 'end instead of reconnecting when the connection drops'
complete -c amish -n '__amish_using audit' -l boot-timeout -x -d 'after login, wait up to S seconds for Asterisk to say FullyBooted (default 30; 0: don\'t wait)'
complete -c amish -n '__amish_using audit' -l trace -d 'show every byte on the wire, both ways, secrets masked: to stderr, or with --trace=FILE to FILE (the next word is never taken for the file)'
complete -c amish -n '__amish_using audit' -l record -r -F -d 'record the session (both ways, timestamps, secrets masked) for amish replay'
complete -c amish -n '__amish_using audit' -l format -x -a 'pretty json' -d 'pretty (a table; plain text when not a terminal) or json (one object with the findings)'
complete -c amish -n '__amish_using audit' -l ignore -x -d 'accept a known finding, e.g. user.write:admin (globs allowed; repeatable): shown as ignored, not counted'
complete -c amish -n '__amish_using audit; and __amish_npos 0' -a '(__fish_print_hostnames)' -d 'Asterisk host (default 127.0.0.1), or ami://user@host:port (amis:// for TLS), or http://user@host:8088/prefix (https://) for AMI over HTTP'

# amish calls
complete -c amish -n '__amish_using calls' -s h -l help -d 'show this help message and exit'
complete -c amish -n '__amish_using calls' -s H -l host -x -a '(__fish_print_hostnames)' -d 'Asterisk host, or ami://user@host:port; more than once: a fleet'
complete -c amish -n '__amish_using calls' -s p -l port -x -d 'AMI port'
complete -c amish -n '__amish_using calls' -l profile -x -a '(__amish_profiles)' -d 'fill in what the command line leaves out from [profiles.NAME] of the config file; more than once: a fleet'
complete -c amish -n '__amish_using calls' -l group -x -a '(__amish_groups)' -d 'a fleet: every profile of [groups] NAME in the config file (repeatable)'
complete -c amish -n '__amish_using calls' -s u -l user -x -d 'AMI user (manager.conf section); default $AMISH_USER, then the profile\'s'
complete -c amish -n '__amish_using calls' -l secret -x -d 'the AMI secret (visible in ps: prefer AMISH_SECRET, a secret_command or the prompt)'
complete -c amish -n '__amish_using calls' -l auth -x -a 'md5 plain' -d 'login by MD5 challenge (default) or plain secret'
complete -c amish -n '__amish_using calls' -l events -x -d 'the login\'s Events header: on, off, or classes such as system,call'
complete -c amish -n '__amish_using calls' -l connect-timeout -x -d 'seconds to connect and get the banner (default 5)'
complete -c amish -n '__amish_using calls' -l timeout -x -d 'seconds to wait for each response (default 10)'
complete -c amish -n '__amish_using calls' -l tls -d 'connect with TLS (default port 5039)'
complete -c amish -n '__amish_using calls' -l cafile -r -F -d 'CA certificates to verify the server with (PEM)'
complete -c amish -n '__amish_using calls' -l cert -r -F -d 'client certificate (PEM)'
complete -c amish -n '__amish_using calls' -l key -r -F -d 'client certificate\'s private key (PEM)'
complete -c amish -n '__amish_using calls' -l insecure -d 'do not verify the server\'s certificate'
complete -c amish -n '__amish_using calls' -l read-only -d 'send only actions on amish\'s list of read-only ones (statuses, lists, show commands...); refuse the rest, in every mode'
complete -c amish -n '__amish_using calls' -l confirm -d 'ask before actions that hang up, move calls, reload or write config (the shell\'s default; for action files it asks on the terminal)'
complete -c amish -n '__amish_using calls' -l no-confirm -d 'never ask'
complete -c amish -n '__amish_using calls' -l keepalive -x -d 'Ping after S seconds of silence; no answer within S means the peer is dead'
complete -c amish -n '__amish_using calls' -l no-reconnect -d 'end instead of reconnecting when the connection drops'
complete -c amish -n '__amish_using calls' -l boot-timeout -x -d 'after login, wait up to S seconds for Asterisk to say FullyBooted (default 30; 0: don\'t wait)'
complete -c amish -n '__amish_using calls' -l trace -d 'show every byte on the wire, both ways, secrets masked: to stderr, or with --trace=FILE to FILE (the next word is never taken for the file)'
complete -c amish -n '__amish_using calls' -l record -r -F -d 'record the session (both ways, timestamps, secrets masked) for amish replay'
complete -c amish -n '__amish_using calls' -l format -x -a 'pretty jsonl' -d 'pretty (one line per call; default on a terminal) or jsonl (one JSON object per call)'
complete -c amish -n '__amish_using calls' -l filter -s e -x -d 'only calls with an event matching EXPR (the shell\'s filter language)'
complete -c amish -n '__amish_using calls' -l count -s n -x -d 'stop after N calls'
complete -c amish -n '__amish_using calls' -l live -d 'print the table of calls in progress once and exit'
complete -c amish -n '__amish_using calls' -l from -r -F -d 'read a recording (--record), a plain AMI dump or an ngrep dump instead of connecting'
complete -c amish -n '__amish_using calls' -l keep -x -d 'ended calls kept in memory (default 1000)'
complete -c amish -n '__amish_using calls; and __amish_npos 0' -a '(__fish_print_hostnames)' -d 'Asterisk host (default 127.0.0.1), or ami://user@host:port (amis:// for TLS), or http://user@host:8088/prefix (https://) for AMI over HTTP'
