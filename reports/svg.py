"""Server-rendered SVG charts (no script, no CDN, no inline style: presentation attributes
only, so the strict Content-Security-Policy holds). Every text is escaped."""

from __future__ import annotations

from html import escape

from django.utils.safestring import mark_safe

PALETTE = ("#417690", "#d6a800", "#3c8d3c", "#ba2121", "#79aec8", "#8a6d00")
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 760, 260, 48, 56, 12


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    step = 10 ** (len(str(int(value))) - 1)
    return ((int(value) // step) + 1) * step


def bar_chart(*, labels: list[str], series: list[tuple[str, list[float]]],
              title: str) -> str:
    """Grouped bars: one group per label, one bar per series; a legend below."""
    top = _nice_max(max((v for _n, values in series for v in values), default=0))
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    group_w = plot_w / max(len(labels), 1)
    bar_w = max(group_w * 0.8 / max(len(series), 1), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT + 24}" '
             f'role="img" aria-label="{escape(title)}" class="report-chart">'
             f'<title>{escape(title)}</title>']
    for tick in range(5):
        value = top * tick / 4
        y = TOP + plot_h - plot_h * tick / 4
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - 8}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="#e5e7eb"/><text x="{LEFT - 6}" y="{y + 4:.1f}" '
                     f'text-anchor="end" font-size="10" fill="#555">{value:g}</text>')
    for i, label in enumerate(labels):
        x0 = LEFT + i * group_w + group_w * 0.1
        for s, (_name, values) in enumerate(series):
            value = values[i] if i < len(values) else 0
            h = plot_h * (value / top) if top else 0
            parts.append(f'<rect x="{x0 + s * bar_w:.1f}" y="{TOP + plot_h - h:.1f}" '
                         f'width="{bar_w:.1f}" height="{h:.1f}" '
                         f'fill="{PALETTE[s % len(PALETTE)]}"><title>{escape(label)}: '
                         f'{value:g}</title></rect>')
        if len(labels) <= 31:
            parts.append(f'<text x="{x0 + group_w * 0.4:.1f}" y="{TOP + plot_h + 14}" '
                         f'text-anchor="middle" font-size="9" fill="#333">'
                         f'{escape(label[-12:])}</text>')
    for s, (name, _values) in enumerate(series):
        x = LEFT + s * 150
        parts.append(f'<rect x="{x}" y="{HEIGHT + 4}" width="10" height="10" '
                     f'fill="{PALETTE[s % len(PALETTE)]}"/><text x="{x + 14}" '
                     f'y="{HEIGHT + 13}" font-size="11" fill="#333">{escape(name)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))
