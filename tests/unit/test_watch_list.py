"""The watch list over an in-memory directory: who is read, when the directory is read again,
and what the store is told about users who leave the scope."""

from datetime import UTC, datetime, timedelta

import pytest

from syncd.core.directory import DirectoryScope, DirectoryUser, census, within
from syncd.core.errors import DelegationRefused, GoogleUnavailable
from syncd.engine.watch_list import Discovery, WatchList


class FakeDirectory:
    def __init__(self, users: list[DirectoryUser], groups: dict[str, set[str]] | None = None):
        self.users_ = users
        self.groups = groups or {}
        self.reads = 0
        self.delegated = True
        self.down = False
        self.checked: list[str] = []

    def users(self, scope: DirectoryScope) -> list[DirectoryUser]:
        if self.down:
            raise GoogleUnavailable("directory down")
        self.reads += 1
        return [u for u in self.users_ if not scope.domain or u.email.endswith(scope.domain)]

    def group_members(self, group: str) -> frozenset[str]:
        return frozenset(self.groups[group])

    def check_delegation(self, user: str) -> None:
        self.checked.append(user)
        if not self.delegated:
            raise DelegationRefused(f"not granted for {user}", "grant it")


class FakeScopeBook:
    def __init__(self) -> None:
        self.watched: list[set[str]] = []

    def record_scope(self, watched: set[str], now: datetime) -> None:
        self.watched.append(watched)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 5, 9, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


USERS = [
    DirectoryUser("ada@example.com", org_unit="/Sales"),
    DirectoryUser("Bob@example.com", org_unit="/Sales/EMEA"),
    DirectoryUser("cy@example.com", suspended=True, org_unit="/Sales"),
    DirectoryUser("di@example.com", archived=True),
    DirectoryUser("ed@example.com", org_unit="/Engineering"),
    DirectoryUser("fay@example.com", org_unit="/SalesOps"),
]


def watch(directory, scope=None, configured=(), store=None, clock=None):
    return WatchList(
        list(configured),
        store=store,
        discovery=Discovery(directory, scope or DirectoryScope(), timedelta(minutes=60)),
        clock=clock or Clock(),
    )


def test_active_users_in_the_org_unit_and_below_are_read_with_the_named_calendars():
    watched = watch(
        FakeDirectory(USERS),
        DirectoryScope(org_unit="/Sales"),
        configured=["team@group.calendar.google.com"],
    )
    assert watched.calendars() == [
        "ada@example.com",
        "bob@example.com",
        "team@group.calendar.google.com",
    ]
    assert watched.census is not None
    assert watched.census.out_of_scope == (
        "cy@example.com",
        "di@example.com",
        "ed@example.com",
        "fay@example.com",
    )


def test_a_group_narrows_the_scope():
    directory = FakeDirectory(USERS, {"zoomers@example.com": {"ada@example.com", "ed@example.com"}})
    assert watch(directory, DirectoryScope(group="zoomers@example.com")).calendars() == [
        "ada@example.com",
        "ed@example.com",
    ]


def test_the_directory_is_read_again_when_due_and_the_store_told_each_time():
    directory, store, clock = FakeDirectory(USERS), FakeScopeBook(), Clock()
    watched = watch(directory, store=store, clock=clock)
    watched.calendars()
    clock.now += timedelta(minutes=59)
    watched.calendars()
    assert directory.reads == 1
    directory.users_ = [*USERS, DirectoryUser("new@example.com")]
    clock.now += timedelta(minutes=1)
    assert "new@example.com" in watched.calendars()
    assert directory.reads == 2
    assert len(store.watched) == 2 and "new@example.com" in store.watched[1]


def test_a_directory_that_cannot_be_read_keeps_the_last_list_or_fails_the_first_pass():
    directory, clock = FakeDirectory(USERS), Clock()
    watched = watch(directory, clock=clock)
    directory.down = True
    with pytest.raises(GoogleUnavailable):
        watched.calendars()
    directory.down = False
    before = watched.calendars()
    directory.down = True
    clock.now += timedelta(hours=2)
    assert watched.calendars() == before


def test_delegation_is_proved_on_an_in_scope_user_before_any_calendar_is_read():
    directory = FakeDirectory(USERS)
    directory.delegated = False
    with pytest.raises(DelegationRefused):
        watch(directory).calendars()
    assert directory.checked == ["ada@example.com"]


def test_without_a_directory_the_named_calendars_alone():
    watched = WatchList(["primary"], store=None, discovery=None, clock=Clock())
    assert watched.calendars() == ["primary"] and watched.census is None


@pytest.mark.parametrize(
    ("unit", "top", "inside"),
    [
        ("/Sales", "/Sales", True),
        ("/Sales/EMEA", "/Sales", True),
        ("/sales/emea", "/Sales/", True),
        ("/SalesOps", "/Sales", False),
        ("/", "/Sales", False),
        ("/Anything", "", True),
        ("/Anything", "/", True),
    ],
)
def test_org_units_contain_the_units_below_them(unit, top, inside):
    assert within(unit, top) is inside


def test_a_user_listed_twice_in_and_out_counts_in():
    users = [DirectoryUser("ada@example.com"), DirectoryUser("ADA@example.com", suspended=True)]
    found = census(users, DirectoryScope(), None)
    assert found.in_scope == ("ada@example.com",) and found.out_of_scope == ()
