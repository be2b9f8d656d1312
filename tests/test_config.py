"""Every setting has its default in one place, config.Defaults: the code reads settings with
`config["KEY"]` and never supplies a default of its own, and nothing outside config.py reads
the environment."""

import re
from pathlib import Path

from flask import Flask

import eventreg
from eventreg.config import Defaults

PACKAGE = Path(eventreg.__file__).parent
TEMPLATES = PACKAGE.parent / "templates"
# config["KEY"] (not assigned to), config.get("KEY"), config.setdefault("KEY", …) in code;
# config.KEY in templates.
READ = re.compile(
    r"""config(?:\[\s*["']([A-Z][A-Z0-9_]*)["']\](?!\s*=[^=])"""
    r"""|(?:\.get|\.setdefault)\(\s*["']([A-Z][A-Z0-9_]*)["'])"""
)
TEMPLATE_READ = re.compile(r"""\bconfig(?:\.([A-Z][A-Z0-9_]*)|\[["']([A-Z][A-Z0-9_]*)["'])""")
# A default in the code: config.get("KEY", default) or config.setdefault("KEY", default).
DEFAULT_ELSEWHERE = re.compile(r"""config\.(?:get|setdefault)\(\s*["'][A-Z0-9_]+["']\s*,""")


def _sources() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts]


def _declared() -> set[str]:
    # Flask's and its extensions' own settings (SECRET_KEY, TRUSTED_HOSTS …) have theirs.
    return {name for name in dir(Defaults) if name.isupper()} | set(Flask.default_config)


def test_every_setting_the_code_reads_has_its_default_in_config_defaults():
    read: dict[str, str] = {}
    for path in _sources():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in READ.finditer(line):
                key = match[1] or match[2]
                read.setdefault(key, f"{path.relative_to(PACKAGE.parent)}:{number}")
    for path in TEMPLATES.rglob("*.html"):
        for match in TEMPLATE_READ.finditer(path.read_text(encoding="utf-8")):
            read.setdefault(match[1] or match[2], str(path.relative_to(TEMPLATES.parent)))
    assert "MAIL_TIMEOUT" in read  # the scan finds what it looks for
    missing = {key: where for key, where in read.items() if key not in _declared()}
    assert not missing, f"settings without a default in Defaults: {missing}"


def test_no_code_outside_config_gives_a_setting_a_default():
    found = []
    for path in _sources():
        if path.name == "config.py" and path.parent == PACKAGE:
            continue
        text = path.read_text(encoding="utf-8")
        for number, line in enumerate(text.splitlines(), 1):
            if DEFAULT_ELSEWHERE.search(line) or re.search(r"\bapp\.testing\b", line):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}")
    assert not found, "defaults outside config.Defaults:\n" + "\n".join(found)


def test_only_config_reads_the_environment():
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{number}"
        for path in _sources()
        if not (path.name == "config.py" and path.parent == PACKAGE)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\bos\.environ\b|\bgetenv\(", line)
    ]
    assert not found, f"environment read outside config.py: {found}"
