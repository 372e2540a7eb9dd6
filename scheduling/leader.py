"""Only one active scheduler: a PostgreSQL advisory lock, or a file lock with SQLite.

Two schedulers on one DjangoJobStore ran every job twice. The active scheduler holds the lock for
its whole life; a second ``runscheduler`` polls for it every second as a hot standby. The
PostgreSQL lock is session-level on a dedicated connection (never Django's, which
close_old_connections may close): when the active process dies, even by kill -9, its socket
closes, PostgreSQL ends the session and releases the lock, and the standby takes over.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path

from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)


def pg_conninfo() -> str:
    """A libpq connection string for Django's default database."""
    from psycopg.conninfo import make_conninfo

    params = connection.settings_dict
    options = {
        "dbname": params.get("NAME") or "",
        "user": params.get("USER") or "",
        "password": params.get("PASSWORD") or "",
        "host": params.get("HOST") or "",
        "port": str(params.get("PORT") or ""),
    }
    return make_conninfo(**{k: v for k, v in options.items() if v})


class PostgresLeaderLock:
    def __init__(self, key: int | None = None) -> None:
        self.key = key if key is not None else settings.SCHEDULER_LOCK_KEY
        self._conn = None
        self.held = False

    def _connect(self):
        import psycopg

        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(
                pg_conninfo(), autocommit=True, application_name="work-order-scheduler-lock", connect_timeout=5
            )
        return self._conn

    def try_acquire(self) -> bool:
        try:
            conn = self._connect()
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", [self.key]).fetchone()
            self.held = bool(row and row[0])
        except Exception as exc:
            logger.warning("leader lock attempt failed error=%s", exc)
            self._drop()
            self.held = False
        return self.held

    def still_held(self) -> bool:
        """Check the lock's session is alive; if it died, try to take the lock again at once.

        False means another scheduler holds it now: this one must stop scheduling.
        """
        if not self.held:
            return False
        try:
            row = (
                self._connect()
                .execute(
                    "SELECT count(*) FROM pg_locks"
                    " WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND objid = %s",
                    [self.key & 0xFFFFFFFF],
                )
                .fetchone()
            )
            if row and row[0]:
                return True
        except Exception as exc:
            logger.warning("leader lock connection lost error=%s", exc)
            self._drop()
        logger.warning("leader lock lost; trying to take it again")
        return self.try_acquire()

    def release(self) -> None:
        if self._conn is not None and not self._conn.closed and self.held:
            try:
                self._conn.execute("SELECT pg_advisory_unlock(%s)", [self.key])
            except Exception:
                logger.exception("leader lock release failed")
        self.held = False
        self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:
                logger.debug("closing the lock connection failed", exc_info=True)
        self._conn = None


class FileLeaderLock:
    """fcntl lock on settings.SCHEDULER_LOCK_FILE; the kernel releases it when the process dies."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path or settings.SCHEDULER_LOCK_FILE)
        self._fd: int | None = None
        self.held = False

    def try_acquire(self) -> bool:
        if self.held:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        self.held = True
        return True

    def still_held(self) -> bool:
        return self.held

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
        self._fd = None
        self.held = False


def leader_lock() -> PostgresLeaderLock | FileLeaderLock:
    if connection.vendor == "postgresql":
        return PostgresLeaderLock()
    return FileLeaderLock()
