from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token


class AgencyTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, loading the user and its agency in one query."""

    def authenticate_credentials(self, key):
        token = Token.objects.select_related("user__agency").filter(key=key).first()
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return token.user, token
