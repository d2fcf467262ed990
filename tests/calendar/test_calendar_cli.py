"""``samad-hub calendar``: what an admin sees when looking at a month or checking a file."""

from __future__ import annotations

from pathlib import Path

from click.testing import Result
from tehran_time import write_calendar
from typer.testing import CliRunner

from hub.cli.calendar import app

runner = CliRunner()


def run(*args: str) -> Result:
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


def test_farvardin_1405_shows_nowruz_sizdah_bedar_and_the_working_day_count(tmp_path: Path) -> None:
    # Farvardin 1405 has 31 days: 1–4 Nowruz (with Eid al-Fitr on 1–2), four Thursdays (6, 13,
    # 20, 27), four Fridays (7, 14, 21, 28), 12 Farvardin (a Wednesday) and 25 Farvardin
    # (Imam Sadiq, a Tuesday): 31 - 4 - 4 - 4 - 1 - 1 = 17 working days of 7 hours.
    result = run("show", "1405-01", "--config-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "فروردین ۱۴۰۵" in result.output
    assert (
        "Farvardin 1405 · calendar iran · working days: 17 · working hours: 119:00" in result.output
    )
    assert "۱۴۰۵/۰۱/۰۱ شنبه: جشن نوروز (Nowruz); عید سعید فطر (Eid al-Fitr)" in result.output
    assert "۱۴۰۵/۰۱/۱۳ پنج‌شنبه: روز طبیعت (Nature's Day)" in result.output
    assert "(Martyrdom of Imam Ja'far al-Sadiq)" in result.output


def test_tir_1404_lists_tasua_and_ashura_with_english_digits_when_asked(tmp_path: Path) -> None:
    result = run("show", "1404-04", "--digits", "en", "--config-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "1404/04/14 شنبه: تاسوعای حسینی (Tasua)" in result.output
    assert "1404/04/15 یک‌شنبه: عاشورای حسینی (Ashura)" in result.output


def test_a_named_calendar_shows_its_closures_with_their_reasons(tmp_path: Path) -> None:
    write_calendar(
        tmp_path,
        "education",
        "closures:\n"
        "  - {date: 1404-05-14, reason: گرمای هوا}\n"
        '  - {date: 1404-05-15, hours: "10:00-14:30", reason: heat}\n',
    )
    result = run(
        "show",
        "1404-05",
        "--calendar",
        "education",
        "--digits",
        "en",
        "--config-dir",
        str(tmp_path),
    )
    assert result.exit_code == 0, result.output
    assert "calendar education" in result.output
    assert "1404/05/14 سه‌شنبه: closed: گرمای هوا" in result.output
    assert "1404/05/15 چهارشنبه: closed 10:00-14:30: heat; open 07:30-10:00" in result.output


def test_a_month_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    result = run("show", "1405-13", "--config-dir", str(tmp_path))
    assert result.exit_code == 2
    assert "'1405-13': a Jalali month is numbered 1 to 12, not 13" in result.output


def test_an_unknown_calendar_is_named_in_the_error(tmp_path: Path) -> None:
    result = run("show", "1405-01", "-c", "water", "--config-dir", str(tmp_path))
    assert result.exit_code == 1
    assert "no calendar named 'water'" in result.output


def test_validate_names_the_file_the_key_and_the_problem(tmp_path: Path) -> None:
    write_calendar(tmp_path, "iran", "closures:\n  - {date: 1404-12-30, reason: snow}\n")
    result = run("validate", "--config-dir", str(tmp_path))
    assert result.exit_code == 1
    assert (
        "iran.yaml: closures[0].date: '1404-12-30' is not a day of the Jalali calendar"
        in result.output
    )


def test_validate_accepts_a_good_file(tmp_path: Path) -> None:
    write_calendar(tmp_path, "iran", 'week: {thursday: "07:30-12:30"}\n')
    result = run("validate", "--config-dir", str(tmp_path))
    assert result.exit_code == 0
    assert "calendar iran is valid" in result.output


def test_help_explains_the_show_command() -> None:
    result = run("show", "--help")
    assert result.exit_code == 0
    assert "Jalali month, e.g. 1405-01" in result.output
    assert "--calendar" in result.output
