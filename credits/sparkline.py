"""A 12-month balance sparkline drawn on the server as SVG points (no chart library, no
script: the template draws a polyline with these coordinates)."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT, PAD = 240, 48, 4


@dataclass(frozen=True)
class Sparkline:
    # Coordinates as strings (the template must not format them: a Spanish page would
    # write "44,0", which SVG refuses).
    points: str  # "x,y x,y …" for <polyline points>
    zero_y: str  # where the zero line is
    last_x: str
    last_y: str
    low: int
    high: int
    first: int
    last: int


def sparkline(values: list[int]) -> Sparkline:
    low, high = min([*values, 0]), max([*values, 0])
    span = (high - low) or 1
    step = (WIDTH - 2 * PAD) / max(len(values) - 1, 1)

    def y(value: int) -> float:
        return round(HEIGHT - PAD - (value - low) * (HEIGHT - 2 * PAD) / span, 1)

    coords = [(round(PAD + i * step, 1), y(v)) for i, v in enumerate(values)]
    return Sparkline(points=" ".join(f"{x},{yy}" for x, yy in coords), zero_y=str(y(0)),
                     last_x=str(coords[-1][0]), last_y=str(coords[-1][1]), low=low, high=high,
                     first=values[0], last=values[-1])
