"""The zone Zoom is sent for an event's IANA zone (`syncd.core.zoom_zones`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from syncd.core.zoom_zones import ZoneChoice, zoom_zone, zoom_zones

ALIASES = {
    "Asia/Chungking": "Asia/Shanghai",
    "Europe/Belfast": "Europe/London",
    "America/Virgin": "America/Puerto_Rico",
    "Asia/Ho_Chi_Minh": "Asia/Saigon",
    "America/Indiana/Indianapolis": "America/Indianapolis",
}
NO_TWIN = ("Pacific/Chatham", "Australia/Lord_Howe", "Pacific/Kiritimati")


def test_every_listed_zone_is_a_valid_zoneinfo():
    assert len(zoom_zones()) > 100
    for name in sorted(zoom_zones()):
        assert ZoneInfo(name).utcoffset(datetime(2026, 1, 1)) is not None, name


def test_listed_zones_are_sent_as_themselves():
    for name in sorted(zoom_zones()):
        assert zoom_zone(name) == ZoneChoice(name), name


@pytest.mark.parametrize(("alias", "twin"), ALIASES.items(), ids=list(ALIASES))
def test_an_alias_is_sent_as_its_listed_twin(alias, twin):
    assert alias not in zoom_zones() and twin in zoom_zones()
    choice = zoom_zone(alias)
    assert choice.name == twin
    assert choice.note is not None and alias in choice.note and twin in choice.note


@pytest.mark.parametrize("name", NO_TWIN)
def test_an_unlisted_zone_without_twin_is_sent_as_utc(name):
    choice = zoom_zone(name)
    assert choice.name == "UTC"
    assert choice.note is not None and name in choice.note


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "", "Europe/Berlin\n", "../etc/passwd"])
def test_an_unknown_name_is_sent_as_utc(name):
    choice = zoom_zone(name)
    assert choice.name == "UTC"
    assert choice.note is not None and "unknown" in choice.note


@pytest.mark.parametrize("name", ["Europe", "America/Indiana", "x" * 300], ids=lambda n: n[:20])
def test_a_name_that_is_no_zone_file_is_sent_as_utc(name):
    """Python's ZoneInfo raises OSError, not ZoneInfoNotFoundError, for a folder of the tz
    database or a name too long for a file."""
    choice = zoom_zone(name)
    assert choice.name == "UTC"
    assert choice.note is not None and "unknown" in choice.note


TWINNED = (
    *ALIASES,
    "US/Eastern",
    "US/Pacific",
    "Europe/Kyiv",
    "America/Nuuk",
    "Australia/NSW",
    "NZ",
    "Iran",
    "Asia/Katmandu",
    "Europe/Jersey",
    "Europe/Zagreb",
    "America/Toronto",
    "Etc/GMT+5",
    "EST5EDT",
    "Etc/UTC",
)
INSTANTS = [
    datetime(2026, 1, 1, tzinfo=UTC) + k * timedelta(days=9, hours=3, minutes=17)
    for k in range(400)
]


@pytest.mark.parametrize("name", TWINNED)
def test_the_twin_has_the_same_utc_offsets(name):
    choice = zoom_zone(name)
    assert choice.name in zoom_zones() and choice.name != name
    assert INSTANTS[-1].year == 2035
    zone, twin = ZoneInfo(name), ZoneInfo(choice.name)
    for moment in INSTANTS:
        assert moment.astimezone(zone).utcoffset() == moment.astimezone(twin).utcoffset(), moment


def test_a_zone_whose_past_differs_gets_a_listed_twin_with_its_rules_from_now_on():
    """Riga and Helsinki have kept the same clocks since 2003 but not before: meetings are
    for now and later, so Riga gets a listed European twin, not UTC."""
    choice = zoom_zone("Europe/Riga")
    assert choice.name.startswith("Europe/")
    assert choice.name in zoom_zones()
