"""The planner as a decision table: every (event state, link state) pair -> its actions."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from syncd.adapters.zoom_body import update_body
from syncd.core.actions import (
    Adopt,
    Create,
    Delete,
    Depart,
    DropReplaced,
    FindOrCreate,
    Forget,
    Keep,
    Reconcile,
    Rehost,
    RemoveBlock,
    Resolve,
    ShowSeriesBlock,
    Update,
    WriteBack,
)
from syncd.core.description import BlockInfo, insert_block
from syncd.core.domain import (
    MEETING_ID_PROPERTY,
    Event,
    EventTime,
    Link,
    LinkState,
    MeetingType,
    reference_for,
)
from syncd.core.meeting_spec import AGENDA_LIMIT, TOPIC_LIMIT, Context, Settings, meeting_spec
from syncd.core.planner import (
    MOVE_WAIT_LIMIT,
    TABLE,
    EventState,
    LinkKind,
    event_state,
    link_kind,
    plan,
)

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
CTX = Context(Settings(), "UTC", NOW)
INFO = BlockInfo("https://zoom.us/j/12345678901?pwd=x", 12345678901, "abc")
SENT = NOW - timedelta(minutes=5)


def event(**fields) -> Event:
    start = NOW + timedelta(days=1)
    defaults = dict(
        calendar_id="cal",
        id="ev1",
        summary="Planning #zoom",
        description="notes",
        etag='"1"',
        start=EventTime(date_time=start, time_zone="Europe/Berlin"),
        end=EventTime(date_time=start + timedelta(minutes=45), time_zone="Europe/Berlin"),
        organizer_email="ada@example.com",
    )
    return Event(**{**defaults, **fields})


def shown(ev: Event) -> Event:
    """The event as syncd left it: the block and the property written back."""
    return replace(
        ev,
        description=insert_block(ev.description, INFO),
        private_properties={MEETING_ID_PROPERTY: str(INFO.meeting_id)},
    )


def link(state: LinkState, ev: Event | None = None, **fields) -> Link:
    defaults = dict(
        calendar_id="cal",
        event_id="ev1",
        reference=reference_for("cal", "ev1"),
        state=state,
        host="me",
        create_sent_at=SENT if state is LinkState.CREATING else None,
    )
    if state.has_meeting:
        spec = meeting_spec(ev or event(), CTX)
        defaults |= dict(
            meeting_id=INFO.meeting_id, join_url=INFO.join_url, passcode="abc", made_from=spec
        )
    return Link(**{**defaults, **fields})


EVENTS = {
    EventState.WANTED: shown(event()),
    EventState.UNWANTED: shown(event(summary="Planning")),
    EventState.GONE: event(status="cancelled"),
    EventState.OCCURRENCE: event(recurring_event_id="series1"),
}
LINKS = {
    LinkKind.NONE: None,
    LinkKind.PENDING: link(LinkState.PENDING, attempts=2, last_error="boom"),
    LinkKind.CREATING: link(LinkState.CREATING),
    LinkKind.MEETING: link(LinkState.LINKED, shown(event())),
    LinkKind.KEPT: link(LinkState.KEPT, shown(event())),
}
SPEC = meeting_spec(event(), CTX)
REF = reference_for("cal", "ev1")
W, U, G, OC = (EventState.WANTED, EventState.UNWANTED, EventState.GONE, EventState.OCCURRENCE)
N, P, C, M, K = (
    LinkKind.NONE,
    LinkKind.PENDING,
    LinkKind.CREATING,
    LinkKind.MEETING,
    LinkKind.KEPT,
)

# What each pair must give, with on_cancel = "delete" (the default).
EXPECTED = {
    (W, N): (Adopt(INFO.meeting_id, SPEC, REF), WriteBack()),  # it names a meeting: lost store
    (W, P): (Adopt(INFO.meeting_id, SPEC, REF), WriteBack()),
    (W, C): (FindOrCreate(SPEC, REF, "me", SENT), WriteBack()),
    (W, M): (),
    (W, K): (WriteBack(INFO),),  # a cancelled event restored: followed again
    (U, N): (RemoveBlock(),),
    (U, P): (RemoveBlock(), Forget()),  # e.g. its meeting was found deleted by the audit
    (U, C): (RemoveBlock(), Resolve(REF, "me", SENT, delete=True)),
    (U, M): (RemoveBlock(), Delete(INFO.meeting_id, "no longer asks for a meeting"), Forget()),
    (U, K): (RemoveBlock(), Delete(INFO.meeting_id, "no longer asks for a meeting"), Forget()),
    (G, N): (),
    (G, P): (Forget(),),
    (G, C): (Resolve(REF, "me", SENT, delete=True),),
    (G, M): (Delete(INFO.meeting_id, "event cancelled"), Forget()),
    (G, K): (),
    **{(OC, kind): () for kind in (N, P, C)},
    # An instance Google keeps apart (own description) shows its series' block too.
    (OC, M): (ShowSeriesBlock(INFO),),
    (OC, K): (ShowSeriesBlock(INFO),),
}


def test_an_instance_that_shows_the_block_or_is_cancelled_gets_nothing():
    series = LINKS[LinkKind.MEETING]
    instance = EVENTS[EventState.OCCURRENCE]
    assert plan(shown(instance), series, CTX).actions == ()
    cancelled = replace(instance, status="cancelled")
    assert plan(cancelled, series, CTX).actions == ()


def test_the_table_covers_every_pair():
    pairs = {(e, k) for e in EventState for k in LinkKind}
    assert set(TABLE) == pairs
    assert set(EXPECTED) == pairs


@pytest.mark.parametrize(("state", "kind"), sorted(EXPECTED), ids=lambda v: str(v))
def test_decision_table(state, kind):
    ev, ln = EVENTS[state], LINKS[kind]
    assert (event_state(ev, CTX), link_kind(ln)) == (state, kind)
    assert plan(ev, ln, CTX).actions == EXPECTED[(state, kind)]


def test_on_cancel_keep_keeps_the_meeting_and_resolves_to_keeping_it():
    keep = replace(CTX, settings=Settings(on_cancel="keep"))
    gone = EVENTS[G]
    assert plan(gone, LINKS[M], keep).actions == (Keep(),)
    assert plan(gone, LINKS[C], keep).actions == (Resolve(REF, "me", SENT, delete=False),)


def test_a_gone_event_s_meeting_waits_until_every_other_calendar_was_read_since():
    """It may have moved to another watched calendar, which then takes the link over."""
    gone, linked = EVENTS[G], LINKS[M]
    not_read_since = replace(CTX, others_read_until=NOW - timedelta(minutes=3))
    assert plan(gone, linked, not_read_since).actions == (Depart(),)
    departed = replace(linked, departed_at=NOW - timedelta(minutes=2))
    assert plan(gone, departed, not_read_since).actions == ()  # still waiting
    read_since = replace(CTX, others_read_until=NOW - timedelta(minutes=1))
    assert plan(gone, departed, read_since).actions == EXPECTED[(G, M)]
    failing = replace(CTX, others_read_until=NOW - 2 * MOVE_WAIT_LIMIT)
    assert plan(gone, departed, failing).actions == ()
    too_long = replace(departed, departed_at=NOW - MOVE_WAIT_LIMIT)
    assert plan(gone, too_long, failing).actions == EXPECTED[(G, M)]
    back = shown(EVENTS[W])  # restored, or moved back before the meeting was deleted
    assert plan(back, departed, not_read_since).actions == (WriteBack(INFO),)


def test_new_tagged_event_is_created_then_written_back():
    decision = plan(event(), None, CTX)
    assert decision.actions == (Create(SPEC, REF), WriteBack())
    assert SPEC.topic == "Planning"
    assert SPEC.type is MeetingType.SCHEDULED
    assert SPEC.agenda.splitlines()[0] == REF


@pytest.mark.parametrize(
    "ev",
    [
        event(summary="Planning"),
        event(status="cancelled"),
        event(recurring_event_id="series1"),
        event(organizer_self=False),
        event(
            start=EventTime(date_time=NOW - timedelta(hours=2)),
            end=EventTime(date_time=NOW - timedelta(hours=1)),
        ),
    ],
)
def test_untagged_cancelled_occurrences_invitations_and_past_events_get_nothing(ev):
    assert plan(ev, None, CTX).idle


def test_a_past_event_whose_create_failed_is_forgotten():
    past = event(
        start=EventTime(date_time=NOW - timedelta(hours=2)),
        end=EventTime(date_time=NOW - timedelta(hours=1)),
    )
    assert plan(past, LINKS[P], CTX).actions == (Forget(),)


def test_linked_event_that_lost_its_block_is_written_again():
    decision = plan(event(), LINKS[M], CTX)
    assert decision.actions == (WriteBack(INFO),)


def test_created_but_not_written_is_only_written():
    created = link(LinkState.CREATED, event())
    assert plan(event(), created, CTX).actions == (WriteBack(INFO),)


def test_refused_create_is_simply_tried_again():
    assert plan(event(), LINKS[P], CTX).actions == (Create(SPEC, REF), WriteBack())


@pytest.mark.parametrize(
    ("edit", "fields"),
    [
        (dict(summary="Roadmap #zoom"), {"topic"}),
        (dict(description="new agenda"), {"agenda"}),
        (
            dict(
                start=EventTime(date_time=NOW + timedelta(days=2), time_zone="Europe/Berlin"),
                end=EventTime(
                    date_time=NOW + timedelta(days=2, minutes=45), time_zone="Europe/Berlin"
                ),
            ),
            {"start_time"},
        ),
        (
            dict(
                end=EventTime(
                    date_time=NOW + timedelta(days=1, minutes=90), time_zone="Europe/Berlin"
                )
            ),
            {"duration"},
        ),
        (
            dict(
                start=EventTime(date_time=NOW + timedelta(days=1), time_zone="Asia/Tokyo"),
                end=EventTime(
                    date_time=NOW + timedelta(days=1, minutes=45), time_zone="Asia/Tokyo"
                ),
            ),
            {"timezone"},
        ),
    ],
    ids=["renamed", "described", "moved", "resized", "rezoned"],
)
def test_a_changed_event_patches_only_what_changed(edit, fields):
    changed = shown(replace(event(), **edit))
    decision = plan(changed, LINKS[M], CTX)
    update = decision.actions[0]
    assert isinstance(update, Update)
    assert set(update.changes.names()) == fields
    assert decision.actions[1:] == (WriteBack(),)


def test_a_meeting_made_from_what_is_unknown_is_compared_with_zoom_first():
    legacy = replace(LINKS[M], made_from=None)
    assert plan(EVENTS[W], legacy, CTX).actions == (
        Reconcile(INFO.meeting_id, SPEC, REF),
        WriteBack(),
    )


def test_settings_changed_in_config_are_sent_on_update():
    ctx = replace(CTX, settings=Settings(zoom_settings=(("waiting_room", True),)))
    update = plan(EVENTS[W], LINKS[M], ctx).actions[0]
    assert isinstance(update, Update)
    assert update_body(update.changes) == {"settings": {"waiting_room": True}}


def test_topic_and_agenda_respect_zooms_limits():
    long = event(summary="x" * 500 + " #zoom", description="y" * 10_000)
    spec = meeting_spec(long, CTX)
    assert len(spec.topic) == TOPIC_LIMIT
    assert len(spec.agenda) == AGENDA_LIMIT
    assert spec.agenda.startswith(REF)


def test_host_can_be_the_organizer_when_a_zoom_user():
    ctx = replace(
        CTX, settings=Settings(host="organizer"), zoom_users=frozenset({"ada@example.com"})
    )
    assert meeting_spec(event(organizer_email="Ada@Example.com"), ctx).host == "ada@example.com"


def test_an_organizer_without_a_zoom_user_falls_back_with_a_note():
    ctx = replace(
        CTX,
        settings=Settings(host="organizer", host_fallback="rooms@example.com"),
        zoom_users=frozenset({"bob@example.com"}),
    )
    decision = plan(event(), None, ctx)
    assert decision.actions[0].spec.host == "rooms@example.com"
    assert decision.notes == (
        "organizer ada@example.com is no Zoom user here; host rooms@example.com",
    )


def test_mapped_hosts_win_organizer_before_calendar():
    hosts = {"ada@example.com": "ada-zoom@example.com", "cal": "team@example.com"}
    ctx = replace(CTX, settings=Settings(hosts=hosts))
    assert meeting_spec(event(), ctx).host == "ada-zoom@example.com"
    assert meeting_spec(event(organizer_email="bob@example.com"), ctx).host == "team@example.com"


def test_a_new_organizer_moves_the_meeting_with_schedule_for():
    users = frozenset({"ada@example.com", "bob@example.com"})
    ctx = replace(CTX, settings=Settings(host="organizer"), zoom_users=users)
    moved = shown(event(organizer_email="bob@example.com"))
    rehost, write, drop = plan(moved, replace(LINKS[M], host="ada@example.com"), ctx).actions
    assert isinstance(rehost, Rehost)
    assert rehost.changes is not None
    assert update_body(rehost.changes)["schedule_for"] == "bob@example.com"
    assert rehost.old_host == "ada@example.com"
    assert (write, drop) == (WriteBack(), DropReplaced(INFO.meeting_id))


def test_while_the_zoom_users_are_unknown_a_meeting_keeps_its_host():
    ctx = replace(CTX, settings=Settings(host="organizer"), zoom_users=None)
    renamed = shown(event(organizer_email="carol@example.com", summary="Renamed #zoom"))
    (update, _) = plan(renamed, replace(LINKS[M], host="me"), ctx).actions
    assert isinstance(update, Update) and set(update.changes.names()) == {"topic"}
    assert meeting_spec(event(), ctx).host == "me"  # a new meeting: the fallback for now


def test_a_meeting_moving_to_me_is_made_again():
    rehost = plan(EVENTS[W], replace(LINKS[M], host="ada@example.com"), CTX).actions[0]
    assert isinstance(rehost, Rehost) and rehost.changes is None


def test_a_meeting_left_by_a_re_host_is_deleted_first_and_before_the_row_goes():
    replaced = replace(LINKS[M], replaced_meeting_id=42)
    renamed = shown(event(summary="Renamed #zoom"))
    first, *rest = plan(renamed, replaced, CTX).actions
    assert first == DropReplaced(42) and isinstance(rest[0], Update)
    assert plan(EVENTS[G], replaced, CTX).actions == (
        DropReplaced(42),
        Delete(INFO.meeting_id, "event cancelled"),
        Forget(),
    )


def test_a_re_host_not_yet_shown_is_finished_before_anything_else():
    created = replace(LINKS[M], state=LinkState.CREATED, replaced_meeting_id=42)
    moved_again = replace(CTX, settings=Settings(host="bob@example.com"))
    assert plan(EVENTS[W], created, moved_again).actions == (WriteBack(INFO), DropReplaced(42))


def test_a_cancelled_event_under_keep_keeps_the_meeting_its_attendees_know():
    keep = replace(CTX, settings=Settings(on_cancel="keep"))
    created = replace(LINKS[M], state=LinkState.CREATED, replaced_meeting_id=42)
    assert plan(EVENTS[G], created, keep).actions == (
        Delete(INFO.meeting_id, "made for a re-host, never shown"),
        Forget(),
    )


def test_a_re_host_cut_short_deletes_the_old_meeting_only_after_the_new_one():
    creating = replace(LINKS[C], meeting_id=42, replaced_meeting_id=42)
    *_, last = plan(EVENTS[W], creating, CTX).actions
    assert last == DropReplaced(42)  # skipped while 42 is still the event's meeting


def test_guarded_deletions_are_marked_for_the_mass_change_guard():
    assert plan(EVENTS[U], LINKS[M], CTX).guarded_deletes
    assert plan(EVENTS[G], LINKS[M], CTX).guarded_deletes
    assert not plan(EVENTS[W], LINKS[M], CTX).guarded_deletes


def test_references_differ_per_event_and_calendar():
    refs = {reference_for("a", "1"), reference_for("a", "2"), reference_for("b", "1")}
    assert len(refs) == 3
