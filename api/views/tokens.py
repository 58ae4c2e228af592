from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from api.filters import TokenFilter
from api.permissions import TokenPermission
from api.serializers import TokenSerializer
from tracker import services
from tracker.models import ApiToken
from tracker.selectors import tokens_visible_to

REVOKED_THROUGH_API = "revoked through the API"
ERRORS = {
    401: OpenApiResponse(description="No token, or an invalid, expired or revoked one"),
    403: OpenApiResponse(description="Only your agency's viewers and staff manage API tokens"),
}
NOT_FOUND = OpenApiResponse(description="No such token, or not your agency's")


@extend_schema_view(
    list=extend_schema(
        responses={
            200: TokenSerializer(many=True),
            400: OpenApiResponse(description="A bad filter: {field: [messages]}"),
            **ERRORS,
        }
    ),
    retrieve=extend_schema(responses={200: TokenSerializer, **ERRORS, 404: NOT_FOUND}),
)
class TokenViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your agency's API tokens (every agency's for staff), newest first: which user each
    belongs to, when it was issued, when it expires, when it was last used (to the minute) and
    whether it was revoked. Keys are shown once, when issued; here only their first characters."""

    serializer_class = TokenSerializer
    permission_classes = [IsAuthenticated, TokenPermission]
    filterset_class = TokenFilter
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return ApiToken.objects.none()
        return tokens_visible_to(self.request.user)

    @extend_schema(request=None, responses={204: None, **ERRORS, 404: NOT_FOUND})
    def destroy(self, request, *args, **kwargs):
        """Revoke a token: it stops working at once and stays listed as `revoked` (204, and 204
        again)."""
        services.token_revoke(token=self.get_object(), by=request.user, reason=REVOKED_THROUGH_API)
        return Response(status=status.HTTP_204_NO_CONTENT)
