"""Forms of logging in and choosing a password, and the strong-password check that the
administration's account form uses too. Labels are lazily translated."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from .accounts import is_strong_password


class LoginForm(FlaskForm):
    email = EmailField(
        _l("Email address"),
        validators=[DataRequired(_l("Enter your email address.")), Length(max=254)],
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(_l("Enter your password.")), Length(max=200)]
    )
    next = HiddenField()


class PasswordResetRequestForm(FlaskForm):
    email = EmailField(
        _l("Email address"),
        validators=[
            DataRequired(_l("Enter your email address.")),
            Email(_l("Enter an email address like name@example.se.")),
            Length(max=254),
        ],
    )


class StrongPassword:
    """An organiser's or administrator's new password must be hard to guess, not only long
    (accounts.is_strong_password), also against the form's own email and name fields."""

    message = _l(
        "This password is too easy to guess. Use a few unrelated words together, and avoid "
        "names, dates, common words and keyboard patterns."
    )

    def __call__(self, form, field) -> None:
        if not field.data or field.errors:  # empty (optional) or already refused
            return
        own = [getattr(form, name).data for name in ("email", "name") if hasattr(form, name)]
        if not is_strong_password(field.data, own):
            raise ValidationError(self.message)


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(_l("Enter a new password.")),
            Length(min=12, max=200, message=_l("Use 12 to 200 characters.")),
            StrongPassword(),
        ],
    )
    password_again = PasswordField(
        _l("New password again"),
        validators=[EqualTo("password", _l("The passwords differ."))],
    )


class LogoutForm(FlaskForm):
    """Only the CSRF token: logging out is a POST so another site cannot do it for you."""
