"""Line charts drawn as SVG on the server: no script and no chart library to serve."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD = 560, 200, 32


def line_chart(
    title: str, labels: Sequence[str], values: Sequence[float | None], top: float | None = None
) -> Markup:
    """An SVG polyline of ``values`` (gaps where None) over ``labels``, scaled to ``top``."""
    present = [v for v in values if v is not None]
    top = top or max(present, default=0) or 1.0
    step = (WIDTH - 2 * PAD) / max(len(values) - 1, 1)
    points, dots = [], []
    for index, value in enumerate(values):
        if value is None:
            continue
        x = PAD + index * step
        y = HEIGHT - PAD - (value / top) * (HEIGHT - 2 * PAD)
        points.append(f"{x:.1f},{y:.1f}")
        dots.append(
            f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3">'
            f"<title>{escape(labels[index])}: {value:g}</title></circle>"
        )
    ticks = "".join(
        f'<text x="{PAD + i * step:.1f}" y="{HEIGHT - 8}" font-size="10" '
        f'text-anchor="middle">{escape(label)}</text>'
        for i, label in enumerate(labels)
    )
    line = f'<polyline class="line" fill="none" points="{" ".join(points)}"/>' if points else ""
    return Markup(
        f'<svg class="chart" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" direction="ltr">'
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" '
        'stroke="#999"/>'
        f'<text x="{PAD}" y="14" font-size="11">{escape(title)} (max {top:g})</text>'
        f"{line}{''.join(dots)}{ticks}</svg>"
    )
