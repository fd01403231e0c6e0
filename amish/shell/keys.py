"""The shell's key bindings, from one factory; one docstring per binding (shown by /keys)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.filters import Condition, has_completions, completion_is_selected, has_focus, is_searching
from prompt_toolkit.key_binding import KeyBindings

if TYPE_CHECKING:  # pragma: no cover
    from .app import Shell

__all__ = ["shell_key_bindings", "describe_bindings"]


def shell_key_bindings(shell: "Shell") -> KeyBindings:
    kb = KeyBindings()
    input_focused = has_focus(shell.input_buffer)
    pane_focused = Condition(lambda: shell.focused_pane() is not None)
    # where the input stood right after a completion ending in a space was taken: a space
    # typed there adds nothing (the completion brought its own)
    spaced = {"at": None}

    def take(buf, completion=None) -> None:
        """Take `completion` (or the one selected in the menu) into the input."""
        if completion is None:
            completion = buf.complete_state.current_completion
            buf.complete_state = None
        else:
            buf.apply_completion(completion)
        spaced["at"] = (buf.text, buf.cursor_position) if completion.text.endswith(" ") else None

    after_spaced_completion = Condition(
        lambda: spaced["at"] == (shell.input_buffer.text, shell.input_buffer.cursor_position)
    )

    @kb.add("enter", filter=input_focused & completion_is_selected)
    def _(event):
        "Enter with a completion selected: take the completion, do not send."
        take(event.current_buffer)

    @kb.add("enter", filter=input_focused & ~completion_is_selected)
    def _(event):
        "Enter: send the action (the telnet form: a blank line sends)."
        shell.on_enter()

    @kb.add("tab", filter=input_focused)
    def _(event):
        "Tab: complete; a single match is taken at once, several open the menu."
        buf = event.current_buffer
        state = buf.complete_state
        if state is not None:
            if len(state.completions) == 1:
                take(buf, state.completions[0])
            else:
                buf.complete_next()
            return
        completions = list(buf.completer.get_completions(buf.document, CompleteEvent(completion_requested=True)))
        if len(completions) == 1:
            take(buf, completions[0])
        elif completions:
            buf.start_completion(insert_common_part=True)

    @kb.add("space", filter=input_focused & completion_is_selected)
    def _(event):
        "Space with a completion selected: take it (one space after it, not two)."
        buf = event.current_buffer
        take(buf)
        if spaced["at"] is None:
            buf.insert_text(" ")
        spaced["at"] = None

    @kb.add("space", filter=input_focused & ~completion_is_selected & after_spaced_completion)
    def _(event):
        "Space right after a completion that brought its own space: nothing more."
        spaced["at"] = None

    @kb.add("escape", filter=input_focused & has_completions)
    def _(event):
        "Esc with the completion menu open: close it, the input as typed."
        event.current_buffer.cancel_completion()

    @kb.add("s-tab", filter=input_focused)
    def _(event):
        "Shift-Tab: the previous completion."
        event.current_buffer.complete_previous()

    @kb.add("escape", "enter", filter=input_focused)
    def _(event):
        "Alt-Enter: a new line in the input (to type the telnet form)."
        event.current_buffer.insert_text("\n")

    @kb.add("c-c", filter=input_focused & has_completions)
    def _(event):
        "Ctrl-C with the completion menu open: close it, the input as typed."
        event.current_buffer.cancel_completion()

    @kb.add("c-c", filter=input_focused & ~has_completions)
    def _(event):
        "Ctrl-C: clear the input; stop waiting for the actions in flight."
        shell.cancel()

    @kb.add("c-c", filter=~input_focused & ~is_searching)
    def _(event):
        "Ctrl-C in a pane: stop waiting for the actions in flight, back to the input."
        shell.stop_waiting()
        shell.focus_input()

    @kb.add("c-d", filter=input_focused)
    def _(event):
        "Ctrl-D on an empty input: quit."
        if not event.current_buffer.text:
            shell.quit()
        else:
            event.current_buffer.delete()

    @kb.add("f1")
    def _(event):
        "F1: help for the action being typed (or the shell's help)."
        shell.help_for_input()

    @kb.add("f2")
    def _(event):
        "F2: show or hide the events pane."
        shell.toggle_events()

    @kb.add("f3")
    def _(event):
        "F3: move the focus: input, events, transcript."
        shell.cycle_focus()

    @kb.add("escape", filter=pane_focused & ~is_searching, eager=True)
    def _(event):
        "Esc in a pane: back to the input line."
        shell.focus_input()

    @kb.add("f4")
    def _(event):
        "F4: pause or resume the events pane (events are still received and kept)."
        shell.toggle_pause()

    @kb.add("f5")
    def _(event):
        "F5: follow the newest event again."
        shell.follow_events()

    @kb.add("c-l")
    def _(event):
        "Ctrl-L: clear the transcript."
        shell.clear_transcript()

    @kb.add("c-up")
    def _(event):
        "Ctrl-Up: make the events pane smaller."
        shell.resize_events(-2)

    @kb.add("c-down")
    def _(event):
        "Ctrl-Down: make the events pane bigger."
        shell.resize_events(+2)

    @kb.add("pageup", filter=input_focused)
    def _(event):
        "PageUp in the input: scroll the transcript up (the input and its cursor stay)."
        shell.scroll("transcript", -shell.page_size("transcript"))

    @kb.add("pagedown", filter=input_focused)
    def _(event):
        "PageDown in the input: scroll the transcript down."
        shell.scroll("transcript", shell.page_size("transcript"))

    @kb.add("c-end", filter=~is_searching)
    def _(event):
        "Ctrl-End: the transcript back to its newest line."
        shell.to_newest("transcript")

    @kb.add("end", filter=input_focused)
    def _(event):
        """End in the input: the cursor to the end of its line; already there, both panes back to their
        newest line (the events pane follows again)."""
        buf = event.current_buffer
        if buf.document.is_cursor_at_the_end_of_line:
            shell.to_newest("transcript")
            shell.to_newest("events")
        else:
            buf.cursor_position += buf.document.get_end_of_line_position()

    @kb.add("s-up", filter=input_focused)
    def _(event):
        "Shift-Up: scroll the events pane up (follow turns off)."
        shell.scroll("events", -3)

    @kb.add("s-down", filter=input_focused)
    def _(event):
        "Shift-Down: scroll the events pane down (follow turns on at the bottom)."
        shell.scroll("events", 3)

    @kb.add("enter", filter=pane_focused & ~is_searching)
    def _(event):
        "Enter on an event: show all its headers in the transcript."
        shell.expand_current_event()

    @kb.add("end", filter=pane_focused & ~is_searching)
    def _(event):
        "End in a pane: jump to the newest line and follow."
        pane = shell.focused_pane()
        if pane is not None:
            pane.to_end()

    # -- the call views (bound last: over a table they take the keys before the panes' ones) --
    table = Condition(lambda: shell.table_focused() is not None) & ~is_searching
    channels = Condition(lambda: shell.table_focused() == "channels") & ~is_searching
    sortable = Condition(lambda: shell.table_focused() in ("channels", "calls")) & ~is_searching
    events = Condition(lambda: shell.focused_pane() is shell.events_pane) & ~is_searching

    @kb.add("f6")
    def _(event):
        "F6: the Channels view (live channels; again: back to the events pane)."
        shell.toggle_view("channels")

    @kb.add("f7")
    def _(event):
        "F7: the Calls view (live and recently ended calls; again: back to the events pane)."
        shell.toggle_view("calls")

    @kb.add("enter", filter=table)
    def _(event):
        """Enter in a view: a channel's details (and its variables, by Status), a call's timeline,
        the events behind a step of the timeline."""
        shell.table_enter()

    @kb.add("h", filter=channels)
    def _(event):
        "h on a channel: hang it up (Enter again to confirm)."
        shell.row_action(shell.callviews.hangup)

    @kb.add("r", filter=channels)
    def _(event):
        "r on a channel: redirect it (a Redirect in the input; Tab completes context and exten)."
        shell.row_action(shell.callviews.redirect)

    @kb.add("m", filter=channels)
    def _(event):
        "m on a channel: start MixMonitor on it (StopMixMonitor when it records), in the input to send."
        shell.row_action(shell.callviews.mixmonitor)

    @kb.add("e", filter=table)
    def _(event):
        "e in a view: follow the selected call in the events pane (only its Linkedid)."
        shell.follow_call_of_selection()

    @kb.add("c", filter=events)
    def _(event):
        "c on an event: follow its call in the events pane (only its Linkedid); c again: all calls."
        shell.follow_call_of_selection()

    @kb.add("s", filter=sortable)
    def _(event):
        "s in a view: sort by the next column."
        shell.sort_view(reverse=False)

    @kb.add("S", filter=sortable)
    def _(event):
        "S in a view: reverse the sort."
        shell.sort_view(reverse=True)

    @kb.add("/", filter=sortable)
    def _(event):
        "/ in a view: narrow it with the filter language (/channels EXPR or /calls EXPR in the input)."
        shell.type_action(f"/{shell.table_focused()} ", send=False)

    @kb.add("escape", filter=Condition(lambda: shell.table_focused() == "timeline") & ~is_searching, eager=True)
    def _(event):
        "Esc in a timeline: back to the Calls view."
        shell.show_view("calls")

    return kb


def describe_bindings(kb: KeyBindings) -> list[tuple[str, str]]:
    """(keys, what it does) for every binding with a docstring, for /keys."""
    out = []
    for binding in kb.bindings:
        doc = " ".join((binding.handler.__doc__ or "").split())  # one line, however the docstring wraps
        if doc:
            keys, _, what = doc.partition(": ")
            out.append((keys, what))
    return out
