"""Small SVG plots drawn on the server: a progress line per scale, and interval (forest)
plots for the analytics. Pure: strings in, SVG out; every label is escaped."""

from __future__ import annotations

import math
from datetime import date
from html import escape

from mesoclinic.outcomes.stats import Estimate

WIDTH, HEIGHT = 560, 220
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 48, 16, 16, 34
COLOURS = {"practitioner": "#0f766e", "patient": "#6d28d9", "measured": "#b45309"}


def _fmt(value: float) -> str:
    return f"{value:g}" if abs(value) >= 0.01 or value == 0 else f"{value:.2g}"


def nice_ticks(low: float, high: float, most: int = 6) -> list[float]:
    """Round axis marks that cover [low, high]: steps of 1, 2, 2.5 or 5 times a power of
    ten, at most ``most`` marks, so that an axis reads -3, -2, -1, 0 and not -2.16."""
    if high <= low:
        high = low + 1
    span = high - low
    for power in range(math.floor(math.log10(span / most)) - 1,
                       math.floor(math.log10(span)) + 2):
        for factor in (1, 2, 2.5, 5):
            step = factor * 10.0 ** power
            first = math.floor(low / step + 1e-9) * step
            last = math.ceil(high / step - 1e-9) * step
            count = round((last - first) / step) + 1
            if count <= most:
                return [round(first + i * step, 10) for i in range(count)]
    return [low, high]


def progress_chart(points: list[tuple[date, float, str]], *, low: float, high: float,
                   unit: str, higher_is_better: bool, title: str) -> str:
    """Values over time, one line per rater, the better side of the scale shaded."""
    if not points:
        return ""
    days = [p[0] for p in points]
    first, last = min(days), max(days)
    span = max((last - first).days, 1)
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM

    def x(day: date) -> float:
        return PAD_LEFT + plot_w * ((day - first).days / span if len(set(days)) > 1 else 0.5)

    def y(value: float) -> float:
        return PAD_TOP + plot_h * (1 - (value - low) / ((high - low) or 1))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'role="img" class="plot"><title>{escape(title)}</title>']
    better_y = PAD_TOP if higher_is_better else PAD_TOP + plot_h / 2
    parts.append(f'<rect x="{PAD_LEFT}" y="{better_y}" width="{plot_w}" '
                 f'height="{plot_h / 2}" fill="#ecfdf5"/>')
    for value in nice_ticks(low, high):
        if not low <= value <= high:
            continue
        parts.append(f'<line x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{y(value):.1f}" '
                     f'y2="{y(value):.1f}" stroke="#e3e8ee"/>'
                     f'<text x="{PAD_LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end" '
                     f'font-size="11" fill="#5b6b7b">{_fmt(value)}</text>')
    for day in sorted(set(days))[:: max(1, len(set(days)) // 6)]:
        parts.append(f'<text x="{x(day):.1f}" y="{HEIGHT - 12}" text-anchor="middle" '
                     f'font-size="11" fill="#5b6b7b">{day:%d %b}</text>')
    for rater in sorted({p[2] for p in points}):
        mine = sorted((p for p in points if p[2] == rater), key=lambda p: p[0])
        colour = COLOURS.get(rater, "#1d2733")
        path = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v, _r in mine)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                     f'stroke-width="2"/>')
        for d, v, _r in mine:
            parts.append(f'<circle cx="{x(d):.1f}" cy="{y(v):.1f}" r="3.5" fill="{colour}">'
                         f'<title>{d:%d %b %Y}: {_fmt(v)} {escape(unit)} ({escape(rater)})'
                         f'</title></circle>')
    parts.append("</svg>")
    return "".join(parts)


def interval_plot(rows: list[tuple[str, Estimate | None]], *, unit: str, title: str,
                  reference: float | None = None, percent: bool = False) -> str:
    """One line per group: the estimate and its 95 % interval."""
    shown = [(label, e) for label, e in rows if e is not None]
    if not shown:
        return ""
    scale = 100.0 if percent else 1.0
    bounds = [v * scale for _l, e in shown for v in (e.low, e.high, e.value)
              if not math.isnan(v)]
    if reference is not None:
        bounds.append(reference)
    low, high = min(bounds), max(bounds)
    never_negative = low >= 0
    if high - low < 1e-9:
        low, high = low - 1, high + 1
    margin = (high - low) * 0.08
    low, high = low - margin, high + margin
    if never_negative:
        low = max(low, 0.0)  # rates and proportions: the axis starts at zero
    if percent:
        high = min(high, 100.0)
    ticks = nice_ticks(low, high)
    low, high = ticks[0], ticks[-1]  # the axis ends on round marks
    label_w, row_h = 230, 26
    bottom = PAD_BOTTOM + 14
    height = PAD_TOP + row_h * len(shown) + bottom
    plot_w = WIDTH + 120 - label_w - PAD_RIGHT

    def x(value: float) -> float:
        return label_w + plot_w * (value - low) / (high - low)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH + 120} {height}" '
             f'role="img" class="plot"><title>{escape(title)}</title>']
    if reference is not None:
        parts.append(f'<line x1="{x(reference):.1f}" x2="{x(reference):.1f}" y1="{PAD_TOP}" '
                     f'y2="{height - bottom}" stroke="#94a3b8" stroke-dasharray="4 3"/>')
    for index, (label, estimate) in enumerate(shown):
        cy = PAD_TOP + row_h * index + row_h / 2
        short = label if len(label) <= 36 else label[:35] + "…"
        parts.append(f'<text x="{label_w - 8}" y="{cy + 4:.1f}" text-anchor="end" '
                     f'font-size="11" fill="#1d2733">{escape(short)}</text>')
        if not math.isnan(estimate.low):
            parts.append(f'<line x1="{x(estimate.low * scale):.1f}" '
                         f'x2="{x(estimate.high * scale):.1f}" y1="{cy:.1f}" y2="{cy:.1f}" '
                         f'stroke="#0f766e" stroke-width="2"/>')
        parts.append(f'<rect x="{x(estimate.value * scale) - 4:.1f}" y="{cy - 4:.1f}" '
                     f'width="8" height="8" fill="#0f766e"><title>{escape(label)}: '
                     f'{_fmt(estimate.value * scale)} {escape(unit)}</title></rect>')
    for value in ticks:
        parts.append(f'<text x="{x(value):.1f}" y="{height - bottom + 16}" '
                     f'text-anchor="middle" font-size="11" fill="#5b6b7b">{_fmt(value)}</text>')
    parts.append(f'<text x="{label_w + plot_w / 2:.1f}" y="{height - 6}" '
                 f'text-anchor="middle" font-size="11" fill="#5b6b7b">{escape(unit)}</text>'
                 '</svg>')
    return "".join(parts)
