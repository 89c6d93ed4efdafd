"""The platform's pages: sign-in, passwords, profile, language, office settings."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required, login_user, logout_user

from lms import accounts, sessions
from lms.audit import trail
from lms.extensions import db, limiter
from lms.forms import (
    ChangePasswordForm,
    ContactsForm,
    ForgotPasswordForm,
    LanguageForm,
    LoginForm,
    ProfileForm,
    SetPasswordForm,
)
from lms.models import Role
from lms.navigation import landing_endpoint, visitors_page
from lms.office_settings import office_contacts, save_office_contacts
from lms.permissions import require_role, university_wide
from lms.security import is_safe_next
from lms.two_factor import authenticator
from lms.two_factor import views as two_factor_views

bp = Blueprint("lms", __name__)


def _login_limit() -> str:
    return current_app.config["ADAL_LOGIN_LIMIT"]


def _submitted_email() -> str:
    """Rate-limit key: the address typed in the form, so many machines cannot share one budget."""
    return "email:" + (request.form.get("email") or "").strip().lower()[:254]


@bp.app_context_processor
def inject_layout():
    """What every page's header and footer (and every e-mail's footer) need.

    Nothing here may read the request's body: the 413 page is rendered with this too.
    """
    return {"office": office_contacts(db.session)}


@bp.route("/")
def index():
    """Send people where their work is: the office to its dashboard, learners to their learning; visitors
    see the visitors' page a feature offers (the public page), else the sign-in page."""
    if not current_user.is_authenticated:
        page = visitors_page()
        if page is not None:
            return current_app.view_functions[page]()
        return redirect(url_for("lms.login"))
    endpoint = landing_endpoint()
    if endpoint is not None:
        return redirect(url_for(endpoint))
    return render_template("lms/home.html")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_submitted_email)
def login():
    """Sign in; failures are audited and the form is rate-limited per address."""
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(db.session, form.email.data, form.password.data)
        if user is None:
            trail.record(db.session, "auth.login_failed", details={"email": form.email.data.strip().lower()[:254]})
            db.session.commit()
            flash(_("Wrong e-mail or password."), "danger")
        elif authenticator.enrolled(db.session, user):  # not signed in until the code is right too
            return two_factor_views.ask_for_code(user, form.remember.data, request.args.get("next"))
        else:
            sessions.sign_in(db.session, user, remember=form.remember.data)
            trail.record(db.session, "auth.login", user, actor=user)
            db.session.commit()
            target = request.args.get("next")
            return redirect(target if is_safe_next(target) else url_for("lms.index"))
    return render_template("lms/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign out (a POST with a CSRF token, so no link can sign a person out); this browser's cookies die with it."""
    trail.record(db.session, "auth.logout", current_user)
    sessions.sign_out(db.session)
    db.session.commit()
    flash(_("You have signed out."), "info")
    return redirect(url_for("lms.login"))


@bp.route("/logout/everywhere", methods=["POST"])
@login_required
def logout_everywhere():
    """End every sign-in of the person, in every browser and remembered device, this one too."""
    sessions.end_everywhere(db.session, current_user, "auth.logout_everywhere")
    logout_user()
    db.session.commit()
    flash(_("You have signed out everywhere."), "info")
    return redirect(url_for("lms.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("5 per hour", methods=["POST"])
@limiter.limit("3 per hour", methods=["POST"], key_func=_submitted_email)
def forgot_password():
    """Ask for a reset link; the answer, and its time, are the same whether the address is known or not."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = accounts.request_password_reset(db.session, form.email.data)
        if user is not None:
            trail.record(db.session, "auth.reset_requested", user, actor=user)
        else:
            trail.record(db.session, "auth.reset_unknown", details={"email": form.email.data.strip().lower()[:254]})
        db.session.commit()
        flash(_("If this address belongs to an account, a link to set a new password is on its way."), "info")
        return redirect(url_for("lms.login"))
    return render_template("lms/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Set a new password from an e-mailed link (signed, expiring, single-use)."""
    return _set_password_from_link(token, current_app.config["ADAL_RESET_MAX_AGE"], "auth.password_reset", "reset")


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    """A newly imported person chooses their first password."""
    return _set_password_from_link(
        token, current_app.config["ADAL_INVITE_MAX_AGE"], "auth.invitation_accepted", "invitation"
    )


def _set_password_from_link(token: str, max_age: int, action: str, purpose: str):
    try:
        user = accounts.user_from_password_token(db.session, token, max_age, purpose)
    except accounts.TokenError as error:
        reasons = {
            "expired": _("This link has expired. Ask for a new one."),
            "used": _("This link has already been used. Ask for a new one if you need it."),
            "invalid": _("This link is not valid. Check that you copied it whole, or ask for a new one."),
        }
        return render_template("lms/link_error.html", message=reasons[error.reason]), 400
    form = SetPasswordForm(person=user)
    if form.validate_on_submit():
        accounts.set_password(user, form.password.data)
        sessions.end_all(db.session, user)
        trail.record(db.session, action, user, actor=user)
        if purpose == "invitation":
            return _sign_in_after_invitation(user)
        db.session.commit()
        flash(_("Your password is saved. You can sign in now."), "success")
        return redirect(url_for("lms.login"))
    return render_template("lms/set_password.html", form=form, person=user)


def _sign_in_after_invitation(user):
    """The person who has just chosen their first password is signed in and sent to their landing page
    (which sends anyone whose role needs a second factor to set it up), not asked for the password again;
    one who already has a second factor is asked for its code first, as at sign-in."""
    if authenticator.enrolled(db.session, user):
        db.session.commit()
        return two_factor_views.ask_for_code(user, False, None)
    sessions.sign_in(db.session, user, remember=False)
    trail.record(db.session, "auth.login", user, actor=user)
    db.session.commit()
    flash(_("Your password is saved. Welcome to Adal!"), "success")
    return redirect(url_for("lms.index"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
@limiter.limit(_login_limit, methods=["POST"], key_func=lambda: f"person:{current_user.id}")
def profile():
    """A person's own page: their language and their password."""
    form = ProfileForm(obj=current_user)
    password_form = ChangePasswordForm(prefix="pw")
    if form.submit.data and form.validate_on_submit():
        current_user.locale = form.locale.data
        db.session.commit()
        refresh()
        flash(_("Saved."), "success")
        return redirect(url_for("lms.profile"))
    if password_form.submit.data and password_form.validate_on_submit():
        if accounts.authenticate(db.session, current_user.email, password_form.current.data) is None:
            password_form.current.errors.append(_("This is not your current password."))
        else:
            accounts.set_password(current_user, password_form.password.data)
            sessions.end_all(db.session, current_user, keep=current_user.session_key)
            trail.record(db.session, "auth.password_changed", current_user)
            db.session.commit()
            login_user(current_user._get_current_object())  # this browser stays in; the others are out
            flash(_("Your password is changed."), "success")
            return redirect(url_for("lms.profile"))
    return render_template("lms/profile.html", form=form, password_form=password_form)


@bp.route("/language", methods=["POST"])
def set_language():
    """The header's language switcher: remembered on the account, or in the session."""
    form = LanguageForm()
    if not form.validate_on_submit():
        abort(400)
    session["locale"] = form.locale.data
    if current_user.is_authenticated:
        current_user.locale = form.locale.data
        db.session.commit()
    target = request.form.get("next")
    return redirect(target if is_safe_next(target) else url_for("lms.index"))


@bp.route("/office/settings", methods=["GET", "POST"])
@require_role(Role.ADMIN, Role.OFFICER)
@university_wide
def office_settings():
    """The office's contacts shown in every footer and campaign e-mail."""
    contacts = office_contacts(db.session)
    form = ContactsForm(data=_flatten_contacts(contacts))
    if form.validate_on_submit():
        save_office_contacts(db.session, _nest_contacts(form.data))
        trail.record(db.session, "settings.contacts")
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("lms.office_settings"))
    return render_template("lms/office_settings.html", form=form)


_LOCALIZED_CONTACTS = ("university", "officer", "room")
_PLAIN_CONTACTS = ("phone", "email", "website")


def _flatten_contacts(contacts: dict) -> dict:
    data = {f"{k}_{loc}": contacts[k].get(loc, "") for k in _LOCALIZED_CONTACTS for loc in ("kk", "ru", "en")}
    data.update({k: contacts.get(k, "") for k in _PLAIN_CONTACTS})
    return data


def _nest_contacts(data: dict) -> dict:
    nested = {k: {loc: data[f"{k}_{loc}"].strip() for loc in ("kk", "ru", "en")} for k in _LOCALIZED_CONTACTS}
    nested.update({k: (data.get(k) or "").strip() for k in _PLAIN_CONTACTS})
    return nested
