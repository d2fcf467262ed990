"""The HTTP front: the FastAPI app that serves the JSON API (hub.api) and the pages people use
(the dashboard).

May import: hub.api and below.
"""
