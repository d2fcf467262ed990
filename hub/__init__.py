"""samad-hub: the hub between the Samad citizen-request centre and executive agencies."""

__version__ = "0.1.0"
