"""The security headers every response carries: pages, PDFs, the API, errors, health,
static files.

- A Content-Security-Policy without `unsafe-inline`: scripts, styles, fonts and frames
  from this site only, images also as data: URLs, forms posted here only, no <base>,
  no plugins, never framed. The pages have no inline script, event-handler attribute,
  <style> block or `style` attribute (the charts size their shapes with SVG attributes),
  so injected markup can neither run nor restyle anything. The PDFs' templates keep
  their <style> blocks: WeasyPrint reads them on the server, no browser does.
- `X-Frame-Options: DENY` (frame-ancestors for older browsers), `nosniff`, and
  `Referrer-Policy: same-origin` (our addresses carry ids; no other site gets them).
- `Cache-Control: no-store` on everything but static files: pages, PDFs and API answers
  show what a token may see, and must not stay in a shared cache or the browser's after
  sign-out. Static files keep Flask's caching (revalidated by ETag).
- `Strict-Transport-Security` (one year) when PUBLIC_URL is https.

WSGI middleware, the application's outermost layer, so that answers made before Flask
sees the request (a body over the limit: service/web/http/boundary.py) carry them too, and
whatever a route answers (a PDF being prepared, a 503) gets the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    )
)
HSTS = "max-age=31536000"


def security_headers(*, cacheable: bool, https: bool) -> list[tuple[str, str]]:
    """The headers a response gets: `cacheable` for a static file, `https` when the
    service is reached over https (PUBLIC_URL)."""
    headers = [
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
    ]
    if not cacheable:
        headers.append(("Cache-Control", "no-store"))
    if https:
        headers.append(("Strict-Transport-Security", HSTS))
    return headers


class SecurityHeaders:
    """Sets `security_headers` on every response of `app`, replacing any the
    application set under the same names; files under `static_path` are cacheable."""

    def __init__(self, app: Callable[..., Any], *, static_path: str, https: bool):
        self.app = app
        self.static_prefix = static_path.rstrip("/") + "/"
        self.https = https

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        cacheable = environ.get("PATH_INFO", "").startswith(self.static_prefix)
        added = security_headers(cacheable=cacheable, https=self.https)
        replaced = {name.lower() for name, _ in added}

        def start(status: str, headers: Iterable[tuple[str, str]], exc_info: Any = None) -> Any:
            kept = [(name, value) for name, value in headers if name.lower() not in replaced]
            return start_response(status, kept + added, exc_info)

        return self.app(environ, start)
