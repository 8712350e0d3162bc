"""Expiring token authentication: `Authorization: Token <key>`; only a hash is stored."""

from django.db import connection
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from .models import ApiToken, Organisation, User


def _columns(model, alias: str) -> tuple[list[str], str]:
    fields = [field.attname for field in model._meta.concrete_fields]
    columns = [f'{alias}."{model._meta.get_field(name).column}"' for name in fields]
    return fields, ", ".join(columns)


_TOKEN_FIELDS, _TOKEN_COLUMNS = _columns(ApiToken, "token")
_USER_FIELDS, _USER_COLUMNS = _columns(User, "member")
_ORGANISATION_FIELDS, _ORGANISATION_COLUMNS = _columns(Organisation, "organisation")
# Every API request starts here, so the token, its user, the user's organisation and role names
# are read in one statement written once (the ORM would build the same query on every request).
# The column lists come from the models' own metadata.
_TOKEN_QUERY = f"""
    SELECT {_TOKEN_COLUMNS}, {_USER_COLUMNS}, {_ORGANISATION_COLUMNS},
           ARRAY(SELECT grp.name FROM accounts_user_groups AS membership
                 JOIN auth_group AS grp ON grp.id = membership.group_id
                 WHERE membership.user_id = member.id) AS group_names
    FROM accounts_apitoken AS token
    JOIN accounts_user AS member ON member.id = token.user_id
    LEFT JOIN accounts_organisation AS organisation ON organisation.id = member.organisation_id
    WHERE token.key_hash = %s
"""  # noqa: S608 (identifiers from model metadata; the key is a parameter)


def token_owner(key: str) -> tuple[User, ApiToken] | None:
    """The user a token key belongs to (organisation and roles loaded), with the token; None for
    an unknown key. Expiry and the user's state are the caller's to check."""
    with connection.cursor() as cursor:
        cursor.execute(_TOKEN_QUERY, [ApiToken.hash_key(key)])
        row = cursor.fetchone()
    if row is None:
        return None
    values = iter(row)
    token = ApiToken.from_db(connection.alias, _TOKEN_FIELDS, [next(values) for _ in _TOKEN_FIELDS])
    user = User.from_db(connection.alias, _USER_FIELDS, [next(values) for _ in _USER_FIELDS])
    organisation_values = [next(values) for _ in _ORGANISATION_FIELDS]
    user.set_roles(next(values))
    if user.organisation_id is not None:
        user.organisation = Organisation.from_db(
            connection.alias, _ORGANISATION_FIELDS, organisation_values
        )
    token.user = user
    return user, token


class ExpiringTokenAuthentication(TokenAuthentication):
    keyword = "Token"

    def authenticate_credentials(self, key: str):
        found = token_owner(key)
        if found is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        user, token = found
        if token.expires_at <= timezone.now():
            raise exceptions.AuthenticationFailed("Token has expired: request a new one.")
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return (user, token)
