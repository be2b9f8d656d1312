"""sitemap.xml and robots.txt: the public pages in; the organiser and admin areas, personal
links (manage, feedback), feeds, the API and the embeddable list out."""

from xml.etree import ElementTree

from flask import Response, current_app

from ..mail.links import base_url
from ..services import series as series_service
from ..services import sitemap
from .views import bp

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"
# Public pages with no variable in their address. Pages of other areas are listed when their
# blueprint is registered (the open-data pages).
FIXED_PAGES = (
    "catalogue.home",
    "catalogue.list_themes",
    "catalogue.list_series",
    "catalogue.list_events",
    "catalogue.list_past_events",
    "catalogue.accessibility_statement",
    "catalogue.privacy",
    "open_data.api_page",
    "open_data.show_statistics",
)
# Paths no search engine needs: logged-in areas, personal links (a manage or feedback token
# in the address), machine-readable feeds and data, the page made for iframes.
DISALLOWED = (
    "/arrangor/",
    "/admin/",
    "/anmalan/",
    "/omdome/",
    "/kalender/",
    "/api/",
    "/inbaddning/",
    "/bevaka",
)
MAX_AGE = 3600


def build_sitemap(entries: list[tuple[str, str | None]], languages: tuple[str, ...]) -> bytes:
    """A sitemap of (absolute URL, lastmod date or None), each with its other-language
    versions (`?lang=`) as hreflang alternates. Pure: data in, bytes out."""
    ElementTree.register_namespace("", SITEMAP_NS)
    ElementTree.register_namespace("xhtml", XHTML_NS)
    urlset = ElementTree.Element(f"{{{SITEMAP_NS}}}urlset")
    for location, lastmod in entries:
        url = ElementTree.SubElement(urlset, f"{{{SITEMAP_NS}}}url")
        ElementTree.SubElement(url, f"{{{SITEMAP_NS}}}loc").text = location
        if lastmod:
            ElementTree.SubElement(url, f"{{{SITEMAP_NS}}}lastmod").text = lastmod
        for index, language in enumerate(languages):
            href = location if index == 0 else _with_lang(location, language)
            ElementTree.SubElement(
                url,
                f"{{{XHTML_NS}}}link",
                {"rel": "alternate", "hreflang": language, "href": href},
            )
    return ElementTree.tostring(urlset, encoding="utf-8", xml_declaration=True)


def _with_lang(location: str, language: str) -> str:
    return f"{location}{'&' if '?' in location else '?'}lang={language}"


def _cacheable(response: Response) -> Response:
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    return response


@bp.get("/sitemap.xml")
def sitemap_xml():
    root = base_url(from_request=True)
    # Paths without the script root: base_url already names where the site is mounted.
    adapter = current_app.url_map.bind("localhost")
    entries = [
        (root + adapter.build(endpoint, {}), None)
        for endpoint in FIXED_PAGES
        if endpoint in current_app.view_functions
    ]
    entries += [
        (root + adapter.build("catalogue.show_theme", {"slug": slug}), None)
        for slug in sitemap.theme_slugs()
    ]
    entries += [
        (
            root + adapter.build("catalogue.show_series", {"public_id": public_id, "slug": slug}),
            changed_at.date().isoformat(),
        )
        for public_id, slug, changed_at in series_service.public_series_rows()
    ]
    entries += [
        (
            root + adapter.build("catalogue.show_event", {"public_id": public_id, "slug": slug}),
            updated_at.date().isoformat(),
        )
        for public_id, slug, updated_at in sitemap.public_event_rows()
    ]
    languages = tuple(current_app.config["LANGUAGES"])
    body = build_sitemap(entries, languages)
    return _cacheable(Response(body, mimetype="application/xml"))


@bp.get("/robots.txt")
def robots_txt():
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in DISALLOWED), ""]
    path = current_app.url_map.bind("localhost").build("catalogue.sitemap_xml", {})
    lines.append(f"Sitemap: {base_url(from_request=True)}{path}")
    return _cacheable(Response("\n".join(lines) + "\n", mimetype="text/plain"))
