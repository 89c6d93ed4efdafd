"""Links in campaign e-mails that work without signing in: open pixel, click, unsubscribe; and
the e-mail preferences page in the profile."""

import base64

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from campaigns import tracking
from campaigns.forms import CATEGORY_LABELS, ActionForm
from campaigns.models import MANDATORY_CATEGORIES, Category, EmailPreference
from lms.extensions import csrf, db
from lms.models import User

bp = Blueprint("campaign_links", __name__)

#: A transparent 1×1 GIF.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


@bp.route("/t/o/<token>.gif")
def track_open(token: str):
    """The open pixel: always the same image, recorded only when the token is genuine."""
    try:
        tracking.record_open(db.session, token)
        db.session.commit()
    except tracking.ForgedLink:
        pass
    return Response(PIXEL, mimetype="image/gif", headers={"Cache-Control": "no-store"})


@bp.route("/t/c/<token>/<url_token>")
def track_click(token: str, url_token: str):
    """A tracked link: goes only where it was signed to go; a forged one goes nowhere."""
    try:
        target = tracking.record_click(db.session, token, url_token)
    except tracking.ForgedLink:
        abort(404)
    db.session.commit()
    return redirect(target, code=302)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the proof; RFC 8058 one-click POSTs carry no CSRF token
def unsubscribe(token: str):
    """Unsubscribe from a category, in the recipient's language, without signing in."""
    try:
        user_id, category, campaign_id = tracking.read_unsubscribe(token)
    except tracking.ForgedLink:
        abort(404)
    person = db.session.get(User, user_id)
    if person is None or category in MANDATORY_CATEGORIES or category not in {c.value for c in Category}:
        abort(404)
    with force_locale(person.locale):
        if request.method == "POST":
            tracking.unsubscribe(db.session, person.id, category, campaign_id)
            db.session.commit()
            if request.form.get("List-Unsubscribe") == "One-Click":
                return Response(status=200)
            return render_template("campaigns/unsubscribed.html", category=CATEGORY_LABELS[category])
        return render_template("campaigns/unsubscribe.html", category=CATEGORY_LABELS[category], person=person)


@bp.route("/profile/email", methods=["GET", "POST"])
@login_required
def preferences():
    """Which optional e-mails I receive; mandatory ones are listed but cannot be turned off."""
    form = ActionForm()
    optional = [c for c in Category if c not in MANDATORY_CATEGORIES]
    if form.validate_on_submit():
        wanted = set(request.form.getlist("category"))
        for category in optional:
            if category.value in wanted:
                tracking.resubscribe(db.session, current_user.id, category)
            else:
                tracking.unsubscribe(db.session, current_user.id, category, None)
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("campaign_links.preferences"))
    off = {
        p.category
        for p in db.session.scalars(db.select(EmailPreference).where(EmailPreference.user_id == current_user.id))
    }
    return render_template(
        "campaigns/preferences.html",
        form=form,
        optional=optional,
        mandatory=sorted(MANDATORY_CATEGORIES),
        off=off,
        labels=CATEGORY_LABELS,
    )
