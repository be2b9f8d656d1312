"""HTTP response headers that every page gets."""

# No inline scripts or styles anywhere, so the policy can be strict. JSON-LD is a data
# block, not a script, and is not affected.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def _add_security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def keep_out_of_caches(response):
    """For pages behind a login, which show personal data: no browser or proxy cache may
    store them (the back button on a shared computer, a proxy's disk)."""
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app) -> None:
    app.after_request(_add_security_headers)
