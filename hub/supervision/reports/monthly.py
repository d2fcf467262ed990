"""The monthly table, one row per agency plus the province, with Persian headers: csv, xlsx, html.

csv is written UTF-8 with a byte-order mark so that Excel shows the Persian headers; xlsx is
openpyxl with the sheet right to left; html is a small standalone RTL page.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from html import escape
from pathlib import Path

from openpyxl import Workbook

from hub.supervision.figures import Board, Figures

COLUMNS: tuple[tuple[str, str], ...] = (
    ("agency", "دستگاه"),
    ("received", "دریافتی"),
    ("delivered", "تحویل‌شده"),
    ("viewed_on_time_pct", "رؤیت به‌موقع ٪"),
    ("acted_on_time_pct", "اقدام به‌موقع ٪"),
    ("resolved_on_time_pct", "پاسخ به‌موقع ٪"),
    ("view_median_hours", "میانه زمان رؤیت (ساعت کاری)"),
    ("view_p90_hours", "صدک ۹۰ رؤیت (ساعت کاری)"),
    ("resolve_median_hours", "میانه زمان پاسخ (ساعت کاری)"),
    ("resolve_p90_hours", "صدک ۹۰ پاسخ (ساعت کاری)"),
    ("overdue_now", "معوق"),
    ("violations", "تخلفات"),
    ("delivery_failures", "ارسال ناموفق"),
    ("satisfaction_avg", "میانگین رضایت"),
    ("reopen_rate_pct", "بازگشایی ٪"),
    # Added at the end, so that sheets reading the columns by place keep working.
    ("resolved", "پاسخ‌داده‌شده"),
    ("resolved_unsuccessful", "بسته‌شده بی‌انجام"),
    ("rejected", "ردشده"),
)


def rows(board: Board, name_of: Callable[[str], str]) -> list[list[object]]:
    def row(figures: Figures, name: str) -> list[object]:
        values = figures.as_dict()
        return [name, *(values[key] for key, _ in COLUMNS[1:])]

    table = [row(f, name_of(f.agreement_id or "")) for f in board.agencies]
    return [*table, row(board.province, "کل استان")]


def write(path: Path, fmt: str, title: str, table: list[list[object]]) -> Path:
    headers = [label for _, label in COLUMNS]
    if fmt == "csv":
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(headers)
            writer.writerows(["" if v is None else v for v in r] for r in table)
    elif fmt == "xlsx":
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = "گزارش ماهانه"
        sheet.sheet_view.rightToLeft = True
        sheet.append(headers)
        for r in table:
            sheet.append(r)
        book.save(path)
    else:
        cells = "".join(f"<th>{escape(h)}</th>" for h in headers)
        body = "".join(
            "<tr>" + "".join(f"<td>{escape('' if v is None else str(v))}</td>" for v in r) + "</tr>"
            for r in table
        )
        path.write_text(
            f'<!doctype html><html lang="fa" dir="rtl"><meta charset="utf-8">'
            f"<title>{escape(title)}</title><h1>{escape(title)}</h1>"
            f"<table border=1><tr>{cells}</tr>{body}</table></html>",
            encoding="utf-8",
        )
    return path
