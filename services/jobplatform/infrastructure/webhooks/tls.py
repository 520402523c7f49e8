"""The certificates a webhook receiver may present: the system's public CAs, and the CAs of
`JOBPLATFORM_WEBHOOK_CA_FILE` on top (receivers inside an organisation's own PKI)."""

from __future__ import annotations

import ssl

import httpx


def webhook_ssl_context(ca_file: str | None) -> ssl.SSLContext:
    """One context for every delivery of the process. Raises ssl.SSLError or OSError when
    the file cannot be read as PEM certificates."""
    context = httpx.create_ssl_context(trust_env=False)
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context
