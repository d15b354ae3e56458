"""The search page (/), the agent panel (/agent), the team pages (/team…) and the API docs (/docs): all served locally, no CDN."""

from __future__ import annotations

import html
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent / "static"
# The embeddable widget: a host page loads it from another origin, so it is served at the root under a
# stable address, cached for a day and revalidated (ETag) after; a release changes it within a day.
WIDGET_CACHE = "public, max-age=86400, stale-while-revalidate=604800"
WIDGET_FILES = {"widget.js": "text/javascript; charset=utf-8", "widget.css": "text/css; charset=utf-8"}

# FastAPI's get_swagger_ui_html starts Swagger UI from an inline script, which the pages' CSP refuses: static/docs.js does it
DOCS_HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="/docs-assets/favicon.png">
<link rel="stylesheet" href="/docs-assets/swagger-ui.css">
</head>
<body data-openapi="{openapi}">
<div id="swagger-ui"></div>
<script src="/docs-assets/swagger-ui-bundle.js"></script>
<script src="/static/docs.js"></script>
</body>
</html>
"""


def mount_pages(app: FastAPI) -> None:
    """Mount the pages; the app must be created with docs_url=None, since /docs is served here from local assets."""
    import fastapi_offline

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # Swagger UI 5 (reads OpenAPI 3.1, which FastAPI emits; swagger-ui-bundle stops at 4.15 and cannot)
    app.mount("/docs-assets", StaticFiles(directory=Path(fastapi_offline.__file__).parent / "static"), name="docs-assets")
    docs_page = DOCS_HTML.format(title=html.escape(f"{app.title} — API"), openapi=html.escape(app.openapi_url or "/openapi.json"))

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(docs_page)

    @app.get("/", include_in_schema=False)
    def search_page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/agent", include_in_schema=False)
    def agent_page() -> FileResponse:
        return FileResponse(STATIC / "agent.html")

    def widget_file(name: str, media_type: str) -> None:
        @app.get(f"/{name}", include_in_schema=False, name=name)
        def serve() -> Response:
            return FileResponse(STATIC / name, media_type=media_type, headers={"Cache-Control": WIDGET_CACHE})

    for name, media_type in WIDGET_FILES.items():
        widget_file(name, media_type)
    for path in ("/team", "/team/analytics", "/team/phrasings", "/team/rules"):  # one page; team.js shows the path's view
        app.add_api_route(path, lambda: FileResponse(STATIC / "team.html"), include_in_schema=False, methods=["GET"])
