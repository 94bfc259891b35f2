// Starts Swagger UI (static/vendor/swagger-ui/) on /api/docs. A file of its own, not an
// inline script, because the Content-Security-Policy refuses inline scripts
// (service/web/http/headers.py). The document's address comes from the page
// (data-spec-url), where Flask's url_for wrote it.
"use strict";
window.addEventListener("DOMContentLoaded", function () {
  var container = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: container.dataset.specUrl,
    domNode: container,
    // Swagger UI would otherwise send the document to validator.swagger.io for a badge:
    // nothing on this page leaves the service.
    validatorUrl: null,
    // Deep links would put a link inside each operation's button (axe: nested-interactive).
    deepLinking: false,
    // Its highlighting colours some JSON below 4.5:1 contrast on the dark background.
    syntaxHighlight: { activated: false },
  });
});
