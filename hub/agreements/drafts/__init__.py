"""Drafting an agreement from an agency's own description of its system (its WSDL or OpenAPI
document): the skeleton an admin completes, with guesses from the shared request schema.

Readers turn a description into ``description.AgencyDescription``: ``openapi.py`` here (with
``schemas.py``, ``responses.py``, ``security.py``; ``sources.py`` fetches the document), the WSDL
one in ``connectors/soap/draft.py`` — it needs the SOAP connector's zeep client, and this room
may not import connectors. ``guesses.py`` reads field names; ``fields.py`` writes the mapping;
``render.py`` the whole agreement, as commented YAML (``commented.py``).

May import: hub.plugins, hub.db, hub.core (as hub.agreements).
"""
