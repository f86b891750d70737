"""The skillpass platform API (FastAPI): routers per resource, roles, consent, audit."""
