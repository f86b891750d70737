"""One router per resource; service/api/app.py lists them."""
