"""The Open311 GeoReport v2 facade under ``/open311/v2``: services, requests, discovery, JSON
and XML, errors in the spec's ``errors`` shape. A request filed here goes through intake exactly
as one filed at ``POST /v1/requests``. See docs/open311.md."""
