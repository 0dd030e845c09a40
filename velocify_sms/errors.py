"""Errors the apps raise that every edge (API, admin, import) turns into a clear 4xx.

They live here, below the apps, so the API's exception handler can shape them without importing
any app (the layering contract in pyproject.toml).
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad input from a person or a client: 400 `{"code", "detail", "errors"}` in the API.

    `code` is the stable machine code; `errors` the per-field messages ({field: [...]}) or None.
    """

    code = "invalid"

    def __init__(self, detail: str, *, errors: dict | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
