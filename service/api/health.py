"""Liveness: the process answers. Open to all, no database call."""

from flask import Blueprint

blp = Blueprint("health", __name__)


@blp.get("/healthz")
def healthz():
    return {"status": "ok"}
