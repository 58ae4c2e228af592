"""The mark of a report corrected in bulk: the earliest other report it may overlap, found for
200,000 reports at once, equals asking about each pair."""

import random
from datetime import date, timedelta

import pytest

from tracker.services.duplicates import DuplicateIndex, Statement, earliest_others

PATHS = ["ZZ/", "ZZ/01/", "ZZ/01/01/", "ZZ/01/02/", "ZZ/02/", "ZZ/02/01/"]


def overlap(a: tuple[int, Statement], b: tuple[int, Statement]) -> bool:
    """As DuplicateIndex says for two statements alone, the earlier filed first."""
    (first, s), (second, t) = sorted([a, b])
    return DuplicateIndex([(first, s)]).file(second, t) == first


@pytest.mark.parametrize("seed", range(5))
def test_earliest_others_equals_asking_about_each_pair(seed):
    pick = random.Random(seed)
    statements = []
    for ref in pick.sample(range(1, 1000), 60):
        start = date(2024, 11, 1) + timedelta(days=pick.randrange(60))
        end = start + timedelta(days=pick.choice([0, 0, 1, 4]))
        path = pick.choice(PATHS)
        statements.append(
            (ref, Statement(len(path), start, end, pick.random() < 0.3, (ref,), path))
        )
    asked = {ref for ref, _ in pick.sample(statements, 30)}
    wanted = {}
    for ref, statement in statements:
        if ref in asked:
            others = [o for o, t in statements if o != ref and overlap((ref, statement), (o, t))]
            if others:
                wanted[ref] = min(others)
    assert earliest_others(statements, asked) == wanted
    assert any(wanted[ref] > ref for ref in wanted)  # some marks name a later report
