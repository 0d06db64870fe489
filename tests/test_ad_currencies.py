"""Every ad platform in fct_ad_performance_daily, in the reporting currency (EUR), built end to
end over tests/fixtures/ad_currencies/landing with hand-computed values.

ECB rates (units per euro; no rates on the weekend of 09-26/27):
    USD 1.6 on 09-21..09-24, 2.0 on Friday 09-25, 1.25 from 09-28 on; JPY only from 10-01 on.
Rows, with the euro amounts (amount / units_per_euro):
    google_ads    09-26 (Sat) US - Brand USD cost 50 value 100 -> Friday's 2.0: 25 / 50
    google_ads    09-28 NL - Brand EUR cost 100 value 500 conv 10 -> 100 / 500 (no rate needed)
    google_ads    09-28 US - Brand USD cost 100 value 900 conv 5 -> 1.25: 80 / 720
    google_ads    09-29 JP - Brand JPY cost 1000 value 5000 -> no JPY rate on or before 09-29
    microsoft_ads 09-24 US - Search USD cost 16 value 64 conv 1 -> 1.6: 10 / 40
    meta_ads      09-23 Prospecting EUR cost 30 value 300 conv 3 (paid social: not in sea_*)
"""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pytest

from tests.conftest import FIXTURES, PipelineRun, run_pipeline
from tests.test_pipeline import _values

pytestmark = pytest.mark.slow
D = dt.date
AS_OF = "2026-10-05"


@pytest.fixture(scope="module")
def ad_run(tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    root = tmp_path_factory.mktemp("ad_currencies")
    landing = root / "landing"
    shutil.copytree(FIXTURES / "ad_currencies" / "landing", landing)
    run = run_pipeline(root, landing, AS_OF)
    assert run.result.success, "the ad currencies run failed"
    return run


def _rows(run: PipelineRun, sql: str) -> list[tuple]:
    with duckdb.connect(str(run.warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def _fact(run: PipelineRun) -> dict[tuple[str, dt.date, str], tuple]:
    rows = _rows(
        run,
        "select platform, date_day, campaign_key, currency_code, reporting_currency, cost,"
        " conversion_value, conversions from marts.fct_ad_performance_daily",
    )
    return {(r[0], r[1], r[2]): r[3:] for r in rows}


def test_usd_rows_are_converted_by_the_rate_of_their_day(ad_run):
    fact = _fact(ad_run)
    currency, reporting, cost, value, _ = fact[("google_ads", D(2026, 9, 28), "333")]
    assert (currency, reporting) == ("USD", "EUR")
    assert cost == pytest.approx(80.0)  # 100 / 1.25
    assert value == pytest.approx(720.0)  # 900 / 1.25
    assert fact[("google_ads", D(2026, 9, 28), "111")][2:4] == (100.0, 500.0)  # EUR as it is


def test_a_weekend_day_takes_fridays_rate(ad_run):
    _, _, cost, value, _ = _fact(ad_run)[("google_ads", D(2026, 9, 26), "333")]
    assert cost == pytest.approx(25.0)  # 50 / 2.0 (Friday), not / 1.6 (Thursday)
    assert value == pytest.approx(50.0)


def test_microsoft_and_meta_rows_are_in_the_fact_with_their_platform(ad_run):
    fact = _fact(ad_run)
    currency, _, cost, value, conversions = fact[("microsoft_ads", D(2026, 9, 24), "4001")]
    assert (currency, cost, value, conversions) == ("USD", pytest.approx(10.0), 40.0, 1.0)
    assert fact[("meta_ads", D(2026, 9, 23), "Prospecting")] == ("EUR", "EUR", 30.0, 300.0, 3.0)
    assert len(fact) == 5  # the JPY row is left out


def test_a_currency_without_a_rate_on_or_before_its_day_is_unconverted_and_not_in_the_fact(ad_run):
    unconverted = _rows(
        ad_run,
        "select platform, date_day, currency_code, cost_original, unconverted_reason"
        " from marts.fct_ad_days_unconverted",
    )
    assert unconverted == [
        ("google_ads", D(2026, 9, 29), "JPY", 1000.0, "no ECB rate for JPY on or before 2026-09-29")
    ]
    assert not [key for key in _fact(ad_run) if key[1] == D(2026, 9, 29)]


def test_sea_roas_adds_money_in_one_currency_only(ad_run):
    # week of 09-28: (500 + 720) / (100 + 80), not (500 + 900) / (100 + 100) = 7.0
    assert _values(ad_run, "sea_roas")[D(2026, 9, 28)]["value"] == pytest.approx(1220 / 180)


def test_sea_kpis_count_the_search_platforms_but_not_meta(ad_run):
    # week of 09-21: Google 09-26 (25 / 50, 2 conversions) and Microsoft 09-24 (10 / 40, 1);
    # Meta's 30 / 300 and 3 conversions are paid social.
    week = D(2026, 9, 21)
    assert _values(ad_run, "sea_roas")[week]["value"] == pytest.approx(90 / 35)
    assert _values(ad_run, "sea_conversions")[week]["value"] == pytest.approx(3.0)
    assert _values(ad_run, "sea_cpa")[week]["value"] == pytest.approx(35 / 3)
    # week of 09-28: 10 + 5 conversions (the unconverted JPY row's one is left out with it)
    assert _values(ad_run, "sea_conversions")[D(2026, 9, 28)]["value"] == pytest.approx(15.0)
    assert _values(ad_run, "sea_cpa")[D(2026, 9, 28)]["value"] == pytest.approx(180 / 15)


# A later night: the ECB file again (a new download beside the first) with a JPY rate of 140 on
# 09-28 (so 09-29 converts by it), and a Google Ads report for 10-04 with a CHF campaign, a
# currency the ECB file has no rate for.
LATER_RATES = (
    (FIXTURES / "ad_currencies" / "landing" / "fx_rates" / "eurofxref-hist.csv")
    .read_text(encoding="utf-8")
    .replace("2026-09-28,1.25,N/A,", "2026-09-28,1.25,140,")
)
LINEAGE = "exclude (loaded_through, built_by_run)"
CHF_DAY = (
    "Campaign report\n"
    '"October 4, 2026 - October 4, 2026"\n'
    "Day,Campaign,Campaign ID,Currency code,Impr.,Clicks,Cost,Conversions,Conv. value\n"
    "2026-10-04,CH - Brand,555,CHF,100,10,70.00,1.00,210.00\n"
)


@pytest.fixture(scope="module")
def later_night(ad_run, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The ad run's warehouse (copied), then a run with the later rates and the CHF day, and a
    clean build over the same landing folder."""
    root = tmp_path_factory.mktemp("ad_currencies_later")
    shutil.copytree(ad_run.root, root, dirs_exist_ok=True)
    (root / "landing" / "fx_rates" / "eurofxref-hist_2026-10-05.csv").write_text(LATER_RATES)
    (root / "landing" / "google_ads" / "campaign_report_2026-10-04.csv").write_text(CHF_DAY)
    later = run_pipeline(root, root / "landing", AS_OF)
    assert later.result.success
    clean_root = tmp_path_factory.mktemp("ad_currencies_clean")
    shutil.copytree(root / "landing", clean_root / "landing")
    clean = run_pipeline(clean_root, clean_root / "landing", AS_OF)
    assert clean.result.success
    return {"later": later, "clean": clean}


def test_a_later_rate_converts_the_day_and_a_new_unconverted_day_is_listed(later_night):
    later = later_night["later"]
    unconverted = _rows(
        later,
        "select platform, date_day, currency_code, cost_original, unconverted_reason"
        " from marts.fct_ad_days_unconverted",
    )
    assert unconverted == [
        ("google_ads", D(2026, 10, 4), "CHF", 70.0, "no ECB rate for CHF on or before 2026-10-04")
    ]
    _, _, cost, value, _ = _fact(later)[("google_ads", D(2026, 9, 29), "444")]
    assert cost == pytest.approx(1000 / 140)  # 09-29 takes 09-28's rate, delivered later
    assert value == pytest.approx(5000 / 140)


def test_the_unconverted_days_and_the_fact_equal_a_clean_build(later_night):
    later, clean = later_night["later"], later_night["clean"]
    lineage = {"fct_ad_days_unconverted": "", "fct_ad_performance_daily": LINEAGE}
    for table, exclude in lineage.items():
        sql = f"select * {exclude} from marts.{table} order by all"
        assert _rows(later, sql) == _rows(clean, sql), table
