"""The list of target groups, kept by administrators: add, rename, reorder, remove.

Functions flush; the view commits. Every change is written to the audit log.
"""

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..extensions import db
from ..models import TargetGroup, User, event_target_group
from ..models.target_groups import SEED_TARGET_GROUPS
from ..models.types import max_length
from ..text import slugify
from .audit import diff, log_change
from .errors import RuleError

FIELDS = ("slug", "name_sv", "name_en", "position")


class TargetGroupRuleError(RuleError):
    """A change the rules do not allow; `field` names the form field to mark, if any."""


def free_slug(name: str, group: TargetGroup | None = None) -> str:
    """An address name made from the Swedish name ("Nyanlända" → nyanlanda), with a number
    added if another target group has it already."""
    base = slugify(name, max_length(TargetGroup.slug) - 4) or "malgrupp"
    taken = set(db.session.scalars(
        select(TargetGroup.slug).where(TargetGroup.slug.startswith(base, autoescape=True))
    )) - ({group.slug} if group is not None else set())  # fmt: skip
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


def save_target_group(group: TargetGroup | None, values: dict[str, Any], user: User) -> TargetGroup:
    """Create (group=None) or change a target group. The address name (used in filter
    links and feeds) must be free; left empty, it is made from the Swedish name. A new group
    without a position goes last."""
    if not values.get("slug"):
        values = {**values, "slug": free_slug(values["name_sv"], group)}
    clash = db.session.scalar(select(TargetGroup).where(TargetGroup.slug == values["slug"]))
    if clash is not None and clash is not group:
        raise TargetGroupRuleError(
            _("Another target group already uses this address name."), "slug"
        )
    position = values.get("position")
    if position is None:
        position = group.position if group is not None else _next_position()
    values = {**values, "position": position, "name_en": values.get("name_en") or ""}
    created = group is None
    group = group or TargetGroup()
    before = {name: getattr(group, name) for name in FIELDS}
    for name in FIELDS:
        setattr(group, name, values[name])
    db.session.add(group)
    db.session.flush()
    changes = diff(before, {name: getattr(group, name) for name in FIELDS})
    if changes:
        action = "admin.target_group." + ("create" if created else "update")
        log_change(action, group.name_sv, user, changes)
    return group


def _next_position() -> int:
    last = db.session.scalar(select(func.max(TargetGroup.position)))
    return 0 if last is None else last + 1


def event_counts() -> dict[int, int]:
    """How many events (of any status) each target group has; groups without any are left
    out."""
    rows = db.session.execute(
        select(event_target_group.c.target_group_id, func.count()).group_by(
            event_target_group.c.target_group_id
        )
    )
    return dict(rows.all())


def delete_target_group(group: TargetGroup, user: User) -> None:
    """Remove a target group; events keep their other target groups (and their note)."""
    db.session.execute(
        event_target_group.delete().where(event_target_group.c.target_group_id == group.id)
    )
    log_change("admin.target_group.delete", group.name_sv, user, {"slug": [group.slug, None]})
    db.session.delete(group)
    db.session.flush()


def add_missing_seed_target_groups() -> list[TargetGroup]:
    """The seed list's target groups that are missing (by address name), added at the end
    (for demo data on a database whose seed rows were removed)."""
    known = set(db.session.scalars(select(TargetGroup.slug)))
    position = _next_position()
    added = []
    for slug, name_sv, name_en in SEED_TARGET_GROUPS:
        if slug not in known:
            added.append(TargetGroup(slug=slug, name_sv=name_sv, name_en=name_en,
                                     position=position + len(added)))  # fmt: skip
    db.session.add_all(added)
    db.session.flush()
    return added
