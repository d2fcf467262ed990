"""The five operations of Znuny's GenericTicketConnector, as the helpdesk answers them.

Each takes the request's data (``envelopes.to_data``) and returns the answer's: its result, or
``{"Error": {"ErrorCode": "TicketCreate.AuthFail", "ErrorMessage": "…"}}`` — Znuny's way of
saying no, inside an HTTP 200 answer. Credentials travel in the body of every call: ``UserLogin``
and ``Password``, or a ``SessionID`` from SessionCreate.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hub.sandbox.znuny.helpdesk import PRIORITIES, SENDER_TYPES, STATES, Helpdesk, Ticket

Data = dict[str, Any]


class Refusal(Exception):
    """An operation's no: ``TicketCreate.AuthFail``, ``TicketCreate: User could not be …``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @classmethod
    def of(cls, operation: str, kind: str, text: str) -> Refusal:
        return cls(f"{operation}.{kind}", f"{operation}: {text}")


def _as_list(value: Any) -> list[Any]:
    if value in (None, ""):
        return []
    return value if isinstance(value, list) else [value]


def _agent(helpdesk: Helpdesk, data: Data, operation: str, auth_message: str) -> str:
    """The agent the call is made as: by session, or by login and password."""
    if data.get("SessionID"):
        user = helpdesk.session_user(str(data["SessionID"]))
    elif data.get("UserLogin") and data.get("Password"):
        user = data["UserLogin"] if helpdesk.login(data["UserLogin"], data["Password"]) else None
    elif not (data.get("UserLogin") or data.get("CustomerUserLogin")):
        message = "UserLogin, CustomerUserLogin or SessionID is required!"
        raise Refusal.of(operation, "MissingParameter", message)
    else:
        raise Refusal.of(operation, "MissingParameter", "Password or SessionID is required!")
    if user is None:
        raise Refusal.of(operation, "AuthFail", auth_message)
    return str(user)


def session_create(helpdesk: Helpdesk, data: Data) -> Data:
    if not data.get("Password"):
        raise Refusal.of("SessionCreate", "MissingParameter", "Password parameter is missing!")
    user = data.get("UserLogin", "")
    if not helpdesk.login(user, data["Password"]):
        raise Refusal.of("SessionCreate", "AuthFail", "Authorization failing!")
    return {"SessionID": helpdesk.open_session(user)}


def _required(part: Any, name: str, fields: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(part, dict):
        raise Refusal.of("TicketCreate", "MissingParameter", f"{name} parameter is missing!")
    for field_name in fields:
        if not part.get(field_name):
            message = f"{name}->{field_name} parameter is missing!"
            raise Refusal.of("TicketCreate", "MissingParameter", message)
    return part


def _dynamic_fields(helpdesk: Helpdesk, data: Data, operation: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for entry in _as_list(data.get("DynamicField")):
        name = entry.get("Name") if isinstance(entry, dict) else None
        if name not in helpdesk.dynamic_fields:
            message = "DynamicField->Name parameter is invalid!"
            raise Refusal.of(operation, "InvalidParameter", message)
        found[str(name)] = [str(v) for v in _as_list(entry.get("Value"))]
    return found


def ticket_create(helpdesk: Helpdesk, data: Data) -> Data:
    _agent(helpdesk, data, "TicketCreate", "User could not be authenticated!")
    ticket = _required(data.get("Ticket"), "Ticket", ("Title", "CustomerUser"))
    article = _required(data.get("Article"), "Article", ("Subject", "Body"))
    for name, known in (("Queue", helpdesk.queues), ("State", STATES), ("Priority", PRIORITIES)):
        if ticket.get(name) not in known:
            raise Refusal.of("TicketCreate", "InvalidParameter", f"Ticket->{name} is invalid!")
    if article.get("SenderType", "customer") not in SENDER_TYPES:
        raise Refusal.of("TicketCreate", "InvalidParameter", "Article->SenderType is invalid!")
    if not (article.get("ContentType") or (article.get("MimeType") and article.get("Charset"))):
        message = "Article->ContentType or MimeType and Charset is required!"
        raise Refusal.of("TicketCreate", "MissingParameter", message)
    fields = _dynamic_fields(helpdesk, data, "TicketCreate")
    opened = helpdesk.open_ticket(ticket, article)
    opened.dynamic_fields.update(fields)
    return {
        "TicketID": opened.ticket_id,
        "TicketNumber": opened.number,
        "ArticleID": opened.articles[0].article_id,
    }


def _ticket_data(helpdesk: Helpdesk, ticket: Ticket, data: Data) -> Data:
    state_id, state_type = STATES[ticket.state]
    entry: Data = {
        "Age": int((helpdesk.clock() - ticket.created).total_seconds()),
        "ArchiveFlag": "n", "ChangeBy": 1, "Changed": helpdesk.local(ticket.changed),
        "CreateBy": 1, "Created": helpdesk.local(ticket.created),
        "CustomerID": "", "CustomerUserID": ticket.customer_user, "GroupID": 1,
        "EscalationResponseTime": 0, "EscalationSolutionTime": 0, "EscalationTime": 0,
        "EscalationUpdateTime": 0,
        "Lock": "unlock", "LockID": 1, "Owner": ticket.owner, "OwnerID": 1,
        "Priority": ticket.priority, "PriorityID": PRIORITIES[ticket.priority],
        "Queue": ticket.queue, "QueueID": helpdesk.queues.index(ticket.queue) + 1,
        "Responsible": ticket.owner, "ResponsibleID": 1,
        "State": ticket.state, "StateID": state_id, "StateType": state_type,
        "TicketID": ticket.ticket_id, "TicketNumber": ticket.number, "Title": ticket.title,
        "Type": ticket.type, "TypeID": 1, "UntilTime": 0,
    }  # fmt: skip
    if ticket.closed is not None:
        entry["Closed"] = helpdesk.local(ticket.closed)
    if str(data.get("DynamicFields", "0")) == "1":
        entry["DynamicField"] = [
            {"Name": name, "Value": ticket.dynamic_fields.get(name) or ""}
            for name in helpdesk.dynamic_fields
        ]
    if str(data.get("AllArticles", "0")) == "1":
        senders = _as_list(data.get("ArticleSenderType"))
        articles = [a for a in ticket.articles if not senders or a.sender_type in senders]
        if str(data.get("ArticleOrder", "ASC")).upper() == "DESC":
            articles.reverse()
        limit = int(data.get("ArticleLimit") or 0)
        entry["Article"] = [_article_data(helpdesk, a) for a in articles[: limit or None]]
    return entry


def _article_data(helpdesk: Helpdesk, article: Any) -> Data:
    return {
        "ArticleID": article.article_id, "ArticleNumber": article.article_id,
        "Body": article.body, "Charset": "utf8", "CommunicationChannel": article.channel,
        "ContentType": article.content_type, "CreateTime": helpdesk.local(article.created),
        "From": article.sender, "IncomingTime": int(article.created.timestamp()),
        "IsVisibleForCustomer": "1" if article.visible else "0", "MimeType": "text/plain",
        "SenderType": article.sender_type, "SenderTypeID": SENDER_TYPES[article.sender_type],
        "Subject": article.subject, "TicketID": article.ticket_id,
    }  # fmt: skip


def ticket_get(helpdesk: Helpdesk, data: Data) -> Data:
    _agent(helpdesk, data, "TicketGet", "Authorization failing!")
    ids = [str(i) for i in _as_list(data.get("TicketID"))]
    if not ids:
        raise Refusal.of("TicketGet", "MissingParameter", "TicketID parameter is missing!")
    if not all(i.isdigit() and int(i) > 0 for i in ids):
        message = "Invalid ticket ID parameter(s) found!"
        raise Refusal.of("TicketGet", "WrongStructure", message)
    tickets = [helpdesk.tickets.get(int(i)) for i in ids]
    if any(t is None for t in tickets):
        message = "Could not get Ticket data in TicketGet::Run()"
        raise Refusal.of("TicketGet", "NotValidTicketID", message)
    return {"Ticket": [_ticket_data(helpdesk, t, data) for t in tickets if t is not None]}


def _matches(ticket: Ticket, data: Data) -> bool:
    wanted = {
        "TicketNumber": ticket.number, "Title": ticket.title, "Queues": ticket.queue,
        "States": ticket.state, "StateType": STATES[ticket.state][1],
    }  # fmt: skip
    for key, value in wanted.items():
        if _as_list(data.get(key)) and value not in _as_list(data[key]):
            return False
    for condition in _as_list(data.get("DynamicField")):
        values = ticket.dynamic_fields.get(condition.get("Name"), [])
        if "Equals" in condition and condition["Equals"] not in values:
            return False
        if "Empty" in condition and bool(values) == (str(condition["Empty"]) == "1"):
            return False
    return True


def ticket_search(helpdesk: Helpdesk, data: Data) -> Data:
    _agent(helpdesk, data, "TicketSearch", "Authorization failing!")
    found = [t for t in helpdesk.tickets.values() if _matches(t, data)]
    found.sort(key=lambda t: t.created)  # SortBy Age; OrderBy Up: the oldest first
    if (_as_list(data.get("OrderBy")) or ["Down"])[0] != "Up":
        found.reverse()  # Znuny's default, OrderBy Down: the newest first
    found = found[: int(data.get("Limit") or 500)]
    return {"TicketID": [t.ticket_id for t in found]} if found else {}


def ticket_update(helpdesk: Helpdesk, data: Data) -> Data:
    _agent(helpdesk, data, "TicketUpdate", "User could not be authenticated!")
    by_number = {t.number: t for t in helpdesk.tickets.values()}
    ticket = helpdesk.tickets.get(int(data.get("TicketID") or 0))
    ticket = ticket or by_number.get(data.get("TicketNumber", ""))
    if ticket is None:
        message = "User does not have access to the ticket!"
        raise Refusal.of("TicketUpdate", "AccessDenied", message)
    changes: Data = data["Ticket"] if isinstance(data.get("Ticket"), dict) else {}
    if changes.get("State") and changes["State"] not in STATES:
        raise Refusal.of("TicketUpdate", "InvalidParameter", "Ticket->State is invalid!")
    fields = _dynamic_fields(helpdesk, data, "TicketUpdate")
    answer: Data = {"TicketID": ticket.ticket_id, "TicketNumber": ticket.number}
    if isinstance(data.get("Article"), dict):
        answer["ArticleID"] = helpdesk.add_article(ticket, data["Article"]).article_id
    if changes.get("State"):
        helpdesk.set_state(ticket, changes["State"])
    ticket.title = changes.get("Title") or ticket.title
    ticket.dynamic_fields.update(fields)
    return answer


Operation = Callable[[Helpdesk, Data], Data]
OPERATIONS: dict[str, Operation] = {
    "SessionCreate": session_create,
    "TicketCreate": ticket_create,
    "TicketGet": ticket_get,
    "TicketSearch": ticket_search,
    "TicketUpdate": ticket_update,
}


def run(helpdesk: Helpdesk, operation: str, data: Data) -> Data:
    """The answer's data: the operation's result, or its Error."""
    try:
        return OPERATIONS[operation](helpdesk, data)
    except Refusal as refusal:
        return {"Error": {"ErrorCode": refusal.code, "ErrorMessage": refusal.message}}
