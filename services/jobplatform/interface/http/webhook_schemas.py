"""Request and response bodies of the webhook endpoints' routes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, HttpUrl


class WebhookEndpointBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: HttpUrl = Field(description="http:// or https:// URL the events are posted to")
    secret_ref: str = Field(
        pattern=r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$",
        description="name of the signing secret in the platform's secret store (not the secret)",
    )
    timeout_seconds: float = Field(default=10.0, gt=0, le=30)


class WebhookEndpointView(BaseModel):
    name: str
    url: str
    secret_ref: str
    timeout_seconds: float


class WebhookAttemptView(BaseModel):
    attempt: int
    endpoint: str
    status: int | None
    latency_ms: float
    error_class: str | None
    at: datetime


class WebhookAttemptPage(BaseModel):
    items: list[WebhookAttemptView]
