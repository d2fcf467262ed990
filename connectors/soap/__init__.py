"""The soap connector: agencies whose case-management software speaks SOAP, driven by zeep.

An agreement names the WSDL, the push and poll operations, where the idempotency key travels and
where the case id, status and result sit in the answers; no code per agency. Rooms:

- ``connector.py`` — ``SoapConnector``: push, poll, find, check;
- ``sessions.py``  — credentials in the body of every call (``body_auth``), or a session;
- ``refusals.py``  — the agency's own errors inside a successful answer (``error``);
- ``inputs.py``    — lists of complex items in an input (``DynamicField[Name=X].Value``);
- ``finding.py``   — looking a case up by our reference (``find``);
- ``clients.py``   — one parsed zeep client per WSDL and settings per process; port selection;
- ``transport.py`` — zeep's HTTP through the hub's httpx client, with answers capped and checked;
- ``faults.py``    — SOAP faults and transport failures → the hub's ``ConnectorError``;
- ``wsdl_check.py`` — comparing the WSDL with the agreement's mapping;
- ``requirements.py`` — which input fields an operation requires, ``xsd:choice`` branches too;
- ``answer_paths.py`` — whether the response paths name elements of the answers' types;
- ``checking.py``  — ``check()``'s authenticated call (``operations.check``) and answer checks;
- ``answers.py``   — dotted input paths, JMESPath reads and JSON-safe copies of answers;
- ``plugin.py``    — the pluggy hook that registers the connector.
"""
