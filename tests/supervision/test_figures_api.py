"""/v1/stats on PostgreSQL: the figures of a small data set worked by hand (known_data.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.supervision.known_data import EAST, WATER, WEST

# percentiles come from histogram buckets: within 1 % (hub/supervision/figures/histogram.py)
PERCENTILE = 0.01


@pytest.fixture(scope="module")
def stats(known_data: None, api_as: Callable[..., httpx.Client]) -> httpx.Client:
    return api_as("supervisor")


def _agency(body: dict[str, Any], agreement_id: str) -> dict[str, Any]:
    return next(a for a in body["agencies"] if a["agreement_id"] == agreement_id)


def _hours(row: dict[str, Any], **expected: float) -> None:
    for name, hours in expected.items():
        # within the stated precision, plus the rounding to 0.01 h
        assert abs(row[name] - hours) <= hours * PERCENTILE + 0.005 + 1e-9, (name, row[name])


def test_a_jalali_month_gives_each_agencys_worked_figures(stats: httpx.Client) -> None:
    body = stats.get("/v1/stats/agencies", params={"period": "1399-07"}).json()
    assert body["period"] == "1399-07"
    east = _agency(body, EAST)
    assert {k: east[k] for k in ("received", "delivered", "resolved", "delivery_failures")} == {
        "received": 4,
        "delivered": 3,
        "resolved": 2,
        "delivery_failures": 1,
    }
    assert east["viewed_on_time_pct"] == 66.7
    assert east["acted_on_time_pct"] == 100.0
    assert east["resolved_on_time_pct"] == 33.3
    _hours(
        east, view_median_hours=2, view_p90_hours=3, resolve_median_hours=10, resolve_p90_hours=20
    )
    assert east["overdue_now"] == 1
    assert east["violations"] == 2
    assert east["satisfaction_avg"] == 3.0
    assert east["reopen_rate_pct"] == 50.0
    west = _agency(body, WEST)
    assert (west["received"], west["resolved_on_time_pct"], west["violations"]) == (2, 100.0, 0)
    assert west["satisfaction_avg"] is None
    _hours(west, view_median_hours=1, resolve_median_hours=4, resolve_p90_hours=6)


def test_the_province_row_pools_every_agency_of_the_month(stats: httpx.Client) -> None:
    province = stats.get("/v1/stats/agencies", params={"period": "1399-07"}).json()["province"]
    assert (province["received"], province["delivered"], province["resolved"]) == (7, 6, 5)
    assert province["viewed_on_time_pct"] == 83.3
    assert province["resolved_on_time_pct"] == 66.7
    assert (province["violations"], province["delivery_failures"]) == (2, 1)
    _hours(province, view_median_hours=1, view_p90_hours=3)
    _hours(province, resolve_median_hours=10, resolve_p90_hours=20)


def test_a_quarter_adds_the_next_months_referrals(stats: httpx.Client) -> None:
    east = _agency(stats.get("/v1/stats/agencies", params={"period": "1399-Q3"}).json(), EAST)
    assert (east["received"], east["resolved"]) == (5, 3)
    assert east["viewed_on_time_pct"] == 75.0
    assert east["resolved_on_time_pct"] == 50.0
    _hours(east, view_median_hours=1, resolve_median_hours=10, resolve_p90_hours=20)


def test_a_year_counts_from_farvardin(stats: httpx.Client) -> None:
    body = stats.get("/v1/stats/agencies", params={"period": "1399"}).json()
    west = _agency(body, WEST)
    assert west["received"] == 3
    _hours(west, resolve_median_hours=6, resolve_p90_hours=8)
    assert body["province"]["received"] == 9


def test_a_range_of_days_counts_only_those_days_both_included(stats: httpx.Client) -> None:
    body = stats.get("/v1/stats/agencies", params={"period": "1399-07-01..1399-07-10"}).json()
    east = _agency(body, EAST)
    assert (east["received"], east["delivery_failures"], east["violations"]) == (3, 0, 0)
    assert east["ratings"] == 0
    assert _agency(body, WEST)["received"] == 2


def test_a_range_across_months_joins_a_stored_month_and_live_ends(stats: httpx.Client) -> None:
    body = stats.get("/v1/stats/agencies", params={"period": "1399-06-25..1399-08-05"}).json()
    assert _agency(body, EAST)["received"] == 5
    assert body["province"]["received"] == 8
    _hours(_agency(body, EAST), resolve_median_hours=10)


def test_a_range_of_one_day_counts_that_day_only(stats: httpx.Client) -> None:
    body = stats.get("/v1/stats/agencies", params={"period": "1399-07-10..1399-07-10"}).json()
    west = _agency(body, WEST)
    assert (west["received"], west["resolved"], west["resolved_on_time_pct"]) == (2, 2, 100.0)
    _hours(west, view_median_hours=1, resolve_median_hours=4, resolve_p90_hours=6)
    assert body["province"]["received"] == 2


def test_a_trend_over_a_range_cuts_its_first_and_last_month(stats: httpx.Client) -> None:
    body = stats.get("/v1/stats/trend", params={"period": "1399-06-25..1399-08-05"}).json()
    assert [(m["period"], m["received"]) for m in body["months"]] == [
        ("1399-06", 0),
        ("1399-07", 7),
        ("1399-08", 1),
    ]


def test_the_trend_gives_every_month_of_the_year_in_order(stats: httpx.Client) -> None:
    months = stats.get("/v1/stats/trend", params={"period": "1399"}).json()["months"]
    assert [m["period"] for m in months] == [f"1399-{n:02d}" for n in range(1, 13)]
    received = {m["period"]: m["received"] for m in months if m["received"]}
    assert received == {"1399-01": 1, "1399-07": 7, "1399-08": 1}
    mehr = months[6]
    assert (mehr["violations"], mehr["satisfaction_avg"], mehr["reopen_rate_pct"]) == (2, 3.0, 20.0)


def test_an_agencys_trend_has_only_its_own_referrals(stats: httpx.Client) -> None:
    body = stats.get("/v1/stats/trend", params={"period": "1399-Q3", "agency": WATER}).json()
    assert [(m["period"], m["received"]) for m in body["months"]] == [
        ("1399-07", 1),
        ("1399-08", 0),
        ("1399-09", 0),
    ]
    assert body["months"][0]["resolved_on_time_pct"] == 100.0
    _hours(body["months"][0], resolve_median_hours=12)


@pytest.mark.parametrize("route", ["/v1/stats/agencies", "/v1/stats/trend"])
def test_a_period_that_is_not_one_is_refused_naming_the_parameter(
    stats: httpx.Client, route: str
) -> None:
    answer = stats.get(route, params={"period": "1399-13"})
    assert answer.status_code == 422
    assert "period" in answer.text


def test_figures_are_for_supervisors_and_admins_only(
    stats: httpx.Client, api_as: Callable[..., httpx.Client]
) -> None:
    assert (
        api_as("admin").get("/v1/stats/agencies", params={"period": "1399-07"}).status_code == 200
    )
    assert api_as("operator").get("/v1/stats/agencies").status_code == 403
    assert api_as(None).get("/v1/stats/trend").status_code == 401
