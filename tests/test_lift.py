"""The holdout comparison's interval against published and statsmodels' values."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.text.lift import lift, wilson

# confint_proportions_2indep(c1, n1, c2, n2, method="newcomb", compare="diff"), statsmodels
# 0.15; the first row is Newcombe's (1998) own example (a): 0.0524 to 0.3339
KNOWN = [
    ((56, 70, 48, 80), (0.05243147240236498, 0.33387265403690614)),
    ((9, 10, 3, 10), (0.1705227239345029, 0.809017973535488)),
    ((6, 7, 2, 7), (0.05822792748231209, 0.8062496375242278)),
    ((5, 56, 0, 29), (-0.038137147903536936, 0.19256001385511165)),
    ((0, 10, 0, 20), (-0.1611251580528194, 0.27753279986288926)),
    ((10, 10, 0, 20), (0.6790860371419145, 1.0)),
    ((120, 1000, 95, 1000), (-0.0022021239178576964, 0.052282473682185804)),
    ((30, 900, 2, 100), (-0.03764619691445879, 0.03338560323601784)),
]


@pytest.mark.parametrize(("counts", "interval"), KNOWN)
def test_the_interval_equals_newcombes_method_10(counts, interval) -> None:  # type: ignore[no-untyped-def]
    result = lift(*counts)
    assert result is not None
    assert (result.low, result.high) == pytest.approx(interval, abs=1e-9)
    assert result.measurable == (interval[0] > 0 or interval[1] < 0)


def test_an_empty_group_has_nothing_to_compare() -> None:
    assert lift(3, 10, 0, 0) is None and lift(0, 0, 1, 5) is None
    assert wilson(0, 0) == (0.0, 1.0)


@given(st.integers(1, 5000), st.integers(1, 5000), st.data())
def test_the_interval_holds_the_difference_and_stays_in_bounds(n1: int, n2: int, data) -> None:  # type: ignore[no-untyped-def]
    c1, c2 = data.draw(st.integers(0, n1)), data.draw(st.integers(0, n2))
    result = lift(c1, n1, c2, n2)
    assert result is not None
    assert -1.0 - 1e-12 <= result.low <= result.difference <= result.high <= 1.0 + 1e-12
