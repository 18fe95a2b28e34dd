"""tiersight's domain: ingest, match, trace, rules and report, usable without the API or the workers."""

__version__ = "0.1.0"
