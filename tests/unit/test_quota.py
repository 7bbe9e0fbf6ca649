import threading

from hypothesis import given
from hypothesis import strategies as st

from syncd.adapters.quota import IN_FLIGHT_POLL, SlidingWindowQuota
from tests.unit.test_rate_limits import FakeTime


def quota(time: FakeTime, per_identity: float, per_project: float = 10_000):
    return SlidingWindowQuota(
        per_identity, per_project, window=60, clock=time.clock, sleep=time.sleep
    )


def send(limits: SlidingWindowQuota, identity: str, time: FakeTime, latency: float = 0.0):
    """One request: `latency` seconds between sending it and its answer."""
    with limits.request(identity):
        time.now += latency


def test_a_burst_up_to_the_budget_goes_at_once():
    time = FakeTime()
    limits = quota(time, 600)
    for _ in range(600):
        send(limits, "ada@example.com", time)
    assert time.slept == []


def test_the_request_after_the_budget_waits_a_window_after_the_oldest_answer():
    time = FakeTime()
    limits = quota(time, 3)
    send(limits, "ada@example.com", time, latency=0.5)  # answered at 100.5
    time.now += 10
    for _ in range(3):
        send(limits, "ada@example.com", time)  # the 2nd, 3rd at 110.5; the 4th waits
    assert time.slept == [50]
    send(limits, "ada@example.com", time)  # the 2nd was answered at 110.5
    assert time.slept == [50, 10]


def test_requests_in_flight_count_until_answered():
    time = FakeTime()
    limits = quota(time, 2)
    with limits.request("ada@example.com"), limits.request("ada@example.com"):
        waiting = threading.Thread(target=send, args=(limits, "ada@example.com", time))
        time.sleep = lambda seconds: (time.slept.append(seconds), waiter_can_go.wait(1))
        waiter_can_go = threading.Event()
        waiting.start()
        waiting.join(0.2)
        assert waiting.is_alive() and time.slept[0] == IN_FLIGHT_POLL
    time.now += 60
    waiter_can_go.set()
    waiting.join(1)
    assert not waiting.is_alive()


def test_each_identity_has_its_own_budget():
    time = FakeTime()
    limits = quota(time, 2)
    for identity in ("ada@example.com", "bob@example.com", "cy@example.com"):
        send(limits, identity, time)
        send(limits, identity, time)
    assert time.slept == []
    send(limits, "bob@example.com", time)
    assert time.slept == [60]


def test_every_identity_counts_against_the_projects_budget():
    time = FakeTime()
    limits = quota(time, 600, per_project=4)
    for identity in ("a", "b", "c", "d"):
        send(limits, identity, time)
    send(limits, "e", time)
    assert time.slept == [60]


def test_a_refusal_pauses_its_identity_or_for_the_project_everyone():
    time = FakeTime()
    limits = quota(time, 600)
    limits.pause(5, "ada@example.com")
    send(limits, "bob@example.com", time)
    assert time.slept == []
    send(limits, "ada@example.com", time)
    assert time.slept == [5]
    limits.pause(2)
    send(limits, "bob@example.com", time)
    assert time.slept == [5, 2]


@given(
    budget=st.integers(1, 20),
    requests=st.lists(
        st.tuples(st.floats(0, 30, allow_nan=False), st.floats(0, 2, allow_nan=False)),
        min_size=1,
        max_size=80,
    ),
)
def test_google_never_sees_more_than_the_budget_in_a_window(budget, requests):
    """Requests wanted at any moments, each arriving at Google at any moment between its
    sending and its answer (here: halfway): no 60-second window of arrivals holds more than
    the budget, and a request waits only when the window as syncd counts it is full."""
    time = FakeTime()
    limits = quota(time, budget)
    arrivals: list[float] = []
    counted: list[tuple[float, float]] = []  # (sent, answered)
    for gap, latency in requests:
        time.now += gap
        wanted = time.now
        full = sum(1 for _, answered in counted if answered > wanted - 60 + 1e-9) >= budget
        with limits.request("ada@example.com"):
            sent = time.now
            time.now += latency
        arrivals.append(sent + latency / 2)
        counted.append((sent, time.now))
        arrival = arrivals[-1]
        assert sum(1 for a in arrivals if arrival - 60 + 1e-9 < a <= arrival + 1e-9) <= budget
        assert (sent > wanted) is full


def test_threads_share_the_window():
    limits = SlidingWindowQuota(50, 10_000, window=60)
    taken = []

    def worker() -> None:
        for _ in range(10):
            with limits.request("ada@example.com"):
                taken.append(1)

    threads = [threading.Thread(target=worker) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)
    assert len(taken) == 50


def test_replicas_sharing_the_budgets_keep_to_their_shares():
    time = FakeTime()
    limits = quota(time, 600, per_project=10_000)
    limits.share(3)
    for _ in range(200):
        send(limits, "ada@example.com", time)
    assert time.slept == []
    send(limits, "ada@example.com", time)  # 600 / 3 spent
    assert time.slept == [60]
    limits.share(1)
    for _ in range(399):
        send(limits, "ada@example.com", time)
    assert time.slept == [60]
