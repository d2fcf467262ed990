"""The days deadlines stop for in 1405, written here by hand, against what the calendar says.

Deadlines are counted on the calendar the deadline sweep loads (``config/calendars/iran.yaml`` over
the ``holidays`` package). If either changes — a package upgrade that moves an estimated lunar
date, a correction added to the file — the due dates of real referrals move with it; this list
makes that a reviewed change: the test fails naming the days that differ, and the list is
updated after checking them against the official calendar.

Solar holidays (checked by hand: Nowruz 1405 is 2026-03-21, Nowruz 1406 2027-03-21; months 1–6
have 31 days, 7–11 have 30, Esfand 1405 29): 1–4 Farvardin (2026-03-21..24), 12 Farvardin
(2026-04-01), 13 Farvardin (2026-04-02), 14 and 15 Khordad (2026-06-04, 2026-06-05), 22 Bahman
(2027-02-11), 29 Esfand (2027-03-20).

Lunar holidays are the package's (``holidays`` 0.109), not checked against the official
calendar of the University of Tehran's Institute of Geophysics; each is on the Umm al-Qura date
of its Hijri day or one day later, as months begun by sighting in Iran usually are. Those from
Rajab 1448 on (2027-01-06 and later) the package marks "(estimated)": correct them in
``config/calendars/iran.yaml`` after the moon is sighted, and here.
"""

from __future__ import annotations

from datetime import date, timedelta

from hub.deadlines.due_times import calendars

FIRST_DAY, LAST_DAY = date(2026, 3, 21), date(2027, 3, 20)  # 1405-01-01, 1405-12-29

HOLIDAYS_1405 = {
    date(2026, 3, 21): {"Nowruz", "Eid al-Fitr"},  # 1 Farvardin; 1 Shawwal 1447
    date(2026, 3, 22): {"Nowruz Holiday", "Eid al-Fitr Holiday"},
    date(2026, 3, 23): {"Nowruz Holiday"},
    date(2026, 3, 24): {"Nowruz Holiday"},
    date(2026, 4, 1): {"Islamic Republic Day"},  # 12 Farvardin
    date(2026, 4, 2): {"Nature's Day"},  # 13 Farvardin, Sizdah Be-dar
    date(2026, 4, 14): {"Martyrdom of Imam Ja'far al-Sadiq"},  # 25 Shawwal
    date(2026, 5, 27): {"Eid al-Adha"},  # 10 Dhu al-Hijjah
    date(2026, 6, 4): {"Death of Imam Khomeini", "Eid al-Ghadir"},  # 14 Khordad; 18 Dhu al-Hijjah
    date(2026, 6, 5): {"15 Khordad Uprising"},
    date(2026, 6, 24): {"Tasua"},  # 9 Muharram 1448
    date(2026, 6, 25): {"Ashura"},  # 10 Muharram
    date(2026, 8, 4): {"Arbaeen"},  # 20 Safar
    date(2026, 8, 12): {"Death of Prophet Muhammad and Martyrdom of Hasan ibn Ali"},  # 28 Safar
    date(2026, 8, 13): {"Martyrdom of Ali al-Rida"},  # the last day of Safar
    date(2026, 8, 21): {"Martyrdom of Hasan al-Askari"},  # 8 Rabi al-Awwal
    date(2026, 8, 30): {"Birthday of Muhammad and Imam Ja'far al-Sadiq"},  # 17 Rabi al-Awwal
    date(2026, 11, 13): {"Martyrdom of Fatima"},  # 3 Jumada al-Thani
    date(2026, 12, 23): {"Birthday of Imam Ali"},  # 13 Rajab
    date(2027, 1, 6): {"Isra' and Mi'raj (estimated)"},  # 27 Rajab, the Mab'ath
    date(2027, 1, 24): {"Birthday of Mahdi (estimated)"},  # 15 Sha'ban
    date(2027, 2, 11): {"Islamic Revolution Day"},  # 22 Bahman
    date(2027, 3, 1): {"Martyrdom of Imam Ali (estimated)"},  # 21 Ramadan
    date(2027, 3, 10): {"Eid al-Fitr (estimated)"},  # 1 Shawwal 1448
    date(2027, 3, 11): {"Eid al-Fitr Holiday (estimated)"},
    date(2027, 3, 20): {"Iranian Oil Industry Nationalization Day"},  # 29 Esfand
}


def test_deadlines_stop_in_1405_on_exactly_the_public_holidays_written_here() -> None:
    iran = calendars().get("iran")  # the deadline sweep's own calendar, shipped file included
    found = {}
    day = FIRST_DAY
    while day <= LAST_DAY:
        plan = iran.plan(day)
        if plan.holidays:
            found[day] = {holiday.name_en for holiday in plan.holidays}
            assert not plan.is_working_day, day
        day += timedelta(days=1)
    missing = {d: n for d, n in HOLIDAYS_1405.items() if found.get(d) != n}
    unexpected = {d: n for d, n in found.items() if HOLIDAYS_1405.get(d) != n}
    assert (missing, unexpected) == ({}, {}), "1405 holidays differ from the reviewed list"
