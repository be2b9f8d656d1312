""" "Show on your website": an organiser picks which events (organisation, theme,
municipality), how many and in which language, and gets the iframe code for the embeddable
list, the Atom and calendar feed addresses and the API address, with a preview. A GET form:
choosing changes nothing, and the page's address can be shared with a web editor."""

from flask import current_app, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import IntegerField, SelectChoice, SelectField
from wtforms.validators import NumberRange, Optional

from .. import vocab
from ..embed.forms import DEFAULT_COUNT
from ..feeds.views import ATOM, FEED_ENDPOINTS, ICAL
from ..mail.links import base_url
from ..services import embedding
from ..services.catalogue import all_organisations, all_themes
from . import bp
from .access import managed_organisations

# The height the iframe starts at; embed.js then fits it to the list.
IFRAME_HEIGHT = 400


class ShowOnWebsiteForm(FlaskForm):
    class Meta:
        csrf = False  # GET: building code changes nothing

    arrangor = SelectField(_l("Organiser"), validators=[Optional()])
    tema = SelectField(_l("Theme"), validators=[Optional()])
    kommun = SelectField(_l("Municipality"), validators=[Optional()])
    antal = IntegerField(_l("Number of events"), validators=[Optional()])
    # Not `lang`, which is the page's own language (i18n.LOCALE_PARAM).
    sprak = SelectField(
        _l("Language of the list"),
        choices=[SelectChoice("sv", "Svenska"), SelectChoice("en", "English")],
        validators=[Optional()],
    )
    rubrik = SelectField(
        _l("Heading"),
        choices=[SelectChoice("1", _l("Show")), SelectChoice("0", _l("Hide"))],
        validators=[Optional()],
    )

    def __init__(self, organisations, formdata: MultiDict | None = None, **kwargs):
        """`organisations`: the user's own; the first is chosen on a first visit (no
        `formdata`)."""
        super().__init__(formdata=formdata or None, **kwargs)
        self.arrangor.choices = [SelectChoice("", _l("All organisations"))] + [
            SelectChoice(o.slug, o.name) for o in all_organisations()
        ]
        self.tema.choices = [SelectChoice("", _l("All themes"))] + [
            SelectChoice(t.slug, t.name) for t in all_themes()
        ]
        self.kommun.choices = [SelectChoice("", _l("All municipalities"))] + vocab.choices(
            vocab.MUNICIPALITIES
        )
        self.antal.validators = [
            Optional(),
            NumberRange(min=1, max=current_app.config["EMBED_MAX_EVENTS"]),
        ]
        if not formdata:
            self.arrangor.data = organisations[0].slug if organisations else ""
            self.antal.data = DEFAULT_COUNT
            self.sprak.data = "sv"
            self.rubrik.data = "1"

    def embed_args(self) -> dict[str, str]:
        """The embed's parameters: the chosen ones, without defaults."""
        args = {
            "tema": self.tema.data,
            "kommun": self.kommun.data,
            "arrangor": self.arrangor.data,
            "antal": str(self.antal.data) if self.antal.data not in (None, DEFAULT_COUNT) else "",
            "lang": self.sprak.data if self.sprak.data == "en" else "",
            "rubrik": "0" if self.rubrik.data == "0" else "",
        }
        return {key: value for key, value in args.items() if value}


def _feed_path(kind: str, args: dict[str, str]) -> str:
    """The feed of the chosen events: one theme's, municipality's or organisation's own feed
    when only that is chosen (shared and cached with everyone else's), else the filtered
    list's."""
    endpoints = FEED_ENDPOINTS[kind]
    lang = {"lang": args["lang"]} if "lang" in args else {}
    chosen = {key: value for key, value in args.items() if key in ("tema", "kommun", "arrangor")}
    if len(chosen) == 1:
        ((key, value),) = chosen.items()
        endpoint, name = endpoints[key]
        return url_for(endpoint, **{name: value}, **lang)
    return url_for(endpoints[""][0], **chosen, **lang)


def _absolute(path: str) -> str:
    return base_url(from_request=True) + path.removeprefix(request.script_root)


@bp.get("/visa-pa-webbplats")
def show_on_website():
    form = ShowOnWebsiteForm(managed_organisations(current_user), request.args)
    if not form.validate():
        return render_template("organiser/show_on_website.html", form=form, links=None), 400
    args = form.embed_args()
    embed_path = url_for("embed.events", **args)
    links = {
        "embed": _absolute(embed_path),
        "script": _absolute(url_for("static", filename="js/embed.js")),
        "atom": _absolute(_feed_path(ATOM, args)),
        "ical": _absolute(_feed_path(ICAL, args)),
    }
    if "api.list_events" in current_app.view_functions:  # the open API
        api_keys = ("tema", "kommun", "arrangor", "lang")  # the API takes the list's filters
        api_args = {key: value for key, value in args.items() if key in api_keys}
        links["api"] = _absolute(url_for("api.list_events", **api_args))
    chosen = [form.arrangor.data] if form.arrangor.data else []
    return render_template(
        "organiser/show_on_website.html",
        form=form,
        links=links,
        preview_path=embed_path,
        iframe_height=IFRAME_HEIGHT,
        allowed_origins=embedding.frame_ancestors(tuple(chosen)),
    )
