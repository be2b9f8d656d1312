"""Demo data for a newcomer's local run: Halland's themes, organisers and events.

Dates are relative to today so the demo always has upcoming (and some past) events.
"""

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, func, select

from .extensions import db
from .models import (
    Event,
    EventSeries,
    EventStatus,
    Organisation,
    OutboxEmail,
    Resource,
    Speaker,
    Theme,
)
from .models.types import LOCAL_TZ
from .text import slugify

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

# Who the demo events are for (by title; target groups' address names).
DEMO_TARGET_GROUPS = {
    "Nyanländas kompetens – en resurs för Hallands arbetsgivare": ["arbetsgivare", "nyanlanda"],
    "Vård på lika villkor: möten med patienter som migrerat": ["halso-och-sjukvard"],
    "Workshop: mångfald i rekrytering för små företag": ["arbetsgivare"],
    "Föreningslivet som mötesplats": ["civilsamhalle", "allmanheten", "nyanlanda"],
    "Vuxenutbildning och sfi som väg till jobb": ["skola", "nyanlanda"],
    "Länsträff: integration och social hållbarhet": ["socialtjanst", "civilsamhalle"],
    "Öppen föreläsning: att komma ny till Halland": ["allmanheten", "nyanlanda"],
    "Samverkanskonferens om barn och unga i nya familjer": ["skola", "socialtjanst"],
}  # fmt: skip

# Events people do not register for here: an open lecture (just come) and a conference
# a partner registers on its own website. (days from today, start hour, hours, title,
# summary, municipality, organisation, theme, mode, external link)
OTHER_REGISTRATION_EVENTS = [
    (10, 18, 2, "Öppen föreläsning: att komma ny till Halland",
     "Föreläsning på stadsbiblioteket, öppen för alla. Ingen anmälan – kom som du är.",
     "halmstad", "halmstads-kommun", "demokrati-och-delaktighet", "none", None),
    (45, 9, 7, "Samverkanskonferens om barn och unga i nya familjer",
     "Länsstyrelsen samordnar dagen; anmälan sker på Länsstyrelsens webbplats.",
     "varberg", "lansstyrelsen-halland", "utbildning-och-sprak", "external",
     "https://www.lansstyrelsen.se/halland"),
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
    return datetime.combine(day, time(hour), tzinfo=LOCAL_TZ)


def load_demo_data(today: date | None = None) -> str:
    """Add the demo themes, resources, organisations and events (caller commits)."""
    today = today or datetime.now(LOCAL_TZ).date()
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
            status=EventStatus.PUBLISHED,
            organisation=organisations[org],
            contact_email=f"integration@{org}.example.se",
            themes=[themes[s] for s in theme_slugs],
            speakers=[Speaker(name="Amina Yusuf", affiliation="Region Halland", position=0),
                      Speaker(name="Erik Johansson", affiliation=organisations[org].name,
                              position=1)],  # fmt: skip
        )
        event.language_codes = langs
        db.session.add(event)
    for row in OTHER_REGISTRATION_EVENTS:
        days, hour, hours, title, summary, municipality, org, theme, mode, link = row
        start = _local(today + timedelta(days=days), hour)
        event = Event(
            title=title, slug=slugify(title), summary=summary, description=DESCRIPTION,
            format="lecture" if mode == "none" else "seminar", start_dt=start,
            end_dt=start + timedelta(hours=hours), venue_name="Stadsbiblioteket",
            address="Storgatan 1", municipality=municipality, status=EventStatus.PUBLISHED,
            organisation=organisations[org], themes=[themes[theme]],
            registration_mode=mode, external_registration_url=link,
            contact_email=f"integration@{org}.example.se",
        )  # fmt: skip
        event.language_codes = ["sv"]
        db.session.add(event)
    _add_demo_target_groups()
    db.session.flush()
    _add_demo_translated_event(today, organisations, themes)
    _add_demo_course(today, organisations, themes)
    _add_demo_series(today, organisations, themes)
    _add_demo_joint_event(today, organisations, themes)
    _add_demo_questions(today, organisations, themes)
    draft_start = _local(today + timedelta(days=70), 10)
    db.session.add(
        Event(title="Utkast: planeringsmöte", slug="utkast-planeringsmote", format="seminar",
              municipality="halmstad", start_dt=draft_start,
              end_dt=draft_start + timedelta(hours=1), status=EventStatus.DRAFT,
              organisation=organisations["region-halland"])  # fmt: skip
    )
    db.session.flush()
    _add_demo_users(organisations["varbergs-kommun"])
    registrations = _add_demo_registrations()
    return (
        f"{len(themes)} themes, {len(organisations)} organisations, "
        f"{db.session.scalar(select(func.count(Event.id)))} events, "
        f"{len(DEMO_USERS) + len(DEMO_CO_ORGANISER_USERS)} users, "
        f"{registrations} registrations"
    )


def _add_demo_target_groups() -> None:
    """The target groups of the demo events, from the list the migration seeded (any seed
    group missing is added first)."""
    from sqlalchemy import select

    from .models import TargetGroup
    from .services.target_groups import add_missing_seed_target_groups

    db.session.flush()
    add_missing_seed_target_groups()
    groups = {group.slug: group for group in db.session.scalars(select(TargetGroup))}
    events = {event.title: event for event in db.session.scalars(select(Event))}
    for title, slugs in DEMO_TARGET_GROUPS.items():
        events[title].target_groups = [groups[slug] for slug in slugs]


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


# Attendees of the demo events: (name, address, organisation, sector, municipality, locale,
# dietary needs, accessibility needs, interpretation language). Addresses are in reserved
# .example domains, so nothing could reach a real person.
DEMO_ATTENDEES = [
    ("Anna Lindqvist", "anna.lindqvist@halmstad.example", "Halmstads kommun", "municipality",
     "halmstad", "sv", "Vegetarisk", "", None),
    ("Mohammed Al-Hassan", "mohammed.al-hassan@regionhalland.example", "Region Halland",
     "region", "halmstad", "sv", "", "", None),
    ("Sara Nilsson", "sara.nilsson@varberg.example", "Varbergs kommun", "municipality",
     "varberg", "sv", "Glutenfri", "", None),
    ("Johan Berg", "johan.berg@arbetsformedlingen.example", "Arbetsförmedlingen",
     "government_agency", "falkenberg", "sv", "", "Rullstol: behöver en plats utan trappsteg",
     None),
    ("Fatima Ahmadi", "fatima.ahmadi@rodakorset.example", "Röda Korset Halland",
     "civil_society", "kungsbacka", "sv", "Halal", "", "prs"),
    ("Erik Svensson", "erik@svenssonsbygg.example", "Svenssons Bygg AB", "business", "laholm",
     "sv", "", "", None),
    ("Leila Haddad", "leila.haddad@mail.example", "", "private_person", "hylte", "en", "", "",
     "ar"),
    ("Karin Johansson", "karin.johansson@kungsbacka.example", "Kungsbacka kommun",
     "municipality", "kungsbacka", "sv", "Laktosfri", "Hörselslinga", None),
    ("Abdi Warsame", "abdi.warsame@sv.example", "Studieförbundet Vuxenskolan", "civil_society",
     "halmstad", "sv", "", "", "so"),
    ("Maria Andersson", "maria.andersson@lansstyrelsen.example", "Länsstyrelsen i Hallands län",
     "government_agency", "halmstad", "sv", "", "", None),
    ("Per Olsson", "per.olsson@falkenberg.example", "Falkenbergs kommun", "municipality",
     "falkenberg", "sv", "", "", None),
    ("Amira Khalil", "amira.khalil@regionhalland.example", "Region Halland", "region",
     "varberg", "sv", "Vegansk", "", None),
    ("Lars Persson", "lars.persson@hylte.example", "Hylte kommun", "municipality", "hylte",
     "sv", "", "", None),
    ("Noor Rahimi", "noor.rahimi@laholm.example", "Laholms kommun", "municipality", "laholm",
     "sv", "", "Synskadad: programmet i förväg, gärna digitalt", None),
    ("Elin Gustafsson", "elin@foretagarna-halland.example", "Företagarna Halland", "business",
     "varberg", "sv", "", "", None),
    ("Yonas Tesfaye", "yonas.tesfaye@mail.example", "", "private_person", "elsewhere", "en",
     "", "", "ti"),
]  # fmt: skip

# Who registers for which demo event (by title; indexes into DEMO_ATTENDEES in order of
# arrival), who cancels, and at past events who did not come. The sfi seminar has 10 seats:
# it is full with a waiting list.
DEMO_REGISTRATIONS = {
    "Nyanländas kompetens – en resurs för Hallands arbetsgivare": (
        [0, 1, 3, 5, 9, 10, 14], [5], []
    ),
    "Vård på lika villkor: möten med patienter som migrerat": ([2, 6, 11, 1, 7], [], []),
    "Webbinarium: uppföljning av integration i Halland": ([1, 9, 12, 13], [], []),
    "Vuxenutbildning och sfi som väg till jobb": (
        [7, 0, 4, 8, 10, 3, 12, 13, 2, 9, 15, 6, 14], [], []
    ),
    "Hälsoskillnader i Halland – vad säger siffrorna?": ([1, 0, 9, 11, 12, 3], [], [12]),
    "Språkcafé som metod": ([2, 6, 11, 4, 8, 14, 15, 7], [], [6, 14]),
    # The joint event: Länsstyrelsen's demo organiser sees these as figures, not names.
    "Etablering i Halland: så samverkar region och länsstyrelse": ([9, 0, 4, 14], [], []),
}  # fmt: skip


def _add_demo_registrations() -> int:
    """Register the demo attendees through the registration service, as the form does, so
    that lists, the waiting list, check-in and statistics have something to show. Attendance
    at past events is taken by an organiser of the event's organisation (the admin where the
    demo has none). No email goes out about any of this: the service queues them, and they
    are removed again, so a newcomer's instance/outbox/ does not fill with demo mail."""
    from sqlalchemy import select

    from .models import User
    from .services import attendees, registrations
    from .services.registrations import AttendeeDetails

    events = {event.title: event for event in db.session.scalars(select(Event))}
    users = {user.email: user for user in db.session.scalars(select(User))}
    admin, varberg_organiser = (users[email] for email, *_ in DEMO_USERS)
    now = datetime.now(UTC)
    created = []
    for title, (people, cancelling, absent) in DEMO_REGISTRATIONS.items():
        event = events[title]
        # People registered over the days before registration closed (or until now).
        last = min(now, event.registration_closes_dt - timedelta(hours=1))
        by_person = {}
        for arrival, person in enumerate(people):
            name, email, organisation, sector, municipality, locale, diet, access, lang = (
                DEMO_ATTENDEES[person]
            )
            details = AttendeeDetails(
                name=name, email=email, organisation=organisation, sector=sector,
                municipality=municipality, dietary_needs=diet, accessibility_needs=access,
                interpretation_language=lang,
            )  # fmt: skip
            registered_dt = last - timedelta(hours=9 * (len(people) - arrival))
            signup = registrations.register(event, details, locale=locale, now=registered_dt)
            by_person[person] = signup.registration
            created.append(signup.registration)
        for person in cancelling:
            registrations.cancel_registration(by_person[person], now=last)
        if event.end_dt < now:
            organiser = varberg_organiser if event.organisation.slug == "varbergs-kommun" else admin
            for person, registration in by_person.items():
                if registration.is_confirmed and person not in absent:
                    attendees.check_in(registration, organiser, now=event.start_dt)
    _forget_emails_about(created)
    return len(created)


def _forget_emails_about(registrations: list) -> None:
    """Remove the emails the registration service queued about these demo registrations:
    a newcomer's instance/outbox/ does not fill with demo mail."""
    ids = [registration.id for registration in registrations]
    db.session.execute(delete(OutboxEmail).where(OutboxEmail.registration_id.in_(ids)))
    db.session.flush()


# The content model's demo events, one function each (filled in by the parts that need them).


TRANSLATED_EVENT_TITLE = "Hälsoinformation för nyanlända: så fungerar vården i Halland"
# (language, title, summary, description): the demo event's text in other languages.
TRANSLATED_EVENT_TEXTS = (
    ("ar", "معلومات صحية للقادمين الجدد: كيف تعمل الرعاية الصحية في هالاند",
     "لقاء باللغة العربية حول الرعاية الصحية في السويد: متى تتصل بالرقم 1177، وكيف تحجز "
     "موعدًا في المركز الصحي، وحقك في الحصول على مترجم.",
     "تدعوك منطقة هالاند إلى لقاء معلومات عن الرعاية الصحية في السويد.\n\n"
     "**سنتحدث عن:**\n\n"
     "- متى تتصل بالرقم 1177 ومتى تذهب إلى الطوارئ\n"
     "- كيف تحجز موعدًا في المركز الصحي\n"
     "- رعاية الأسنان ورعاية الأم والطفل\n"
     "- حقك في مترجم مجاني عند زيارة الطبيب\n\n"
     "يمكنك طرح الأسئلة باللغة العربية. اللقاء مجاني، ويجب التسجيل مسبقًا."),
    ("sv-x-lattlast", "Information om vården i Halland för dig som är ny i Sverige",
     "Vi berättar hur vården fungerar. Du får veta hur du ringer 1177 och hur du får tid "
     "hos en läkare.",
     "Är du ny i Sverige? Vill du veta mer om vården?\n\n"
     "Kom till vårt möte. Vi pratar om:\n\n"
     "- när du ska ringa 1177\n"
     "- hur du får tid på vårdcentralen\n"
     "- tandvård\n"
     "- vård för mammor och barn\n\n"
     "Du har rätt till tolk när du går till läkaren. Tolken kostar inget.\n\n"
     "Det finns tolk till arabiska på mötet. Mötet är gratis. "
     "Du måste anmäla dig innan."),
)  # fmt: skip


def _add_demo_translated_event(today: date, organisations: dict, themes: dict) -> None:
    """An event described in Swedish, Arabic and easy-to-read Swedish."""
    from sqlalchemy import select

    from .models import ContentLanguage, EventTranslation
    from .services.translations import add_missing_seed_languages

    add_missing_seed_languages()
    languages = {language.code: language for language in db.session.scalars(
        select(ContentLanguage))}  # fmt: skip
    start = _local(today + timedelta(days=16), 17)
    event = Event(
        title=TRANSLATED_EVENT_TITLE, slug=slugify(TRANSLATED_EVENT_TITLE), format="lecture",
        summary="En informationsträff om hälso- och sjukvården i Sverige: när du ringer 1177, "
        "hur du bokar tid på vårdcentralen och din rätt till tolk.",
        description="Region Halland bjuder in till en träff om hur hälso- och sjukvården "
        "fungerar i Sverige.\n\n**Vi går igenom:**\n\n"
        "- när du ringer 1177 och när du åker till akuten\n"
        "- hur du bokar tid på vårdcentralen\n"
        "- tandvård, mödra- och barnhälsovård\n"
        "- rätten till kostnadsfri tolk vid vårdbesök\n\n"
        "Det går att ställa frågor på arabiska. Träffen är kostnadsfri; anmäl dig i förväg.",
        audience="Nyanlända i Halland och de som möter dem",
        start_dt=start, end_dt=start + timedelta(hours=2),
        venue_name="Stadsbiblioteket Halmstad", address="Axel Olssons gata 2",
        municipality="halmstad", capacity=40, registration_closes_dt=start - timedelta(days=1),
        step_free_access=True, hearing_loop=True,
        interpretation_available=True, interpretation_note="Tolk till arabiska finns på plats.",
        status=EventStatus.PUBLISHED, organisation=organisations["region-halland"],
        contact_email="integration@region-halland.example.se",
        themes=[themes["jamlik-halsa-och-vard"]],
        translations=[
            EventTranslation(code=code, language=languages[code], title=title, summary=summary,
                             description=description)
            for code, title, summary, description in TRANSLATED_EVENT_TEXTS
        ],
    )  # fmt: skip
    event.language_codes = ["sv", "ar"]
    db.session.add(event)


COURSE_TITLE = "Kort utbildning: Mångfald i rekrytering"


def _add_demo_course(today: date, organisations: dict, themes: dict) -> None:
    """A short course of three sessions under one registration: three afternoons a week
    apart, the last at another venue, with a few people registered."""

    from .models import EventSession
    from .services import registrations
    from .services.registrations import AttendeeDetails

    afternoons = [_local(today + timedelta(days=12 + 7 * week), 13) for week in range(3)]
    event = Event(
        title=COURSE_TITLE, slug=slugify(COURSE_TITLE), format="short_course",
        summary="Tre eftermiddagar för chefer och rekryterare om att rekrytera kompetens "
        "bland nyanlända och utrikes födda: en plats för hela utbildningen.",
        description=DESCRIPTION, audience="Chefer, HR och rekryterare",
        start_dt=afternoons[0], end_dt=afternoons[-1] + timedelta(hours=3),
        venue_name="Kungsbacka stadshus", address="Stadshusplatsen 1",
        municipality="kungsbacka", capacity=25,
        registration_closes_dt=afternoons[0] - timedelta(days=2),
        step_free_access=True, hearing_loop=True,
        status=EventStatus.PUBLISHED, organisation=organisations["kungsbacka-kommun"],
        themes=[themes["mangfald-i-rekrytering"], themes["arbete-och-kompetensforsorjning"]],
        sessions=[
            EventSession(position=1, start_dt=afternoons[0],
                         end_dt=afternoons[0] + timedelta(hours=3),
                         note="Fördomar och kompetens: vad säger forskningen?"),
            EventSession(position=2, start_dt=afternoons[1],
                         end_dt=afternoons[1] + timedelta(hours=3),
                         note="Annonsen och intervjun: övningar i par."),
            EventSession(position=3, start_dt=afternoons[2],
                         end_dt=afternoons[2] + timedelta(hours=3),
                         venue_name="Arbetsförmedlingen Kungsbacka",
                         address="Storgatan 39",
                         note="Studiebesök och erfarenheter från arbetsgivare."),
        ],
    )  # fmt: skip
    event.language_codes = ["sv"]
    db.session.add(event)
    db.session.flush()
    created = []
    for arrival, person in enumerate((0, 2, 5, 9)):
        name, email, organisation, sector, municipality, locale, *_rest = DEMO_ATTENDEES[person]
        details = AttendeeDetails(name=name, email=email, organisation=organisation,
                                  sector=sector, municipality=municipality)  # fmt: skip
        registered_dt = datetime.now(UTC) - timedelta(hours=30 * (4 - arrival))
        created.append(
            registrations.register(event, details, locale=locale, now=registered_dt).registration
        )
    _forget_emails_about(created)


def _add_demo_series(today: date, organisations: dict, themes: dict) -> None:
    """A lecture series with past and coming parts."""
    series = EventSeries(
        title="Föreläsningsserie: Jämlik hälsa, våren",
        slug=slugify("Föreläsningsserie: Jämlik hälsa, våren"),
        description="Fyra föreläsningar under terminen om hälsa på lika villkor för alla som "
        "bor i Halland, oavsett om man är född här eller nyanländ.\n\n"
        "Kom till en eller alla: varje föreläsning står på egen hand.",
        organisation=organisations["region-halland"],
    )
    lectures = (
        (-14, "Hälsa och migration: vad vet vi?"),
        (7, "Vårdens tillgänglighet för nyanlända"),
        (21, "Psykisk hälsa efter flykt"),
        (35, "Tolk i vården: rätt och praktik"),
    )
    for days, title in lectures:
        start = _local(today + timedelta(days=days), 13)
        event = Event(
            title=title, slug=slugify(title),
            summary="En del av föreläsningsserien om jämlik hälsa.",
            description=DESCRIPTION, format="lecture", start_dt=start,
            end_dt=start + timedelta(hours=1, minutes=30), venue_name="Regionens hus",
            address="Södra vägen 9", municipality="halmstad", capacity=80,
            status=EventStatus.PUBLISHED, organisation=organisations["region-halland"],
            themes=[themes["jamlik-halsa-och-vard"]], series=series,
            contact_email="folkhalsa@region-halland.example.se",
        )  # fmt: skip
        event.language_codes = ["sv"]
        db.session.add(event)
    db.session.flush()


JOINT_EVENT_TITLE = "Etablering i Halland: så samverkar region och länsstyrelse"
# An organiser of the co-organising organisation, to see the joint event read only (for a
# local demo only: the password is public).
DEMO_CO_ORGANISER_USERS = [
    ("organiser@lansstyrelsen.example", "Demo Organiser (Länsstyrelsen i Hallands län)",
     "demo-organiser-password", False),
]  # fmt: skip


def _add_demo_joint_event(today: date, organisations: dict, themes: dict) -> None:
    """An event of Region Halland with Länsstyrelsen as co-organiser, and an organiser of
    Länsstyrelsen who sees it (and its figures) but cannot edit it."""
    from .models import Membership, User

    start = _local(today + timedelta(days=24), 9)
    event = Event(
        title=JOINT_EVENT_TITLE, slug=slugify(JOINT_EVENT_TITLE), format="seminar",
        summary="Region Halland och Länsstyrelsen berättar om hur de tillsammans med "
        "kommunerna stöttar nyanlända på vägen till arbete och utbildning.",
        description=DESCRIPTION, start_dt=start, end_dt=start + timedelta(hours=3),
        venue_name="Länsstyrelsens hus", address="Slottsgatan 2", municipality="halmstad",
        capacity=60, registration_closes_dt=start - timedelta(days=2),
        step_free_access=True, hearing_loop=True,
        status=EventStatus.PUBLISHED, organisation=organisations["region-halland"],
        co_organisers=[organisations["lansstyrelsen-halland"]],
        contact_email="integration@region-halland.example.se",
        themes=[themes["arbete-och-kompetensforsorjning"]],
        speakers=[Speaker(name="Amina Yusuf", affiliation="Region Halland", position=0),
                  Speaker(name="Maria Andersson", affiliation="Länsstyrelsen i Hallands län",
                          position=1)],
    )  # fmt: skip
    event.language_codes = ["sv"]
    db.session.add(event)
    for email, name, password, is_admin in DEMO_CO_ORGANISER_USERS:
        user = User(email=email, name=name, is_admin=is_admin)
        user.set_password(password)
        user.memberships.append(Membership(organisation=organisations["lansstyrelsen-halland"]))
        db.session.add(user)
    db.session.flush()


def _add_demo_questions(today: date, organisations: dict, themes: dict) -> None:
    """An event whose registration form asks a few questions of its own."""

    from .models import RegistrationQuestion
    from .services import registrations
    from .services.registrations import AttendeeDetails

    start = _local(today + timedelta(days=38), 13)
    title = "Samverkan kring nyanländas hälsa – arbetsmöte"
    event = Event(
        title=title, slug=slugify(title), format="workshop",
        summary="Ett arbetsmöte för er som möter nyanlända i vården, skolan och socialtjänsten.",
        description=DESCRIPTION, start_dt=start, end_dt=start + timedelta(hours=3),
        venue_name="Regionens hus", address="Slottsgatan 2", municipality="halmstad",
        capacity=40, registration_closes_dt=start - timedelta(days=2),
        status=EventStatus.PUBLISHED, organisation=organisations["region-halland"],
        contact_email="integration@region-halland.example.se",
        themes=[themes["jamlik-halsa-och-vard"]],
    )  # fmt: skip
    event.language_codes = ["sv"]
    db.session.add(event)
    db.session.flush()
    asked = [
        RegistrationQuestion(
            event_id=event.id, position=0, kind="choice", is_required=True,
            label="Vilken verksamhet arbetar du i?",
            choices="Hälso- och sjukvård\nSkola\nSocialtjänst\nAnnat",
        ),
        RegistrationQuestion(
            event_id=event.id, position=1, kind="yes_no", label="Vill du ha intyg?",
            help_text="Intyget skickas med e-post efter arbetsmötet.", choices="",
        ),
        RegistrationQuestion(
            event_id=event.id, position=2, kind="text", label="Något du vill att vi tar upp?",
            choices="",
        ),
    ]  # fmt: skip
    db.session.add_all(asked)
    db.session.flush()
    choice, certificate, topic = (question.id for question in asked)
    answered = [
        (0, {choice: "Socialtjänst", certificate: "yes"}),
        (1, {choice: "Hälso- och sjukvård", certificate: "no",
             topic: "Tolkning vid första besöket"}),
        (2, {choice: "Skola", certificate: "yes"}),
        (6, {choice: "Hälso- och sjukvård"}),
    ]  # fmt: skip
    created = []
    for arrival, (person, answers) in enumerate(answered):
        name, email, organisation, sector, municipality, locale, *_rest = DEMO_ATTENDEES[person]
        details = AttendeeDetails(
            name=name, email=email, organisation=organisation, sector=sector,
            municipality=municipality, answers=answers,
        )  # fmt: skip
        registered_dt = datetime.now(UTC) - timedelta(hours=20 * (len(answered) - arrival))
        created.append(
            registrations.register(event, details, locale=locale, now=registered_dt).registration
        )
    _forget_emails_about(created)
