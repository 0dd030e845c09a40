import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from velocify_sms.env import (
    cache_from_url,
    env_bool,
    env_file_load,
    env_file_parse,
    env_file_path,
    env_int,
)

ROOT = Path(__file__).resolve().parents[2]


def _start(env_overrides, *, code: str = ""):
    """Start Django in a subprocess; ENV_FILE="" (no .env) unless the overrides name one, so
    these tests see what a deployment without the development file sees."""
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG", "ENV_FILE")}
    env.update({"ENV_FILE": "", **env_overrides})
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; "
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'velocify_sms.settings'); "
            "django.setup(); " + code,
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


# --- the development .env ------------------------------------------------------------
def test_a_checkout_with_a_env_file_starts_with_no_variables_set(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("# written by make\nDEBUG=true\nSECRET_KEY=" + "k" * 50 + "\n")

    result = _start(
        {"ENV_FILE": str(env_file)},
        code="from django.conf import settings; print(settings.DEBUG, len(settings.SECRET_KEY))",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "50"]


def test_the_environment_wins_over_the_env_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("DEBUG=true\nSECRET_KEY=" + "k" * 50 + "\n")

    result = _start(
        {"ENV_FILE": str(env_file), "DEBUG": "false"},
        code="from django.conf import settings; print(settings.DEBUG)",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False"]


def test_production_without_the_file_still_refuses_a_missing_secret_key(tmp_path):
    # The same code path as a checkout: only the input (no .env) differs.
    result = _start({"DEBUG": "false", "ENV_FILE": ""})

    assert result.returncode != 0
    assert "SECRET_KEY is missing" in result.stderr


def test_env_file_load_fills_only_variables_the_environment_lacks(tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    env_file.write_text('export A_FROM_FILE="one two"\nB_SET_ALREADY=file\n\n# note\n')
    monkeypatch.delenv("A_FROM_FILE", raising=False)
    monkeypatch.setenv("B_SET_ALREADY", "environment")

    loaded = env_file_load(env_file)

    assert loaded == {"A_FROM_FILE": "one two"}
    assert os.environ["A_FROM_FILE"] == "one two"
    assert os.environ["B_SET_ALREADY"] == "environment"
    monkeypatch.delenv("A_FROM_FILE")


def test_env_file_refuses_a_line_it_cannot_read():
    with pytest.raises(ImproperlyConfigured, match=r"\.env, line 2: expected KEY=value"):
        env_file_parse("DEBUG=true\nSECRET_KEY abc\n")


def test_env_file_path_is_the_project_env_only_when_it_exists(tmp_path, monkeypatch):
    monkeypatch.delenv("ENV_FILE", raising=False)
    assert env_file_path(tmp_path) is None
    (tmp_path / ".env").write_text("DEBUG=true\n")
    assert env_file_path(tmp_path) == tmp_path / ".env"
    monkeypatch.setenv("ENV_FILE", "")
    assert env_file_path(tmp_path) is None
    monkeypatch.setenv("ENV_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="is not a file"):
        env_file_path(tmp_path)


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_writes_the_env_file_once_and_never_overwrites_it(tmp_path):
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")

    first = subprocess.run(["make", "-s", ".env"], cwd=tmp_path, capture_output=True, text=True)
    written = (tmp_path / ".env").read_text()
    second = subprocess.run(["make", "-s", ".env"], cwd=tmp_path, capture_output=True, text=True)

    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    values = env_file_parse(written)
    assert values["DEBUG"] == "true"
    assert len(values["SECRET_KEY"]) >= 50
    assert len(values["TWILIO_AUTH_TOKEN"]) == 32
    assert (tmp_path / ".env").read_text() == written  # not regenerated
    assert stat.S_IMODE((tmp_path / ".env").stat().st_mode) == 0o600  # a secret: owner only


def test_the_env_file_is_git_ignored():
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", ".env"], cwd=ROOT, capture_output=True, check=False
    )
    assert ignored.returncode == 0


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


def _brand(env_overrides) -> str:
    env = dict(env_overrides)
    for name in ("SITE_HEADER", "SMS_BRAND_NAME"):
        env.setdefault(name, "")
    result = _start(
        {"DEBUG": "true", **env},
        code="from django.conf import settings; print(settings.SMS_BRAND_NAME)",
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_sms_brand_name_defaults_to_the_site_header_and_reads_the_environment():
    assert _brand({}) == "Velocify SMS"
    assert _brand({"SITE_HEADER": "Acme Mortgage CRM"}) == "Acme Mortgage CRM"
    assert _brand({"SITE_HEADER": "Acme CRM", "SMS_BRAND_NAME": " Acme Loans "}) == "Acme Loans"


# --- grouped settings keep their documented environment variables ------------------------------
def test_each_lead_import_limit_and_send_policy_key_reads_its_documented_variable():
    # IMPORT_<key> for LEAD_IMPORT and SMS_<key> for SMS_SEND_POLICY (docs/operations.md).
    from django.conf import settings

    imports = {f"IMPORT_{key}": str(value + 7) for key, value in settings.LEAD_IMPORT.items()}
    policy = {
        "SMS_SEND_WINDOW_START": "09:15",
        "SMS_SEND_WINDOW_END": "17:45",
        "SMS_QUIET_HOURS_ACTION": "refuse",
        "SMS_FREQUENCY_CAP": "4",
    }
    assert {f"SMS_{key}" for key in settings.SMS_SEND_POLICY} == set(policy)

    result = _start(
        {"DEBUG": "true", **imports, **policy},
        code="from django.conf import settings; "
        "print(sorted(settings.LEAD_IMPORT.items())); "
        "print({k: str(v) for k, v in settings.SMS_SEND_POLICY.items()})",
    )

    assert result.returncode == 0, result.stderr
    lead_import, send_policy = result.stdout.splitlines()
    expected = sorted((name[len("IMPORT_") :], int(v)) for name, v in imports.items())
    assert lead_import == str(expected)
    assert send_policy == str(
        {
            "SEND_WINDOW_START": "09:15:00",
            "SEND_WINDOW_END": "17:45:00",
            "QUIET_HOURS_ACTION": "refuse",
            "FREQUENCY_CAP": "4",
        }
    )
