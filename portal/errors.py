"""Error pages in the user's language; JSON errors under /api/."""

from flask import current_app, jsonify, render_template, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError, SecurityError

from portal.extensions import db

CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid",
    429: "too_many_requests",
    500: "server_error",
}


def messages():
    """Translated explanations, looked up per request so they follow the locale."""
    return {
        400: _("The request could not be understood. Go back, reload the page and try again."),
        403: _("You do not have access to this page. If you need it, ask your organisation's administrator."),
        404: _("The page could not be found. It may have been moved, or you may not have access."),
        405: _("That action is not allowed here. Go back and use the buttons on the page."),
        413: _("The request is too large. Send less at a time and try again."),
        429: _("Too many attempts. Wait a few minutes and try again."),
        500: _("Something went wrong on our side. Try again in a moment; the error has been logged."),
    }


class Refused(Exception):
    """A request we will not act on: HTTP status, machine code and a message for the user."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def api_error(status, code, message, **extra):
    """A JSON error with a machine code and a translated message."""
    response = jsonify(error={"code": code, "message": str(message), **extra})
    response.status_code = status
    return response


def handle_http_error(error):
    status = error.code or 500
    message = messages().get(status, error.description)
    if status in (403, 404):
        audit_denial(status)
    if request.path.startswith("/api/"):
        return api_error(status, CODES.get(status, "error"), message)
    return render_template("errors/error.html", status=status, message=message), status


def audit_denial(status):
    """Write an ``access.denied`` row when a signed-in user is refused an object or an area.

    Only requests for a route that matched (a 404 for an unknown path is not a denial); the row
    names the endpoint and the ids asked for, never the page's content.
    """
    from flask_login import current_user

    from portal.services import audit

    if request.url_rule is None or not current_user.is_authenticated:
        return
    try:
        db.session.rollback()
        audit.record("access.denied", None, actor=current_user, status=status, endpoint=request.endpoint,
                     method=request.method, ids={k: v for k, v in (request.view_args or {}).items()
                                                 if isinstance(v, int | str)})
        db.session.commit()
    except Exception:  # noqa: BLE001 - a failing audit write must not turn a 404 into a 500
        db.session.rollback()
        current_app.logger.warning("could not audit a denial on %s", request.endpoint, exc_info=True)


class JSONTooDeep(BadRequest):
    """A JSON body nested deeper than the parser's recursion allows."""


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, except that a body nested too deeply is a 400, not a RecursionError (500).
    Raised as an HTTP error so ``get_json(silent=True)`` does not turn it into "no body"."""

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise JSONTooDeep() from None


def handle_json_too_deep(_error):
    message = _("The JSON in the request is nested too deeply.")
    if request.path.startswith("/api/"):
        return api_error(400, "json_too_deep", message)
    return render_template("errors/error.html", status=400, message=message), 400


def handle_untrusted_host(_error):
    """A Host header other than PUBLIC_URL's (TRUSTED_HOSTS): a bare 400, as no URL of this
    portal can be built for a host it does not serve (so no page template either)."""
    db.session.rollback()
    if request.path.startswith("/api/"):
        return api_error(400, "untrusted_host", _("The request names a host this portal does not serve."))
    return _("The request names a host this portal does not serve."), 400, {"Content-Type": "text/plain; charset=utf-8"}


def handle_csrf_error(error):
    message = _("The form has expired or was sent from elsewhere. Reload the page and try again.")
    if request.path.startswith("/api/"):
        return api_error(400, "csrf_failed", message)
    return render_template("errors/error.html", status=400, message=message), 400


def handle_unexpected(error):
    db.session.rollback()
    if isinstance(error, HTTPException):
        return handle_http_error(error)
    current_app.logger.exception("unhandled error on %s", request.endpoint)
    return handle_http_error(InternalServerError())


def init_app(app):
    """Register the handlers on ``app``."""
    app.json = JSONProvider(app)
    app.register_error_handler(JSONTooDeep, handle_json_too_deep)
    app.register_error_handler(SecurityError, handle_untrusted_host)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
