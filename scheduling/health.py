"""The scheduler's heartbeat and ``GET /healthz``.

Every scheduler process (active or standby) updates its SchedulerInstance row every
settings.SCHEDULER_HEARTBEAT_SECONDS. /healthz answers 200 when the database answers and the
active scheduler's heartbeat is fresher than settings.SCHEDULER_STALE_AFTER_SECONDS, else 503.
The fields are described in docs/operations.md ("Health").
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from scheduling.models import RunStatus, SchedulerInstance, ScrapeRun

logger = logging.getLogger(__name__)


def scheduler_heartbeat(
    *,
    instance_id: str,
    host: str,
    pid: int,
    role: str,
    started_at: datetime,
    jobs_scheduled: int,
    next_fire_at: datetime | None,
    now: datetime,
) -> None:
    SchedulerInstance.objects.update_or_create(
        instance_id=instance_id,
        defaults={
            "host": host,
            "pid": pid,
            "role": role,
            "started_at": started_at,
            "last_beat_at": now,
            "jobs_scheduled": jobs_scheduled,
            "next_fire_at": next_fire_at,
        },
    )


def scheduler_instances_prune(*, now: datetime) -> int:
    """Forget instances silent for a day (a crashed process never says goodbye)."""
    deleted, _ = SchedulerInstance.objects.filter(last_beat_at__lt=now - timedelta(days=1)).delete()
    return deleted


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _database_check() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"ok": True, "vendor": connection.vendor}
    except Exception as exc:
        logger.warning("health: database check failed error=%s", exc)
        return {"ok": False, "vendor": connection.vendor, "error": type(exc).__name__}


def _channel_layer_check() -> dict:
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        return {"ok": False, "backend": None, "error": "not configured"}
    backend = f"{type(layer).__module__}.{type(layer).__name__}"
    try:
        async_to_sync(layer.group_send)("healthz", {"type": "healthz.ping"})
        return {"ok": True, "backend": backend}
    except Exception as exc:
        logger.warning("health: channel layer check failed error=%s", exc)
        return {"ok": False, "backend": backend, "error": type(exc).__name__}


def health_report(*, now: datetime) -> tuple[bool, dict]:
    """(healthy, the JSON body). Healthy: database up and a fresh active scheduler heartbeat."""
    database = _database_check()
    report: dict = {"checked_at": _iso(now), "database": database, "channel_layer": _channel_layer_check()}
    if not database["ok"]:
        report["status"] = "unhealthy"
        report["problems"] = ["database unreachable"]
        return False, report
    stale_after = settings.SCHEDULER_STALE_AFTER_SECONDS
    active = SchedulerInstance.objects.filter(role=SchedulerInstance.Role.ACTIVE).order_by("-last_beat_at").first()
    standbys = SchedulerInstance.objects.filter(
        role=SchedulerInstance.Role.STANDBY, last_beat_at__gte=now - timedelta(seconds=stale_after)
    ).count()
    problems = []
    if active is None:
        problems.append("no active scheduler has ever reported")
        scheduler = {"ok": False, "heartbeat_age_seconds": None, "standbys": standbys}
    else:
        age = active.beat_age(now=now).total_seconds()
        fresh = age <= stale_after
        if not fresh:
            problems.append(f"scheduler heartbeat is {age:.0f}s old (stale after {stale_after}s)")
        scheduler = {
            "ok": fresh,
            "instance": active.instance_id,
            "host": active.host,
            "pid": active.pid,
            "started_at": _iso(active.started_at),
            "last_heartbeat_at": _iso(active.last_beat_at),
            "heartbeat_age_seconds": round(age, 1),
            "stale_after_seconds": stale_after,
            "jobs_scheduled": active.jobs_scheduled,
            "next_fire_at": _iso(active.next_fire_at),
            "standbys": standbys,
        }
    counts = dict(
        ScrapeRun.objects.filter(queued_at__gte=now - timedelta(hours=1))
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    report["scheduler"] = scheduler
    report["runs_last_hour"] = {status: counts.get(status, 0) for status in RunStatus.values}
    healthy = not problems
    report["status"] = "ok" if healthy else "unhealthy"
    report["problems"] = problems
    return healthy, report


@never_cache
@require_GET
def healthz(request):
    healthy, report = health_report(now=timezone.now())
    return JsonResponse(report, status=200 if healthy else 503)
