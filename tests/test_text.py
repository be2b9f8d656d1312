"""Markdown rendering: CommonMark through one shared parser, sanitised as strictly as ever.

How long rendering takes, whatever is typed, is in tests/test_input_hardening.py."""

import sys
import threading

import nh3
from markdown_it import MarkdownIt

from eventreg import text


def rendered_from_scratch(source: str) -> str:
    """What render_markdown gives from a parser and a sanitiser built for this call only."""
    html = MarkdownIt("commonmark", {"html": False}).render(source)
    return nh3.clean(
        html,
        tags=text.ALLOWED_TAGS,
        attributes=text.ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def document(n: int) -> str:
    """A description using what could carry over from one document to the next inside a
    parser: reference links, typed HTML, lists, code."""
    return (
        f"## Program {n}\n\n"
        f"Läs [mer][ref{n}] och **punkt {n}**.\n\n"
        f"<div>rå html {n}</div><script>alert({n})</script>\n\n"
        f"1. första {n}\n2. andra {n}\n\n"
        f"    kod {n}\n\n"
        f'[ref{n}]: https://example.se/{n} "Titel {n}"\n'
    )


def test_what_an_organiser_writes_becomes_structure():
    source = (
        "## Rubrik\n\n*kursiv* och **fet**, `kod`\n\n> citat\n\n---\n\n"
        "rad ett  \nrad två\n\n- a\n- b\n\n1. c\n2. d\n\n"
        '[länk](https://example.se "Titel") och <https://example.se/auto>'
    )
    assert str(text.render_markdown(source)) == (
        "<h2>Rubrik</h2>\n"
        "<p><em>kursiv</em> och <strong>fet</strong>, <code>kod</code></p>\n"
        "<blockquote>\n<p>citat</p>\n</blockquote>\n<hr>\n"
        "<p>rad ett<br>\nrad två</p>\n"
        "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n"
        "<ol>\n<li>c</li>\n<li>d</li>\n</ol>\n"
        '<p><a href="https://example.se" title="Titel" rel="noopener noreferrer">länk</a> och '
        '<a href="https://example.se/auto" rel="noopener noreferrer">'
        "https://example.se/auto</a></p>\n"
    )
    assert text.markdown_to_text("## Rubrik\n\n**fet** text") == "Rubrik\nfet text"


def test_nothing_typed_becomes_active():
    """Typed HTML is shown as text; unsafe links stay text; images and headings the page
    does not use are dropped by the sanitiser."""
    source = (
        "<script>alert(1)</script> <img src=x onerror=alert(1)>\n\n"
        '<a href="https://example.se" onclick="alert(1)">a</a>\n\n'
        "[x](javascript:alert(1)) [y](data:text/html,1) [z](vbscript:a)\n\n"
        "![bild](https://example.se/b.png)\n\n# Etta"
    )
    html = str(text.render_markdown(source))
    assert "<script" not in html
    assert "<img" not in html
    assert "<a href" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html
    assert 'href="data:' not in html
    assert "<h1>" not in html
    assert "Etta" in html


def test_a_reused_parser_forgets_the_previous_document():
    text.render_markdown("[ref]: https://example.se/gammal\n\n<div>stash</div>")
    assert str(text.render_markdown("[länk][ref]")) == "<p>[länk][ref]</p>\n"
    assert str(text.render_markdown(None)) == ""


def test_rendering_matches_a_fresh_parser_and_sanitiser():
    sources = [
        document(1),
        "[x](javascript:alert(1)) [y](data:text/html,1) [z](mailto:a@example.se)",
        '<a href="https://example.se" onclick="alert(1)" target=_blank>a</a>',
        "<img src=x onerror=alert(1)>\n\n<!-- kommentar -->\n\n> citat\n\n---",
        "* a\n* b\n\n1. c\n2. d",
    ]
    for source in sources:
        assert str(text.render_markdown(source)) == rendered_from_scratch(source), source
        assert (
            text.markdown_to_text(source)
            == nh3.clean(rendered_from_scratch(source), tags=set()).strip()
        )


def test_threads_render_at_once_with_correct_independent_results():
    threads_count, rounds = 8, 40
    expected = {n: rendered_from_scratch(document(n)) for n in range(threads_count)}
    barrier = threading.Barrier(threads_count)
    results: dict[int, list[str]] = {}
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            barrier.wait()
            results[n] = [str(text.render_markdown(document(n))) for _ in range(rounds)]
        except threading.BrokenBarrierError:
            pass  # another thread failed, and said why
        except BaseException as error:  # noqa: BLE001 - reported in the test's thread
            errors.append(error)
            barrier.abort()  # release the others rather than leave them waiting

    # Switch threads as often as possible, so state shared by mistake would be caught
    # mid-document.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=work, args=(n,)) for n in range(threads_count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        sys.setswitchinterval(interval)
    assert not errors, errors
    for n in range(threads_count):
        assert (
            f"Program {n}</h2>" in expected[n]
        )
        assert (
            f'href="https://example.se/{n}"' in expected[n]
        )
        assert "<script>" not in expected[n]
        assert "<div>" not in expected[n]
        wrong = [result for result in results[n] if result != expected[n]]
        assert not wrong, f"thread {n}: {len(wrong)} of {rounds} wrong, e.g. {wrong[0]!r}"
