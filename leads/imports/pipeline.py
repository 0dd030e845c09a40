"""Reading and cleaning an import's rows in a second process while the batches are written.

Cleaning a row (parsing its phones, checking its email and values) costs about as much Python
time as writing it, and a thread would not help: both halves hold the GIL most of the time. So a
forked child process reads the file and cleans the rows, and hands the batches to the writer over
a pipe; the two run on separate cores. The child touches no database: it inherits the
connection objects but never uses them, and leaves with os._exit (multiprocessing's fork start),
so it closes nothing of the parent's.
"""

from __future__ import annotations

import multiprocessing
import traceback
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from leads.imports.mapping import CellError, CleanRow, RowCleaner

Batch = list[tuple[CleanRow, list[str]]]

_BATCH, _END, _ERROR = "batch", "end", "error"


def _pack(row: CleanRow, values: list[str]) -> tuple:
    # Plain tuples pickle and unpickle faster than dataclass instances, and a valid row (nearly
    # all of them) travels as four values: the writer unpickles every one of them, and it is
    # the busier process. The raw values are only kept for rejected rows (their report shows
    # them); phones_mapped is the cleaner's, the same for every row.
    if not row.errors:
        return (row.row_number, row.fields, row.phones, row.sms_opt_out)
    return (
        row.row_number,
        row.fields,
        row.phones,
        row.sms_opt_out,
        [(e.column, e.value, e.detail) for e in row.errors],
        values,
    )


def _unpacker(phones_mapped: bool):
    def unpack(item: tuple) -> tuple[CleanRow, list[str]]:
        if len(item) == 4:
            number, fields, phones, opt_out = item
            return CleanRow(number, fields, phones, opt_out, phones_mapped, []), _NO_VALUES
        number, fields, phones, opt_out, errors, values = item
        errors = [CellError(*error) for error in errors]
        return CleanRow(number, fields, phones, opt_out, phones_mapped, errors), values

    return unpack


# Shared by every valid row; nothing appends to it.
_NO_VALUES: list[str] = []


def _produce(rows, cleaner: RowCleaner, batch_size: int, conn, parent_end) -> None:
    # The fork copied the writer's end of the pipe too; with it closed here, a writer that stops
    # reading makes our next send fail (BrokenPipeError) instead of block.
    parent_end.close()
    try:
        batch = []
        for number, values in rows:
            batch.append(_pack(cleaner.clean(number, values), values))
            if len(batch) >= batch_size:
                conn.send((_BATCH, batch))
                batch = []
        if batch:
            conn.send((_BATCH, batch))
        conn.send((_END, None))
    except (BrokenPipeError, KeyboardInterrupt):
        pass  # the writer stopped early
    except BaseException as exc:
        try:
            conn.send((_ERROR, exc))
        except Exception:
            # Not picklable: its type and message still say what went wrong.
            conn.send((_ERROR, RuntimeError(traceback.format_exception_only(exc)[-1].strip())))
    finally:
        conn.close()


@contextmanager
def batches_cleaned(
    *, rows: Iterable[tuple[int, list[str]]], cleaner: RowCleaner, batch_size: int
) -> Iterator[Iterator[Batch]]:
    """Batches of (cleaned row, raw values of a rejected row or []), cleaned by a child process.

    `rows` is only iterated in the child. An error raised there (a bad byte half-way through the
    file, say) is raised in the caller where its batch would have come, after every earlier
    batch. The pipe holds at most about one batch, so memory does not grow with the file; leaving
    the block early stops the child.
    """
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(
        target=_produce,
        args=(rows, cleaner, batch_size, send, receive),
        name="import-reader",
        daemon=True,
    )
    child.start()
    send.close()

    unpack = _unpacker(cleaner.phones_mapped)

    def consume() -> Iterator[Batch]:
        while True:
            try:
                kind, payload = receive.recv()
            except EOFError:
                child.join(timeout=5)  # the pipe closes before the exit code is known
                raise RuntimeError(
                    "The import's reader process ended without finishing the file "
                    f"(exit code {child.exitcode})."
                ) from None
            if kind == _END:
                return
            if kind == _ERROR:
                raise payload
            yield list(map(unpack, payload))

    try:
        yield consume()
    finally:
        receive.close()
        child.join(timeout=5)
        if child.is_alive():
            child.terminate()
            child.join()
