"""The error of a file that cannot be imported at all (its own module: the readers and the XLSX
streamer both raise it)."""

from __future__ import annotations


class ImportFileError(ValueError):
    """The file cannot be imported at all; `code` is stable, `str()` is for people."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(message)

    def __reduce__(self):
        # Raised in the import's reader process and raised again in the writer: must pickle.
        return type(self), (self.code, self.message)
