"""Run the scheduler: hot standby until it holds the leader lock, then fire each user's hourly
sync on the hour. SIGTERM/SIGINT: stop firing, let running scrapes finish (up to
SCHEDULER_SHUTDOWN_TIMEOUT), mark the rest interrupted, exit 0."""

from __future__ import annotations

import signal
import sys

from django.core.management.base import BaseCommand

from scheduling.runner import SchedulerService


class Command(BaseCommand):
    help = "Run the hourly work order scheduler (one active per database; others stand by)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--workers", type=int, default=None, help="Scrape workers (default SCRAPE_WORKERS).")

    def handle(self, *args, workers: int | None = None, **options) -> None:
        service = SchedulerService(workers=workers)
        signal.signal(signal.SIGTERM, service.request_stop)
        signal.signal(signal.SIGINT, service.request_stop)
        code = service.run()
        if code:
            sys.exit(code)
