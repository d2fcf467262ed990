"""The soap connector: agencies whose case-management software speaks SOAP, driven by zeep.

An agreement names the WSDL, the push and poll operations, where the idempotency key travels and
where the case id, status and result sit in the answers; no code per agency. Rooms:

- ``connector.py`` — ``SoapConnector``: push, poll, check;
- ``clients.py``   — one parsed zeep client per WSDL and settings per process; port selection;
- ``transport.py`` — zeep's HTTP through the hub's httpx client, with answers capped and checked;
- ``faults.py``    — SOAP faults and transport failures → the hub's ``ConnectorError``;
- ``wsdl_check.py`` — comparing the WSDL with the agreement's mapping;
- ``answers.py``   — dotted input paths, JMESPath reads and JSON-safe copies of answers;
- ``plugin.py``    — the pluggy hook that registers the connector.
"""
