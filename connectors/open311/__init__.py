"""The Open311 connector: refers requests to an agency system that speaks GeoReport v2."""
