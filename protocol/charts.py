"""Server-rendered bar charts (SVG, no JavaScript): geometry for `protocol/_bar_chart.html`.

Each bar has its label on the line above it, so the chart stays readable when the SVG is
scaled down to a column. A suppressed value is drawn as no bar, labelled "suppressed", never as
zero.
"""

from django.utils.translation import gettext as _

LABEL_HEIGHT = 22
BAR_HEIGHT = 18
GAP = 12
ROW = LABEL_HEIGHT + BAR_HEIGHT + GAP
VALUE_ROOM = 90


def bar_chart(items: list[tuple[str, int | None]], *, width: int = 360) -> dict:
    """`(label, value or None)` pairs as bars scaled to the largest value shown."""
    largest = max((value for _label, value in items if value), default=0)
    room = width - VALUE_ROOM
    bars = []
    for index, (label, value) in enumerate(items):
        top = index * ROW
        length = 0 if not value or not largest else max(2, round(room * value / largest))
        bars.append(
            {
                "label": label,
                "value": value,
                "text": _("suppressed") if value is None else str(value),
                "label_y": top + 16,
                "bar_y": top + LABEL_HEIGHT,
                "value_y": top + LABEL_HEIGHT + BAR_HEIGHT - 4,
                "length": length,
                "value_x": length + 6,
            }
        )
    return {
        "bars": bars,
        "width": width,
        "height": max(len(items) * ROW, ROW),
        "bar_height": BAR_HEIGHT,
    }
