"""Outgoing mail through real SMTP. SMS or another channel would implement the same `Sender`."""

import dataclasses
import email.message
import logging
from typing import Protocol

import aiosmtplib

log = logging.getLogger(__name__)


class Sender(Protocol):
    async def send(self, *, to: str, subject: str, body: str) -> None: ...


@dataclasses.dataclass(frozen=True)
class SmtpSender:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    start_tls: bool = False
    timeout: float = 10.0

    async def send(self, *, to: str, subject: str, body: str) -> None:
        message = email.message.EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        await aiosmtplib.send(
            message, hostname=self.host, port=self.port, username=self.username, password=self.password,
            start_tls=self.start_tls, timeout=self.timeout,
        )


def smtp_sender(settings) -> SmtpSender:
    return SmtpSender(
        host=settings.smtp_host, port=settings.smtp_port, sender=settings.smtp_from,
        username=settings.smtp_username, password=settings.smtp_password, start_tls=settings.smtp_starttls,
    )
