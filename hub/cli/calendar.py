"""``samad-hub calendar``: look at a business calendar month by month, and check calendar files."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from hub.calendars.business_calendar import (
    BusinessCalendar,
    CalendarFileError,
    DayPlan,
    load_calendar,
)
from hub.calendars.jalali import (
    WEEKDAYS_EN,
    WEEKDAYS_FA,
    Digits,
    JalaliDateError,
    format_jalali,
    local_day,
    month_name,
    parse_jalali_month,
    persian_digits,
    to_jalali,
    weekday_name,
)
from hub.core.errors import NotFound
from hub.core.settings import get_settings

app = typer.Typer(
    help="Business calendars: working days, holidays and closures (config/calendars/*.yaml).",
    no_args_is_help=True,
)

CalendarOption = Annotated[
    str, typer.Option("--calendar", "-c", help="Calendar name: 'iran' or config/calendars/NAME.")
]
ConfigDirOption = Annotated[
    Path | None,
    typer.Option(
        "--config-dir", help="Config folder holding calendars/ (default: SAMAD_CONFIG_DIR)."
    ),
]

_STYLES = {"working": "green", "reduced": "yellow", "holiday": "bold red", "closed": "dim"}


@app.callback()
def calendar_commands() -> None:
    """Business calendars: working days, holidays and closures, in Jalali."""


@app.command()
def show(
    month: Annotated[str, typer.Argument(help="Jalali month, e.g. 1405-01.")],
    calendar: CalendarOption = "iran",
    config_dir: ConfigDirOption = None,
    digits: Annotated[str, typer.Option(help="Digits to print: fa or en.")] = "fa",
) -> None:
    """Print a Jalali month: which days are worked, and the holidays and closures by name."""
    console = Console(highlight=False)
    business = _load(console, calendar, config_dir)
    try:
        start, end = parse_jalali_month(month)
    except JalaliDateError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    number_digits: Digits = "en" if digits == "en" else "fa"
    days = _days(local_day(start), local_day(end))
    plans = [business.plan(day) for day in days]
    first = to_jalali(days[0])
    year = persian_digits(str(first.year)) if number_digits == "fa" else str(first.year)
    console.print(_grid(plans, f"{month_name(first.month)} {year}", number_digits))
    console.print(
        f"{month_name(first.month, 'en')} {first.year} · calendar {business.name} · "
        f"working days: {sum(plan.is_working_day for plan in plans)} · "
        f"working hours: {_hours(sum((p.working_time for p in plans), timedelta()))}"
    )
    for plan in plans:
        line = _describe(plan)
        if line:
            when = f"{format_jalali(plan.day, digits=number_digits)} {weekday_name(plan.day)}"
            console.print(Text(f"{when}: {line}", style=_STYLES[_kind(plan)]))


@app.command()
def validate(calendar: CalendarOption = "iran", config_dir: ConfigDirOption = None) -> None:
    """Check a calendar's files (iran.yaml, and NAME.yaml for other names)."""
    console = Console(highlight=False)
    business = _load(console, calendar, config_dir)
    console.print(f"[green]✓[/green] calendar {business.name} is valid")


def _load(console: Console, name: str, config_dir: Path | None) -> BusinessCalendar:
    try:
        return load_calendar(name, config_dir or get_settings().config_dir)
    except CalendarFileError as exc:
        for problem in exc.problems:
            console.print(
                f"[red]{problem.file}[/red]: [bold]{problem.key_path}[/bold]: {problem.message}"
            )
        raise typer.Exit(1) from exc
    except NotFound as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc


def _days(first: date, after: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((after - first).days)]


def _kind(plan: DayPlan) -> str:
    if plan.holidays:
        return "holiday"
    if not plan.is_working_day:
        return "closed"
    return "reduced" if plan.is_reduced else "working"


def _grid(plans: list[DayPlan], title: str, digits: Digits) -> Table:
    """A month laid out in weeks from Saturday to Friday, as Iranian wall calendars are."""
    table = Table(title=title, show_lines=False)
    for fa, en in zip(WEEKDAYS_FA, WEEKDAYS_EN, strict=True):
        table.add_column(f"{fa}\n{en[:3]}", justify="center")
    cells: list[Text | str] = [""] * to_jalali(plans[0].day).weekday()
    for plan in plans:
        number = str(to_jalali(plan.day).day)
        cells.append(
            Text(persian_digits(number) if digits == "fa" else number, _STYLES[_kind(plan)])
        )
    cells += [""] * (-len(cells) % 7)
    for week in range(0, len(cells), 7):
        table.add_row(*cells[week : week + 7])
    return table


def _describe(plan: DayPlan) -> str:
    """Why a day is not an ordinary working day, in words; empty for ordinary days."""
    parts = [f"{h.name_fa} ({h.name_en})" for h in plan.holidays]
    for closure in plan.closures:
        hours = f" {closure.hours}" if closure.hours else ""
        parts.append(f"closed{hours}: {closure.reason}")
    if plan.is_reduced and not plan.closures:
        parts.append("reduced hours")
    if plan.is_working_day and parts:
        parts.append("open " + ", ".join(str(part) for part in plan.hours))
    return "; ".join(parts)


def _hours(span: timedelta) -> str:
    minutes = int(span.total_seconds()) // 60
    return f"{minutes // 60}:{minutes % 60:02d}"
