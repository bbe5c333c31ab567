"""The Crmoffice client: OAuth2 bearer tokens, and ``{"items": [...]}`` lists."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx
from pydantic import SecretStr

from connectors.base.client import HttpClient
from connectors.base.grants import Grant, GrantStore, fingerprint
from connectors.base.pagination import (
    PageNumberPaginator,
    Paginator,
    SinglePagePaginator,
)
from connectors.base.tokens import RenewingTokenAuth
from connectors.crmoffice.settings import CrmofficeSettings
from connectors.errors import AuthenticationError

logger = logging.getLogger(__name__)

SYSTEM = "crmoffice"
DEFAULT_EXPIRES_IN = 3600.0


class CrmofficeAuth(RenewingTokenAuth):
    """OAuth2 bearer tokens from the token endpoint, renewed before they expire.

    With a refresh token it uses the ``refresh_token`` grant and keeps whatever
    new refresh token the server hands back (IdentityServer rotates them by
    default). Without one it uses ``client_credentials``.

    Rotated refresh tokens are spent by each use, so a worker alone cannot keep
    them: once ``share`` gave it the deployment's ``GrantStore``, every renewal
    goes through the store, which lets one worker at a time refresh, with the
    latest token, and hands its grant to the others (and to a restarted worker).
    """

    def __init__(
        self,
        settings: CrmofficeSettings,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(margin=settings.token_refresh_margin, monotonic=monotonic)
        self._url = settings.token_endpoint
        self._client_id = settings.client_id
        self._secret = settings.client_secret
        self._refresh_token: SecretStr | None = settings.refresh_token
        self._configured = settings.refresh_token
        self._scope = settings.scope
        self._seed = fingerprint(settings.refresh_token)
        self._store: GrantStore | None = None
        self._grant: Grant | None = None

    def __repr__(self) -> str:
        return "CrmofficeAuth(client_secret=SecretStr('**********'))"

    @property
    def rotates(self) -> bool:
        """Whether renewals spend a refresh token (the refresh_token grant)."""
        return self._refresh_token is not None

    def share(self, store: GrantStore) -> None:
        """Renew through ``store``, shared by every worker of the deployment."""
        self._store = store

    def store_secret(self) -> SecretStr:
        """The client secret: grants are encrypted with a key made from it."""
        return self._secret

    async def fetch_token(self, client: HttpClient) -> tuple[SecretStr, float]:
        """The access token and its remaining lifetime in seconds."""
        if self._store is None:
            token, expires_in = await self._run_grant(client)
            return token, expires_in
        grant = await self._store.latest()
        if grant is not None and grant.seed != self._seed:
            grant = None  # a new consent: its configured token starts a new chain
        due = self._grant
        spent = grant is not None and grant.expires_at <= time.time() + 1.0
        stale = (
            due is not None and grant is not None and grant.generation <= due.generation
        )
        if grant is None or spent or stale:
            # Nothing newer than what this worker holds (or a 401 on it): renew.
            grant = await self._store.renew(
                self._seed, grant, lambda after: self._next(client, after)
            )
        self._grant = grant
        return grant.access_token, grant.expires_at - time.time()

    async def _next(self, client: HttpClient, after: Grant | None) -> Grant:
        # The chain's latest refresh token; the configured one starts a chain.
        self._refresh_token = after.refresh_token if after else self._configured
        started = time.time()
        token, expires_in = await self._run_grant(client)
        return Grant(
            access_token=token,
            expires_at=started + expires_in,
            refresh_token=self._refresh_token,
            generation=(after.generation if after else 0) + 1,
            seed=self._seed,
        )

    async def _run_grant(self, client: HttpClient) -> tuple[SecretStr, float]:
        """Run the grant once; the access token and its ``expires_in``."""
        form = {
            "client_id": self._client_id,
            "client_secret": self._secret.get_secret_value(),
            "scope": self._scope,
        }
        if self._refresh_token is not None:
            form["grant_type"] = "refresh_token"
            form["refresh_token"] = self._refresh_token.get_secret_value()
        else:
            form["grant_type"] = "client_credentials"
        hint = (
            f"check the CRMOFFICE_CLIENT_* settings and CRMOFFICE_REFRESH_TOKEN"
            f" ({form['grant_type']})"
        )
        # A refresh_token grant may spend the token: after a lost answer it is
        # not sent again (the token may be gone); the next renewal decides.
        body = await client.login(
            "POST", self._url, form=form, hint=hint,
            idempotent=form["grant_type"] != "refresh_token",
        )  # fmt: skip
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            where = f"{SYSTEM} POST {httpx.URL(self._url).path}"
            msg = f"{where}: no access_token in the answer; {hint}"
            raise AuthenticationError(msg)
        rotated = body.get("refresh_token")
        if isinstance(rotated, str) and rotated:
            self._refresh_token = SecretStr(rotated)
        expires_in = body.get("expires_in")
        if isinstance(expires_in, bool) or not isinstance(expires_in, int | float):
            expires_in = DEFAULT_EXPIRES_IN
        logger.info(
            "%s token issued (%s); valid %.0fs", SYSTEM, form["grant_type"], expires_in
        )
        return SecretStr(token), float(expires_in)


def build_client(
    settings: CrmofficeSettings,
    *,
    monotonic: Callable[[], float] = time.monotonic,
    **options: Any,
) -> HttpClient:
    """The Crmoffice client (OAuth2 bearer); ``monotonic`` for token renewal."""
    auth = CrmofficeAuth(settings, monotonic=monotonic)
    return HttpClient.from_settings(
        settings, system=SYSTEM, auth=auth, monotonic=monotonic, **options
    )


def paginator(settings: CrmofficeSettings, path: str) -> Paginator[Any]:
    """How a list is paged: [assumption] ``page``/``pageSize``, or not at all.

    A server that ignores them answers more than a page at once (taken as the
    whole list) or the same page again (an error naming the switch to turn off).
    """
    if not settings.paging:
        return SinglePagePaginator()
    return PageNumberPaginator(
        page_size=settings.page_size,
        where=f"{SYSTEM} GET {path}",
        hint="set CRMOFFICE_PAGING=false if the API does not page",
    )


async def items(
    client: HttpClient,
    settings: CrmofficeSettings,
    path: str,
    params: Mapping[str, Any],
    page: int | None,
) -> list[Any]:
    """The ``items`` of one list response (``page`` ``None``: no paging)."""
    query = dict(params)
    if page is not None:
        query |= {"page": page, "pageSize": settings.page_size}
    body = await client.get_json(path, params=query)
    rows = body.get("items") if isinstance(body, Mapping) else None
    if not isinstance(rows, list):
        error = client.shape_error("GET", path, 'expected {"items": [...]}')
        raise error
    return rows
