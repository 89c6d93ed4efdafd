"""The second factor's pages: the code at sign-in, enrolment and recovery codes, the administrator's reset.

Between a right password and a right code the person is not signed in: only their id waits in
the session (:func:`ask_for_code`), for :data:`PENDING_FOR`, bound to their password.
"""

from datetime import timedelta

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required

from lms import sessions
from lms.audit import trail
from lms.database import utcnow
from lms.extensions import db, limiter
from lms.models import Role, User, password_fingerprint
from lms.navigation import add_nav_item
from lms.permissions import require_role
from lms.security import is_safe_next
from lms.two_factor import authenticator
from lms.two_factor.forms import CodeForm, ResetForm, TurnOffForm

bp = Blueprint("two_factor", __name__)

#: How long a right password waits for its code.
PENDING_FOR = timedelta(minutes=5)
_PENDING = "two_factor_pending"


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav_item(app, "two_factor.setup", _l("Two-step sign-in"), section="profile")


def _code_limit() -> str:
    return current_app.config["ADAL_TWO_FACTOR_LIMIT"]


def _pending_person() -> str:
    """Rate-limit key: the person waiting for their code, so many machines cannot share one budget."""
    return f"two-factor:{(session.get(_PENDING) or {}).get('user')}"


def _signed_in_person() -> str:
    return f"two-factor:{current_user.id}"


def ask_for_code(user: User, remember: bool, target: str | None):
    """After a right password: keep ``user`` waiting for their code, not signed in, and ask for it."""
    session[_PENDING] = {
        "user": user.id,
        "password": password_fingerprint(user.password_hash),
        "remember": bool(remember),
        "next": target if is_safe_next(target) else None,
        "until": (utcnow() + PENDING_FOR).timestamp(),
    }
    return redirect(url_for("two_factor.code"))


def _pending() -> tuple[User, dict] | None:
    """The person waiting for their code, while the wait lasts and their password is the same."""
    held = session.get(_PENDING)
    if not held:
        return None
    user = db.session.get(User, held["user"]) if held["until"] > utcnow().timestamp() else None
    if user is None or not user.active or password_fingerprint(user.password_hash) != held["password"]:
        session.pop(_PENDING)
        return None
    return user, held


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(_code_limit, methods=["POST"])
@limiter.limit(_code_limit, methods=["POST"], key_func=_pending_person)
def code():
    """The second step of signing in: a code from the authenticator app, or a recovery code."""
    pending = _pending()
    if pending is None:
        flash(_("Please sign in with your e-mail and password first."), "info")
        return redirect(url_for("lms.login"))
    user, held = pending
    form = CodeForm()
    if form.validate_on_submit():
        try:
            kind = authenticator.use_code(db.session, user, form.code.data)
        except authenticator.CodeRefused as refused:
            trail.record(db.session, "two_factor.failed", user, details={"reason": refused.reason})
            db.session.commit()
            form.code.errors.append(_refusal(refused))
        else:
            session.pop(_PENDING)
            user.last_login_at = utcnow()
            sessions.sign_in(db.session, user, remember=held["remember"])
            details = {"second_factor": kind}
            if kind == "recovery":
                details["left"] = authenticator.recovery_codes_left(db.session, user)
                flash(_recovery_used_message(details["left"]), "warning")
            trail.record(db.session, "auth.login", user, actor=user, details=details)
            db.session.commit()
            return redirect(held["next"] or url_for("lms.index"))
    return render_template("lms/two_factor/code.html", form=form)


@bp.route("/profile/two-factor", methods=["GET", "POST"])
@login_required
@limiter.limit(_code_limit, methods=["POST"], key_func=_signed_in_person)
def setup():
    """Turn the second factor on (scan, then a first code); once on, make new recovery codes or turn it off."""
    form = CodeForm()
    state = authenticator.status(db.session, current_user)
    if state is not None and state.confirmed_at is not None:
        return _enrolled(form, state)
    secret = authenticator.pending_secret(db.session, current_user)
    if form.validate_on_submit():
        try:
            codes = authenticator.confirm_enrolment(db.session, current_user, form.code.data)
        except authenticator.CodeRefused as refused:
            form.code.errors.append(_refusal(refused))
        else:
            # Other browsers signed in with the password alone are out: every sign-in now had the code.
            ended = sessions.end_all(db.session, current_user, keep=current_user.session_key)
            trail.record(db.session, "two_factor.enrolled", current_user, details={"count": ended})
            db.session.commit()
            flash(_("Two-step sign-in is on."), "success")
            return render_template("lms/two_factor/recovery_codes.html", codes=codes)
    db.session.commit()  # the enrolment under way: the same secret on the next visit
    qr = authenticator.qr_data_uri(current_user, secret)
    required = authenticator.required_for(current_user)
    return render_template("lms/two_factor/setup.html", form=form, qr=qr, secret=secret, required=required)


def _enrolled(form: CodeForm, state):
    """The second factor is on: new recovery codes for a right code (the old ones stop working);
    a person whose role does not require it may turn it off the same way."""
    off_form = None if authenticator.required_for(current_user) else TurnOffForm(prefix="off")
    if off_form is not None and off_form.submit.data:
        if _code_accepted(off_form):
            authenticator.reset(db.session, current_user)
            trail.record(db.session, "two_factor.turned_off", current_user)
            db.session.commit()
            flash(_("Two-step sign-in is off."), "info")
            return redirect(url_for("lms.profile"))
    elif _code_accepted(form):
        codes = authenticator.new_recovery_codes(db.session, current_user)
        trail.record(db.session, "two_factor.recovery_codes", current_user)
        db.session.commit()
        return render_template("lms/two_factor/recovery_codes.html", codes=codes)
    left = authenticator.recovery_codes_left(db.session, current_user)
    return render_template("lms/two_factor/enrolled.html", form=form, off_form=off_form, state=state, left=left)


def _code_accepted(form: CodeForm) -> bool:
    """True for a right code of the signed-in person in a submitted ``form``; a refusal is audited and shown."""
    if not form.validate_on_submit():
        return False
    try:
        authenticator.use_code(db.session, current_user, form.code.data)
    except authenticator.CodeRefused as refused:
        trail.record(db.session, "two_factor.failed", current_user, details={"reason": refused.reason})
        db.session.commit()
        form.code.errors.append(_refusal(refused))
        return False
    return True


@bp.route("/office/people/<int:user_id>/two-factor/reset", methods=["POST"])
@require_role(Role.ADMIN)
def reset(user_id: int):
    """An administrator removes a person's second factor (a lost phone), giving a reason the log keeps.

    Their sign-ins end too: they sign in with the password again and, if they must have one, enrol again.
    """
    person = db.get_or_404(User, user_id)
    form = ResetForm()
    if not form.validate_on_submit():
        flash(_("Say why the second factor is reset (at least 5 characters)."), "danger")
    elif authenticator.reset(db.session, person):
        ended = sessions.end_all(db.session, person)
        trail.record(
            db.session, "two_factor.reset", person, details={"reason": form.reason.data.strip(), "count": ended}
        )
        db.session.commit()
        flash(_("The second factor of %(name)s is reset.", name=person.full_name), "success")
    else:
        flash(_("%(name)s has no second factor.", name=person.full_name), "info")
    return redirect(url_for("people.person", user_id=person.id))


@bp.app_context_processor
def _reset_card():
    """What the person page's reset card needs (``lms/two_factor/reset_card.html``)."""
    return {
        "second_factor_of": lambda person: authenticator.status(db.session, person),
        "second_factor_reset_form": ResetForm,
    }


def _refusal(refused: authenticator.CodeRefused) -> str:
    if refused.reason == "replayed":
        return _("This code was used already. Wait for the next one in the app.")
    return _("This code is not right. Check that the clock of your phone is set automatically.")


def _recovery_used_message(left: int) -> str:
    return ngettext(
        "You signed in with a recovery code; %(num)d is left. Make new ones on your profile.",
        "You signed in with a recovery code; %(num)d are left. Make new ones on your profile.",
        left,
    )
