from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.triggers.cron import CronTrigger
from django.core.exceptions import ValidationError

from accounts.forms import ScheduleSettingsForm
from accounts.models import User
from accounts.services import user_schedule_update
from accounts.timezones import timezone_choices, validate_timezone
from tests.factories import make_user


def test_every_offered_zone_is_valid_and_common_ones_are_offered():
    names = [name for name, _ in timezone_choices()]

    assert {"UTC", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Asia/Kathmandu"} <= set(names)
    assert names == sorted(names)
    for name in names[:: max(1, len(names) // 20)]:
        validate_timezone(name)


def test_every_offered_zone_loads():
    from zoneinfo import ZoneInfo

    for name, _ in timezone_choices():
        ZoneInfo(name)


@pytest.mark.parametrize(
    "zone", ["Mars/Base", "", "america/new_york", "EST5EDT ", "../../etc/passwd", "localtime", "Factory"]
)
def test_an_unknown_zone_is_a_validation_error_with_the_code(zone):
    with pytest.raises(ValidationError) as raised:
        validate_timezone(zone)

    assert raised.value.code == "invalid_timezone"
    assert "not a time zone we know" in raised.value.messages[0]


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [(7, 18, "7-18"), (0, 23, "0-23"), (9, 9, "9-9"), (22, 6, "22-23,0-6"), (23, 0, "23-23,0-0")],
)
def test_cron_fields_cover_active_hours_including_ranges_that_wrap_past_midnight(start, end, hours):
    user = User(active_from_hour=start, active_until_hour=end)

    assert user.cron_fields() == {"minute": "0", "hour": hours}


def test_cron_fields_are_only_the_minute_by_default_and_add_weekdays_when_set():
    assert User().cron_fields() == {"minute": "0"}
    assert User(active_weekdays="mon,fri").cron_fields() == {"minute": "0", "day_of_week": "mon,fri"}


def test_a_wrapping_range_fires_at_the_expected_hours():
    user = User(active_from_hour=22, active_until_hour=1)
    trigger = CronTrigger(timezone="UTC", **user.cron_fields())
    day_start = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)

    fires, previous, cursor = [], None, day_start
    while (fire := trigger.get_next_fire_time(previous, cursor)) < day_start + timedelta(days=1):
        fires.append(fire.hour)
        previous = cursor = fire + timedelta(seconds=1)

    assert fires == [0, 1, 22, 23]


def test_the_user_zone_is_a_zoneinfo():
    assert str(User(timezone="Asia/Kathmandu").zone) == "Asia/Kathmandu"


@pytest.mark.django_db
class TestActiveHoursValidation:
    def test_one_hour_without_the_other_is_rejected_by_the_service(self):
        user = make_user()

        with pytest.raises(ValidationError) as raised:
            user_schedule_update(user=user, active_from_hour=7)

        assert "active_until_hour" in raised.value.message_dict
        user.refresh_from_db()
        assert user.active_from_hour is None

    @pytest.mark.parametrize("hour", [-1, 24, 99])
    def test_an_hour_outside_the_day_is_rejected(self, hour):
        user = make_user()

        with pytest.raises(ValidationError) as raised:
            user_schedule_update(user=user, active_from_hour=hour, active_until_hour=10)

        assert "active_from_hour" in raised.value.message_dict

    def test_an_unknown_weekday_is_rejected_by_the_service(self):
        user = make_user()

        with pytest.raises(ValidationError) as raised:
            user_schedule_update(user=user, active_weekdays="mon,funday")

        assert "funday" in raised.value.message_dict["active_weekdays"][0]

    def test_the_service_refuses_fields_that_are_not_schedule_preferences(self):
        user = make_user()

        with pytest.raises(TypeError, match="is_superuser"):
            user_schedule_update(user=user, is_superuser=True)

        user.refresh_from_db()
        assert not user.is_superuser

    def test_the_service_saves_only_the_fields_it_was_given(self):
        user = make_user(email="before@example.com")
        User.objects.filter(pk=user.pk).update(email="changed-elsewhere@example.com")

        user_schedule_update(user=user, timezone="Asia/Kolkata")

        user.refresh_from_db()
        assert (user.timezone, user.email) == ("Asia/Kolkata", "changed-elsewhere@example.com")

    def test_the_form_requires_both_hours_or_neither(self):
        user = make_user()
        form = ScheduleSettingsForm(data={"timezone": "UTC", "active_from_hour": "7"}, instance=user)

        assert not form.is_valid()
        assert form.errors["active_until_hour"] == ["Give both the first and the last active hour, or neither."]

    def test_the_form_accepts_a_range_that_wraps_past_midnight(self):
        user = make_user()
        form = ScheduleSettingsForm(
            data={"timezone": "UTC", "active_from_hour": "22", "active_until_hour": "6"}, instance=user
        )

        assert form.is_valid(), form.errors
        form.save()
        user.refresh_from_db()
        assert user.cron_fields()["hour"] == "22-23,0-6"

    def test_the_form_rejects_an_hour_that_is_not_offered(self):
        form = ScheduleSettingsForm(
            data={"timezone": "UTC", "active_from_hour": "24", "active_until_hour": "6"}, instance=make_user()
        )

        assert not form.is_valid()
        assert "active_from_hour" in form.errors

    def test_every_weekday_ticked_is_stored_as_every_day(self):
        user = make_user()
        days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        form = ScheduleSettingsForm(data={"timezone": "UTC", "active_weekdays": days}, instance=user)

        assert form.is_valid()
        form.save()
        user.refresh_from_db()
        assert user.active_weekdays == ""

    def test_an_unticked_schedule_box_pauses_the_user(self):
        user = make_user()
        form = ScheduleSettingsForm(data={"timezone": "UTC"}, instance=user)

        assert form.is_valid()
        form.save()
        user.refresh_from_db()
        assert (user.schedule_enabled, user.schedule_paused_reason) == (False, "")

    def test_the_form_shows_the_saved_weekdays_ticked(self):
        user = make_user(active_weekdays="tue,sat")

        form = ScheduleSettingsForm(instance=user)

        assert form.initial["active_weekdays"] == ["tue", "sat"]
        assert 'value="tue" id="id_active_weekdays_1" checked' in form.as_div()

    def test_an_invalid_zone_posted_through_the_form_is_never_a_server_error(self, client):
        user = make_user()
        form = ScheduleSettingsForm(data={"timezone": "\x00bad"}, instance=user)

        assert not form.is_valid()
        assert "timezone" in form.errors
