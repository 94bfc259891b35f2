"""The WSGI entry point for gunicorn and `flask --app wsgi`."""

import os

from service.bootstrap import create_app
from service.infra.logs import configure_logging

configure_logging(os.environ.get("LOG_LEVEL", "INFO"))
app = create_app()
