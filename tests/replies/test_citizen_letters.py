"""The agency's official letter, shown to the citizen where the agreement shares letters.

Through the real worker reading a real Dovecot: the clerk answers with a PDF letter and a JPEG
scan; the citizen's look-up (tracking code + mobile, no token) lists them under the referral and
serves each as a download — only with the right pair (a wrong mobile is answered like an unknown
code), only the letters of that request, and nothing at all without
``notifications.citizen.share_letters``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import httpx
import pytest
import yaml

from tests.core.waiting import wait_for_states
from tests.replies.agency import MailAgency, Referred
from tests.replies.reading import attachments_of, messages_of
from tests.support.problems import said
from tests.support.requests import citizen_request

pytestmark = [pytest.mark.usefixtures("worker"), pytest.mark.timeout(120)]
MOBILE = citizen_request()["citizen"]["mobile"]
LETTER = b"%PDF-1.4\n% the municipality's letter no. 4512\n%%EOF\n"
SCAN = b"\xff\xd8\xff\xe0 a scan of the signed letter"
OTHERS = b"%PDF-1.4\n% a letter to another citizen\n%%EOF\n"
ANSWER = "وضعیت: رسیدگی شد\nنامه رسمی شهرداری پیوست است."
_addresses = itertools.count(1)


def _share_letters(agency: MailAgency) -> None:
    """The agency's agreement, rewritten with ``notifications.citizen.share_letters: true``."""
    document = yaml.safe_load(agency.path.read_text(encoding="utf-8"))
    document.setdefault("notifications", {}).setdefault("citizen", {})["share_letters"] = True
    partial = agency.path.with_name(f".{agency.path.stem}.partial")
    partial.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    partial.replace(agency.path)


def _answered_with_letters(api: httpx.Client, agency: MailAgency) -> tuple[Referred, Referred]:
    """Two requests to the agency, each answered with its letter; the first also with a scan."""
    mine, other = agency.refer(api), agency.refer(api)
    agency.reply(
        mine,
        ANSWER,
        (
            (LETTER, "application", "pdf", "نامه ۴۵۱۲.pdf"),
            (SCAN, "image", "jpeg", "scan.jpg"),
        ),
    )
    agency.reply(other, ANSWER, ((OTHERS, "application", "pdf", "letter.pdf"),))
    for referred in (mine, other):
        wait_for_states(api, referred.code, ["resolved"])
    return mine, other


@pytest.fixture
def citizen(api_as: Callable[..., httpx.Client]) -> Callable[..., httpx.Response]:
    """``citizen(path, mobile)``: a GET as a citizen (no token), from an address of its own."""
    client = api_as(None)
    address = {"X-Forwarded-For": f"203.0.113.{next(_addresses) % 250 + 1}"}

    def get(path: str, mobile: str | None = MOBILE) -> httpx.Response:
        return client.get(path, params={"mobile": mobile} if mobile else {}, headers=address)

    return get


def test_the_citizen_sees_and_downloads_the_agencys_letters_with_the_right_pair(
    api: httpx.Client, agency: MailAgency, citizen: Callable[..., httpx.Response]
) -> None:
    _share_letters(agency)
    mine, _ = _answered_with_letters(api, agency)

    looked_up = citizen(f"/v1/requests/{mine.code}")
    letters = looked_up.json()["referrals"][0]["letters"]
    pdf = citizen(letters[0]["download"])
    jpeg = citizen(letters[1]["download"])

    assert looked_up.status_code == 200
    assert [(f["filename"], f["content_type"], f["size"]) for f in letters] == [
        ("نامه ۴۵۱۲.pdf", "application/pdf", len(LETTER)),
        ("scan.jpg", "image/jpeg", len(SCAN)),
    ]
    assert letters[0]["download"] == f"/v1/requests/{mine.code}/letters/{letters[0]['id']}"
    assert (pdf.status_code, pdf.content, jpeg.content) == (200, LETTER, SCAN)
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''" in pdf.headers["content-disposition"]
    assert pdf.headers["x-content-type-options"] == "nosniff"
    assert pdf.headers["cache-control"] == "private, no-store"


def test_a_wrong_mobile_or_another_requests_letter_is_answered_like_an_unknown_code(
    api: httpx.Client, agency: MailAgency, citizen: Callable[..., httpx.Response]
) -> None:
    _share_letters(agency)
    mine, other = _answered_with_letters(api, agency)
    letter = citizen(f"/v1/requests/{mine.code}").json()["referrals"][0]["letters"][0]
    others = citizen(f"/v1/requests/{other.code}").json()["referrals"][0]["letters"][0]

    wrong_lookup = citizen(f"/v1/requests/{mine.code}", mobile="09129999999")
    unknown_lookup = citizen("/v1/requests/12345678901")
    wrong = citizen(letter["download"], mobile="09129999999")
    no_mobile = citizen(letter["download"], mobile=None)
    unknown = citizen(f"/v1/requests/12345678901/letters/{letter['id']}")
    not_mine = citizen(f"/v1/requests/{mine.code}/letters/{others['id']}")

    assert wrong_lookup.status_code == unknown_lookup.status_code == 404
    assert said(wrong_lookup) == said(unknown_lookup)
    assert wrong.status_code == no_mobile.status_code == unknown.status_code == 404
    assert said(wrong) == said(no_mobile) == said(unknown) == said(unknown_lookup)
    assert not_mine.status_code == 404 and OTHERS not in not_mine.content


def test_without_the_agreement_key_no_letter_is_listed_or_served(
    api: httpx.Client, agency: MailAgency, citizen: Callable[..., httpx.Response]
) -> None:
    mine, _ = _answered_with_letters(api, agency)
    [stored] = [m for m in messages_of(agency.agreement_id) if m.referral_id == mine.referral_id]
    kept = attachments_of(stored.id)

    looked_up = citizen(f"/v1/requests/{mine.code}")
    download = citizen(f"/v1/requests/{mine.code}/letters/{kept[0].id}")

    assert [a.filename for a in kept] == ["نامه ۴۵۱۲.pdf", "scan.jpg"]  # kept, for the centre
    assert looked_up.status_code == 200
    assert looked_up.json()["referrals"][0]["letters"] == []
    assert download.status_code == 404
