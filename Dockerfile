# Community Enablement Service: one image for the web processes (default command) and
# the worker process (`flask --app wsgi worker run`: read models, checkpoints, HubSpot).

FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY pyproject.toml README.md ./
COPY service ./service
COPY projections ./projections
COPY integrations ./integrations
RUN pip install .

FROM python:3.11-slim
# Pango and a font for WeasyPrint, which renders the statement PDFs.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --create-home --uid 10001 ces
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY wsgi.py ./
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PORT=8000 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/ces-metrics
USER ces
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz', timeout=2)"]
CMD ["sh", "-c", "exec gunicorn --config python:service.infra.gunicorn_conf --bind 0.0.0.0:${PORT} wsgi:app"]
