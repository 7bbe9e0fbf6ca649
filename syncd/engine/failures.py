"""What a failed step means for its event (pure): retry or park, and the note the calendar
user sees in place of a join link. The note is one of a few fixed sentences, never an error's
own text: that may name internals, and must never carry a secret."""

from __future__ import annotations

from dataclasses import dataclass

from syncd.core.errors import (
    GoogleRefused,
    HostUnknown,
    ZoomAuthError,
    ZoomDailyLimit,
    ZoomRejected,
)

PENDING = "Zoom link pending: {why}; syncd will try again."
NONE = "No Zoom meeting: {why}; ask your administrator."


@dataclass(frozen=True)
class Verdict:
    permanent: bool
    """Retrying cannot fix it: park at once."""
    why: str
    """For the calendar user: what went wrong, in their terms."""


def verdict(cause: Exception) -> Verdict:
    if isinstance(cause, HostUnknown):
        return Verdict(True, "the organizer has no Zoom account here")
    if isinstance(cause, ZoomRejected):
        return Verdict(True, "Zoom refused to make the meeting")
    if isinstance(cause, GoogleRefused):
        return Verdict(True, "syncd may not change this event")
    if isinstance(cause, ZoomDailyLimit):
        return Verdict(False, "the host has made as many Zoom meetings today as Zoom allows")
    if isinstance(cause, ZoomAuthError):
        return Verdict(False, "syncd cannot sign in to Zoom at the moment")
    return Verdict(False, "Zoom or Google did not answer")


def note(cause: Exception, parked: bool) -> str:
    """The sentence for the event's block while it has no meeting."""
    why = verdict(cause).why
    return (NONE if parked else PENDING).format(why=why)
