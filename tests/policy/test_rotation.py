"""Round robin: the member after the last one, wrapping, starting over when that member is gone."""

from sync.policy.rotation import next_in_turn

TEAM = [{"id": "1", "email": "a@x.test"}, {"id": 2, "email": "b@x.test"}, {"id": "3", "email": "c@x.test"}]


def test_an_empty_team_has_no_one() -> None:
    assert next_in_turn([], "1") is None
    assert next_in_turn([], None) is None


def test_the_first_turn_goes_to_the_first_member() -> None:
    assert next_in_turn(TEAM, None) == TEAM[0]


def test_the_member_after_the_last_one_and_wrapping_around() -> None:
    assert next_in_turn(TEAM, "1") == TEAM[1]
    assert next_in_turn(TEAM, "2") == TEAM[2]  # ids compare as text
    assert next_in_turn(TEAM, "3") == TEAM[0]


def test_a_last_member_who_left_the_team_starts_it_over() -> None:
    assert next_in_turn(TEAM, "9") == TEAM[0]


def test_every_member_gets_a_turn_before_anyone_gets_a_second() -> None:
    last: str | None = None
    taken = []
    for _ in range(6):
        member = next_in_turn(TEAM, last)
        assert member is not None
        last = str(member["id"])
        taken.append(last)
    assert taken == ["1", "2", "3", "1", "2", "3"]
