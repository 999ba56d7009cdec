"""Backoff: exponential from the base, spread by key, never beyond the cap."""

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from sync.policy.backoff import backoff

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)


def test_doubles_per_attempt_from_the_base() -> None:
    key = "k"  # sum(b"k") % 1000 = 107: a spread of 2.675%
    spread = 1 + 107 / 4000
    assert [backoff(n, MINUTE, HOUR, key) for n in (1, 2, 3, 4)] == [
        MINUTE * spread,
        2 * MINUTE * spread,
        4 * MINUTE * spread,
        8 * MINUTE * spread,
    ]


def test_no_attempt_yet_waits_the_base() -> None:
    assert backoff(0, MINUTE, HOUR, "") == MINUTE


def test_the_cap_bounds_the_delay_and_its_spread() -> None:
    assert backoff(20, MINUTE, HOUR, "some:action:key") == HOUR


def test_the_same_key_always_waits_the_same() -> None:
    assert backoff(3, MINUTE, HOUR, "a:b") == backoff(3, MINUTE, HOUR, "a:b")
    assert backoff(3, MINUTE, HOUR, "a:b") != backoff(3, MINUTE, HOUR, "a:c")


@given(attempts=st.integers(min_value=0, max_value=40), key=st.text(max_size=50))
def test_between_the_exponential_delay_and_a_quarter_more(attempts: int, key: str) -> None:
    plain = min(HOUR, MINUTE * 2 ** max(0, attempts - 1))
    delay = backoff(attempts, MINUTE, HOUR, key)
    assert plain <= delay <= min(HOUR, plain * 1.25)
