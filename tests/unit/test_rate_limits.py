from syncd.adapters.rate_limits import RateLimiter
from syncd.adapters.zoom import LIGHT, MEDIUM, category


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def limiter(time: FakeTime, **rates: float) -> RateLimiter:
    return RateLimiter(rates, clock=time.clock, sleep=time.sleep)


def test_requests_of_a_category_are_spaced_by_its_rate():
    time = FakeTime()
    limits = limiter(time, medium=4)
    for _ in range(5):
        limits.wait("medium")
    assert time.slept == [0.25] * 4
    limits.wait("light")  # another category, no limit given: at once
    assert len(time.slept) == 4


def test_a_429_pauses_every_category():
    time = FakeTime()
    limits = limiter(time, medium=4, light=100)
    limits.pause(2)
    limits.wait("light")
    assert time.slept == [2]
    limits.wait("medium")
    assert time.slept == [2]  # the pause is over


def test_zooms_categories_of_syncds_requests():
    assert category("users/me/meetings") == MEDIUM  # create, list
    assert category("users") == MEDIUM
    assert category("users/ada@example.com") == LIGHT
    assert category("meetings/123") == LIGHT  # get, update, delete
