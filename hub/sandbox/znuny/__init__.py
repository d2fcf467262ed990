"""A Znuny (OTRS) helpdesk sandbox: an agency whose ticket system answers exactly as Znuny's
GenericTicketConnectorSOAP web service does.

Document/literal SOAP 1.1 at Znuny's address, credentials in the body (``UserLogin`` and
``Password``, or a ``SessionID`` from SessionCreate that ends after its idle time), errors as an
``Error`` element in an HTTP 200 answer, answers' elements in alphabetical order, times without a
zone, every TicketCreate a new ticket (no de-duplication)::

    sandbox = ZnunySandbox(users={"samad-111": "secret"})
    with BackgroundServer(sandbox.app()) as server:
        endpoint = sandbox.endpoint(server.url)

Standalone: ``python -m hub.sandbox.znuny --port 8734``.
"""

from hub.sandbox.znuny.app import WEBSERVICE_PATH, ZnunySandbox, create_app
from hub.sandbox.znuny.faults import Faults
from hub.sandbox.znuny.helpdesk import STATES, Helpdesk, Ticket

__all__ = [
    "STATES",
    "WEBSERVICE_PATH",
    "Faults",
    "Helpdesk",
    "Ticket",
    "ZnunySandbox",
    "create_app",
]
