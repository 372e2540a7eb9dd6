"""A real ASGI server (daphne, in a subprocess) on the test database, and a real websocket client.

The server is shared by the whole session. It reads the test database through DATABASE_URL, so
the tests that talk to it use ``transactional_db`` (their rows are committed and visible to it).
With REDIS_URL set, server and tests share a Redis channel layer under a prefix of their own, so
the tests can publish from this process as the scheduler would from its own.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from websockets.asyncio.client import ClientConnection, connect

from tests.conftest import TEST_KEY_A

BASE_DIR = Path(settings.BASE_DIR)
REDIS_URL = os.environ.get("REDIS_URL", "")
CHANNEL_PREFIX = f"wos-test-{os.getpid()}"

needs_redis = pytest.mark.skipif(
    not REDIS_URL,
    reason="publishing from the test process needs a cross-process layer (REDIS_URL); the in-memory "
    "layer lives inside the server, where the sync-now tests reach it over HTTP instead",
)


@dataclass
class LiveAsgiServer:
    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def progress_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/progress/"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _test_database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "", safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture(scope="session")
def asgi_server(django_db_setup, django_db_blocker):
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "CREDENTIAL_KEYS": TEST_KEY_A,
        "SECRET_KEY": settings.SECRET_KEY,
        "CHANNEL_LAYER_PREFIX": CHANNEL_PREFIX,
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    log_file = tempfile.NamedTemporaryFile(prefix="daphne-", suffix=".log", delete=False)  # noqa: SIM115
    log_path = Path(log_file.name)
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=BASE_DIR,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    server = LiveAsgiServer(port=port, process=process, log_path=log_path)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"daphne exited with {process.returncode}:\n{server.log()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"daphne did not listen on {port} within 30 s:\n{server.log()}")
                time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log_file.close()
        log_path.unlink(missing_ok=True)


@pytest.fixture(autouse=True)
def _shared_channel_prefix(settings):
    """This process publishes where the server listens (and nowhere another suite does)."""
    if REDIS_URL:
        layers = json.loads(json.dumps(settings.CHANNEL_LAYERS))
        layers["default"]["CONFIG"]["prefix"] = CHANNEL_PREFIX
        settings.CHANNEL_LAYERS = layers


def session_cookie(user) -> str:
    """Log ``user`` in as the browser would: a session row and its cookie value."""
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


async def open_progress_socket(
    server: LiveAsgiServer, *, cookie: str | None, origin: str | None = "same", ping_interval: float | None = 20
) -> ClientConnection:
    headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"} if cookie else {}
    return await connect(
        server.progress_url,
        origin=server.origin if origin == "same" else origin,
        additional_headers=headers,
        proxy=None,
        open_timeout=10,
        ping_interval=ping_interval,
    )


async def next_message(ws: ClientConnection, timeout: float = 10) -> dict:
    """The next JSON message; a TimeoutError (a failure, not a speed check) if none comes."""
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


def api_post(server: LiveAsgiServer, path: str, *, token: str) -> tuple[int, dict]:
    """POST to the live server's API with a token (no CSRF dance), straight, never via a proxy."""
    request = urllib.request.Request(
        f"{server.origin}{path}", method="POST", data=b"", headers={"Authorization": f"Token {token}"}
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())
