"""Two workers racing, with the interleaving forced rather than hoped for on 2 cores."""

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eventreg.extensions import db


@dataclass
class Race:
    first: Any
    second: Any
    # Whether the second worker was done while the first still held its transaction open.
    second_finished_while_held: bool


def race_while_held(
    app, hold: Callable[[], Any], run: Callable[[], Any], *, watch_seconds: float
) -> Race:
    """Run `hold()` in one app context and keep its transaction open; meanwhile run `run()`
    in another and watch for up to `watch_seconds` whether it finishes; then let the first
    commit, and the second after it. Each returns what its call returned; an error in either
    fails the test."""
    claimed, release, second_done = threading.Event(), threading.Event(), threading.Event()
    results: dict = {}

    def first_worker():
        try:
            with app.app_context():
                results["first"] = hold()
                claimed.set()
                release.wait(30)
                db.session.commit()
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported below
            results["first_error"] = error
            claimed.set()

    def second_worker():
        try:
            with app.app_context():
                results["second"] = run()
                db.session.commit()
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported below
            results["second_error"] = error
        finally:
            second_done.set()

    first = threading.Thread(target=first_worker, daemon=True)
    first.start()
    assert claimed.wait(30)
    assert "first_error" not in results, results
    second = threading.Thread(target=second_worker, daemon=True)
    second.start()
    try:
        finished_while_held = second_done.wait(watch_seconds) if watch_seconds else False
    finally:
        release.set()
        first.join(30)
        second.join(30)
    assert "first_error" not in results, results
    assert "second_error" not in results, results
    return Race(results["first"], results["second"], finished_while_held)
