"""Markdown rendering: one parser per thread, reused, and sanitised as strictly as ever."""

import sys
import threading

import markdown
import nh3

from eventreg import text


def rendered_from_scratch(source: str) -> str:
    """What render_markdown gave when it built a new parser and sanitiser for every call."""
    html = markdown.markdown(source, extensions=["sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=text.ALLOWED_TAGS,
        attributes=text.ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def document(n: int) -> str:
    """A description using what carries state inside a parser between the start and the
    end of a conversion: reference links, raw HTML (stashed), lists, code."""
    return (
        f"## Program {n}\n\n"
        f"Läs [mer][ref{n}] och **punkt {n}**.\n\n"
        f"<div>rå html {n}</div><script>alert({n})</script>\n\n"
        f"1. första {n}\n2. andra {n}\n\n"
        f"    kod {n}\n\n"
        f'[ref{n}]: https://example.se/{n} "Titel {n}"\n'
    )


def test_a_reused_parser_forgets_the_previous_document():
    text.render_markdown("[ref]: https://example.se/gammal\n\n<div>stash</div>")
    assert str(text.render_markdown("[länk][ref]")) == "<p>[länk][ref]</p>"
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
    parsers: dict[int, int] = {}
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            barrier.wait()
            parsers[n] = id(text._parser())
            results[n] = [str(text.render_markdown(document(n))) for _ in range(rounds)]
            barrier.wait()  # all alive until every thread has rendered: ids stay distinct
        except threading.BrokenBarrierError:
            pass  # another thread failed, and said why
        except BaseException as error:  # noqa: BLE001 - reported in the test's thread
            errors.append(error)
            barrier.abort()  # release the others rather than leave them waiting

    # Switch threads as often as possible, so a shared parser would be caught mid-document.
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
            f"Program {n}</h2>" in expected[n] and f'href="https://example.se/{n}"' in expected[n]
        )
        assert "<script>" not in expected[n] and "<div>" not in expected[n]
        wrong = [result for result in results[n] if result != expected[n]]
        assert not wrong, f"thread {n}: {len(wrong)} of {rounds} wrong, e.g. {wrong[0]!r}"
    assert len(set(parsers.values())) == threads_count  # one parser per thread
