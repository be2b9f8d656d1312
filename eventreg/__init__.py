"""eventreg: the seminar and lecture registry for Halland."""

from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Application factory: config → extensions → blueprints → CLI → error handlers."""
    from .config import check_production_settings, instance_path, load_config

    app = Flask(
        __name__,
        instance_path=instance_path(ROOT),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    load_config(app, config)
    check_production_settings(app)
    register_extensions(app)
    # After the extensions: the proxy fix wraps the page cache's WSGI layer (pagecache.py),
    # which then sees the client's scheme and address as Flask does.
    register_proxy_fix(app)
    register_blueprints(app)
    register_commands(app)
    register_errorhandlers(app)
    return app


def register_proxy_fix(app: Flask) -> None:
    """Behind PROXY_FIX trusted reverse proxies, take the client's address and the scheme
    from the headers they add, so rate limits count visitors rather than the proxy and links
    built from the request say https. The host stays the Host header the proxy passes on:
    trusting X-Forwarded-Host, which some proxies pass through from the client unchanged,
    would let anyone choose the host of the links in emails."""
    proxies = int(app.config["PROXY_FIX"])
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)


def register_extensions(app: Flask) -> None:
    from . import database, i18n, models  # noqa: F401  (models register their tables)
    from .extensions import csrf, db, migrate

    db.init_app(app)
    database.init_app(app)
    migrate.init_app(
        app, db, directory=str(Path(__file__).parent / "migrations"), render_as_batch=True
    )
    csrf.init_app(app)
    i18n.init_app(app)
    from . import pagecache, request_checks, security, templating

    pagecache.init_app(app)
    templating.init_app(app)
    security.init_app(app)
    request_checks.init_app(app)  # before the blueprints: their routes use its converter
    from . import cors

    cors.init_app(app)
    from .auth import sessions

    sessions.init_app(app)


def register_blueprints(app: Flask) -> None:
    from .catalogue import sitemap  # noqa: F401  (adds sitemap.xml and robots.txt)
    from .catalogue.views import bp as catalogue_bp

    app.register_blueprint(catalogue_bp)
    from .feeds.views import bp as feeds_bp

    app.register_blueprint(feeds_bp)
    from .embed import bp as embed_bp

    app.register_blueprint(embed_bp)
    from .auth import bp as auth_bp

    app.register_blueprint(auth_bp)
    from .organiser import bp as organiser_bp

    app.register_blueprint(organiser_bp)
    from .admin import bp as admin_bp

    app.register_blueprint(admin_bp)
    from .registration.views import bp as registration_bp

    app.register_blueprint(registration_bp)
    from .feedback import bp as feedback_bp

    app.register_blueprint(feedback_bp)
    from .alerts import bp as alerts_bp

    app.register_blueprint(alerts_bp)
    from .health import bp as health_bp

    app.register_blueprint(health_bp)
    from .api import bp as api_bp
    from .api import pages_bp as open_data_bp

    app.register_blueprint(api_bp)
    app.register_blueprint(open_data_bp)


def register_commands(app: Flask) -> None:
    from . import cli

    cli.init_app(app)


def register_errorhandlers(app: Flask) -> None:
    from . import errors

    errors.init_app(app)
