"""The stock charts' numbers (db.inventory_reports) against movements built by hand: weeks start on
Monday in the clinic's zone, cost is the unit cost at the time, expired lots are not usable stock,
days of supply = on-hand ÷ average daily usage with its stock-out date, the expiry timeline and
the waste from expiry."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from db import inventory, inventory_reports as reports, settings
from tests.db.inventory_factories import make_item, make_location, make_vendor, stock

TZ = "America/New_York"
UTC = timezone.utc


def make_lot(conn, item_id: int, number: str | None = None, *, expires_on: date | None = None,
             unit_cost: str = "1.00") -> int:
    (lot_id,) = conn.execute(
        "INSERT INTO stock_lots (item_id, lot_number, lot_key, expires_on, unit_cost) VALUES (?, ?, ?, ?, ?)"
        " RETURNING id", [item_id, number, (number or "").upper(), expires_on, Decimal(unit_cost)]).fetchone()
    return lot_id


def move(conn, item_id: int, lot_id: int, quantity: int, *, at: datetime, kind: str = "usage",
         unit_cost: str | None = "1.00", location_id: int = 1) -> None:
    """One movement and its balance row, as db.inventory.move_in writes them (occurred_at chosen)."""
    conn.execute("INSERT INTO stock_movements (kind, item_id, lot_id, location_id, quantity, unit_cost, occurred_at)"
                 " VALUES (?, ?, ?, ?, ?, ?, ?)",
                 [kind, item_id, lot_id, location_id, quantity, None if unit_cost is None else Decimal(unit_cost), at])
    conn.execute("INSERT INTO stock_balances (lot_id, location_id, item_id, quantity) VALUES (?, ?, ?, ?)"
                 " ON CONFLICT (lot_id, location_id)"
                 " DO UPDATE SET quantity = stock_balances.quantity + excluded.quantity",
                 [lot_id, location_id, item_id, quantity])


def shelf(conn, item_id: int, lot_id: int, quantity: int, *, location_id: int = 1) -> None:
    """Stock received long before any period a test looks at."""
    move(conn, item_id, lot_id, quantity, at=datetime(2025, 1, 2, 15, tzinfo=UTC), kind="receipt",
         location_id=location_id)


def plain(value):
    """A frame's cell as Python: DuckDB's DATE arrives in pandas as a midnight Timestamp."""
    return value.date() if isinstance(value, pd.Timestamp) else value


def records(frame, *columns: str) -> list[tuple]:
    return [tuple(plain(v) for v in r) for r in frame[list(columns)].itertuples(index=False)]


# --- weekly usage --------------------------------------------------------------------------------


def test_a_sunday_evening_use_in_new_york_counts_in_the_week_before(conn):
    item = make_item(conn, name="Gauze")
    lot = make_lot(conn, item)
    shelf(conn, item, lot, 100)
    # Sunday 1 March 2026, 21:00 EST is already Monday 02:00 UTC: still the week of Monday 23 February.
    move(conn, item, lot, -2, at=datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    # Monday 2 March 00:30 EST (05:30 UTC): the new week.
    move(conn, item, lot, -3, at=datetime(2026, 3, 2, 5, 30, tzinfo=UTC))
    # Across the spring-forward change: Sunday 8 March 23:30 EDT (03:30 UTC) is the week of 2 March,
    # Monday 9 March 00:00 EDT (04:00 UTC) starts the next one.
    move(conn, item, lot, -4, at=datetime(2026, 3, 9, 3, 30, tzinfo=UTC))
    move(conn, item, lot, -5, at=datetime(2026, 3, 9, 4, 0, tzinfo=UTC))

    frame = reports.weekly_usage(conn, start=date(2026, 2, 1), end=date(2026, 3, 31), tz=TZ)

    assert records(frame, "week", "group", "units") == [
        (date(2026, 2, 23), "Gauze", 2), (date(2026, 3, 2), "Gauze", 7), (date(2026, 3, 9), "Gauze", 5)]


def test_the_weeks_follow_the_clinic_zone_setting(conn):
    item = make_item(conn, name="Swabs")
    lot = make_lot(conn, item)
    shelf(conn, item, lot, 10)
    move(conn, item, lot, -1, at=datetime(2026, 3, 1, 16, 0, tzinfo=UTC))  # Sunday in New York, Monday in Tokyo
    new_york = reports.weekly_usage(conn, start=date(2026, 2, 1), end=date(2026, 3, 31))
    settings.set_value(conn.cursor(), "timezone", "Asia/Tokyo")
    tokyo = reports.weekly_usage(conn, start=date(2026, 2, 1), end=date(2026, 3, 31))
    assert records(new_york, "week") == [(date(2026, 2, 23),)]
    assert records(tokyo, "week") == [(date(2026, 3, 2),)]


def test_usage_cost_is_the_unit_cost_at_the_time_and_only_usage_counts(conn):
    item = make_item(conn, name="Test strips", unit_cost=Decimal("9.99"))
    lot = make_lot(conn, item, unit_cost="2.10")
    shelf(conn, item, lot, 50)
    monday = datetime(2026, 3, 2, 15, tzinfo=UTC)
    move(conn, item, lot, -3, at=monday, unit_cost="2.10")
    conn.execute("UPDATE stock_lots SET unit_cost = 3.35 WHERE id = ?", [lot])  # a dearer delivery later
    move(conn, item, lot, -1, at=monday + timedelta(days=1), unit_cost="3.35")
    move(conn, item, lot, 1, at=monday + timedelta(days=1, hours=1), unit_cost="3.35")  # a kit put back
    move(conn, item, lot, -2, at=monday + timedelta(days=2), unit_cost="3.35")
    move(conn, item, lot, 20, at=monday, kind="receipt", unit_cost="3.35")
    move(conn, item, lot, -4, at=monday, kind="adjustment", unit_cost="3.35")
    move(conn, item, lot, -1, at=monday, kind="expired", unit_cost="3.35")

    frame = reports.weekly_usage(conn, start=date(2026, 3, 1), end=date(2026, 3, 7), tz=TZ)

    assert records(frame, "week", "units") == [(date(2026, 3, 2), 5)]
    # 3 × 2.10 + 1 × 3.35 − 1 × 3.35 + 2 × 3.35 = 13.00 (never 5 × 9.99, nor the lot's cost today)
    assert frame["cost"].tolist() == [13.00]


def test_weekly_usage_by_category_with_a_filter_and_the_top_items(conn):
    gloves = make_item(conn, name="Gloves", category="supply")
    masks = make_item(conn, name="Masks", category="supply")
    flu = make_item(conn, name="Flu vaccine", category="vaccine")
    at = datetime(2026, 3, 3, 15, tzinfo=UTC)
    for item, used in ((gloves, 10), (masks, 4), (flu, 2)):
        lot = make_lot(conn, item, unit_cost="0.50")
        shelf(conn, item, lot, 100)
        move(conn, item, lot, -used, at=at, unit_cost="0.50")

    by_category = reports.weekly_usage(conn, start=date(2026, 3, 1), end=date(2026, 3, 31), group="category", tz=TZ)
    assert records(by_category, "week", "group", "units", "cost") == [
        (date(2026, 3, 2), "supply", 14, 7.0), (date(2026, 3, 2), "vaccine", 2, 1.0)]

    supplies = reports.weekly_usage(conn, start=date(2026, 3, 1), end=date(2026, 3, 31), category="supply", tz=TZ)
    assert records(supplies, "group", "units") == [("Gloves", 10), ("Masks", 4)]

    top_one = reports.weekly_usage(conn, start=date(2026, 3, 1), end=date(2026, 3, 31), top=1, tz=TZ)
    assert records(top_one, "group", "units") == [("Gloves", 10)]


def test_the_period_is_clinic_local_days_both_included(conn):
    item = make_item(conn, name="Tongue depressors")
    lot = make_lot(conn, item)
    shelf(conn, item, lot, 100)
    move(conn, item, lot, -1, at=datetime(2026, 3, 3, 4, 59, tzinfo=UTC))   # 2 March 23:59 EST: before
    move(conn, item, lot, -2, at=datetime(2026, 3, 3, 5, 0, tzinfo=UTC))    # 3 March 00:00 EST: first day
    move(conn, item, lot, -4, at=datetime(2026, 3, 6, 4, 59, tzinfo=UTC))   # 5 March 23:59 EST: last day
    move(conn, item, lot, -8, at=datetime(2026, 3, 6, 5, 0, tzinfo=UTC))    # 6 March: after
    frame = reports.weekly_usage(conn, start=date(2026, 3, 3), end=date(2026, 3, 5), tz=TZ)
    assert records(frame, "week", "units") == [(date(2026, 3, 2), 6)]


def test_usage_recorded_by_the_stock_page_lands_in_its_week(conn, clinic_clock):
    item = make_item(conn, name="Syringes", unit_cost=Decimal("0.40"))
    clinic_clock(datetime(2026, 2, 20, 15, tzinfo=UTC))
    stock(conn, item, 30)
    clinic_clock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))  # Sunday 1 March, 20:00 in New York
    inventory.use(conn, item_id=item, quantity=5, user="test")
    frame = reports.weekly_usage(conn, start=date(2026, 2, 1), end=date(2026, 3, 31), tz=TZ)
    assert records(frame, "week", "group", "units", "cost") == [(date(2026, 2, 23), "Syringes", 5, 2.0)]


# --- cost of usage and waste by month --------------------------------------------------------------


def test_usage_cost_by_month_and_category_in_the_clinic_zone(conn):
    swab = make_item(conn, name="Swab", category="supply")
    dose = make_item(conn, name="Dose", category="vaccine")
    swab_lot, dose_lot = make_lot(conn, swab), make_lot(conn, dose, "V1", expires_on=date(2027, 1, 1))
    shelf(conn, swab, swab_lot, 100)
    shelf(conn, dose, dose_lot, 100)
    move(conn, swab, swab_lot, -3, at=datetime(2026, 2, 1, 3, tzinfo=UTC), unit_cost="0.25")  # 31 Jan 22:00 EST
    move(conn, swab, swab_lot, -1, at=datetime(2026, 2, 1, 6, tzinfo=UTC), unit_cost="0.25")  # 1 Feb
    move(conn, dose, dose_lot, -2, at=datetime(2026, 2, 10, 15, tzinfo=UTC), unit_cost="18.75")

    frame = reports.usage_cost(conn, start=date(2026, 1, 1), end=date(2026, 2, 28), tz=TZ)

    assert records(frame, "month", "category", "units", "cost") == [
        (date(2026, 1, 1), "supply", 3, 0.75), (date(2026, 2, 1), "supply", 1, 0.25),
        (date(2026, 2, 1), "vaccine", 2, 37.5)]


def test_waste_from_expiry_counts_only_expired_write_offs(conn):
    item = make_item(conn, name="Hep B vaccine", category="vaccine", lot_tracked=True)
    lot = make_lot(conn, item, "HB1", expires_on=date(2026, 1, 31), unit_cost="31.20")
    shelf(conn, item, lot, 10)
    move(conn, item, lot, -1, at=datetime(2026, 1, 20, 15, tzinfo=UTC), unit_cost="31.20")  # used, not waste
    move(conn, item, lot, -4, at=datetime(2026, 2, 2, 15, tzinfo=UTC), kind="expired", unit_cost="31.20")
    move(conn, item, lot, -2, at=datetime(2026, 3, 2, 15, tzinfo=UTC), kind="expired", unit_cost="31.20")

    frame = reports.expiry_waste(conn, start=date(2026, 1, 1), end=date(2026, 3, 31), tz=TZ)

    assert records(frame, "month", "units", "cost") == [(date(2026, 2, 1), 4, 124.8), (date(2026, 3, 1), 2, 62.4)]
    assert reports.expiry_waste(conn, start=date(2026, 1, 1), end=date(2026, 1, 31), tz=TZ).empty


# --- on hand against the reorder point -------------------------------------------------------------


def test_on_hand_counts_usable_stock_in_every_location_and_not_expired_lots(conn):
    today = date(2026, 3, 2)
    room = make_location(conn, "Exam room 1")
    item = make_item(conn, name="Flu vaccine", category="vaccine", sku="FLU", lot_tracked=True, reorder_point=10)
    old = make_lot(conn, item, "OLD", expires_on=today - timedelta(days=1))
    last_day = make_lot(conn, item, "TODAY", expires_on=today)
    fresh = make_lot(conn, item, "NEW", expires_on=today + timedelta(days=200))
    shelf(conn, item, old, 7)
    shelf(conn, item, last_day, 2)
    shelf(conn, item, fresh, 5)
    shelf(conn, item, fresh, 1, location_id=room)
    vendor = make_vendor(conn)
    (po,) = conn.execute("INSERT INTO purchase_orders (vendor_id, status) VALUES (?, 'ordered') RETURNING id",
                         [vendor]).fetchone()
    conn.execute("INSERT INTO purchase_order_lines (po_id, item_id, quantity, unit_cost, received_quantity)"
                 " VALUES (?, ?, 6, 1.00, 2)", [po, item])
    plenty = make_item(conn, name="Paper towels", category="cleaning", reorder_point=1)
    shelf(conn, plenty, make_lot(conn, plenty), 9)
    gone = make_item(conn, name="Discontinued", category="cleaning")
    conn.execute("UPDATE stock_items SET active = false WHERE id = ?", [gone])

    frame = reports.on_hand_vs_reorder(conn, today=today)

    assert records(frame, "item", "on_hand", "expired", "on_order", "reorder_point", "low") == [
        ("Paper towels", 9, 0, 0, 1, False),
        ("Flu vaccine", 8, 7, 4, 10, False),  # 2 + 5 + 1 usable (expiring today still is), 6 - 2 on order
    ]
    assert records(reports.on_hand_vs_reorder(conn, today=today + timedelta(days=1)), "item", "on_hand", "low")[1] \
        == ("Flu vaccine", 6, True)  # tomorrow the lot expiring today is no longer usable: 6 + 4 <= 10
    assert list(reports.on_hand_vs_reorder(conn, category="vaccine", today=today)["sku"]) == ["FLU"]


# --- days of supply ------------------------------------------------------------------------------


def test_days_of_supply_is_on_hand_over_average_daily_usage_soonest_first(conn):
    as_of = date(2026, 3, 2)
    fast = make_item(conn, name="Fast mover")
    slow = make_item(conn, name="Slow mover")
    idle = make_item(conn, name="Idle item")
    fast_lot, slow_lot, idle_lot = make_lot(conn, fast), make_lot(conn, slow), make_lot(conn, idle)
    shelf(conn, fast, fast_lot, 90)
    shelf(conn, slow, slow_lot, 40)
    shelf(conn, idle, idle_lot, 5)
    expired = make_lot(conn, slow, "X", expires_on=as_of - timedelta(days=3))
    shelf(conn, slow, expired, 500)  # on the shelf but not usable: no days of supply
    # 60 used in the 30 days ending with as_of (2 a day); 30 of them left: 15 days. Usage before the
    # window does not count.
    move(conn, fast, fast_lot, -30, at=datetime(2026, 2, 1, 15, tzinfo=UTC))   # 1 Feb: the window's first day
    move(conn, fast, fast_lot, -30, at=datetime(2026, 3, 2, 20, tzinfo=UTC))   # as_of itself
    move(conn, fast, fast_lot, -20, at=datetime(2026, 1, 31, 15, tzinfo=UTC))  # before the window
    move(conn, slow, slow_lot, -10, at=datetime(2026, 2, 15, 15, tzinfo=UTC))  # 1/3 a day: 30 × 3 = 90 days

    frame = reports.days_of_supply(conn, window_days=30, as_of=as_of, tz=TZ)

    assert records(frame, "item", "on_hand", "used_in_window") == [
        ("Fast mover", 10, 60), ("Slow mover", 30, 10), ("Idle item", 5, 0)]
    assert frame["daily_usage"].tolist()[:2] == pytest.approx([2.0, 1 / 3])
    assert frame["days_left"].tolist()[:2] == pytest.approx([5.0, 90.0])
    assert frame["stockout_on"].tolist()[:2] == [as_of + timedelta(days=5), as_of + timedelta(days=90)]
    assert frame["days_left"].isna().tolist()[2] and frame["stockout_on"].isna().tolist()[2]
    # The same average as the stock pages use.
    average = inventory.average_daily_usage(conn, days=30, as_of=as_of, tz=TZ)
    assert average[fast] == pytest.approx(2.0) and average[slow] == pytest.approx(1 / 3)

    longer = reports.days_of_supply(conn, window_days=90, as_of=as_of, tz=TZ)
    assert longer.loc[longer["item"] == "Fast mover", "used_in_window"].item() == 80


# --- expiry timeline -----------------------------------------------------------------------------


def test_the_expiry_timeline_lists_lots_with_stock_soonest_first(conn):
    today = date(2026, 3, 2)
    room = make_location(conn, "Vaccine fridge", kind="fridge")
    item = make_item(conn, name="MMR vaccine", category="vaccine", lot_tracked=True)
    late = make_lot(conn, item, "L-2", expires_on=date(2026, 6, 30))
    soon = make_lot(conn, item, "L-1", expires_on=date(2026, 3, 20))
    past = make_lot(conn, item, "L-0", expires_on=date(2026, 2, 25))
    empty = make_lot(conn, item, "L-9", expires_on=date(2026, 4, 1))
    shelf(conn, item, late, 10)
    shelf(conn, item, soon, 3)
    shelf(conn, item, soon, 2, location_id=room)
    shelf(conn, item, past, 1)
    shelf(conn, item, empty, 4)
    move(conn, item, empty, -4, at=datetime(2026, 2, 10, 15, tzinfo=UTC))
    untracked = make_item(conn, name="Cotton balls")
    shelf(conn, untracked, make_lot(conn, untracked), 50)

    frame = reports.expiry_timeline(conn, today=today)

    assert records(frame, "lot", "item", "expires_on", "on_hand", "days_to_expiry") == [
        ("L-0", "MMR vaccine", date(2026, 2, 25), 1, -5),
        ("L-1", "MMR vaccine", date(2026, 3, 20), 5, 18),
        ("L-2", "MMR vaccine", date(2026, 6, 30), 10, 120),
    ]
    assert reports.expiry_timeline(conn, today=today, category="supply").empty


@pytest.mark.parametrize("tz", ["America/New_York", "Pacific/Auckland", "Asia/Kolkata"])
def test_weeks_and_months_agree_with_python_around_daylight_saving_changes(conn, tz):
    """Uses at random instants over a year, many right at local midnights (where a daylight-saving
    change moves the period starts off an even grid), bucketed by zoneinfo here."""
    rng = random.Random(42)
    item = make_item(conn, name="Gloves")
    lot = make_lot(conn, item)
    zone = ZoneInfo(tz)
    start, end = date(2025, 1, 1), date(2025, 12, 31)
    instants = []
    for _ in range(300):
        day = start + timedelta(days=rng.randrange(365))
        midnight = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
        instants.append(midnight + timedelta(microseconds=rng.choice([-1, 0, 1, rng.randrange(86_400_000_000)])))
    conn.execute("INSERT INTO stock_movements (kind, item_id, lot_id, location_id, quantity, unit_cost, occurred_at)"
                 " SELECT 'usage', ?, ?, 1, -unnest(?), 1.00, unnest(?)",
                 [item, lot, list(range(1, len(instants) + 1)), instants])
    weeks: dict[date, int] = {}
    months: dict[date, int] = {}
    for n, instant in enumerate(instants, start=1):
        local = instant.astimezone(zone).date()
        if start <= local <= end:
            weeks[local - timedelta(days=local.weekday())] = weeks.get(local - timedelta(days=local.weekday()), 0) + n
            months[local.replace(day=1)] = months.get(local.replace(day=1), 0) + n

    by_week = reports.weekly_usage(conn, start=start, end=end, tz=tz)
    by_month = reports.usage_cost(conn, start=start, end=end, tz=tz)

    assert records(by_week, "week", "units") == sorted(weeks.items())
    assert records(by_month, "month", "units") == sorted(months.items())
