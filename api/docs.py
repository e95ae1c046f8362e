"""The API's interactive documentation at `/docs`, served by this server alone.

Swagger UI is vendored under `static/vendor/swagger-ui-VERSION/` (with its licence), and the page
starts it with a script of ours from `static/js/`, so the documentation works with no internet and
without inline scripts. The OpenAPI document itself stays at `/openapi.json`.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from markupsafe import escape

from api.pages.rendering import static

SWAGGER_UI = "vendor/swagger-ui-5.35.0"

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title} · API</title>
  <link rel="icon" href="{favicon}">
  <link rel="stylesheet" href="{css}">
</head>
<body>
  <div class="swagger-ui"><div class="wrapper"><p><a class="link" href="/">&larr; the dashboard</a></p></div></div>
  <div id="swagger-ui" data-openapi="{openapi}"></div>
  <script src="{bundle}"></script>
  <script src="{start}"></script>
</body>
</html>
"""


def docs_page(title: str, openapi_url: str) -> str:
    """The HTML of the documentation page (every URL in it is on this server)."""
    return PAGE.format(
        title=escape(title), openapi=escape(openapi_url),
        favicon=static(f"{SWAGGER_UI}/favicon-32x32.png"), css=static(f"{SWAGGER_UI}/swagger-ui.css"),
        bundle=static(f"{SWAGGER_UI}/swagger-ui-bundle.js"), start=static("js/api-docs.js"),
    )


def install_docs(app: FastAPI) -> None:
    """Serve `/docs` from the vendored Swagger UI (create the app with `docs_url=None, redoc_url=None`)."""
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    def docs() -> HTMLResponse:
        return HTMLResponse(docs_page(app.title, openapi_url))
