"""HTTP hardening: security headers on every response and safe ``next=`` redirects."""

from urllib.parse import urljoin, urlsplit

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

#: Every page uses only its own scripts, styles, images and fonts: no inline code, no CDN.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'; frame-src https://www.youtube-nocookie.com https://player.vimeo.com"
)


def is_safe_next(target: str | None) -> bool:
    """True for a path on this site; refuses other hosts, schemes and ``//evil`` tricks.

    Browsers read any run of leading slashes (``///evil``) as a host, so a path must start with
    exactly one.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(c) < 32 for c in target):
        return False
    here = urlsplit(request.host_url)
    there = urlsplit(urljoin(request.host_url, target))
    return there.scheme in ("http", "https") and there.netloc == here.netloc and target.startswith("/")


def init_app(app: Flask) -> None:
    hops = app.config.get("ADAL_PROXY_HOPS", 0)
    if hops:  # behind a proxy, rate limits, audit IPs and HTTPS need the client's own address and scheme
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
