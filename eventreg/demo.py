"""Demo data for a newcomer's local run: Halland's themes, organisers and events.

Dates are relative to today so the demo always has upcoming (and some past) events.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .extensions import db
from .models import Event, Organisation, Resource, Speaker, Theme
from .text import slugify
from .vocab import TIMEZONE

LOCAL = ZoneInfo(TIMEZONE)

THEMES = [
    ("arbete-och-kompetensforsorjning", "Arbete och kompetensförsörjning",
     "Labour market and skills supply",
     "Hur nyanländas och utrikes föddas kompetens tas tillvara och matchas mot arbetsmarknadens "
     "behov, och hur arbetsmarknadsanpassad utbildning leder till långsiktiga jobb.",
     "How the skills of newcomers and people born abroad are used and matched to the needs of "
     "the labour market, and how labour-market training leads to lasting jobs."),
    ("jamlik-halsa-och-vard", "Jämlik hälsa och vård", "Equal health and care",
     "En god och jämlik hälsa för hela befolkningen och en vård på lika villkor, oavsett vem "
     "du är och var du kommer ifrån.",
     "Good and equal health for the whole population and care on equal terms, whoever you are "
     "and wherever you come from."),
    ("utbildning-och-sprak", "Utbildning och språk", "Education and language",
     "Skola, vuxenutbildning och svenska för invandrare som vägar in i samhället.",
     "School, adult education and Swedish for immigrants as ways into society."),
    ("kultur-och-fritid", "Kultur och fritid", "Culture and leisure",
     "Deltagande i bildnings-, fritids- och kulturaktiviteter som en del av ett inkluderande "
     "Halland.",
     "Taking part in education, leisure and cultural activities as part of an inclusive "
     "Halland."),
    ("demokrati-och-delaktighet", "Demokrati och delaktighet", "Democracy and participation",
     "Delaktighet i det politiska livet och i civilsamhället.",
     "Participation in political life and in civil society."),
    ("mangfald-i-rekrytering", "Mångfald i rekrytering", "Diversity in recruitment",
     "Offentliga och privata arbetsgivare som förebilder för mångfald när de rekryterar.",
     "Public and private employers as role models for diversity when they recruit."),
    ("uppfoljning-av-integration", "Uppföljning av integration", "Follow-up of integration",
     "Systematisk uppföljning av integration och inkludering i Halland som komplement till "
     "uppföljningen av hela befolkningens hälsa.",
     "Systematic follow-up of integration and inclusion in Halland, complementing the "
     "follow-up of the whole population's health."),
]  # fmt: skip

ORGANISATIONS = [
    ("region-halland", "Region Halland", "https://www.regionhalland.se/"),
    ("lansstyrelsen-halland", "Länsstyrelsen i Hallands län", "https://www.lansstyrelsen.se/halland"),
    ("halmstads-kommun", "Halmstads kommun", "https://www.halmstad.se/"),
    ("kungsbacka-kommun", "Kungsbacka kommun", "https://www.kungsbacka.se/"),
    ("varbergs-kommun", "Varbergs kommun", "https://kommun.varberg.se/"),
    ("falkenbergs-kommun", "Falkenbergs kommun", "https://kommun.falkenberg.se/"),
    ("laholms-kommun", "Laholms kommun", "https://www.laholm.se/"),
    ("hylte-kommun", "Hylte kommun", "https://www.hylte.se/"),
]

# (days from today, start hour, hours, title, summary, format, municipality, org, themes,
#  languages, capacity)
EVENTS = [
    (7, 9, 3, "Nyanländas kompetens – en resurs för Hallands arbetsgivare",
     "Hur matchar vi nyanländas kompetens mot de branscher som saknar arbetskraft?",
     "seminar", "halmstad", "region-halland", ["arbete-och-kompetensforsorjning"], ["sv"], 80),
    (12, 13, 2, "Vård på lika villkor: möten med patienter som migrerat",
     "Föreläsning om hälsa, vård och bemötande för personal i hälso- och sjukvården.",
     "lecture", "varberg", "varbergs-kommun", ["jamlik-halsa-och-vard"], ["sv", "ar"], 40),
    (15, 10, 2, "Webbinarium: uppföljning av integration i Halland",
     "Region Halland presenterar årets uppföljning och hur kommunerna kan använda den.",
     "webinar", "online", "region-halland", ["uppfoljning-av-integration"], ["sv"], None),
    (21, 9, 6, "Workshop: mångfald i rekrytering för små företag",
     "Praktiska verktyg för kompetensbaserad rekrytering.",
     "workshop", "falkenberg", "falkenbergs-kommun",
     ["mangfald-i-rekrytering", "arbete-och-kompetensforsorjning"], ["sv", "en"], 25),
    (28, 18, 2, "Föreningslivet som mötesplats",
     "Om kultur, idrott och föreningar som vägar till gemenskap.",
     "lecture", "laholm", "laholms-kommun", ["kultur-och-fritid", "demokrati-och-delaktighet"],
     ["sv", "so", "ti"], 60),
    (35, 9, 3, "Vuxenutbildning och sfi som väg till jobb",
     "Kommunernas vuxenutbildning berättar om yrkesspår med språkstöd.",
     "seminar", "kungsbacka", "kungsbacka-kommun",
     ["utbildning-och-sprak", "arbete-och-kompetensforsorjning"], ["sv"], 10),
    (42, 13, 3, "Demokratidag: ungas delaktighet i Hylte",
     "Samtal med unga om inflytande, val och civilsamhälle.",
     "seminar", "hylte", "hylte-kommun", ["demokrati-och-delaktighet"], ["sv", "prs", "ar"], 50),
    (56, 9, 4, "Länsträff: integration och social hållbarhet",
     "Länsstyrelsens årliga träff för kommuner, region och idéburna organisationer.",
     "seminar", "halmstad", "lansstyrelsen-halland",
     ["uppfoljning-av-integration", "demokrati-och-delaktighet"], ["sv"], 120),
    (-30, 9, 3, "Hälsoskillnader i Halland – vad säger siffrorna?",
     "Genomgång av folkhälsodata med ett integrationsperspektiv.",
     "lecture", "halmstad", "region-halland",
     ["jamlik-halsa-och-vard", "uppfoljning-av-integration"], ["sv"], 70),
    (-60, 13, 2, "Språkcafé som metod",
     "Erfarenheter från bibliotekens språkcaféer i länet.",
     "workshop", "varberg", "varbergs-kommun", ["utbildning-och-sprak", "kultur-och-fritid"],
     ["sv", "ar", "ti"], 30),
]  # fmt: skip

DESCRIPTION = """Halland har under de senaste åren haft en historiskt stor invandring, vilket \
innebär både möjligheter och utmaningar. Det här tillfället ger kunskap och verktyg för ett \
inkluderande samhälle.

**Program**

- Inledning och bakgrund
- Föreläsning och exempel från länet
- Samtal och frågor

Läs mer om [Region Hallands arbete med integration](https://www.regionhalland.se/)."""

RESOURCES = {
    "arbete-och-kompetensforsorjning": [
        ("recording", "Inspelad föreläsning: validering av yrkeskompetens",
         "https://www.regionhalland.se/", "Hur validering kortar vägen till jobb.", "sv"),
        ("reading", "Arbetsförmedlingen: etableringsprogrammet",
         "https://arbetsformedlingen.se/", "Om etableringsprogrammet för nyanlända.", "sv"),
    ],
    "jamlik-halsa-och-vard": [
        ("course", "Kort utbildning: hälsa och migration",
         "https://www.1177.se/", "En timmes webbkurs om hälsa efter migration.", "sv"),
        ("reading", "Health and migration (WHO Europe)",
         "https://www.who.int/europe", "Background reading in English.", "en"),
    ],
    "uppfoljning-av-integration": [
        ("reading", "Tillväxtstrategi för Halland", "https://www.regionhalland.se/",
         "Strategiskt val: insatser som utjämnar hälsoskillnader.", "sv"),
    ],
}  # fmt: skip


def _local(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LOCAL)


def load_demo_data(today: date | None = None) -> str:
    """Add the demo themes, resources, organisations and events (caller commits)."""
    today = today or date.today()
    themes = {}
    for position, (slug, name_sv, name_en, desc_sv, desc_en) in enumerate(THEMES):
        themes[slug] = Theme(
            slug=slug, name_sv=name_sv, name_en=name_en,
            description_sv=desc_sv, description_en=desc_en, position=position,
        )  # fmt: skip
        for rpos, (kind, title, url, desc, lang) in enumerate(RESOURCES.get(slug, [])):
            themes[slug].resources.append(
                Resource(kind=kind, title=title, url=url, description=desc, language=lang,
                         position=rpos)  # fmt: skip
            )
    organisations = {
        slug: Organisation(slug=slug, name=name, website=url)
        for slug, name, url in ORGANISATIONS
    }
    db.session.add_all([*themes.values(), *organisations.values()])

    for row in EVENTS:
        days, hour, hours, title, summary, fmt, municipality, org, theme_slugs, langs, cap = row
        day = today + timedelta(days=days)
        start = _local(day, hour)
        online = municipality == "online"
        event = Event(
            title=title,
            slug=slugify(title),
            summary=summary,
            description=DESCRIPTION,
            format=fmt,
            audience="Kommuner, region, statliga myndigheter, idéburna organisationer och "
            "arbetsgivare i Halland",
            start_dt=start,
            end_dt=start + timedelta(hours=hours),
            venue_name="" if online else f"Stadsbiblioteket {municipality.title()}",
            address="" if online else "Storgatan 1",
            municipality=municipality,
            online_url="https://meet.example.se/halland" if online else None,
            step_free_access=not online,
            hearing_loop=not online and days % 2 == 0,
            sign_language_interpretation=days % 3 == 0,
            interpretation_available=len(langs) > 1,
            capacity=cap,
            registration_closes_dt=start - timedelta(days=1),
            status="published",
            organisation=organisations[org],
            contact_email=f"integration@{org}.example.se",
            themes=[themes[s] for s in theme_slugs],
            speakers=[Speaker(name="Amina Yusuf", affiliation="Region Halland", position=0),
                      Speaker(name="Erik Johansson", affiliation=organisations[org].name,
                              position=1)],  # fmt: skip
        )
        event.language_codes = langs
        db.session.add(event)
    draft_start = _local(today + timedelta(days=70), 10)
    db.session.add(
        Event(title="Utkast: planeringsmöte", slug="utkast-planeringsmote", format="seminar",
              municipality="halmstad", start_dt=draft_start,
              end_dt=draft_start + timedelta(hours=1), status="draft",
              organisation=organisations["region-halland"])  # fmt: skip
    )
    db.session.flush()
    _add_demo_users(organisations["varbergs-kommun"])
    return (
        f"{len(themes)} themes, {len(organisations)} organisations, {len(EVENTS) + 1} events, "
        f"{len(DEMO_USERS)} users"
    )


# For a local demo only: these passwords are public. Never load demo data in production.
DEMO_USERS = [
    ("admin@eventreg.example", "Demo Admin", "demo-admin-password", True),
    ("organiser@varberg.example", "Demo Organiser (Varbergs kommun)", "demo-organiser-password",
     False),
]  # fmt: skip


def _add_demo_users(varberg: Organisation) -> None:
    from .models import Membership, User

    for email, name, password, is_admin in DEMO_USERS:
        user = User(email=email, name=name, is_admin=is_admin)
        user.set_password(password)
        if not is_admin:
            user.memberships.append(Membership(organisation=varberg))
        db.session.add(user)
    db.session.flush()
