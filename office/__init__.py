"""Application factory: Flask, SQLAlchemy, Flask-AppBuilder, migrations, views and CLI."""
from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_appbuilder import AppBuilder, IndexView, expose
from flask_appbuilder.api import BaseApi
from flask_babel import lazy_gettext
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from office.kit import errors, i18n, inputs
from office.kit.audit import log as audit
from office.models import db
from office.services import directory, progress

csrf = CSRFProtect()
migrate = Migrate()


class OfficeIndexView(IndexView):
    index_template = "office/index.html"

    @expose("/")
    def index(self):
        # 我的待办 for a township's or a department's user, else 工作看板 for whoever may
        # read it (office/views/todo.py).
        from office.views.todo import landing

        page = landing(self)
        return super().index() if page is None else page


def create_app(config: dict | None = None) -> Flask:
    from config import Config, database_url
    from office import security
    from office.security import ensure_roles, password_validator

    app = Flask(__name__, instance_path=str(Config.INSTANCE_DIR))
    # The embedded database lives here: a new OFFICE_INSTANCE_DIR (a restore drill, a second
    # county on one laptop) must not fail with "unable to open database file".
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_object(Config)
    app.config["FAB_PASSWORD_COMPLEXITY_VALIDATOR"] = password_validator
    app.config.update(config or {})
    # the navbar's and the pages' title, in the UI's language (a msgid like every UI string)
    app.config["APP_NAME"] = lazy_gettext(str(app.config["APP_NAME"]))
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config["PROXY_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    db.init_app(app)
    audit.install(db.session)
    # Every change of a complaint channel raises the directory version, whatever the path
    # (form, grid, import, API, jobs, CLI): one session hook, idempotent like audit's.
    directory.install(db.session)
    # A new progress update moves its task (进行中, its percentage; a done task stays done),
    # whatever the path: the same kind of hook (office/services/progress.py).
    progress.install(db.session)
    migrate.init_app(app, db, directory=str(Config.BASE_DIR / "migrations"))
    # Before AppBuilder: FAB registers none, and without it GET /<view>/delete/<id> deletes.
    csrf.init_app(app)

    with app.app_context():
        appbuilder = AppBuilder(
            app, db.session, indexview=OfficeIndexView, base_template="office/base.html"
        )
        app.appbuilder = appbuilder
        from office.views.menu import register_all

        register_all(appbuilder)
        # FAB's REST API authenticates by JWT, not cookies; its POST/PUT carry no CSRF token.
        # Cross-site pages cannot send JSON or PUT/DELETE without a CORS preflight we never grant.
        for view in appbuilder.baseviews:
            if isinstance(view, BaseApi):
                csrf.exempt(view.blueprint)
        security.install(app)
        errors.install(app)
        i18n.install(app)
        inputs.install(app)
        ensure_roles()

    # Browsers ask for /favicon.ico on pages that name no icon (JSON, files); the layout names
    # the same file (office/templates/office/base.html).
    app.add_url_rule("/favicon.ico", "favicon", lambda: app.send_static_file("favicon.ico"))
    from office.cli import office_cli

    app.cli.add_command(office_cli)
    return app
