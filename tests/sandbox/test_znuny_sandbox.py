"""The Znuny sandbox over real HTTP, with hand-written envelopes as any SOAP client sends."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from lxml import etree

from hub.sandbox.server import BackgroundServer
from hub.sandbox.znuny import WEBSERVICE_PATH, ZnunySandbox

NS = "http://www.otrs.org/TicketConnector/"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"


def envelope(operation: str, body: str) -> bytes:
    return (
        f'<soap:Envelope xmlns:soap="{SOAP}"><soap:Body>'
        f'<tns:{operation} xmlns:tns="{NS}">{body}</tns:{operation}></soap:Body></soap:Envelope>'
    ).encode()


CREATE = (
    "<UserLogin>samad-111</UserLogin><Password>{password}</Password>"
    "<Ticket><Title>قطعی تلفن</Title><Queue>Samad::111</Queue><State>new</State>"
    "<Priority>3 normal</Priority><CustomerUser>samad-111</CustomerUser></Ticket>"
    "<Article><Subject>قطعی تلفن</Subject><Body>بوق ندارد</Body>"
    "<ContentType>text/plain; charset=utf8</ContentType></Article>"
    "<DynamicField><Name>SamadReference</Name><Value>R-1405-0000009-1</Value></DynamicField>"
)


@pytest.fixture
def znuny() -> Iterator[tuple[ZnunySandbox, httpx.Client]]:
    sandbox = ZnunySandbox(users={"samad-111": "secret"})
    with BackgroundServer(sandbox.app()) as server, httpx.Client(base_url=server.url) as http:
        yield sandbox, http


def call(http: httpx.Client, operation: str, body: str) -> tuple[int, etree._Element]:
    answer = http.post(WEBSERVICE_PATH, content=envelope(operation, body))
    return answer.status_code, etree.fromstring(answer.content)[0][0]


def names(element: etree._Element) -> list[str]:
    return [etree.QName(child).localname for child in element]


def test_a_ticket_is_opened_for_every_create_and_its_answer_is_in_alphabetical_order(
    znuny: tuple[ZnunySandbox, httpx.Client],
) -> None:
    _, http = znuny
    status, first = call(http, "TicketCreate", CREATE.format(password="secret"))
    _, second = call(http, "TicketCreate", CREATE.format(password="secret"))
    assert status == 200 and etree.QName(first).namespace == NS
    assert names(first) == ["ArticleID", "TicketID", "TicketNumber"]
    assert all(etree.QName(child).namespace == NS for child in first)  # the default xmlns
    assert first.findtext(f"{{{NS}}}TicketID") != second.findtext(f"{{{NS}}}TicketID")
    counted = http.get("/_control/count", params={"reference": "R-1405-0000009-1"}).json()
    assert counted["tickets"] == 2


def test_wrong_credentials_are_an_error_element_in_an_http_200_answer(
    znuny: tuple[ZnunySandbox, httpx.Client],
) -> None:
    _, http = znuny
    status, answer = call(http, "TicketCreate", CREATE.format(password="wrong"))
    assert status == 200 and names(answer) == ["Error"]
    assert answer.findtext(f"{{{NS}}}Error/{{{NS}}}ErrorCode") == "TicketCreate.AuthFail"
    message = answer.findtext(f"{{{NS}}}Error/{{{NS}}}ErrorMessage")
    assert message == "TicketCreate: User could not be authenticated!"


def test_a_clerks_answer_set_over_the_controls_is_an_agent_article_with_times_without_zone(
    znuny: tuple[ZnunySandbox, httpx.Client],
) -> None:
    _, http = znuny
    _, created = call(http, "TicketCreate", CREATE.format(password="secret"))
    ticket_id = created.findtext(f"{{{NS}}}TicketID")
    moved = http.post(
        f"/_control/tickets/{ticket_id}/answer",
        json={"state": "closed successful", "body": "خط وصل شد"},
    )
    assert moved.status_code == 200
    get = (
        "<UserLogin>samad-111</UserLogin><Password>secret</Password>"
        f"<TicketID>{ticket_id}</TicketID><AllArticles>1</AllArticles>"
    )
    _, answer = call(http, "TicketGet", get)
    ticket = answer.find(f"{{{NS}}}Ticket")
    assert ticket is not None and ticket.findtext(f"{{{NS}}}State") == "closed successful"
    articles = ticket.findall(f"{{{NS}}}Article")
    assert [a.findtext(f"{{{NS}}}SenderType") for a in articles] == ["customer", "agent"]
    assert articles[1].findtext(f"{{{NS}}}Body") == "خط وصل شد"
    changed = ticket.findtext(f"{{{NS}}}Changed") or ""
    assert len(changed) == 19 and changed[10] == " "  # 2026-12-04 18:40:00: no zone


def test_a_session_ends_when_the_controls_say_so(
    znuny: tuple[ZnunySandbox, httpx.Client],
) -> None:
    _, http = znuny
    login = "<UserLogin>samad-111</UserLogin><Password>secret</Password>"
    _, session = call(http, "SessionCreate", login)
    session_id = session.findtext(f"{{{NS}}}SessionID")
    search = f"<SessionID>{session_id}</SessionID>"
    _, found = call(http, "TicketSearch", search)
    assert names(found) == []  # no tickets yet, and no error
    http.post("/_control/sessions/expire")
    _, refused = call(http, "TicketSearch", search)
    assert refused.findtext(f"{{{NS}}}Error/{{{NS}}}ErrorCode") == "TicketSearch.AuthFail"
