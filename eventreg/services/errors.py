"""The one shape of a broken rule: a message for the person and, when the rule belongs to one
form field, that field's name, so a view can put the message next to the field."""


class RuleError(Exception):
    """A request that breaks a rule of the service. `message` is already translated."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
