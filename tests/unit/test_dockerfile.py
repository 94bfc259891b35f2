"""No Docker engine runs here, so the Dockerfile is kept correct by reading it: it must
run what the end-to-end tests run outside a container."""

import tomllib
from pathlib import Path

from tests.support.servers import GUNICORN_ARGS

DOCKERFILE = (Path(__file__).resolve().parents[2] / "Dockerfile").read_text()


def final_stage() -> str:
    return DOCKERFILE.rsplit("\nFROM ", 1)[1]


def test_the_image_is_multi_stage_on_a_slim_python():
    assert (
        DOCKERFILE.count("\nFROM python:3.11-slim") + DOCKERFILE.startswith("FROM python:3.11-slim")
        >= 2
    )
    assert "COPY --from=build /opt/venv /opt/venv" in final_stage()


def test_it_runs_as_a_non_root_user():
    users = [line.split()[1] for line in final_stage().splitlines() if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")


def test_the_healthcheck_asks_healthz():
    assert "HEALTHCHECK" in final_stage() and "/healthz" in final_stage()


def test_gunicorn_is_the_entry_point_with_the_tested_configuration():
    cmd = [line for line in final_stage().splitlines() if line.startswith("CMD ")][-1]
    assert "exec gunicorn" in cmd and " ".join(GUNICORN_ARGS) in cmd and "wsgi:app" in cmd


def test_every_package_the_app_imports_is_copied():
    for package in ("service", "projections", "integrations"):
        assert f"COPY {package} ./{package}" in DOCKERFILE
    assert "COPY wsgi.py" in DOCKERFILE


def test_the_image_can_render_statement_pdfs():
    """WeasyPrint needs Pango at run time."""
    assert "libpango-1.0-0" in final_stage() and "libpangoft2-1.0-0" in final_stage()


def test_every_template_and_static_file_is_installed_with_the_package():
    """setuptools leaves out non-Python files unless package-data names them: a page
    template or stylesheet missing there works from a checkout and fails in the image."""
    root = Path(__file__).resolve().parents[2]
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["service.web"]
    web = root / "service" / "web"
    files = [
        path.relative_to(web)
        for folder in ("templates", "static")
        for path in (web / folder).rglob("*")
        if path.is_file()
    ]
    assert files, "no templates or static files found"
    missing = [str(f) for f in files if not any(f.match(pattern) for pattern in patterns)]
    assert not missing, f"not in package-data, so not installed: {missing}"
