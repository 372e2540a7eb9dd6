"""GET /healthz: 200 with a fresh active scheduler and a working database, 503 otherwise."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.db.utils import OperationalError
from django.utils import timezone

from scheduling.health import scheduler_heartbeat
from scheduling.models import RunStatus, Trigger
from tests.factories import make_run, make_user

pytestmark = pytest.mark.django_db


def beat(*, role="active", age_seconds=0.0, instance_id="a1"):
    now = timezone.now()
    scheduler_heartbeat(
        instance_id=instance_id,
        host="sched-1",
        pid=4242,
        role=role,
        started_at=now - timedelta(hours=1),
        jobs_scheduled=17,
        next_fire_at=now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1),
        now=now - timedelta(seconds=age_seconds),
    )


def test_it_is_healthy_with_a_fresh_heartbeat_and_reports_every_field(client):
    beat()
    beat(role="standby", instance_id="b2")
    user = make_user()
    make_run(user, status=RunStatus.SUCCEEDED)
    make_run(user, status=RunStatus.FAILED, trigger=Trigger.SCHEDULED)

    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["channel_layer"]["ok"] is True
    assert body["scheduler"]["jobs_scheduled"] == 17
    assert body["scheduler"]["host"] == "sched-1"
    assert body["scheduler"]["heartbeat_age_seconds"] < 5
    assert body["scheduler"]["next_fire_at"].endswith("+00:00")
    assert body["scheduler"]["standbys"] == 1
    assert body["runs_last_hour"]["succeeded"] == 1
    assert body["runs_last_hour"]["failed"] == 1
    assert body["runs_last_hour"]["missed"] == 0


def test_it_is_unhealthy_when_the_heartbeat_is_stale(client, settings):
    settings.SCHEDULER_STALE_AFTER_SECONDS = 30
    beat(age_seconds=31)

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy"
    assert body["scheduler"]["ok"] is False
    assert "stale" in body["problems"][0]


def test_it_is_unhealthy_when_no_scheduler_ever_ran(client):
    beat(role="standby")

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["scheduler"]["ok"] is False


def test_it_is_unhealthy_when_the_database_is_down(client):
    beat()
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("server closed the connection")):
        response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["database"] == {"ok": False, "vendor": connection.vendor, "error": "OperationalError"}
    assert body["problems"] == ["database unreachable"]
