from django.core.exceptions import ValidationError
from django.db import transaction
from rest_framework.authtoken.models import Token

from tracker.models import Agency, Role, User


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
    """An API token for `username`, creating the agency and the user when missing."""
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
    token, _ = Token.objects.get_or_create(user=user)
    return token.key
