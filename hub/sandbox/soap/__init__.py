"""A SOAP agency sandbox: the case registry of the Golestan power distribution company.

شرکت توزیع نیروی برق استان گلستان — a legacy "case registry" that publishes its own WSDL
(``case_registry.wsdl``) and speaks SOAP 1.1/1.2 envelopes with Persian text, numeric status
codes and case ids such as ``BRQ/1405/004512``::

    sandbox = SoapSandbox(step_seconds=5)
    with BackgroundServer(sandbox.app()) as server:
        zeep.Client(server.url + "/?wsdl")

Standalone: ``python -m hub.sandbox.soap --port 8732``.
"""

from hub.sandbox.soap.app import SoapSandbox, create_app
from hub.sandbox.soap.misbehaviour import Controls
from hub.sandbox.soap.registry import STATUS_TITLES, ManualClock

__all__ = ["STATUS_TITLES", "Controls", "ManualClock", "SoapSandbox", "create_app"]
