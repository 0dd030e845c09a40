"""Progress bars for the long management commands (import_leads, seed_demo --leads 1000000).

A tqdm bar per step, drawn on the command's stderr only when it is a terminal and the caller did
not pass --no-progress: logs, pipes and CI stay free of carriage-return redraws.
"""

from __future__ import annotations

from typing import IO

from tqdm import tqdm


def progress_stream(wrapper) -> IO[str]:
    """The raw stream under a command's OutputWrapper (its write() would add a newline to each of
    tqdm's carriage-return redraws)."""
    return getattr(wrapper, "_out", wrapper)


def progress_wanted(*, stream, no_progress: bool) -> bool:
    """Draw bars only on a terminal, and never with --no-progress."""
    if no_progress:
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class ProgressBars:
    """One bar per named step, created at its first update and closed when it reaches its total.

    `update(name, done, total)` takes absolute counts (what has been committed so far), which is
    what the services report, so a resumed run starts its bar where the work stands.
    """

    def __init__(self, *, stream, enabled: bool, unit: str = "row") -> None:
        self._stream = progress_stream(stream)
        self._enabled = enabled
        self._unit = unit
        self._bars: dict[str, tqdm] = {}
        self._closed: set[str] = set()

    def update(self, name: str, done: int, total: int | None, **postfix) -> None:
        if not self._enabled or name in self._closed:
            return
        bar = self._bars.get(name)
        if bar is None:
            bar = tqdm(
                desc=name,
                total=total,
                initial=0,
                unit=self._unit,
                unit_scale=False,
                file=self._stream,
                dynamic_ncols=True,
                leave=True,
            )
            self._bars[name] = bar
        if total is not None and bar.total != total:
            bar.total = total
        if postfix:
            bar.set_postfix(postfix, refresh=False)
        bar.update(done - bar.n)
        if total is not None and done >= total:
            self.close(name)

    def close(self, name: str | None = None) -> None:
        for key in [name] if name else list(self._bars):
            bar = self._bars.pop(key, None)
            if bar is not None:
                bar.close()
                self._closed.add(key)
