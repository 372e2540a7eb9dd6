"""Fire lateness with every user due at the same instant: this project's scheduler vs stock
django-apscheduler, on PostgreSQL (1,000 and 10,000 users) and SQLite (1,000 users).

    .venv/bin/python benchmarks/bench_scheduler.py [--sizes 1000,10000] [--sqlite-users 1000] [--skip-stock]

Lateness = the run's ``queued_at`` (stamped when the job function starts for that user) minus the
instant it was due. Each scenario gets a fresh database (PostgreSQL: ``wos_bench_scheduler`` on
$BENCH_PG_URL's server, default postgres://postgres@127.0.0.1:5432), users with encrypted
credentials, and a real scheduler process:

- project: ``manage.py runscheduler`` (reconcile from the users, leader lock, memory-mirrored
  DjangoJobStore, batched run recording, worker pool with a no-op sync);
- stock: a BlockingScheduler with django-apscheduler's DjangoJobStore and its default
  ThreadPoolExecutor, one job per user whose function inserts the same ScrapeRun row. (Wrapping
  it in django-apscheduler's ``close_old_connections``, as its docs advise, made stock 5-7x slower
  still with CONN_MAX_AGE=0 — a new connection per job — so the figures here are stock's best.)

Both use a cron trigger with ``second=<S>`` (SCHEDULER_TEST_SECOND_FIELD for the project) so the
measured instant comes within a minute instead of at the top of the hour; the trigger machinery,
job store and executor are the ones used on the hour. Not a test: figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
PG_DATABASE = "wos_bench_scheduler"


# -- inside a scenario process (Django set up on the scenario's database) --------------------
def noop_sync(*, run, session=None):
    """The project's workers run this instead of a browser scrape: lateness is about firing."""
    from django.utils import timezone

    from scheduling.models import RunStatus, ScrapeRun

    ScrapeRun.objects.filter(pk=run.pk).update(status=RunStatus.SUCCEEDED, finished_at=timezone.now())
    return run


def stock_job(user_id: int) -> None:
    """The stock set-up's job: the same work as ours, one ScrapeRun row for this user and instant."""
    from django.utils import timezone

    from scheduling.models import RunStatus, ScrapeRun, Trigger

    now = timezone.now()
    ScrapeRun.objects.create(
        user_id=user_id,
        trigger=Trigger.SCHEDULED,
        scheduled_for=datetime.fromisoformat(os.environ["BENCH_FIRE"]),
        status=RunStatus.QUEUED,
        queued_at=now,
    )


def _django(database_url: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def _users_create(n: int) -> None:
    from django.utils import timezone

    from accounts.models import User
    from credentials import crypto
    from credentials.models import CredentialStatus, PortalAccount

    now = timezone.now()
    User.objects.bulk_create(
        [User(username=f"bench{i}", password="!", timezone="UTC") for i in range(n)], batch_size=2000
    )
    username, fingerprint = crypto.encrypt("tech@example.com")
    password, _ = crypto.encrypt("bench-password")
    PortalAccount.objects.bulk_create(
        [
            PortalAccount(
                user_id=user_id,
                portal="demo",
                base_url="http://127.0.0.1:8000/demo-portal/",
                username_ciphertext=username,
                password_ciphertext=password,
                key_fingerprint=fingerprint,
                password_set_at=now,
                status=CredentialStatus.OK,
            )
            for user_id in User.objects.values_list("pk", flat=True)
        ],
        batch_size=2000,
    )


def _stock_scheduler(second: int) -> None:
    """Run the stock set-up until killed (a child of the scenario process)."""
    import pickle

    from apscheduler.job import Job
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger
    from django_apscheduler.jobstores import DjangoJobStore
    from django_apscheduler.models import DjangoJob

    from accounts.models import User

    scheduler = BlockingScheduler(timezone=UTC, jobstores={"default": DjangoJobStore()})
    # Store the jobs in bulk (how 10,000 jobs get into the table is not what is measured).
    rows = []
    # Once a day at that second, so the one measured fire is the only one, and each job knows it.
    first = datetime.now(UTC) + timedelta(seconds=(second - datetime.now(UTC).second) % 60 or 60)
    trigger = CronTrigger(hour=first.hour, minute=first.minute, second=second, timezone="UTC")
    fire = trigger.get_next_fire_time(None, datetime.now(UTC))
    os.environ["BENCH_FIRE"] = fire.isoformat()
    for user_id in User.objects.values_list("pk", flat=True):
        job = Job(
            scheduler,
            id=f"work_orders_{user_id}",
            func="benchmarks.bench_scheduler:stock_job",
            args=[user_id],
            kwargs={},
            name=f"user {user_id}",
            trigger=trigger,
            executor="default",
            misfire_grace_time=300,
            coalesce=True,
            max_instances=1,
            next_run_time=fire,
        )
        rows.append(DjangoJob(id=job.id, next_run_time=job.next_run_time, job_state=pickle.dumps(job.__getstate__())))
    DjangoJob.objects.bulk_create(rows, batch_size=2000)
    print("stock scheduler ready", flush=True)
    scheduler.start()


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _fresh_database(backend: str) -> tuple[Path, str]:
    """A new, migrated database for one scenario; Django is set up on it."""
    tmp = Path(tempfile.mkdtemp(prefix="wos-bench-sched-"))
    if backend == "postgres":
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {PG_DATABASE}")
        database_url = f"{PG_SERVER}/{PG_DATABASE}"
    else:
        database_url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    _django(database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return tmp, database_url


def _latency(backend: str, rounds: int) -> dict:
    """How long a "Sync now" waits before a worker starts it, and how long a schedule change made
    by saving the user takes to reach the running scheduler's job table."""
    import pickle

    tmp, database_url = _fresh_database(backend)
    from django.db import close_old_connections
    from django.utils import timezone
    from django_apscheduler.models import DjangoJob

    from accounts.models import User
    from scheduling.models import SchedulerInstance, ScrapeRun
    from scheduling.services import run_sync_now

    _users_create(rounds)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "VAR_DIR": str(tmp),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        "SCHEDULER_SYNC_FUNCTION": "benchmarks.bench_scheduler.noop_sync",
    }
    log = (tmp / "latency.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runscheduler"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )

    def wait(predicate, timeout: float = 30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            close_old_connections()
            if predicate():
                return True
            time.sleep(0.01)
        return False

    sync_now: list[float] = []
    change: list[float] = []
    try:
        wait(lambda: SchedulerInstance.objects.filter(pid=process.pid, role="active").exists(), timeout=60)
        for user in User.objects.order_by("pk"):
            run = run_sync_now(user=user, now=timezone.now())
            if wait(lambda run=run: ScrapeRun.objects.filter(pk=run.pk, started_at__isnull=False).exists()):
                run.refresh_from_db()
                sync_now.append((run.started_at - run.queued_at).total_seconds())
            user.timezone = "Asia/Kolkata"
            started = time.monotonic()
            user.save(update_fields=["timezone"])

            def moved(user=user):
                row = DjangoJob.objects.filter(id=f"work_orders_{user.pk}").first()
                return row and str(pickle.loads(row.job_state)["trigger"].timezone) == "Asia/Kolkata"  # noqa: S301

            if wait(moved):
                change.append(time.monotonic() - started)
    finally:
        process.kill()
        process.wait()
        log.close()
    sync_now.sort()
    change.sort()
    return {
        "kind": "latency",
        "backend": backend,
        "rounds": rounds,
        "sync_now_p50": _pct(sync_now, 50),
        "sync_now_max": sync_now[-1] if sync_now else None,
        "change_p50": _pct(change, 50),
        "change_max": change[-1] if change else None,
        "measured": (len(sync_now), len(change)),
    }


def _scenario(kind: str, backend: str, n: int) -> dict:
    """One measurement in a fresh database; returns the figures."""
    tmp, database_url = _fresh_database(backend)
    from django.db import close_old_connections
    from django.db.models import Max

    from scheduling.models import ScrapeRun

    _users_create(n)
    # The instant: a second at least `lead` seconds away, so set-up is done before it comes.
    lead = 25 + n // 400
    due = (datetime.now(UTC) + timedelta(seconds=lead)).replace(microsecond=0)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "VAR_DIR": str(tmp),
        "LOG_LEVEL": "WARNING",
        "BENCH_SECOND": str(due.second),
        "PYTHONPATH": str(ROOT),
    }
    if kind == "project":
        env |= {
            "SCHEDULER_TEST_SECOND_FIELD": str(due.second),
            "SCHEDULER_SYNC_FUNCTION": "benchmarks.bench_scheduler.noop_sync",
        }
        command = [sys.executable, "manage.py", "runscheduler"]
    else:
        command = [sys.executable, str(Path(__file__)), "--stock-scheduler", str(due.second), database_url]
    log = (tmp / f"{kind}.log").open("wb")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        # Wait for the first fire that comes after the scheduler is up, and for all its runs.
        deadline = time.monotonic() + lead + 240
        fire = None
        recorded = 0
        last_change = time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.5)
            close_old_connections()
            if process.poll() is not None:
                break
            if fire is None:
                fire = ScrapeRun.objects.aggregate(first=Max("scheduled_for"))["first"]
                continue
            count = ScrapeRun.objects.filter(scheduled_for=fire).count()
            if count != recorded:
                recorded, last_change = count, time.monotonic()
            if recorded >= n or time.monotonic() - last_change > 20:
                break
        rss = _rss_kib(process.pid) if process.poll() is None else 0
    finally:
        process.kill()
        process.wait()
        log.close()
    close_old_connections()
    lateness = sorted(
        (queued - scheduled).total_seconds()
        for scheduled, queued in ScrapeRun.objects.filter(scheduled_for=fire).values_list("scheduled_for", "queued_at")
    )
    crashed = "database is locked" in (tmp / f"{kind}.log").read_text(errors="replace")
    return {
        "kind": kind,
        "backend": backend,
        "users": n,
        "fire": fire.isoformat() if fire else None,
        "recorded": len(lateness),
        "lost": n - len(lateness),
        "p50": _pct(lateness, 50),
        "p99": _pct(lateness, 99),
        "max": lateness[-1] if lateness else None,
        "rss_mib": round(rss / 1024, 1),
        "database_locked_in_log": crashed,
        "log": str(tmp / f"{kind}.log"),
    }


def _pct(values: list[float], pct: int) -> float | None:
    if not values:
        return None
    return values[min(len(values) - 1, round(pct / 100 * (len(values) - 1)))]


# -- the orchestrating process -------------------------------------------------------------------
def _run(kind: str, backend: str, n: int) -> dict:
    print(f"… {kind} scheduler, {backend}, {n:,} users", flush=True)
    out = subprocess.run(
        [sys.executable, str(Path(__file__)), "--scenario", kind, backend, str(n)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if not lines:
        print(out.stdout[-2000:], out.stderr[-4000:])
        return {"kind": kind, "backend": backend, "users": n, "error": "scenario failed"}
    return json.loads(lines[-1])


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="PostgreSQL user counts")
    parser.add_argument("--sqlite-users", type=int, default=1000)
    parser.add_argument("--skip-stock", action="store_true")
    parser.add_argument("--latency-rounds", type=int, default=20)
    args = parser.parse_args()
    if "CREDENTIAL_KEYS" not in os.environ:
        from cryptography.fernet import Fernet

        os.environ["CREDENTIAL_KEYS"] = Fernet.generate_key().decode()
    plan = []
    for n in [int(s) for s in args.sizes.split(",") if s]:
        plan.append(("project", "postgres", n))
        if not args.skip_stock:
            plan.append(("stock", "postgres", n))
    if args.sqlite_users:
        plan.append(("project", "sqlite", args.sqlite_users))
        if not args.skip_stock:
            plan.append(("stock", "sqlite", args.sqlite_users))
    results = [_run(*step) for step in plan]
    latencies = [_run("latency", backend, args.latency_rounds) for backend in ("postgres", "sqlite")]

    print()
    header = ("scheduler", "db", "users", "recorded", "lost", "p50", "p99", "max", "RSS")
    print("{:<9} {:<9} {:>7} {:>9} {:>6} {:>9} {:>9} {:>9} {:>11}".format(*header))
    for r in results:
        if "error" in r:
            print(f"{r['kind']:<9} {r['backend']:<9} {r['users']:>7,} {r['error']}")
            continue
        print(
            f"{r['kind']:<9} {r['backend']:<9} {r['users']:>7,} {r['recorded']:>9,} {r['lost']:>6,} "
            f"{_fmt(r['p50']):>9} {_fmt(r['p99']):>9} {_fmt(r['max']):>9} {r['rss_mib']:>7} MiB"
            + ("  ('database is locked' in its log)" if r["database_locked_in_log"] else "")
        )
    print()
    by_key = {(r["kind"], r["backend"], r["users"]): r for r in results if "error" not in r}
    for (kind, backend, n), ours in by_key.items():
        stock = by_key.get(("stock", backend, n))
        if kind != "project" or not stock or not ours["p99"] or not stock["p99"]:
            continue
        print(
            f"{backend} {n:,} users: stock/project: p50 x{stock['p50'] / max(ours['p50'], 1e-6):.0f}, "
            f"p99 x{stock['p99'] / ours['p99']:.0f}, max x{stock['max'] / ours['max']:.0f}"
        )
    print()
    for r in latencies:
        if "error" in r:
            print(f"latency {r['backend']}: {r['error']}")
            continue
        print(
            f"{r['backend']}: Sync now queued -> started by a worker p50 {_fmt(r['sync_now_p50'])}, "
            f"max {_fmt(r['sync_now_max'])}; user saved -> job changed in the running scheduler "
            f"p50 {_fmt(r['change_p50'])}, max {_fmt(r['change_max'])} ({r['rounds']} of each)"
        )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--scenario" and sys.argv[2] == "latency":
        print(json.dumps(_latency(sys.argv[3], int(sys.argv[4]))), flush=True)
    elif len(sys.argv) > 1 and sys.argv[1] == "--scenario":
        print(json.dumps(_scenario(sys.argv[2], sys.argv[3], int(sys.argv[4]))), flush=True)
    elif len(sys.argv) > 1 and sys.argv[1] == "--stock-scheduler":
        _django(sys.argv[3])
        _stock_scheduler(int(sys.argv[2]))
    else:
        main()
