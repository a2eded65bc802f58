"""Charts as inline SVG strings: no script, no external file, colours from the page's
CSS (``--bar``, ``--bar2`` and ``currentColor``) so light and dark mode both work.

Each bar is a ``<rect class="bar">`` with a ``<title>`` (the browser shows it as a
tooltip), so a test can count what was drawn. Labels are escaped and cleaned here.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from listdigest.render.safe import one_line

_ROW = 22  # height of a horizontal bar's row
_LABEL = 0.6  # share of a horizontal chart's width given to the labels


def _text(value: object) -> Markup:
    return escape(one_line(str(value)))


def bar_chart(rows: Sequence[tuple[str, int]], *, title: str, width: int = 480) -> Markup:
    """Horizontal bars, one row per ``(label, count)``, longest bar for the highest
    count; the count is written after each bar."""
    if not rows:
        return Markup("")
    top = max(n for _, n in rows) or 1
    left = int(width * _LABEL)
    room = width - left - 48
    height = _ROW * len(rows) + 4
    parts = [f'<svg class="chart bars" role="img" viewBox="0 0 {width} {height}" '
             f'width="100%" preserveAspectRatio="xMinYMin meet" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{_text(title)}</title>']
    for i, (label, n) in enumerate(rows):
        y = i * _ROW + 2
        w = max(1, round(room * n / top)) if n else 0
        parts.append(
            f'<text x="{left - 6}" y="{y + 15}" text-anchor="end" class="label">'
            f'{_text(_shorten(label, 38))}</text>'
            f'<rect class="bar" x="{left}" y="{y + 3}" width="{w}" height="{_ROW - 6}">'
            f'<title>{_text(label)}: {n}</title></rect>'
            f'<text x="{left + w + 4}" y="{y + 15}" class="value">{n}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def column_chart(labels: Sequence[str], series: Sequence[tuple[str, Sequence[int]]], *,
                 title: str, width: int = 480, height: int = 180) -> Markup:
    """Vertical bars over time: for each label (a day, a month), one bar per series
    side by side (``bar`` then ``bar2`` colours), with a legend, the highest value and
    the first and last labels on the axes."""
    if not labels or not series:
        return Markup("")
    top = max((max(values, default=0) for _, values in series), default=0) or 1
    plot_top, plot_bottom, left = 24, height - 22, 36
    slot = (width - left - 4) / len(labels)
    bar = slot * 0.8 / len(series)
    scale = (plot_bottom - plot_top) / top
    parts = [f'<svg class="chart columns" role="img" viewBox="0 0 {width} {height}" '
             f'width="100%" preserveAspectRatio="xMinYMin meet" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{_text(title)}</title>']
    x = left
    for k, (name, _) in enumerate(series):  # the legend
        parts.append(f'<rect class="key s{k}" x="{x}" y="4" width="10" height="10"/>'
                     f'<text x="{x + 14}" y="13" class="label">{_text(name)}</text>')
        x += 14 + 8 * len(name) + 16
    parts.append(f'<text x="{left - 4}" y="{plot_top + 4}" text-anchor="end" '
                 f'class="value">{top}</text>'
                 f'<line class="axis" x1="{left}" y1="{plot_bottom}" x2="{width - 4}" '
                 f'y2="{plot_bottom}"/>')
    for i, label in enumerate(labels):
        for k, (name, values) in enumerate(series):
            n = values[i]
            h = n * scale
            bx = left + i * slot + slot * 0.1 + k * bar
            parts.append(f'<rect class="bar s{k}" x="{bx:.2f}" y="{plot_bottom - h:.2f}" '
                         f'width="{bar:.2f}" height="{h:.2f}">'
                         f'<title>{_text(label)}: {n} {_text(name)}</title></rect>')
    parts.append(f'<text x="{left}" y="{height - 6}" class="label">{_text(labels[0])}</text>')
    if len(labels) > 1:
        parts.append(f'<text x="{width - 4}" y="{height - 6}" text-anchor="end" '
                     f'class="label">{_text(labels[-1])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
