"""The desk's charts (desk/charts.py): SVG that says its numbers in words, escaped, without style."""

import re
from decimal import Decimal

from desk import charts


def texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def test_money_has_thousand_separators_and_cents_only_when_there_are_any():
    assert charts.money(Decimal("1360000.00")) == "1,360,000"
    assert charts.money(Decimal("1234.5")) == "1,234.50"
    assert charts.money(None) == "0"


def test_a_bar_chart_writes_every_label_and_value_so_it_reads_printed_in_grey():
    svg = charts.bar_chart([("优秀", 7), ("良好", 10), ("合格", 3)], title="等次分布", unit=" 个")
    assert texts(svg) == ["优秀", "7 个", "良好", "10 个", "合格", "3 个"]
    assert "<title>良好：10 个</title>" in svg  # the tooltip under the mouse
    widths = [float(w) for w in re.findall(r'<rect x="[^"]*" y="[^"]*" width="([^"]*)"', svg)]
    assert widths[1] == max(widths) and widths[2] < widths[0]  # the longest bar is the largest number


def test_text_in_a_chart_is_escaped():
    svg = charts.bar_chart([('<script>alert(1)</script>"', 1)], title="<b>标题</b>")
    assert "<script>" not in svg and "<b>" not in svg
    assert "&lt;script&gt;" in svg and "&lt;b&gt;标题&lt;/b&gt;" in svg


def test_no_style_attribute_the_content_security_policy_would_refuse():
    svg = charts.stacked_bar_chart(
        [("城关镇", [Decimal("120000"), Decimal("30000")]), ("义堂镇", [Decimal("80000"), Decimal("0")])],
        series=["年度绩效补助", "一次性运营补助"],
        title="应享补助",
        unit=" 元",
        fmt=charts.money,
        markers=[Decimal("200000"), None],
        marker_name="资金预算",
    )
    assert "style=" not in svg
    said = texts(svg)
    # The legend names the series in the order the segments run, and the fund's line.
    assert said[:3] == ["年度绩效补助", "一次性运营补助", "资金预算"]
    assert "120,000" in said and "30,000" in said  # inside their segments
    assert "150,000 元 / 资金预算 200,000 元" in said  # after the bar: the total against the fund
    assert "80,000 元" in said
    assert "<title>城关镇 · 一次性运营补助：30,000 元，占 20%</title>" in svg


def test_a_whole_bar_shows_shares_of_its_own_total_and_says_the_total():
    svg = charts.stacked_bar_chart(
        [("城关镇", [1, 3]), ("义堂镇", [10, 30])],
        series=["自评填写中", "已审定锁定"],
        title="进度",
        whole=True,
        unit=" 张",
    )
    assert "共 4 张" in texts(svg) and "共 40 张" in texts(svg)
    widths = re.findall(r'<rect x="[^"]*" y="[^"]*" width="([^"]*)" height="18"', svg)
    assert widths[0] == widths[2] and widths[1] == widths[3]  # the same shares draw the same lengths


def test_no_data_says_so():
    assert "暂无数据" in charts.bar_chart([], title="等次分布")
    assert "暂无数据" in charts.stacked_bar_chart([], series=["a"], title="进度")
