"""tiersight's HTTP service (FastAPI). Built on `screening`; see DESIGN.md for the routes to come."""
