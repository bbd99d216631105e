import pytest

from listeners.levels import level_for


@pytest.mark.parametrize(
    "chats,average,count,level",
    [
        (0, None, 0, 1),
        (9, 5.0, 5, 1),
        (10, None, 0, 2),
        (49, 5.0, 40, 2),
        (50, None, 0, 3),  # too few ratings to judge: chats alone
        (50, 3.0, 2, 3),  # two ratings don't count yet
        (50, 3.0, 3, 2),  # enough ratings, average too low for 3
        (50, 3.5, 3, 3),
        (150, 4.2, 9, 3),  # level 4 needs at least 10 ratings
        (150, 4.0, 10, 4),
        (150, 3.9, 10, 3),
        (400, 4.5, 25, 5),
        (400, 4.49, 25, 4),
        (400, 4.9, 24, 4),
        (1000, 2.0, 100, 2),  # many chats, poor ratings
    ],
)
def test_level_rule(chats, average, count, level):
    assert level_for(chats_helped=chats, rating_average=average, rating_count=count, min_count=3) == level


def test_more_chats_never_lower_the_level():
    levels = [level_for(chats_helped=chats, rating_average=4.6, rating_count=30) for chats in range(0, 500, 5)]
    assert levels == sorted(levels)
