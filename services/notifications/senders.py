"""Where messages go out: email through SMTP (services/common/mail.py), SMS through Infobip's HTTP
API. Both implement services.common.mail.Sender (to, subject, body); an SMS has no subject."""

import dataclasses

import aiohttp

from services.common.mail import Sender, smtp_sender

__all__ = ["Sender", "InfobipSms", "SendError", "smtp_sender"]


class SendError(Exception):
    """The channel refused the message (kept in the message log as its error)."""


@dataclasses.dataclass(frozen=True)
class InfobipSms:
    """Infobip's SMS API: POST {base_url}/sms/2/text/advanced, `Authorization: App <key>`."""
    base_url: str
    api_key: str
    sender: str = "Loyalty"
    timeout: float = 10.0

    async def send(self, *, to: str, subject: str, body: str) -> None:
        payload = {"messages": [{"destinations": [{"to": to.lstrip("+")}], "from": self.sender, "text": body}]}
        headers = {"Authorization": f"App {self.api_key}", "Accept": "application/json"}
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.post(f"{self.base_url.rstrip('/')}/sms/2/text/advanced", json=payload,
                                    headers=headers) as response:
                if response.status >= 300:
                    raise SendError(f"Infobip answered {response.status}: {(await response.text())[:200]}")


def sms_sender(settings) -> InfobipSms | None:
    """None when no Infobip base URL is configured: SMS messages are then logged as skipped."""
    if not getattr(settings, "infobip_base_url", ""):
        return None
    return InfobipSms(base_url=settings.infobip_base_url, api_key=settings.infobip_api_key,
                      sender=settings.infobip_sender)
