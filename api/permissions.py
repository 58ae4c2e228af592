"""Who may do what. Lists are scoped by `reports_visible_to`; these decide the actions."""

from rest_framework.permissions import BasePermission

from tracker.models import Role

ACTION_ROLES = {
    "list": {Role.REPORTER, Role.VIEWER, Role.VERIFIER},
    "retrieve": {Role.REPORTER, Role.VIEWER, Role.VERIFIER},
    "create": {Role.REPORTER},
    "bulk": {Role.REPORTER},
    "update": {Role.REPORTER},
    "partial_update": {Role.REPORTER},
    "destroy": {Role.REPORTER, Role.VERIFIER},
    "verify": {Role.VERIFIER},
    "reject": {Role.VERIFIER},
    "reopen": {Role.VERIFIER},
}


class ReportPermission(BasePermission):
    """Reporters write their agency's reports, verifiers verify any, viewers read.

    A user without an agency (staff using the admin) has no API role.
    """

    message = "Your role does not allow this."

    def has_permission(self, request, view):
        if view.action is None:
            return True  # a method this URL does not have: let DRF answer 405
        user = request.user
        return bool(user and user.agency_id and user.role in ACTION_ROLES.get(view.action, ()))

    def has_object_permission(self, request, view, report):
        if view.action in ("update", "partial_update"):
            return report.agency_id == request.user.agency_id
        if view.action == "destroy":
            return request.user.role == Role.VERIFIER or report.agency_id == request.user.agency_id
        return True


class TokenPermission(BasePermission):
    """An agency's viewer manages its agency's tokens; staff manage every agency's."""

    message = "Only your agency's viewers and staff manage API tokens."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and (user.is_staff or (user.agency_id and user.role == Role.VIEWER)))
