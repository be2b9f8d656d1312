"""Column types shared by the models."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

from ..vocab import TIMEZONE

# The time zone organisers type times in and lists show them in.
LOCAL_TZ = ZoneInfo(TIMEZONE)


class UTCDateTime(TypeDecorator):
    """A timezone-aware datetime stored as UTC.

    SQLite has no time zones, so values are written as naive UTC and given back as aware
    UTC on every database; naive input is refused so local times cannot slip in unnoticed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs a timezone-aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Row ids are 32-bit integer keys: a larger number in a URL or a form names no row, and would
# overflow the database driver.
MAX_ROW_ID = 2**31 - 1


def max_length(attribute) -> int:
    """The longest text a column takes, the one limit forms, imports and services check:
    a String(n)'s n, or for a Text column (no limit in the database) the one the model
    declares in `info={"max_length": …}`."""
    column = attribute.property.columns[0]
    return column.info.get("max_length") or column.type.length


def with_defaults(table, row: dict) -> dict:
    """`row` with the Python-side defaults (`default=`) of `table`'s columns it leaves out
    filled in, as an INSERT through SQLAlchemy would: for a statement that does not fill
    them itself (one with an INSERT in a WITH clause does not)."""
    filled = dict(row)
    for column in table.columns:
        default = column.default
        if column.key in filled or default is None:
            continue
        if default.is_scalar:
            filled[column.key] = default.arg
        elif default.is_callable:
            filled[column.key] = default.arg(None)  # SQLAlchemy's wrapper takes a context
    return filled


def utcnow() -> datetime:
    return datetime.now(UTC)


def utc_to_local(value: datetime) -> datetime:
    """A UTC time as a naive Stockholm wall-clock time, for a datetime-local input."""
    return value.astimezone(LOCAL_TZ).replace(tzinfo=None)
