"""Charts of report tables as inline SVG: named for screen readers, drawn to scale, small, mirrored for Arabic,
safe with hostile names, the same bytes for the same table."""

from __future__ import annotations

import re
import unicodedata

import pytest
from babel.numbers import format_decimal, format_percent
from lxml import etree

from lms.reports import charts
from lms.reports.tables import Column, Suppressed, Table

NS = {"s": "http://www.w3.org/2000/svg"}
ISOLATES = "\u2068\u2069"
HOSTILE = '<script>alert(1)</script> & "Co" ]]> \x00\x1b'


def parse(markup) -> etree._Element:
    """Parse a chart as strict XML: any unescaped text in it fails here."""
    root = etree.fromstring(str(markup).encode("utf-8"))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


def rows_of(root) -> list[etree._Element]:
    """The chart's rows: one group each."""
    return root.findall("s:g", NS)


def bars_of(group) -> list[etree._Element]:
    return group.findall("s:rect", NS)


def texts_of(element) -> list[str]:
    return ["".join(t.itertext()).strip(ISOLATES) for t in element.iter("{*}text")]


def width(rect) -> float:
    return float(rect.get("width"))


def participants(rows=None, **kwargs) -> Table:
    return Table("Participants by country",
                 [Column("country", "Country"), Column("people", "Participants", "count"),
                  Column("pre", "Pre-test", "score"), Column("post", "Post-test", "score"),
                  Column("women", "Women", "share")],
                 rows if rows is not None else [
                     ["Tunisia", 120, 0.42, 0.71, 0.5], ["Morocco", 60, 0.38, 0.66, 0.25],
                     ["Jordan", 30, 0.5, 0.9, 0.75]],
                 description="How many officials took part, by country.", name="participants", **kwargs)


def many(count: int, label: str = "Institut national {}") -> Table:
    """A table of ``count`` rows with realistic 20-odd-character names."""
    return participants([[label.format(i), 10 + 17 * i, 0.2 + i / 50, 0.3 + i / 45, i / 40] for i in range(count)])


CHARTS = {
    "bars": lambda table, **kw: charts.bars(table, "country", "people", **kw),
    "funnel": lambda table, **kw: charts.funnel(table, "country", "people", **kw),
    "paired": lambda table, **kw: charts.paired(table, "country", "pre", "post", **kw),
}


@pytest.mark.parametrize("chart", CHARTS)
def test_a_chart_is_an_image_named_by_the_tables_title_and_description(chart):
    root = parse(CHARTS[chart](participants()))
    assert root.get("role") == "img"
    named = root.get("aria-labelledby").split()
    referenced = [root.xpath("//*[@id=$id]", id=ident)[0] for ident in named]
    assert [etree.QName(e).localname for e in referenced] == ["title", "desc"]
    assert [e.text for e in referenced] == ["Participants by country", "How many officials took part, by country."]
    assert referenced[0].getparent() is root  # the chart's own title, not a bar's
    # It takes the page's width: sized by its viewBox alone, its text real text in the page's font.
    assert root.get("viewBox").startswith("0 0 ") and root.get("width") is None and root.get("height") is None
    assert "Tunisia" in texts_of(root) and not root.findall(".//s:style", NS)


def test_a_table_without_a_description_is_named_by_its_title_alone():
    table = participants()
    table.description = ""
    root = parse(charts.bars(table, "country", "people"))
    (ident,) = root.get("aria-labelledby").split()
    assert root.xpath("//*[@id=$id]", id=ident)[0].text == "Participants by country"
    assert not root.findall("s:desc", NS)


def test_counts_are_drawn_one_bar_a_row_to_scale():
    root = parse(charts.bars(participants(), "country", "people"))
    groups = rows_of(root)
    assert [texts_of(g)[0] for g in groups] == ["Tunisia", "Morocco", "Jordan"]
    widths = [width(r) for g in groups for r in bars_of(g)]
    assert len(widths) == 3
    assert widths[1] == pytest.approx(widths[0] / 2, abs=0.1) and widths[2] == pytest.approx(widths[0] / 4, abs=0.1)
    assert [texts_of(g)[1] for g in groups] == ["120", "60", "30"]
    assert [g.find("s:title", NS).text.strip(ISOLATES) for g in groups][0].startswith("Tunisia")


def test_shares_are_drawn_out_of_100_percent_not_to_the_largest():
    root = parse(charts.bars(participants(), "country", "women"))
    widths = [width(bars_of(g)[0]) for g in rows_of(root)]
    assert widths[0] == pytest.approx(2 * widths[1], abs=0.1) and widths[2] == pytest.approx(3 * widths[1], abs=0.1)
    start = float(bars_of(rows_of(root)[0])[0].get("x"))
    hundred = next(t for t in root.findall("s:text", NS) if t.text == "100%")
    assert float(hundred.get("x")) - start == pytest.approx(4 * widths[1], abs=0.1)  # a quarter is a quarter
    assert [texts_of(g)[1] for g in rows_of(root)] == ["50%", "25%", "75%"]


def test_a_small_group_is_no_bar_and_shows_less_than_5_and_an_empty_cell_a_dash():
    table = participants([["Tunisia", 120, 0.4, 0.7, 0.5], ["Malta", Suppressed(), Suppressed(), Suppressed(), None],
                          ["Chad", None, None, 0.5, 0.1]])
    groups = rows_of(parse(charts.bars(table, "country", "people")))
    assert [len(bars_of(g)) for g in groups] == [1, 0, 0]
    assert texts_of(groups[1]) == ["Malta", "< 5"] and texts_of(groups[2]) == ["Chad", "—"]
    pairs = rows_of(parse(charts.paired(table, "country", "pre", "post")))
    assert [len(bars_of(g)) for g in pairs] == [2, 0, 1]
    assert texts_of(pairs[1]) == ["Malta", "< 5", "< 5"] and texts_of(pairs[2]) == ["Chad", "—", "50%"]


@pytest.mark.parametrize("chart", CHARTS)
def test_right_to_left_mirrors_the_chart_bars_growing_from_the_right(chart):
    table = participants()
    ltr, rtl = parse(CHARTS[chart](table)), parse(CHARTS[chart](table, rtl=True, language="ar"))
    size = float(ltr.get("viewBox").split()[2])
    assert rtl.get("direction") == "rtl" and ltr.get("direction") is None
    starts = {float(r.get("x")) for g in rows_of(ltr) for r in bars_of(g)}
    ends = {round(float(r.get("x")) + width(r), 1) for g in rows_of(rtl) for r in bars_of(g)}
    assert len(starts) == 1 and len(ends) == 1  # every bar starts from one baseline...
    (start,), (end,) = starts, ends
    assert end == pytest.approx(size - start) and end > size / 2  # ...on the right in Arabic
    assert ([width(r) for g in rows_of(rtl) for r in bars_of(g)]
            == [width(r) for g in rows_of(ltr) for r in bars_of(g)])
    for group in rows_of(rtl):  # labels on the right of the bars, values on their left
        label, *values = group.findall("s:text", NS)
        assert float(label.get("x")) > end
        assert all(float(v.get("x")) < end for v in values)
    for group in rows_of(ltr):
        label, *values = group.findall("s:text", NS)
        assert float(label.get("x")) < start and all(float(v.get("x")) > start for v in values)


@pytest.mark.parametrize("chart", CHARTS)
def test_hostile_names_are_text_not_markup(chart):
    table = participants([[HOSTILE, 120, 0.5, 0.6, 0.5], ["A & B <i>", 60, 0.4, 0.5, 0.2]])
    table.title, table.description = "Reach <img src=x onerror=alert(1)>", "& </desc><script>"
    markup = str(CHARTS[chart](table))
    root = parse(markup)  # strict XML: any markup let through would break or add elements
    assert "<script" not in markup and "<img" not in markup and "<i>" not in markup
    assert {etree.QName(e).localname for e in root.iter(etree.Element)} <= {
        "svg", "title", "desc", "defs", "pattern", "path", "g", "rect", "text"}
    assert root.find("s:title", NS).text == "Reach <img src=x onerror=alert(1)>"
    assert root.find("s:desc", NS).text == "& </desc><script>"
    first, second = rows_of(root)
    assert first.find("s:title", NS).text.strip(ISOLATES).startswith('<script>alert(1)</script> & "Co" ]]>')
    assert texts_of(second)[0] == "A & B <i>"


def test_a_long_name_is_cut_with_an_ellipsis_and_kept_whole_in_its_bars_title():
    name = "Ministry of Foreign Affairs and International Cooperation"
    group = rows_of(parse(charts.bars(participants([[name, 10, 0.1, 0.2, 0.3]]), "country", "people")))[0]
    shown = texts_of(group)[0]
    assert shown.endswith("…") and name.startswith(shown[:-1]) and len(shown) <= charts.MAX_LABEL
    assert group.find("s:title", NS).text.startswith(name)


def test_a_cut_never_separates_a_letter_from_its_marks():
    name = "وِزَارَةُ الخَارِجِيَّةِ وَالمُغْتَرِبِينَ"  # a vowel mark falls where the label would be cut
    assert unicodedata.combining(name[charts.MAX_LABEL - 1])
    root = parse(charts.bars(participants([[name, 10, 0.1, 0.2, 0.3]]), "country", "people", rtl=True,
                             language="ar"))
    shown = texts_of(rows_of(root)[0])[0]
    kept = shown[:-1]
    assert shown.endswith("…") and name.startswith(kept) and not unicodedata.combining(name[len(kept)])


def test_numbers_are_written_the_readers_way():
    table = participants([["Tunisie", 12345, 0.42, 0.71, 0.575], ["Maroc", 60, 0.38, 0.66, 0.25]])
    french = rows_of(parse(charts.bars(table, "country", "people", language="fr")))
    assert texts_of(french[0])[1] == format_decimal(12345, locale="fr") == "12\u202f345"
    shares = rows_of(parse(charts.bars(table, "country", "women", language="fr")))
    assert texts_of(shares[0])[1] == format_percent(0.575, locale="fr") == "58\u00a0%"
    arabic = parse(charts.funnel(table, "country", "people", rtl=True, language="ar"))
    assert texts_of(rows_of(arabic)[1])[1] == (f"{format_decimal(60, locale='ar')} "
                                               f"({format_percent(60 / 12345, locale='ar')})")
    assert texts_of(rows_of(arabic)[0])[1] == f"{format_decimal(12345, locale='ar')} ({format_percent(1, locale='ar')})"


def test_numeric_labels_are_written_the_readers_way_too():
    table = Table("By year", [Column("year", "Year", "number"), Column("people", "People", "count")],
                  [[2024, 1500], [2025, 2500]])
    root = parse(charts.bars(table, "year", "people", language="fr"))
    assert [texts_of(g) for g in rows_of(root)] == [[format_decimal(2024, locale="fr"), "1\u202f500"],
                                                   [format_decimal(2025, locale="fr"), "2\u202f500"]]


def test_at_most_30_rows_are_drawn_and_the_chart_says_how_many_more_in_the_readers_language():
    english = parse(charts.bars(many(35), "country", "people"))
    assert len(rows_of(english)) == charts.MAX_ROWS == 30
    assert "and 5 more rows, shown in the table" in texts_of(english)
    assert "and 1 more row, shown in the table" in texts_of(parse(charts.bars(many(31), "country", "people")))
    french = parse(charts.bars(many(35), "country", "people", language="fr"))
    assert "et 5 autres lignes, visibles dans le tableau" in texts_of(french)
    arabic = parse(charts.bars(many(42), "country", "people", rtl=True, language="ar"))
    assert "و12 صفًا آخر تظهر في الجدول" in texts_of(arabic)
    assert not any("more" in t for t in texts_of(parse(charts.bars(many(30), "country", "people"))))


def test_an_empty_table_draws_a_chart_that_says_so():
    root = parse(charts.bars(participants([]), "country", "people", language="es"))
    assert rows_of(root) == [] and texts_of(root) == ["No hay datos que representar."]


def test_the_funnel_gives_each_step_its_count_and_share_of_the_first():
    table = Table("From enrolment to completion", [Column("step", "Step"), Column("people", "People", "count")],
                  [["Enrolled", 200], ["Started", 150], ["Completed", 90], ["Certified", Suppressed()]])
    groups = rows_of(parse(charts.funnel(table, "step", "people")))
    assert [texts_of(g) for g in groups] == [["Enrolled", "200 (100%)"], ["Started", "150 (75%)"],
                                             ["Completed", "90 (45%)"], ["Certified", "< 5"]]
    widths = [width(r) for g in groups for r in bars_of(g)]
    assert widths[1] == pytest.approx(widths[0] * 0.75, abs=0.1)
    assert widths[2] == pytest.approx(widths[0] * 0.45, abs=0.1)
    hidden_first = Table("Small", table.columns, [["Enrolled", Suppressed()], ["Completed", 9]])
    assert [texts_of(g)[1] for g in rows_of(parse(charts.funnel(hidden_first, "step", "people")))] == ["< 5", "9"]


def test_pairs_differ_in_more_than_colour_and_have_a_legend():
    root = parse(charts.paired(participants(), "country", "pre", "post"))
    groups = rows_of(root)
    assert all(len(bars_of(g)) == 2 for g in groups)
    pre, post = bars_of(groups[2])
    assert width(post) == pytest.approx(width(pre) * 0.9 / 0.5, abs=0.1)
    assert texts_of(groups[2]) == ["Jordan", "50%", "90%"]
    # The second bar is hatched with a pattern the chart defines, the first is plain.
    assert pre.get("fill").startswith("#")
    pattern = re.fullmatch(r"url\(#(\w+)\)", post.get("fill")).group(1)
    assert root.xpath("//s:pattern[@id=$id]", namespaces=NS, id=pattern)
    # The legend shows each swatch painted as its bars, beside its column's name.
    legend = root.findall("s:rect", NS)
    assert [r.get("fill") for r in legend] == [pre.get("fill"), post.get("fill")]
    assert texts_of(root)[:2] == ["Pre-test", "Post-test"]
    assert [t for t in texts_of(root) if t.endswith("%") and len(t) <= 4][-3:] == ["0%", "50%", "100%"]


def test_two_charts_on_one_page_have_different_ids():
    table = participants()
    ids = [set(parse(chart).xpath("//@id")) for chart in (
        charts.bars(table, "country", "people"), charts.bars(table, "country", "women"),
        charts.paired(table, "country", "pre", "post"), charts.bars(many(3), "country", "people"))]
    assert all(ids) and sum(len(i) for i in ids) == len(set().union(*ids))


def contrast(colour: str) -> float:
    """WCAG's contrast ratio of a colour against a white page."""
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(int(colour[i:i + 2], 16) / 255) for i in (1, 3, 5))
    return 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05)


def test_text_and_bars_stand_out_from_a_white_page():
    root = parse(charts.paired(participants(), "country", "pre", "post"))
    assert contrast(root.get("fill")) >= 4.5  # text: WCAG AA
    assert all(t.get("fill") is None for t in root.iter("{*}text"))  # every text in that colour
    paints = {r.get("fill") for r in root.iter("{*}rect") if r.get("fill", "").startswith("#")}
    paints |= {r.get("stroke") for r in root.iter("{*}rect") if r.get("stroke")}
    assert paints and all(contrast(p) >= 3 for p in paints)  # bars: WCAG's 3:1 for graphics


@pytest.mark.parametrize("chart", CHARTS)
def test_a_chart_of_20_rows_stays_under_8_kb(chart):
    size = len(str(CHARTS[chart](many(20))).encode("utf-8"))
    assert size < 8000, f"{chart}: {size} bytes"


def test_an_arabic_chart_of_20_rows_stays_under_8_kb():
    table = many(20, "معهد الدراسات الدبلوماسية {}")
    size = len(str(charts.bars(table, "country", "people", rtl=True, language="ar")).encode("utf-8"))
    assert size < 8000, f"{size} bytes"


@pytest.mark.parametrize("chart", CHARTS)
def test_the_same_table_gives_the_same_bytes(chart):
    first = CHARTS[chart](many(12), rtl=True, language="ar")
    assert CHARTS[chart](many(12), rtl=True, language="ar") == first
    assert CHARTS[chart](many(12), rtl=True, language="ar").encode() == first.encode()


def test_a_chart_refuses_a_column_it_cannot_draw():
    table = participants()
    with pytest.raises(ValueError, match="text"):
        charts.bars(table, "people", "country")
    with pytest.raises(ValueError, match="no column 'missing'"):
        charts.bars(table, "country", "missing")
    with pytest.raises(ValueError, match="100 %"):
        charts.paired(table, "country", "people", "post")
