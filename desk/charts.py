"""Charts a clerk reads at a glance: SVG markup made on the server from labels and numbers.

Pure functions, no database and no request: each takes label/value lists and returns the markup
of one <svg>, every text escaped. Why SVG from the server rather than a chart library: the pages
carry a strict Content-Security-Policy (no inline script or style, core/headers.py), a library
would be one more thing to serve and keep up to date, and three kinds of bar are all the desk
needs. Colours are SVG presentation attributes (fill=, which the policy allows; a style= would be
refused), sizes come from the viewBox, and the stylesheet (static/css/desk.css) only scales it.

Every bar says its number in words as well as by its length: a value at the end of each bar, a
label inside each stacked segment wide enough to hold it, a <title> on every bar for the mouse,
and the series named in a legend in the order the segments run. So a chart printed on a black and
white printer, or read by someone who cannot tell the colours apart, still says everything.
"""

from collections.abc import Callable, Sequence
from decimal import Decimal
from itertools import count

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

Number = int | Decimal | float

# Colours that differ in lightness as well as hue, so neighbouring segments stay apart in grey.
PALETTE = ("#1f4e79", "#f0a53a", "#6aa84f", "#c0504d", "#8e7cc3", "#7f7f7f")
# A sequence for states that follow one another (a sheet's progress): light to dark.
PROGRESS_PALETTE = ("#d9e6f2", "#9ec3e6", "#4a8ac4", "#1f4e79", "#0b2a45")

FONT = 13  # px, the admin's body text
ROW = 26  # px per bar row
BAR = 18  # px bar height
_ids = count(1)


def money(value: Number) -> str:
    """Yuan with thousand separators: "1,234,567" (cents only when there are any: "1,234.50")."""
    value = Decimal(value or 0)
    if value == value.to_integral_value():
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def plain(value: Number) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def text_width(text: str, size: int = FONT) -> float:
    """About how wide `text` is drawn: a Chinese character is a full em, Latin and digits about half."""
    return sum(size if ord(ch) > 0x2E7F else size * 0.58 for ch in text)


def _ink_on(colour: str) -> str:
    """Black or white, whichever reads on `colour` (#rrggbb)."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 150 else "#ffffff"


def _attrs(**attrs) -> str:
    return " ".join(
        f'{name.rstrip("_").replace("_", "-")}="{escape(value)}"' for name, value in attrs.items()
    )


def _text(x: float, y: float, content: str, **attrs) -> str:
    return f"<text {_attrs(x=f'{x:.1f}', y=f'{y:.1f}', **attrs)}>{escape(content)}</text>"


def _svg(width: int, height: int, title: str, body: list[str]) -> SafeString:
    ident = f"chart-title-{next(_ids)}"
    # Safe: every text and attribute above went through escape(); the numbers are our own.
    return mark_safe(  # noqa: S308
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="{ident}" '
        f'font-size="{FONT}" font-family="sans-serif">'
        f'<title id="{ident}">{escape(title)}</title>' + "".join(body) + "</svg>"
    )


def _label_width(labels: Sequence[str]) -> float:
    return min(max((text_width(label) for label in labels), default=0) + 12, 200)


def bar_chart(
    items: Sequence[tuple[str, Number]],
    *,
    title: str,
    unit: str = "",
    fmt: Callable[[Number], str] = plain,
    width: int = 640,
    colour: str = PALETTE[0],
) -> SafeString:
    """Horizontal bars, one per (label, value), longest for the largest, the value written after it."""
    if not items:
        return _svg(width, ROW, title, [_text(4, ROW - 8, "暂无数据", fill="#555555")])
    label_w = _label_width([label for label, _ in items])
    value_w = max(text_width(f"{fmt(v)}{unit}") for _, v in items) + 10
    span = max(width - label_w - value_w, 40)
    largest = max((Decimal(v) for _, v in items), default=Decimal(0)) or Decimal(1)
    body = []
    for row, (label, value) in enumerate(items):
        top = row * ROW + 4
        length = float(Decimal(value) / largest) * span
        said = f"{fmt(value)}{unit}"
        body.append(_text(label_w - 8, top + BAR - 5, label, text_anchor="end"))
        body.append(
            f"<rect {_attrs(x=f'{label_w:.1f}', y=top, width=f'{length:.1f}', height=BAR, fill=colour)}>"
            f"<title>{escape(label)}：{escape(said)}</title></rect>"
        )
        body.append(_text(label_w + length + 6, top + BAR - 5, said))
    return _svg(width, len(items) * ROW + 6, title, body)


def stacked_bar_chart(
    rows: Sequence[tuple[str, Sequence[Number]]],
    *,
    series: Sequence[str],
    title: str,
    unit: str = "",
    fmt: Callable[[Number], str] = plain,
    markers: Sequence[Number | None] | None = None,
    marker_name: str = "",
    whole: bool = False,
    palette: Sequence[str] = PALETTE,
    width: int = 760,
) -> SafeString:
    """Horizontal bars of segments, one segment per series, with a legend above.

    `markers` puts a dark line across a row at that value (a fund's budget against the money the
    row's segments add up to), written after the bar as "/ {marker_name} {value}". `whole` draws
    every row at full width, its segments as shares of the row's total (progress through states),
    the row's total written after it.
    """
    if not rows:
        return _svg(width, ROW, title, [_text(4, ROW - 8, "暂无数据", fill="#555555")])
    markers = list(markers or [None] * len(rows))
    label_w = _label_width([label for label, _ in rows])
    totals = [sum((Decimal(v) for v in values), Decimal(0)) for _, values in rows]

    def tail(total: Decimal, marker) -> str:
        said = f"共 {fmt(total)}{unit}" if whole else f"{fmt(total)}{unit}"
        if marker is not None:
            said += f" / {marker_name} {fmt(marker)}{unit}"
        return said

    tails = [tail(total, marker) for total, marker in zip(totals, markers, strict=True)]
    value_w = max((text_width(t) for t in tails), default=0) + 12
    span = max(width - label_w - value_w, 60)
    largest = max([*totals, *(Decimal(m) for m in markers if m is not None)], default=Decimal(0)) or Decimal(
        1
    )

    body: list[str] = []
    # The legend: a swatch and the series' name, in the order the segments run from the left.
    x = label_w
    for index, name in enumerate(series):
        colour = palette[index % len(palette)]
        body.append(
            f"<rect {_attrs(x=f'{x:.1f}', y=4, width=12, height=12, fill=colour, stroke='#333333')}/>"
        )
        body.append(_text(x + 16, 15, name))
        x += 16 + text_width(name) + 18
    if any(m is not None for m in markers):
        body.append(
            f"<line {_attrs(x1=f'{x:.1f}', y1=2, x2=f'{x:.1f}', y2=18, stroke='#000000', stroke_width=3)}/>"
        )
        body.append(_text(x + 6, 15, marker_name))
    head = 26

    for row, ((label, values), total, marker, said) in enumerate(
        zip(rows, totals, markers, tails, strict=True)
    ):
        top = head + row * ROW
        body.append(_text(label_w - 8, top + BAR - 5, label, text_anchor="end"))
        scale = (Decimal(span) / total if total else Decimal(0)) if whole else Decimal(span) / largest
        left = Decimal(label_w)
        if not total:
            body.append(
                f"<rect {_attrs(x=label_w, y=top, width=span if whole else 0, height=BAR, fill='none', stroke='#bbb')}/>"
            )
        for index, value in enumerate(values):
            value = Decimal(value)
            if not value:
                continue
            length = value * scale
            colour = palette[index % len(palette)]
            share = f"，占 {value / total:.0%}" if total else ""
            body.append(
                f"<rect {_attrs(x=f'{left:.1f}', y=top, width=f'{length:.1f}', height=BAR, fill=colour, stroke='#ffffff')}>"
                f"<title>{escape(label)} · {escape(series[index])}：{escape(fmt(value))}{escape(unit)}{share}</title></rect>"
            )
            inside = fmt(value)
            if text_width(inside) + 6 <= length:
                body.append(
                    _text(
                        float(left + length / 2),
                        top + BAR - 5,
                        inside,
                        text_anchor="middle",
                        fill=_ink_on(colour),
                    )
                )
            left += length
        end = float(left) if not whole else label_w + span
        if marker is not None:
            at = label_w + float(Decimal(marker) / largest * Decimal(span))
            line = _attrs(
                x1=f"{at:.1f}", y1=top - 3, x2=f"{at:.1f}", y2=top + BAR + 3, stroke="#000", stroke_width=3
            )
            body.append(
                f"<line {line}>"
                f"<title>{escape(label)} · {escape(marker_name)}：{escape(fmt(marker))}{escape(unit)}</title></line>"
            )
            end = max(end, at)
        body.append(_text(end + 6, top + BAR - 5, said))
    return _svg(width, head + len(rows) * ROW + 6, title, body)
