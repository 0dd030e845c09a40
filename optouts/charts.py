"""The report's chart, drawn on the server as SVG: no JavaScript library, no CDN.

A stacked bar per day (or per month over long frames) with one colour per source. Colours come
from CSS classes in optouts/static/optouts/report.css, so the markup carries no inline style.
Every piece of text goes through format_html.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString

from optouts.display import SOURCE_ORDER

WIDTH, HEIGHT = 900, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 36
# Beyond this many days the bars are months: a bar per day would be thinner than a pixel.
MAX_DAILY_BARS = 400
# Stacked from the axis up and listed in the legend in the page's one order of sources.
STACK = SOURCE_ORDER
# However few the buckets, a bar is at most this wide (viewBox units, about pixels at full
# width): one day of data was a single bar filling the plot.
MAX_BAR_WIDTH = 60


@dataclass(frozen=True)
class Frame:
    start: date  # first bucket
    end: date  # day after the last one
    by_month: bool

    def buckets(self) -> list[date]:
        if self.by_month:
            days, day = [], self.start.replace(day=1)
            while day < self.end:
                days.append(day)
                if (day.year, day.month) == (9999, 12):
                    break  # the calendar's last month: there is no next one to step to
                day = (day + timedelta(days=32)).replace(day=1)
            return days
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days)]


def chart_frame(*, start: date, end: date) -> Frame:
    """The chart's buckets for [start, end): days, or months when that would be too many bars."""
    if end <= start:
        end = start + timedelta(days=1)
    return Frame(start=start, end=end, by_month=(end - start).days > MAX_DAILY_BARS)


def _label(day: date, by_month: bool) -> str:
    return f"{day:%Y-%m}" if by_month else f"{day:%Y-%m-%d}"


def optouts_chart_svg(*, frame: Frame, counts: dict[tuple, int]) -> SafeString:
    """SVG of `counts` ({(bucket, source): n}) over `frame`, with a <title> on every bar."""
    buckets = frame.buckets()
    totals = [sum(counts.get((day, s.value), 0) for s in STACK) for day in buckets]
    peak = max(totals, default=0) or 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(buckets), 1)
    bar_w = min(max(step * 0.8, 0.5), MAX_BAR_WIDTH)
    unit = "month" if frame.by_month else "day"

    # A year of days is ~1,000 bars: format_html per bar (escaping every number) was most of the
    # page's time. Every value here is a number we format, a bucket label of digits and dashes,
    # or a source's class name and label escaped once below, so plain formatting is safe.
    stack = [(s.value, escape(s.label)) for s in STACK]
    bars = []
    for index, day in enumerate(buckets):
        x = LEFT + index * step + (step - bar_w) / 2
        y_bottom = TOP + plot_h
        label = _label(day, frame.by_month)
        for value, source_label in stack:
            n = counts.get((day, value), 0)
            if not n:
                continue
            h = n / peak * plot_h
            y_bottom -= h
            bars.append(
                f'<rect class="bar bar-{value}" x="{x:.2f}" y="{y_bottom:.2f}" '
                f'width="{bar_w:.2f}" height="{h:.2f}"><title>{label}: {int(n)} {source_label}'
                "</title></rect>"
            )

    ticks = []
    if buckets:
        for index in sorted({0, len(buckets) // 2, len(buckets) - 1}):
            x = LEFT + index * step + step / 2
            if len(buckets) == 1:
                anchor = "middle"  # under the one bar, in the middle of the plot
            else:
                anchor = "start" if index == 0 else "end" if index == len(buckets) - 1 else "middle"
            ticks.append(
                format_html(
                    '<text class="tick" x="{}" y="{}" text-anchor="{}">{}</text>',
                    f"{x:.2f}",
                    HEIGHT - BOTTOM + 16,
                    anchor,
                    _label(buckets[index], frame.by_month),
                )
            )
    legend = format_html_join(
        "",
        '<rect class="bar bar-{}" x="{}" y="{}" width="10" height="10"></rect>'
        '<text class="legend" x="{}" y="{}">{}</text>',
        (
            (s.value, LEFT + i * 90, HEIGHT - 12, LEFT + i * 90 + 14, HEIGHT - 2, s.label)
            for i, s in enumerate(STACK)
        ),
    )
    return format_html(
        '<svg class="optout-chart" viewBox="0 0 {w} {h}" role="img" '
        'aria-labelledby="optout-chart-title" xmlns="http://www.w3.org/2000/svg">'
        '<title id="optout-chart-title">Opt-outs per {unit} by source, {first} to {last}</title>'
        '<line class="axis" x1="{left}" y1="{base}" x2="{right}" y2="{base}"></line>'
        '<line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{base}"></line>'
        '<text class="tick" x="{ylabel}" y="{ytop}" text-anchor="end">{peak}</text>'
        '<text class="tick" x="{ylabel}" y="{base}" text-anchor="end">0</text>'
        "{bars}{ticks}{legend}</svg>",
        w=WIDTH,
        h=HEIGHT,
        unit=unit,
        first=_label(frame.start, frame.by_month),
        last=_label(frame.end - timedelta(days=1), frame.by_month),
        left=LEFT,
        right=WIDTH - RIGHT,
        top=TOP,
        base=TOP + plot_h,
        ylabel=LEFT - 6,
        ytop=TOP + 10,
        peak=peak if any(totals) else 0,
        bars=SafeString("".join(bars)),
        ticks=SafeString("".join(ticks)),
        legend=legend,
    )
