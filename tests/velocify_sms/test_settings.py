import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from velocify_sms.env import cache_from_url, env_bool, env_int


def _start(env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    env.update(env_overrides)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; "
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'velocify_sms.settings'); "
            "django.setup()",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _start({"DEBUG": "false"})
    assert result.returncode != 0
    assert "SECRET_KEY is missing" in result.stderr


def test_production_refuses_the_development_secret_key():
    result = _start(
        {"DEBUG": "false", "SECRET_KEY": "dev-only-insecure-key-do-not-use-in-production"}
    )
    assert "SECRET_KEY is missing or is the development default" in result.stderr


def test_production_starts_with_a_real_secret_key():
    result = _start({"DEBUG": "false", "SECRET_KEY": "x" * 50})
    assert result.returncode == 0, result.stderr


def test_env_bool_refuses_anything_but_true_or_false(monkeypatch):
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG='maybe' is not a boolean"):
        env_bool("FLAG")
    monkeypatch.setenv("FLAG", "TRUE")
    assert env_bool("FLAG") is True


def test_env_int_refuses_words(monkeypatch):
    monkeypatch.setenv("N", "ten")
    with pytest.raises(ImproperlyConfigured, match="not a whole number"):
        env_int("N", 1)


def test_cache_url_selects_redis_or_local_memory():
    assert cache_from_url("redis://127.0.0.1:6379/1")["BACKEND"].endswith("RedisCache")
    assert cache_from_url("")["BACKEND"].endswith("LocMemCache")
    with pytest.raises(ImproperlyConfigured):
        cache_from_url("memcached://x")


def _site_header(env_overrides) -> str:
    env = {k: v for k, v in os.environ.items() if k != "SITE_HEADER"}
    env.update({"DEBUG": "true", **env_overrides})
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'velocify_sms.settings'); "
            "from django.conf import settings; print(settings.SITE_HEADER)",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_site_header_defaults_to_velocify_sms_and_reads_the_environment():
    assert _site_header({}) == "Velocify SMS"
    assert _site_header({"SITE_HEADER": "  "}) == "Velocify SMS"
    assert _site_header({"SITE_HEADER": "Acme Mortgage CRM"}) == "Acme Mortgage CRM"
