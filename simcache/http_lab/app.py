"""A small shop whose responses carry the caching headers of their content class."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

#: Content class -> its Cache-Control (RFC 9111 section 5.2.2; ``immutable``: RFC 8246).
CONTENT: dict[str, str] = {
    # a file whose name carries a hash of its content never changes under that name
    "static": "public, max-age=31536000, immutable",
    # a product's page: browsers keep it 10 s, shared caches (a CDN, nginx) 1 s, and then
    # ask again with If-None-Match; an unchanged product costs a 304 without a body
    "product": "public, max-age=10, s-maxage=1",
    # one user's page: no cache may keep it (``private`` alone would let the user's
    # browser store it, a shared cache never)
    "account": "private, no-store",
}


@dataclass
class Catalog:
    """The shop's data: a version per product, bumped by an update; requests counted."""

    versions: dict[int, int] = field(default_factory=dict)
    requests: int = 0          # requests that reached the app (the origin)
    not_modified: int = 0      # answered 304 Not Modified
    body_bytes: int = 0        # bytes of response bodies sent

    def version(self, product: int) -> int:
        return self.versions.setdefault(product, 1)

    def update(self, product: int) -> int:
        """A product changed: its version, and so its ETag, moves on."""
        self.versions[product] = self.version(product) + 1
        return self.versions[product]


def _etag_matches(request: Request, etag: str) -> bool:
    """Whether If-None-Match names ``etag`` (weak comparison, RFC 9110 section 13.1.2)."""
    given = request.headers.get("if-none-match", "")
    if given.strip() == "*":
        return True
    tags = {tag.strip().removeprefix("W/") for tag in given.split(",") if tag.strip()}
    return etag.removeprefix("W/") in tags


def make_app(catalog: Catalog | None = None) -> Any:
    """The Starlette app; ``app.state.catalog`` counts what reached it."""
    catalog = catalog if catalog is not None else Catalog()

    def send(request: Request, body: bytes, kind: str, etag: str | None,
             media_type: str) -> Response:
        catalog.requests += 1
        headers = {"Cache-Control": CONTENT[kind]}
        if etag is not None:
            headers["ETag"] = etag
            if _etag_matches(request, etag):
                catalog.not_modified += 1
                return Response(status_code=304, headers=headers)
        catalog.body_bytes += len(body)
        return Response(body, headers=headers, media_type=media_type)

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        body = f"/* {name} */ console.log('shop');\n".encode() + b" " * 2_000
        return send(request, body, "static", f'"{name}"', "application/javascript")

    async def product(request: Request) -> Response:
        pid = int(request.path_params["pid"])
        if request.method == "POST":
            catalog.requests += 1
            return Response(f"product {pid} is now version {catalog.update(pid)}\n",
                            headers={"Cache-Control": "no-store"}, media_type="text/plain")
        version = catalog.version(pid)
        body = (f'{{"id": {pid}, "version": {version}, "name": "product {pid}"}}'
                .encode() + b" " * 1_000)
        return send(request, body, "product", f'"p{pid}-v{version}"', "application/json")

    async def account(request: Request) -> Response:
        user = request.headers.get("x-user", "anonymous")
        return send(request, f"<h1>orders of {user}</h1>".encode(), "account", None,
                    "text/html")

    app = Starlette(routes=[
        Route("/static/{name}", static),
        Route("/api/products/{pid:int}", product, methods=["GET", "POST"]),
        Route("/account", account),
    ])
    app.state.catalog = catalog
    return app
