"""The colour of an event: its family (channel, dial, bridge, security...) by name or prefix.

Only the 16 ANSI colour names, so the colours follow the user's terminal theme.
Used by the event line, the full event and the shell's events pane.
"""

from __future__ import annotations

__all__ = ["event_style"]

# family -> style; only the 16 ANSI colour names.
_FAMILY_STYLE = {
    "channel": "green",
    "hangup": "red",
    "dial": "yellow",
    "bridge": "blue",
    "dialplan": "cyan",
    "var": "magenta",
    "security": "bright_red",
    "auth_ok": "bright_green",
    "queue": "bright_blue",
    "endpoint": "bright_cyan",
    "system": "bright_yellow",
    "cdr": "white",
    "dtmf": "bright_magenta",
    "other": "",
}

_FAMILY_BY_NAME = {
    # channel lifecycle
    "newchannel": "channel", "newstate": "channel", "rename": "channel",
    "newcallerid": "channel", "newconnectedline": "channel", "newaccountcode": "channel",
    "hold": "channel", "unhold": "channel", "status": "channel", "coreshowchannel": "channel",
    "channeltalkingstart": "channel", "channeltalkingstop": "channel", "masquerade": "channel",
    "musiconholdstart": "channel", "musiconholdstop": "channel", "flash": "channel",
    "wink": "channel", "mixmonitorstart": "channel", "mixmonitorstop": "channel",
    "mixmonitormute": "channel", "chanspystart": "channel", "chanspystop": "channel",
    "pickup": "channel", "alarm": "channel", "alarmclear": "channel",
    "hangup": "hangup", "hanguprequest": "hangup", "softhanguprequest": "hangup",
    # dial
    "dialbegin": "dial", "dialend": "dial", "dialstate": "dial", "originateresponse": "dial",
    # bridge and transfer
    "localbridge": "bridge", "localoptimizationbegin": "bridge", "localoptimizationend": "bridge",
    "attendedtransfer": "bridge", "blindtransfer": "bridge",
    # dialplan and variables
    "newexten": "dialplan", "varset": "var", "userevent": "var",
    # security (res_security_log / AMI security events)
    "invalidaccountid": "security", "invalidpassword": "security",
    "challengeresponsefailed": "security", "failedacl": "security",
    "requestbadformat": "security", "requestnotallowed": "security",
    "authrequestformat": "security", "authmethodnotallowed": "security",
    "unexpectedaddress": "security", "invalidtransport": "security",
    "loadaveragelimit": "security", "memorylimit": "security", "sessionlimit": "security",
    "sessiontimeout": "security", "requestnotsupported": "security",
    "successfulauth": "auth_ok", "challengesent": "auth_ok",
    # endpoints, peers, devices
    "peerstatus": "endpoint", "contactstatus": "endpoint", "registry": "endpoint",
    "devicestatechange": "endpoint", "extensionstatus": "endpoint",
    "presencestatechange": "endpoint", "presencestatus": "endpoint",
    # system
    "fullybooted": "system", "reload": "system", "shutdown": "system", "load": "system",
    "unload": "system", "moduleloadreport": "system", "successfulauthx": "system",
    # cdr / cel
    "cdr": "cdr", "cel": "cdr",
    # dtmf
    "dtmfbegin": "dtmf", "dtmfend": "dtmf",
}

_FAMILY_BY_PREFIX = (
    ("bridge", "bridge"),
    ("dial", "dial"),
    ("queue", "queue"),
    ("agent", "queue"),
    ("confbridge", "queue"),
    ("meetme", "queue"),
    ("park", "queue"),
    ("unpark", "queue"),
    ("agi", "dialplan"),
    ("asyncagi", "dialplan"),
    ("hangup", "hangup"),
    ("contact", "endpoint"),
    ("endpoint", "endpoint"),
    ("peer", "endpoint"),
    ("aor", "endpoint"),
    ("auth", "endpoint"),
    ("identify", "endpoint"),
    ("transport", "endpoint"),
    ("outboundregistration", "endpoint"),
    ("inboundregistration", "endpoint"),
    ("device", "endpoint"),
    ("presence", "endpoint"),
    ("dtmf", "dtmf"),
    ("mixmonitor", "channel"),
    ("musiconhold", "channel"),
)

_style_cache: dict[str, str] = {}


def event_style(name: str) -> str:
    """The style (an ANSI colour name, maybe with bold) of an event by its family."""
    style = _style_cache.get(name)
    if style is not None:
        return style
    low = name.lower()
    family = _FAMILY_BY_NAME.get(low)
    if family is None:
        family = "other"
        for prefix, fam in _FAMILY_BY_PREFIX:
            if low.startswith(prefix):
                family = fam
                break
    colour = _FAMILY_STYLE[family]
    style = f"bold {colour}" if colour else "bold"
    if len(_style_cache) > 4096:  # a flood of made-up names must not grow it forever
        _style_cache.clear()
    _style_cache[name] = style
    return style
