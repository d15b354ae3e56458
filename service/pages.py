"""The search page (/), the agent panel (/agent), the team pages (/team…) and the API docs (/docs): all served locally, no CDN."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent / "static"
# The embeddable widget: a host page loads it from another origin, so it is served at the root under a
# stable address, cached for a day and revalidated (ETag) after; a release changes it within a day.
WIDGET_CACHE = "public, max-age=86400, stale-while-revalidate=604800"
WIDGET_FILES = {"widget.js": "text/javascript; charset=utf-8", "widget.css": "text/css; charset=utf-8"}


def mount_pages(app: FastAPI) -> None:
    """Mount the pages; the app must be created with docs_url=None, since /docs is served here from local assets."""
    import swagger_ui_bundle

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount("/docs-assets", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} — API",
                                   swagger_js_url="/docs-assets/swagger-ui-bundle.js",
                                   swagger_css_url="/docs-assets/swagger-ui.css", swagger_favicon_url="/docs-assets/favicon-32x32.png")

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
    for path in ("/team", "/team/analytics", "/team/phrasings"):  # one page; team.js shows the path's view
        app.add_api_route(path, lambda: FileResponse(STATIC / "team.html"), include_in_schema=False, methods=["GET"])
