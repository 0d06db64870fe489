"""Posting JSON to a chat webhook (Slack and Teams incoming webhooks accept `{"text": ...}`)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any


class WebhookError(OSError):
    """The webhook did not accept the message."""


def post_json(url: str, payload: dict[str, Any], timeout: float = 10) -> None:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            if not 200 <= response.status < 300:
                raise WebhookError(f"the webhook answered HTTP {response.status}")
    except OSError as exc:
        if isinstance(exc, WebhookError):
            raise
        raise WebhookError(f"could not post to the webhook: {exc}") from exc
