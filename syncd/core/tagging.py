"""Does an event ask for a Zoom meeting? (pure)"""

from __future__ import annotations

import re
from functools import cache

from syncd.core.description import remove_block
from syncd.core.domain import Event


@cache
def _tag_pattern(tag: str) -> re.Pattern[str]:
    # The tag stands alone: "#zoom" matches "Standup #zoom" but not "#zoomed" or "a#zoom".
    return re.compile(rf"(?<!\w){re.escape(tag)}(?!\w)", re.IGNORECASE)


def strip_tag(text: str, tag: str) -> str:
    """The text without the tag, its spaces collapsed."""
    return " ".join(_tag_pattern(tag).sub(" ", text).split())


def has_tag(text: str, tag: str) -> bool:
    return bool(_tag_pattern(tag).search(text))


def is_tagged(event: Event, tag: str) -> bool:
    """True when the title, or the description outside syncd's own block, carries the tag."""
    return has_tag(event.summary, tag) or has_tag(remove_block(event.description), tag)
