"""A recovery's sweep lists Zoom's hosts once, after the recovery window, spread over passes:
at most `sweep_per_pass` new listings a pass, the ones made kept for the passes after."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from syncd.engine.zoom_listings import HostListings

WINDOW_ENDS = datetime(2026, 12, 5, 12, tzinfo=UTC)


class Zoom:
    def __init__(self) -> None:
        self.listed: list[str] = []
        self.now = WINDOW_ENDS

    def clock(self) -> datetime:
        return self.now

    def list_host(self, host: str) -> dict[str, list[int]]:
        self.listed.append(host)
        return {f"syncd-ref:{host}": [len(self.listed)]}


def sweep(listings: HostListings, zoom: Zoom, hosts: list[str]) -> list[str]:
    """The hosts listed for a sweep this pass, as far as its share allows."""
    return [
        host
        for host in hosts
        if listings.for_sweep(host, WINDOW_ENDS, zoom.clock, zoom.list_host) is not None
    ]


def test_a_pass_lists_its_share_and_the_next_passes_the_rest_once():
    listings, zoom = HostListings(sweep_per_pass=2), Zoom()
    hosts = [f"h{n}@example.com" for n in range(5)]

    listings.new_pass()
    assert sweep(listings, zoom, hosts) == hosts[:2]
    listings.new_pass()
    assert sweep(listings, zoom, hosts) == hosts[:4]
    listings.new_pass()
    assert sweep(listings, zoom, hosts) == hosts

    assert zoom.listed == hosts  # each host once, however many passes asked


def test_a_listing_from_before_the_window_ended_is_made_again():
    listings, zoom = HostListings(sweep_per_pass=10), Zoom()
    zoom.now = WINDOW_ENDS - timedelta(seconds=1)  # a lost create may land after this
    listings.for_sweep("h@example.com", zoom.now, zoom.clock, zoom.list_host)

    zoom.now = WINDOW_ENDS
    listing = listings.for_sweep("h@example.com", WINDOW_ENDS, zoom.clock, zoom.list_host)

    assert listing == {"syncd-ref:h@example.com": [2]}
    assert zoom.listed == ["h@example.com", "h@example.com"]


def test_hosts_outside_the_share_are_listed_when_the_sweep_must_have_them():
    listings, zoom = HostListings(sweep_per_pass=0), Zoom()
    listings.new_pass()
    assert listings.for_sweep("h@example.com", WINDOW_ENDS, zoom.clock, zoom.list_host) is None
    forced = listings.for_sweep(
        "h@example.com", WINDOW_ENDS, zoom.clock, zoom.list_host, budgeted=False
    )
    assert forced == {"syncd-ref:h@example.com": [1]}
