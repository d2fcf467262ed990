"""``samad-hub report --month … --format xlsx|csv|html``: the monthly table the office sends up."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from hub.cli.main import app
from tests.supervision.known_data import EAST

HEADERS = ["دستگاه", "دریافتی", "تحویل‌شده", "رؤیت به‌موقع ٪", "اقدام به‌موقع ٪", "پاسخ به‌موقع ٪"]


@pytest.fixture(scope="module")
def month(known_data: None, sandboxes: object) -> str:
    """Aban 1399 (1399-08): figures-east's one referral there, resolved on time in 5 h."""
    return "1399-08"


def _report(tmp_path: Path, month: str, fmt: str) -> Path:
    target = tmp_path / f"report.{fmt}"
    result = CliRunner().invoke(
        app, ["report", "--month", month, "--format", fmt, "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert f"wrote {target}" in result.output.replace("\n", "")
    return target


def test_the_xlsx_report_has_persian_headers_and_a_row_per_agency(
    month: str, tmp_path: Path
) -> None:
    sheet = load_workbook(_report(tmp_path, month, "xlsx")).active
    assert sheet is not None and sheet.sheet_view.rightToLeft
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0][: len(HEADERS)]) == HEADERS
    east = next(r for r in rows if r[0] == EAST)
    assert east[1:6] == (1, 1, 100.0, 100.0, 100.0)
    assert rows[-1][0] == "کل استان"


def test_the_csv_report_opens_in_excel_with_persian_headers(month: str, tmp_path: Path) -> None:
    raw = _report(tmp_path, month, "csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the byte-order mark Excel needs
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0][: len(HEADERS)] == HEADERS
    east = next(r for r in rows if r[0] == EAST)
    assert east[1:3] == ["1", "1"]


def test_the_html_report_is_a_right_to_left_persian_page(month: str, tmp_path: Path) -> None:
    html = _report(tmp_path, month, "html").read_text(encoding="utf-8")
    assert 'dir="rtl"' in html
    assert "گزارش عملکرد دستگاه‌ها — آبان ۱۳۹۹" in html
    assert f"<td>{EAST}</td><td>1</td>" in html


def test_an_unknown_format_is_refused(month: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["report", "--month", month, "--format", "pdf"])
    assert result.exit_code != 0
    assert "--format" in result.output
