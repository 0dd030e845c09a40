"""Readers for environment variables that refuse bad values instead of guessing."""

from __future__ import annotations

import os
import re
from datetime import time
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use true or false.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below the minimum of {minimum}.")
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: set[str]) -> str:
    value = os.environ.get(name) or default
    if value not in choices:
        allowed = ", ".join(sorted(choices))
        raise ImproperlyConfigured(f"{name}={value!r} is not one of: {allowed}.")
    return value


def _clock_time(name: str, value: str) -> time:
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", value.strip())
    if not match:
        raise ImproperlyConfigured(f"{name}={value!r} is not a time of day like 08:00 or 20:30.")
    return time(int(match[1]), int(match[2]))


def env_time(name: str) -> time | None:
    """A time of day `HH:MM`, or None when unset. Which times are allowed is policy, checked by
    the system checks of whoever reads the setting."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return None
    return _clock_time(name, raw)


def env_int_or_none(name: str, *, minimum: int | None = None) -> int | None:
    """A whole number, or None when unset (the reader then falls back on its own rule)."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return None
    return env_int(name, 0, minimum=minimum)


def env_rate(name: str, default: str) -> str:
    """A DRF throttle rate such as `1000/min` or `20/s`."""
    value = env_str(name, default).strip()
    if not re.fullmatch(r"\d+/(s|sec|second|m|min|minute|h|hour|d|day)", value):
        raise ImproperlyConfigured(f"{name}={value!r} is not a rate like 1000/min or 20/s.")
    return value


def cache_from_url(url: str) -> dict:
    """Django CACHES entry for a CACHE_URL (redis://, rediss://, locmem://)."""
    if not url or url.startswith("locmem://"):
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {"BACKEND": "velocify_sms.redis_cache.RedisCache", "LOCATION": url}
    raise ImproperlyConfigured(
        f"CACHE_URL={url!r} is not supported: use redis://host:port/db or locmem://."
    )


_ENV_FILE_LINE = re.compile(r"(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)")


def env_file_path(base_dir: Path) -> Path | None:
    """The development settings file: ENV_FILE when set (empty: none), else `.env` if present.

    `make run`, `make venv` and `make test` write `.env` in the project folder once (a generated
    SECRET_KEY, DEBUG=true); a deployment has no such file and sets real environment variables.
    """
    named = os.environ.get("ENV_FILE")
    if named is None:
        default = base_dir / ".env"
        return default if default.is_file() else None
    if named == "":
        return None
    path = Path(named)
    if not path.is_file():
        raise ImproperlyConfigured(f"ENV_FILE={named!r} is not a file.")
    return path


def env_file_parse(text: str, *, name: str = ".env") -> dict[str, str]:
    """KEY=VALUE lines (optional `export `, optional matching quotes, # comments, blank lines).

    Anything else is refused with its line number rather than skipped: a typo in the file must
    not silently leave a setting at its default.
    """
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _ENV_FILE_LINE.fullmatch(line)
        if match is None:
            raise ImproperlyConfigured(f"{name}, line {number}: expected KEY=value, got {raw!r}.")
        key, value = match.groups()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        values[key] = value
    return values


def env_file_load(path: Path | None) -> dict[str, str]:
    """Put the file's variables into os.environ, except those the environment already has.

    The real environment always wins, so a deployment (or a one-off `DEBUG=false ...`) overrides
    the file; returns what was taken from the file.
    """
    if path is None:
        return {}
    loaded = {}
    for key, value in env_file_parse(path.read_text(encoding="utf-8"), name=str(path)).items():
        if key not in os.environ:
            os.environ[key] = value
            loaded[key] = value
    return loaded
