"""Which meetings of the hosts' listings duplicate a linked one (pure: no Zoom)."""

from __future__ import annotations

from syncd.core.domain import Link, LinkState
from syncd.engine.meeting_steps import duplicates


def link(reference: str, meeting_id: int | None, replaced: int | None = None) -> Link:
    state = LinkState.LINKED if meeting_id else LinkState.CREATING
    return Link(
        "cal", f"ev-{reference}", reference, state, meeting_id, replaced_meeting_id=replaced
    )


def strays(listings, *links: Link, zoom_has: bool = False) -> list[tuple[str, int]]:
    """(host, meeting) of each duplicate; `zoom_has` answers whether Zoom still has a linked
    meeting no listing shows."""
    by_reference = {k.reference: k for k in links}
    return [(host, m) for _, host, m in duplicates(listings, by_reference, lambda _: zoom_has)]


def test_a_second_meeting_of_a_linked_reference_is_a_duplicate():
    assert strays({"h": {"r": [1, 2, 3]}}, link("r", 2)) == [("h", 1), ("h", 3)]


def test_a_meeting_under_another_host_is_a_duplicate():
    """A lost create went out under the host the event had then (found by the machine)."""
    listings = {"alice": {"r": [2]}, "bob": {"r": [7]}}
    assert strays(listings, link("r", 2)) == [("bob", 7)]


def test_nothing_while_zoom_may_not_have_the_linked_meeting():
    """Syncd's own may be gone: keep the other, the event's only meeting."""
    assert strays({"h": {"r": [1]}}, link("r", 2)) == []


def test_a_linked_meeting_made_since_its_host_was_listed_is_asked_for():
    assert strays({"h": {"r": [1]}}, link("r", 2), zoom_has=True) == [("h", 1)]


def test_nothing_for_a_reference_no_link_names():
    assert strays({"h": {"other": [1, 2]}}, link("r", 2)) == []


def test_never_the_meeting_a_rehost_is_replacing():
    assert strays({"h": {"r": [1, 2]}}, link("r", 2, replaced=1)) == []
    assert strays({"old": {"r": [1]}, "new": {"r": [2]}}, link("r", 2, replaced=1)) == []


def test_a_single_meeting_is_no_duplicate():
    assert strays({"h": {"r": [2]}}, link("r", 2)) == []


def test_a_meeting_listed_under_two_hosts_is_one():
    """Moved by `schedule_for` between two listings of one pass: deleted once, or kept."""
    assert strays({"a": {"r": [1, 2]}, "b": {"r": [1, 2]}}, link("r", 2)) == [("a", 1)]
    assert strays({"a": {"r": [2]}, "b": {"r": [2]}}, link("r", 2)) == []
