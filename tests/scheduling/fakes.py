"""Stand-ins for H2's work_orders_sync in scheduler process tests (SCHEDULER_SYNC_FUNCTION).

Behaviour comes from the environment of the scheduler subprocess:
FAKE_SYNC_SECONDS (how long a "scrape" takes) and FAKE_SYNC_ERROR (e.g. auth_failed).
"""

from __future__ import annotations

import os
import time

from django.utils import timezone

from scheduling.models import Phase, RunStatus, ScrapeRun


def fast_sync(*, run: ScrapeRun, session=None) -> ScrapeRun:
    seconds = float(os.environ.get("FAKE_SYNC_SECONDS", "0"))
    if seconds:
        time.sleep(seconds)
    error = os.environ.get("FAKE_SYNC_ERROR", "")
    run.status = RunStatus.FAILED if error else RunStatus.SUCCEEDED
    run.error_code = error
    run.phase = Phase.DONE
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error_code", "phase", "finished_at"])
    return run
