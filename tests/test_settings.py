"""config/settings.py read in a fresh interpreter with a controlled environment (no test settings)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET = "a-production-secret-key-value-that-is-long-enough-0123456789"
KEY = Fernet.generate_key().decode()

REPORT = """
import json, config.settings as s
print(json.dumps({
    "debug": s.DEBUG,
    "secret_key": s.SECRET_KEY,
    "credential_keys": s.CREDENTIAL_KEYS,
    "engine": s.DATABASES["default"]["ENGINE"],
    "db_name": str(s.DATABASES["default"]["NAME"]),
    "layer": s.CHANNEL_LAYERS["default"]["BACKEND"],
    "secure_cookies": s.SESSION_COOKIE_SECURE,
}))
"""


def load_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    clean_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(BASE_DIR), "VAR_DIR": str(tmp_path)}
    clean_env.update(env)
    return subprocess.run(
        [sys.executable, "-c", REPORT], cwd=BASE_DIR, env=clean_env, capture_output=True, text=True, timeout=60
    )


def loaded(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def refusal(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0
    assert "django.core.exceptions.ImproperlyConfigured" in result.stderr
    return result.stderr.strip().splitlines()[-1]


def test_with_no_environment_it_runs_on_development_defaults(tmp_path):
    settings = loaded(load_settings(tmp_path))

    assert settings["debug"] is True
    assert settings["engine"] == "django.db.backends.sqlite3"
    assert settings["db_name"] == str(tmp_path / "db.sqlite3")
    assert settings["layer"] == "channels.layers.InMemoryChannelLayer"
    assert settings["secure_cookies"] is False
    # Development secrets are generated into VAR_DIR, private to the owner, and reused.
    key_file = tmp_path / "dev-credential-key"
    assert settings["credential_keys"] == [key_file.read_text().strip()]
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert oct((tmp_path / "dev-secret-key").stat().st_mode & 0o777) == "0o600"
    assert loaded(load_settings(tmp_path))["credential_keys"] == settings["credential_keys"]


def test_with_debug_off_and_no_secrets_it_refuses_to_start_naming_both(tmp_path):
    message = refusal(load_settings(tmp_path, DEBUG="0"))

    assert "DEBUG is off" in message
    assert "SECRET_KEY" in message and "CREDENTIAL_KEYS" in message
    assert "docs/configuration.md" in message
    assert not (tmp_path / "dev-secret-key").exists()


def test_with_debug_off_and_no_credential_keys_it_refuses_naming_that_one(tmp_path):
    message = refusal(load_settings(tmp_path, DEBUG="false", SECRET_KEY=SECRET))

    assert "CREDENTIAL_KEYS" in message
    assert "SECRET_KEY," not in message
    assert SECRET not in message


def test_with_debug_off_and_both_secrets_it_starts_with_secure_cookies(tmp_path):
    settings = loaded(load_settings(tmp_path, DEBUG="0", SECRET_KEY=SECRET, CREDENTIAL_KEYS=KEY))

    assert (settings["debug"], settings["secret_key"], settings["credential_keys"]) == (False, SECRET, [KEY])
    assert settings["secure_cookies"] is True


def test_secrets_can_come_from_name_file(tmp_path):
    secret_file = tmp_path / "secret_key"
    secret_file.write_text(SECRET + "\n")
    keys_file = tmp_path / "credential_keys"
    old_key = Fernet.generate_key().decode()
    keys_file.write_text(f"{KEY},\n {old_key}\n")

    settings = loaded(
        load_settings(tmp_path, DEBUG="0", SECRET_KEY_FILE=str(secret_file), CREDENTIAL_KEYS_FILE=str(keys_file))
    )

    assert settings["secret_key"] == SECRET
    assert settings["credential_keys"] == [KEY, old_key]


def test_a_variable_set_directly_wins_over_its_file(tmp_path):
    secret_file = tmp_path / "secret_key"
    secret_file.write_text("from-the-file")

    settings = loaded(load_settings(tmp_path, SECRET_KEY="from-the-variable", SECRET_KEY_FILE=str(secret_file)))

    assert settings["secret_key"] == "from-the-variable"


def test_an_unreadable_name_file_is_a_clear_error(tmp_path):
    message = refusal(load_settings(tmp_path, SECRET_KEY_FILE=str(tmp_path / "missing")))

    assert f"SECRET_KEY_FILE={tmp_path / 'missing'} cannot be read" in message


def test_a_malformed_credential_key_is_refused_without_showing_it(tmp_path):
    malformed = "hunter2-is-not-a-fernet-key"

    result = load_settings(tmp_path, CREDENTIAL_KEYS=f"{KEY},{malformed}")

    message = refusal(result)
    assert "CREDENTIAL_KEYS entry 2 of 2 is not a valid Fernet key" in message
    assert malformed not in result.stderr
    assert KEY not in result.stderr


def test_database_and_redis_urls_select_postgresql_and_the_redis_layer(tmp_path):
    settings = loaded(
        load_settings(
            tmp_path,
            DATABASE_URL="postgres://app:pw@db.internal:5432/workorders",
            REDIS_URL="redis://cache.internal:6379/0",
        )
    )

    assert (settings["engine"], settings["db_name"]) == ("django.db.backends.postgresql", "workorders")
    assert settings["layer"] == "channels_redis.pubsub.RedisPubSubChannelLayer"


@pytest.mark.parametrize("name", ["SCRAPE_WORKERS", "BROWSER_PAGE_LOAD_TIMEOUT", "CONN_MAX_AGE"])
def test_a_number_setting_that_is_not_a_number_is_a_clear_error(tmp_path, name):
    message = refusal(load_settings(tmp_path, **{name: "lots"}))

    assert f"{name} must be a whole number" in message


def test_even_at_debug_level_the_browser_wire_log_is_silenced(tmp_path):
    # Selenium logs every WebDriver request body at DEBUG, and the login's send_keys carries the
    # portal password: those loggers stay at WARNING whatever LOG_LEVEL says.
    check = (
        "import logging, django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'; django.setup(); "
        "names = ['selenium.webdriver.remote.remote_connection', 'urllib3.connectionpool', 'django.db.backends']; "
        "print([logging.getLogger(n).isEnabledFor(logging.DEBUG) for n in names], "
        "logging.getLogger('credentials').isEnabledFor(logging.DEBUG))"
    )
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(BASE_DIR), "VAR_DIR": str(tmp_path)}

    result = subprocess.run(
        [sys.executable, "-c", check],
        cwd=BASE_DIR,
        env={**env, "LOG_LEVEL": "DEBUG"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[False, False, False] True"


def test_the_database_password_never_shows_among_the_settings(tmp_path):
    # What the debug page and diffsettings show: Django masks DATABASES' PASSWORD, so the URL it
    # came from must not be a setting of its own.
    check = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'; django.setup(); "
        "from django.views.debug import SafeExceptionReporterFilter; "
        "print(repr(SafeExceptionReporterFilter().get_safe_settings()))"
    )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(BASE_DIR),
        "VAR_DIR": str(tmp_path),
        "DATABASE_URL": "postgres://app:db-pass-7f3a@db.internal:5432/workorders",
    }

    result = subprocess.run(
        [sys.executable, "-c", check], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    assert "db.internal" in result.stdout
    assert "db-pass-7f3a" not in result.stdout
