"""Supervision figures: how each agency answers, per period and month by month (SQL-computed)."""

from hub.supervision.figures.figures import Board, Figures, figures, trend
from hub.supervision.figures.periods import Period, current_month, parse_period

__all__ = ["Board", "Figures", "Period", "current_month", "figures", "parse_period", "trend"]
