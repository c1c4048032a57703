"""GET /ui and /ui/static/{name}: the workbench's files, read from this package.

The handlers only hand out files: every piece of data the page shows comes from the REST API
(/v1/...), which the page's scripts call with the user's token, so the workbench sees and
changes exactly what that token may. The responses carry a strict Content-Security-Policy
(scripts and styles from this origin only, no inline code, no framing).
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from agent_memory_server.config import Settings
from agent_memory_server.resources import Resources

STATIC = Path(__file__).parent / "static"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-cache",  # revalidated: a new version is picked up at once
}
# name -> bytes of every file shipped, read once: nothing else can be asked for.
_FILES = {p.name: p.read_bytes() for p in STATIC.iterdir() if p.suffix in TYPES}

router = APIRouter(include_in_schema=False)


def ui_enabled(settings: Settings) -> bool:
    """UI_ENABLED when set; else on unless auth is off on a non-loopback bind address."""
    if settings.ui_enabled is not None:
        return settings.ui_enabled
    if settings.auth_mode != "none":
        return True
    try:
        return settings.host == "localhost" or ipaddress.ip_address(settings.host).is_loopback
    except ValueError:  # a host name: assume it is reachable from elsewhere
        return False


def _file(request: Request, name: str) -> Response:
    resources: Resources = request.app.state.resources
    if not ui_enabled(resources.settings):
        return JSONResponse(
            {
                "detail": "The workbench is off: auth is off and the server listens beyond "
                "loopback. Turn auth on (AUTH_MODE) or set UI_ENABLED=true."
            },
            status_code=404,
        )
    body = _FILES.get(name)
    suffix = Path(name).suffix
    if body is None:
        return JSONResponse({"detail": f"No workbench file {name!r}"}, status_code=404)
    return Response(body, media_type=TYPES[suffix], headers=HEADERS)


@router.get("/ui")
@router.get("/ui/")
async def page(request: Request) -> Response:
    """The workbench's single page (its views are chosen by the URL fragment)."""
    return _file(request, "index.html")


@router.get("/ui/static/{name}")
async def asset(request: Request, name: str) -> Response:
    return _file(request, name)
