from datetime import UTC, datetime

import pytest
import time_machine

pytestmark = pytest.mark.django_db

# 06:30 UTC = 01:30 EST on the night New York springs forward (2:00 → 3:00 EDT).
SPRING_FORWARD = datetime(2026, 3, 8, 6, 30, tzinfo=UTC)


def test_it_reads_the_schedule_with_its_state_and_next_run_in_words(client_a, account_a):
    with time_machine.travel(SPRING_FORWARD, tick=False):
        data = client_a.get("/api/schedule/").json()
    assert data == {
        "timezone": "America/New_York",
        "schedule_enabled": True,
        "active_from_hour": None,
        "active_until_hour": None,
        "active_weekdays": [],
        "state": "active",
        "reason": "",
        "next_run": "2026-03-08T07:00:00Z",
        "next_run_text": "Today at 3:00 AM",
        "zone": "America/New_York",
    }


def test_without_credentials_the_state_says_so_and_there_is_no_next_run(client_a):
    data = client_a.get("/api/schedule/").json()
    assert data["state"] == "needs_credentials"
    assert data["reason"].startswith("Invalid credentials")
    assert (data["next_run"], data["next_run_text"]) == (None, "")


def test_next_runs_are_iso_instants_with_words_in_the_users_zone(client_a, account_a):
    with time_machine.travel(SPRING_FORWARD, tick=False):
        data = client_a.get("/api/schedule/next-runs/").json()
    assert data["state"] == "active"
    assert data["zone"] == "America/New_York"
    assert data["next_runs"][:2] == [
        {"at": "2026-03-08T07:00:00Z", "text": "Today at 3:00 AM", "text_with_zone": "Today at 3:00 AM EDT"},
        {"at": "2026-03-08T08:00:00Z", "text": "Today at 4:00 AM", "text_with_zone": "Today at 4:00 AM EDT"},
    ]
    assert len(data["next_runs"]) == 5


def test_next_runs_follow_active_hours_across_midnight_in_kathmandu(client_a, user_a, account_a):
    client_a.patch(
        "/api/schedule/",
        {"timezone": "Asia/Kathmandu", "active_from_hour": 9, "active_until_hour": 10},
        format="json",
    )
    # 05:00 UTC = 10:45 in Kathmandu (+05:45): today's 9 and 10 o'clock runs are past.
    with time_machine.travel(datetime(2026, 12, 2, 5, 0, tzinfo=UTC), tick=False):
        runs = client_a.get("/api/schedule/next-runs/").json()["next_runs"]
    assert [r["text"] for r in runs[:3]] == ["Tomorrow at 9:00 AM", "Tomorrow at 10:00 AM", "Dec 4 at 9:00 AM"]
    assert runs[0]["at"] == "2026-12-03T03:15:00Z"
    assert runs[0]["text_with_zone"] == "Tomorrow at 9:00 AM +0545"


def test_pausing_through_the_api_empties_the_next_runs(client_a, account_a):
    data = client_a.patch("/api/schedule/", {"schedule_enabled": False}, format="json").json()
    assert (data["state"], data["next_run"]) == ("paused", None)
    assert client_a.get("/api/schedule/next-runs/").json()["next_runs"] == []
    assert client_a.patch("/api/schedule/", {"schedule_enabled": True}, format="json").json()["state"] == "active"


def test_it_updates_zone_hours_and_weekdays(client_a, user_a):
    response = client_a.patch(
        "/api/schedule/",
        {"timezone": "Australia/Lord_Howe", "active_from_hour": 22, "active_until_hour": 6,
         "active_weekdays": ["fri", "mon"]},
        format="json",
    )  # fmt: skip
    assert response.status_code == 200
    user_a.refresh_from_db()
    assert (user_a.timezone, user_a.active_from_hour, user_a.active_until_hour, user_a.active_weekdays) == (
        "Australia/Lord_Howe",
        22,
        6,
        "mon,fri",
    )
    assert response.json()["active_weekdays"] == ["mon", "fri"]


def test_every_weekday_is_stored_as_every_day(client_a, user_a):
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    client_a.patch("/api/schedule/", {"active_weekdays": days}, format="json")
    user_a.refresh_from_db()
    assert user_a.active_weekdays == ""


def test_a_form_encoded_patch_leaves_unsent_fields_alone(client_a, user_a):
    client_a.patch("/api/schedule/", "timezone=Europe%2FLondon", content_type="application/x-www-form-urlencoded")
    user_a.refresh_from_db()
    assert (user_a.timezone, user_a.schedule_enabled) == ("Europe/London", True)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"active_from_hour": 24, "active_until_hour": 3}, "active_from_hour"),
        ({"active_from_hour": 7}, "active_until_hour"),
        ({"active_weekdays": ["funday"]}, "active_weekdays"),
        ({"schedule_enabled": "perhaps"}, "schedule_enabled"),
    ],
)
def test_invalid_schedule_input_gets_a_400_field_error_and_saves_nothing(client_a, user_a, payload, field):
    response = client_a.patch("/api/schedule/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    user_a.refresh_from_db()
    assert (user_a.timezone, user_a.active_from_hour, user_a.active_weekdays) == ("America/New_York", None, "")


def test_an_unknown_zone_gets_a_message_for_people(client_a):
    response = client_a.patch("/api/schedule/", {"timezone": "Mars/Olympus_Mons"}, format="json")
    assert response.json() == {
        "timezone": ["“Mars/Olympus_Mons” is not a time zone we know. Pick an IANA zone such as America/New_York."]
    }
