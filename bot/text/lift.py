"""What a broadcast changed: the difference between the share of recipients who did something
and the share of the holdout (kept back) who did, with its 95 % confidence interval by
Newcombe's hybrid score method (method 10 of Newcombe 1998, as statsmodels'
`confint_proportions_2indep(..., method="newcomb")` computes it: two Wilson intervals)."""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054  # the normal quantile for a two-sided 95 % interval


def wilson(count: int, total: int, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval of a proportion (0..1); (0, 1) for an empty group."""
    if total <= 0:
        return 0.0, 1.0
    p = count / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Lift:
    treated: float      # share of recipients who did it
    control: float      # share of the holdout who did it
    low: float          # the difference's 95 % interval, in shares (-1..1)
    high: float

    @property
    def difference(self) -> float:
        return self.treated - self.control

    @property
    def measurable(self) -> bool:
        """The interval does not cross zero: the broadcast changed something."""
        return self.low > 0 or self.high < 0


def lift(treated_count: int, treated_total: int, control_count: int,
         control_total: int) -> Lift | None:
    """None when either group is empty (nothing to compare)."""
    if treated_total <= 0 or control_total <= 0:
        return None
    p1, p2 = treated_count / treated_total, control_count / control_total
    l1, u1 = wilson(treated_count, treated_total)
    l2, u2 = wilson(control_count, control_total)
    low = p1 - p2 - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = p1 - p2 + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return Lift(p1, p2, low, high)
