"""A local SMTP server for `make run`: prints every message it receives (aiosmtpd)."""

import argparse
import asyncio
import email
import email.policy
import signal

from aiosmtpd.controller import Controller


class PrintingHandler:
    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        print(f"mail to {message['To']}: {message['Subject']}\n{body.get_content() if body else ''}", flush=True)
        return "250 OK"


async def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m services.common.dev.devmail")
    parser.add_argument("--port", type=int, default=1025)
    args = parser.parse_args()
    controller = Controller(PrintingHandler(), hostname="127.0.0.1", port=args.port)
    controller.start()
    print(f"local SMTP server on 127.0.0.1:{args.port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    controller.stop()


if __name__ == "__main__":
    asyncio.run(main())
