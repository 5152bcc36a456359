"""The balance chart of a user's page, drawn here as SVG (no script, nothing to load):
one line per asset over the last days, each scaled to its own highest balance."""

from datetime import datetime
from typing import Any

WIDTH, HEIGHT, MARGIN = 600, 120, 4


def balance_chart(points: list[tuple[datetime, dict[int, int]]], codes: dict[int, str]) -> list[dict[str, Any]]:
    """Per asset: its code, the polyline's points, its lowest and highest balance, and
    the first and last day, for the template to draw and label."""
    charts = []
    for asset_type_id, code in sorted(codes.items()):
        values = [balances.get(asset_type_id, 0) for _, balances in points]
        top = max(values) or 1
        step = (WIDTH - 2 * MARGIN) / max(len(values) - 1, 1)
        line = " ".join(
            f"{MARGIN + i * step:.1f},{HEIGHT - MARGIN - (value / top) * (HEIGHT - 2 * MARGIN):.1f}"
            for i, value in enumerate(values)
        )
        charts.append({"code": code, "points": line, "low": min(values), "high": max(values), "now": values[-1],
                       "since": points[0][0].date(), "width": WIDTH, "height": HEIGHT})  # fmt: skip
    return charts
