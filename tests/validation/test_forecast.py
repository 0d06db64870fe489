"""The forecast's backtest picks the method that should win on series of known shape."""

from __future__ import annotations

import pytest

from pipelines.validation.forecast import Z_80, backtest, forecast_path


def test_a_straight_trend_is_forecast_by_drift_or_the_linear_trend_without_error():
    values = [5.0 + 2.0 * i for i in range(12)]  # +2 a quarter
    result = backtest(values, season=4)
    assert result is not None
    # Both trend methods forecast every backtest period exactly; drift wins the tie as the
    # simpler one. Seasonal naive repeats the value a season ago: off by 4 quarters x 2 = 8.
    assert result.method == "drift"
    assert result.errors["drift"] == pytest.approx(0.0)
    assert result.errors["linear_trend"] == pytest.approx(0.0)
    assert result.errors["seasonal_naive"] == pytest.approx(8.0)
    assert result.origins == 12 - 4  # every period from the first one seasonal naive can forecast
    _, path = forecast_path(values, season=4, horizon=3)
    assert [p.value for p in path] == pytest.approx([29.0, 31.0, 33.0])


def test_a_seasonal_series_is_forecast_by_seasonal_naive():
    values = [10.0, 20.0, 30.0, 20.0] * 3  # the same four quarters three years running
    result = backtest(values, season=4)
    assert result is not None
    assert result.method == "seasonal_naive"
    assert result.errors["seasonal_naive"] == pytest.approx(0.0)
    assert result.errors["drift"] > 5 and result.errors["linear_trend"] > 5
    _, path = forecast_path(values, season=4, horizon=6)
    assert [p.value for p in path] == pytest.approx([10.0, 20.0, 30.0, 20.0, 10.0, 20.0])
    assert all(p.low == p.high == p.value for p in path)  # no backtest error, no width


def test_a_noisy_trend_is_won_by_the_linear_trend_with_the_hand_computed_errors():
    # One-step forecasts from origins 3..7, worked out by hand:
    # drift 11.5, 14, 12.5, 14.8, 13.5 against 13, 12, 14, 13, 15 -> MAE 8.3 / 5 = 1.66;
    # linear 12, 13.5, 13.1, 14.2, 14.142857 -> MAE 5.457143 / 5 = 1.091429.
    values = [10.0, 12.0, 11.0, 13.0, 12.0, 14.0, 13.0, 15.0]
    result = backtest(values, season=52)  # weekly: far too short for a seasonal forecast
    assert result is not None
    assert result.method == "linear_trend"
    assert result.errors == pytest.approx({"drift": 1.66, "linear_trend": 1.0914286})
    rmse = ((1 + 1.5**2 + 0.9**2 + 1.2**2 + 0.857143**2) / 5) ** 0.5
    assert result.rmse == pytest.approx(rmse, rel=1e-5)
    _, path = forecast_path(values, season=52, horizon=4)
    # least squares over all 8: slope 24/42, mean 12.5 at x = 3.5; x = 11 is 4 periods ahead
    assert path[-1].value == pytest.approx(12.5 + 24 / 42 * 7.5)
    assert path[-1].high - path[-1].value == pytest.approx(Z_80 * rmse * 2, rel=1e-5)


def test_forecasts_stay_inside_the_bounds_of_the_unit():
    values = [80.0, 84.0, 88.0, 92.0, 96.0, 98.0]  # a percentage climbing towards 100
    _, path = forecast_path(values, season=52, horizon=5, bounds=(0.0, 100.0))
    assert max(p.high for p in path) == 100.0
    assert all(0.0 <= p.low <= p.value <= p.high <= 100.0 for p in path)


def test_too_short_a_series_has_no_backtest():
    four = backtest([1.0, 2.0, 3.0, 4.0], season=4)  # drift alone: periods 3 and 4 tested
    assert four is not None and four.origins == 2 and set(four.errors) == {"drift"}
    assert backtest([1.0, 2.0, 3.0], season=4) is None
