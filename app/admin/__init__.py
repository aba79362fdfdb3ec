"""The Admin pages, for the instance's administrators only (everyone else gets 404):
providers connected from the browser, the model table, and who else administers."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from app.admin import routes  # noqa: E402,F401
