"""The web app and the scheduler in one process: ``make run``.

Daphne serves config.asgi in the main thread (it needs the main thread for its signal handlers);
the scheduler — the very same SchedulerService as ``runscheduler``, BlockingScheduler included —
runs in a second thread. One process means the in-memory channel layer carries a run's progress
from the scrape worker to the browser's websocket with no Redis, and with SQLite the scheduler
learns of changes made in the web app through an in-process queue the moment they commit.
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.management.base import BaseCommand
from django.utils import timezone

from scheduling.runner import SchedulerService
from scheduling.services import schedule_state


class Command(BaseCommand):
    help = "Serve the web app (daphne) and run the scheduler in one process (embedded mode)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=None, help="Scrape workers (default SCRAPE_WORKERS).")

    def handle(self, *args, host: str, port: int, workers: int | None, **options) -> None:
        from channels.routing import get_default_application
        from daphne.endpoints import build_endpoint_description_strings
        from daphne.server import Server

        service = SchedulerService(workers=workers)
        scheduler_thread = threading.Thread(target=service.run, name="scheduler", daemon=True)
        scheduler_thread.start()
        self.stdout.write(self.banner(host=host, port=port))
        application = get_default_application()
        if settings.DEBUG:
            application = ASGIStaticFilesHandler(application)
        try:
            Server(
                application=application,
                endpoints=build_endpoint_description_strings(host=host, port=port),
                signal_handlers=True,
            ).run()
        finally:
            self.stdout.write("Stopping the scheduler (running syncs may finish first)…")
            service.request_stop()
            scheduler_thread.join(settings.SCHEDULER_SHUTDOWN_TIMEOUT + 10)

    def banner(self, *, host: str, port: int) -> str:
        from accounts.models import User
        from scheduling.display import format_next_run

        url = f"http://{host}:{port}/"
        lines = ["", "=" * 64, "  Work Order Sync — web app and scheduler in one process", "", f"  Open     {url}"]
        demo = User.objects.filter(username="demo").first()
        if demo is not None:
            now = timezone.now()
            lines.append("  Log in   demo / demo-password")
            state = schedule_state(user=demo, now=now)
            if state.next_run:
                when = format_next_run(state.next_run, now=now, tz=demo.zone)
                lines.append(f"  Next     demo's first scheduled sync: {when} ({state.zone_name})")
                lines.append("           or press “Sync now” on the dashboard to watch a run at once")
            else:
                lines.append(f"  Schedule {state.reason}")
        else:
            lines.append("  No demo user yet: run `python manage.py demo_setup` (make run does it).")
        lines += [f"  Health   {url}healthz", "  Stop     Ctrl+C", "=" * 64, ""]
        return "\n".join(lines)
