"""Which meetings of a host's listing duplicate a linked one (pure: no Zoom)."""

from __future__ import annotations

from syncd.core.domain import Link, LinkState
from syncd.engine.meeting_steps import duplicates


def link(reference: str, meeting_id: int | None, replaced: int | None = None) -> Link:
    state = LinkState.LINKED if meeting_id else LinkState.CREATING
    return Link(
        "cal", f"ev-{reference}", reference, state, meeting_id, replaced_meeting_id=replaced
    )


def strays(listing, *links: Link) -> list[int]:
    return [meeting for _, meeting in duplicates(listing, {k.reference: k for k in links})]


def test_a_second_meeting_of_a_linked_reference_is_a_duplicate():
    assert strays({"r": [1, 2, 3]}, link("r", 2)) == [1, 3]


def test_nothing_without_the_linked_meeting_in_the_same_listing():
    """Its twin may be another host's meeting, or syncd's own may be gone: keep both."""
    assert strays({"r": [1]}, link("r", 2)) == []


def test_nothing_for_a_reference_no_link_names():
    assert strays({"other": [1, 2]}, link("r", 2)) == []


def test_never_the_meeting_a_rehost_is_replacing():
    assert strays({"r": [1, 2]}, link("r", 2, replaced=1)) == []


def test_a_single_meeting_is_no_duplicate():
    assert strays({"r": [2]}, link("r", 2)) == []
