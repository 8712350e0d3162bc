"""Server-rendered bar charts (SVG, no JavaScript): geometry for `protocol/_bar_chart.html`.
A suppressed value is drawn as no bar, labelled "suppressed", never as zero."""

from django.utils.translation import gettext as _

WIDTH = 640
LABEL_WIDTH = 220
BAR_HEIGHT = 22
GAP = 8


def bar_chart(items: list[tuple[str, int | None]]) -> dict:
    """`(label, value or None)` pairs as bars scaled to the largest value shown."""
    largest = max((value for _label, value in items if value), default=0)
    room = WIDTH - LABEL_WIDTH - 90
    bars = []
    for index, (label, value) in enumerate(items):
        y = index * (BAR_HEIGHT + GAP)
        length = 0 if not value or not largest else max(2, round(room * value / largest))
        bars.append(
            {
                "label": label,
                "value": value,
                "text": _("suppressed") if value is None else str(value),
                "y": y,
                "text_y": y + BAR_HEIGHT - 6,
                "length": length,
                "value_x": LABEL_WIDTH + length + 6,
            }
        )
    return {
        "bars": bars,
        "width": WIDTH,
        "height": max(len(items) * (BAR_HEIGHT + GAP), BAR_HEIGHT),
        "label_width": LABEL_WIDTH,
        "label_x": LABEL_WIDTH - 8,
        "bar_height": BAR_HEIGHT,
    }
