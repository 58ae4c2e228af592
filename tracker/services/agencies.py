from django.core.exceptions import ValidationError
from django.db import transaction

from tracker.models import Agency, Role, User
from tracker.services.tokens import token_issue


@transaction.atomic
def agency_ensure(*, code: str, name: str | None = None) -> Agency:
    """The agency with this code, created when missing."""
    agency = Agency.objects.filter(code=code).first()
    if agency is None:
        agency = Agency(code=code, name=name or code)
        agency.full_clean()
        agency.save()
    return agency


@transaction.atomic
def user_issue_token(*, username: str, agency_code: str, role: Role) -> str:
    """A new API token for `username` (its key, shown once), creating the agency and the user
    when missing. Tokens issued before stay valid until they expire or are revoked."""
    user = user_ensure(username=username, agency_code=agency_code, role=role)
    return token_issue(user=user)[1]


@transaction.atomic
def user_ensure(*, username: str, agency_code: str, role: Role) -> User:
    """The API user `username` of this agency with this role, created (with the agency) when
    missing; a user of another agency is refused."""
    agency = agency_ensure(code=agency_code)
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, agency=agency, role=role)
        user.set_unusable_password()
    elif user.agency_id != agency.pk:
        raise ValidationError(
            {"agency": f"User {username!r} belongs to agency {user.agency}, not {agency_code}."}
        )
    else:
        user.role = role
    user.full_clean(exclude=["password"])
    user.save()
    return user
