"""The one block of an event's description that syncd owns (pure).

The user's text is never changed: syncd appends a block between two plain-text markers, and
replacing or removing it gives back exactly the text it was added to. Google's HTML editor may
turn the newlines into `<br>`; the markers survive that, and so does removal.

syncd's block is the last BEGIN marker of the description and the one END marker after it, when
no marker follows that END (text without markers may: a user's line typed below the block). Any
other marker, nested, unbalanced or a whole BEGIN..END pair earlier on, is the user's text and
stays, so `remove_block(insert_block(text, info)) == text` for every text that holds no block.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

BEGIN_MARKER = "-- Zoom meeting (added by syncd) --"
END_MARKER = "-- end of Zoom meeting --"

_LINE_BREAK_AT_END = re.compile(r"(?:\n|<br\s*/?>)\Z")
_HTML_TAG = re.compile(r"<(?:[a-zA-Z][a-zA-Z0-9]*)\b[^>]*>|</[a-zA-Z][a-zA-Z0-9]*>")
_JOIN_LINE = re.compile(r"Join:\s*(\S+)")
_ID_LINE = re.compile(r"Meeting ID:\s*([\d ]+\d)")


@dataclass(frozen=True)
class BlockInfo:
    """What the block tells an attendee."""

    join_url: str
    meeting_id: int
    passcode: str = ""


def format_meeting_id(meeting_id: int) -> str:
    """Group digits the way Zoom shows them: 123 4567 8901, 123 456 7890."""
    digits = str(meeting_id)
    if len(digits) == 11:
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    if len(digits) in (9, 10):
        return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
    return digits


def looks_like_html(text: str) -> bool:
    return bool(_HTML_TAG.search(text))


def render_block(info: BlockInfo | str, *, as_html: bool) -> str:
    """The block for a meeting, or for a note that stands in for one (no meeting yet)."""
    if isinstance(info, str):
        lines = [BEGIN_MARKER, info, END_MARKER]
    else:
        lines = [
            BEGIN_MARKER,
            f"Join: {info.join_url}",
            f"Meeting ID: {format_meeting_id(info.meeting_id)}",
        ]
        if info.passcode:
            lines.append(f"Passcode: {info.passcode}")
        lines.append(END_MARKER)
    if as_html:
        return "<br>".join(html.escape(line, quote=False) for line in lines)
    return "\n".join(lines)


def _block_span(text: str) -> tuple[int, int] | None:
    """Where syncd's block is, line breaks before it included: the last BEGIN marker, the one
    END marker after it and no marker after that END (see the module's docstring)."""
    begin = text.rfind(BEGIN_MARKER)
    if begin < 0:
        return None
    end = text.find(END_MARKER, begin + len(BEGIN_MARKER))
    if end < 0 or text.find(END_MARKER, end + 1) >= 0:
        return None
    start = begin
    for _ in range(2):  # the two line breaks insert_block puts before a block
        line_break = _LINE_BREAK_AT_END.search(text, 0, start)
        if line_break is None:
            break
        start = line_break.start()
    return start, end + len(END_MARKER)


def _block_text(text: str) -> str | None:
    span = _block_span(text)
    return None if span is None else text[span[0] : span[1]]


def remove_block(text: str) -> str:
    """The description without syncd's block and the line breaks that introduced it."""
    span = _block_span(text)
    return text if span is None else text[: span[0]] + text[span[1] :]


def insert_block(text: str, info: BlockInfo | str) -> str:
    """The description with exactly one block for `info` (a meeting, or a note in its
    place), after the user's text."""
    user_text = remove_block(text)
    as_html = looks_like_html(user_text)
    block = render_block(info, as_html=as_html)
    if not user_text:
        return block
    return user_text + ("<br><br>" if as_html else "\n\n") + block


def plain_text(text: str) -> str:
    """The text without HTML: tags become line breaks, entities characters, blank lines go."""
    unmarked = html.unescape(_HTML_TAG.sub("\n", text))
    return "\n".join(line.strip() for line in unmarked.splitlines() if line.strip())


def has_block(text: str) -> bool:
    """Whether the description holds a block of syncd's (a meeting's or a note's)."""
    return _block_span(text) is not None


def find_note(text: str) -> str | None:
    """The note of syncd's block, if that block is a note (no meeting in it)."""
    block = _block_text(text)
    if block is None or find_block(block) is not None:
        return None
    lines = plain_text(block).splitlines()
    return "\n".join(lines[1:-1]) or None


def find_block(text: str) -> BlockInfo | None:
    """What syncd's block in the description says, if it names a meeting."""
    block = _block_text(text)
    if block is None:
        return None
    plain = plain_text(block)
    join = _JOIN_LINE.search(plain)
    meeting_id = _ID_LINE.search(plain)
    if not join or not meeting_id:
        return None
    passcode = re.search(r"Passcode:\s*(\S+)", plain)
    return BlockInfo(
        join_url=join.group(1),
        meeting_id=int(meeting_id.group(1).replace(" ", "")),
        passcode=passcode.group(1) if passcode else "",
    )
