"""The follow-up page's charts, drawn as inline SVG from figures the statistics service
computed: display code, so it lives with the pages that show it."""

from xml.sax.saxutils import escape


def bar_chart_svg(
    title: str, bars: list[tuple[str, int, int]], legend: tuple[str, str], chart_id: str
) -> str:
    """A horizontal bar chart as SVG: per group two bars (registered, attended) with their
    numbers written beside them, so it reads without colour; the attended bar is hatched
    (a pattern, not a hue). `bars` is [(label, registered, attended)]."""
    bar_h, gap, label_w, plot_w = 16, 14, 190, 300
    row_h = 2 * bar_h + gap
    legend_h = 28
    height = legend_h + max(len(bars), 1) * row_h + 8
    width = label_w + plot_w + 60
    top = max([r for _, r, _ in bars] + [1])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{chart_id}-title">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<defs><pattern id="{chart_id}-hatch" width="6" height="6" '
        'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<rect width="6" height="6" fill="#ffffff"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#1b1b1b" stroke-width="3"/></pattern></defs>',
        f'<rect x="{label_w}" y="6" width="14" height="14" fill="#1b1b1b"/>',
        f'<text x="{label_w + 20}" y="18" font-size="13" fill="#1b1b1b">{escape(legend[0])}</text>',
        f'<rect x="{label_w + 150}" y="6" width="14" height="14" fill="url(#{chart_id}-hatch)" '
        'stroke="#1b1b1b"/>',
        f'<text x="{label_w + 170}" y="18" font-size="13" fill="#1b1b1b">'
        f"{escape(legend[1])}</text>",
    ]  # fmt: skip
    for i, (label, registered, attended) in enumerate(bars):
        y = legend_h + i * row_h
        w_reg = round(plot_w * registered / top)
        w_att = round(plot_w * attended / top)
        parts += [
            f'<text x="{label_w - 8}" y="{y + bar_h + 4}" font-size="13" text-anchor="end" '
            f'fill="#1b1b1b">{escape(label[:28])}</text>',
            f'<rect x="{label_w}" y="{y}" width="{w_reg}" height="{bar_h}" fill="#1b1b1b"/>',
            f'<text x="{label_w + w_reg + 6}" y="{y + bar_h - 3}" font-size="13" '
            f'fill="#1b1b1b">{registered}</text>',
            f'<rect x="{label_w}" y="{y + bar_h}" width="{w_att}" height="{bar_h}" '
            f'fill="url(#{chart_id}-hatch)" stroke="#1b1b1b"/>',
            f'<text x="{label_w + w_att + 6}" y="{y + 2 * bar_h - 3}" font-size="13" '
            f'fill="#1b1b1b">{attended}</text>',
        ]  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)
