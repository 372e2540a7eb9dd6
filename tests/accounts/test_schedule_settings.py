import pytest
from django.core.exceptions import ValidationError

from accounts.forms import ScheduleSettingsForm
from accounts.services import user_schedule_pause, user_schedule_resume, user_schedule_update
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    data = {"timezone": "America/New_York", "schedule_enabled": "on"}
    data.update(overrides)
    return data


def test_the_form_rejects_an_unknown_time_zone_with_a_message():
    user = make_user()
    form = ScheduleSettingsForm(data=form_data(timezone="Mars/Olympus_Mons"), instance=user)

    assert not form.is_valid()
    assert "is not a time zone we know" in form.errors["timezone"][0]
    assert "Mars/Olympus_Mons" in form.errors["timezone"][0]


def test_the_form_saves_weekday_checkboxes_as_the_model_comma_string():
    user = make_user()
    form = ScheduleSettingsForm(
        data=form_data(active_from_hour="7", active_until_hour="18", active_weekdays=["fri", "mon"]), instance=user
    )

    assert form.is_valid(), form.errors
    form.save()
    user.refresh_from_db()
    assert (user.timezone, user.active_from_hour, user.active_until_hour) == ("America/New_York", 7, 18)
    assert user.active_weekdays == "mon,fri"


def test_the_service_rejects_an_unknown_time_zone_and_saves_nothing():
    user = make_user(timezone="Europe/Paris")

    with pytest.raises(ValidationError) as raised:
        user_schedule_update(user=user, timezone="Not/AZone")

    assert "timezone" in raised.value.message_dict
    assert user.timezone == "Europe/Paris"
    user.refresh_from_db()
    assert user.timezone == "Europe/Paris"


def test_resuming_clears_an_automatic_pause_reason():
    user = make_user()
    user_schedule_pause(user=user, reason="auth_failed")
    user.refresh_from_db()
    assert (user.schedule_enabled, user.schedule_paused_reason) == (False, "auth_failed")

    user_schedule_resume(user=user)
    user.refresh_from_db()
    assert (user.schedule_enabled, user.schedule_paused_reason) == (True, "")
