from datetime import date, datetime, timezone

import pytest
from argon2 import PasswordHasher

from clinic import analytics, passwords, timeutil
from clinic.errors import ValidationError


def test_a_password_hash_is_argon2id_and_verifies_only_the_right_password():
    h = passwords.hash_password("s3cret-pass")
    assert h.startswith("$argon2id$")
    assert passwords.verify_password(h, "s3cret-pass")
    assert not passwords.verify_password(h, "s3cret-pasS")
    assert not passwords.verify_password("not a hash", "s3cret-pass")


def test_the_app_hashes_with_argon2id_at_the_rfc_9106_low_memory_cost(production_password_cost):
    # 64 MiB, 3 passes, 4 lanes: argon2-cffi's defaults (the tests themselves hash at a lower cost).
    assert passwords.hash_password("s3cret-pass").startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert passwords.needs_rehash(PasswordHasher(time_cost=1, memory_cost=64, parallelism=1).hash("x"))


def test_short_or_blank_passwords_are_refused_with_a_message():
    with pytest.raises(ValidationError) as err:
        passwords.check_new_password("short")
    assert "12 characters" in err.value.errors["password"]
    with pytest.raises(ValidationError):
        passwords.check_new_password("         ")


def test_a_local_day_is_23_hours_long_on_the_spring_forward_sunday():
    start, end = timeutil.day_bounds(date(2026, 3, 8), "America/New_York")
    assert (end - start).total_seconds() == 23 * 3600
    assert start == datetime(2026, 3, 8, 5, 0, tzinfo=timezone.utc)


def test_a_local_day_is_25_hours_long_on_the_fall_back_sunday():
    start, end = timeutil.day_bounds(date(2026, 11, 1), "America/New_York")
    assert (end - start).total_seconds() == 25 * 3600


def test_an_unknown_time_zone_is_a_validation_error():
    with pytest.raises(ValidationError):
        timeutil.zone("Mars/Olympus_Mons")


def test_no_show_rate_is_no_shows_over_completed_plus_no_shows():
    assert analytics.no_show_rate(1, 3) == 0.25
    assert analytics.no_show_rate(0, 0) is None


def test_booked_count_leaves_out_cancelled_appointments():
    assert analytics.booked_count({"scheduled": 2, "completed": 3, "cancelled": 4, "no_show": 1}) == 6
