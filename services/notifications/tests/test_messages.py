"""Templates (sandboxed, checked at save), quiet hours, and the Infobip SMS sender against a local
HTTP server written here (the real Infobip cannot be reached from the test machine)."""

import datetime as dt
import uuid

import pytest
from aiohttp import web

from services.common.errors import DomainError
from services.notifications import messages, templates
from services.notifications.senders import InfobipSms, SendError


@pytest.mark.parametrize("kind", templates.KINDS)
def test_every_shipped_default_renders_over_its_sample(kind):
    shipped = templates.default(kind)
    templates.check(kind=kind, subject=shipped.subject, body=shipped.body, sms=shipped.sms)


@pytest.mark.parametrize(("body", "line", "says"), [
    ("Hello\n\n{{ member.shoe_size }}", 3, "shoe_size"),
    ("Hello\n{% if %}", 2, "expected an expression"),
    ("{{ ().__class__.__mro__ }}", 1, "unsafe"),  # the sandbox: no way into Python
])
def test_a_template_that_does_not_render_is_refused_naming_the_line(body, line, says):
    with pytest.raises(DomainError) as refused:
        templates.check(kind="welcome", subject="Hi", body=body, sms="")
    assert refused.value.code == "INVALID_INPUT"
    assert f"line {line}:" in str(refused.value) and says in str(refused.value).lower()
    assert "body" in str(refused.value)


async def test_a_refused_template_is_not_saved(pools):
    program_id = uuid.uuid4()
    with pytest.raises(DomainError):
        await templates.save(pools["notifications"], program_id=program_id, kind="welcome", language="en",
                             subject="Hi", body="{{ nope }}", sms="", by="test")
    assert await templates.list_saved(pools["notifications"], program_id=program_id) == []
    saved = await templates.save(pools["notifications"], program_id=program_id, kind="welcome", language="es",
                                 subject="Hola {{ member.first_name }}", body="Bienvenida", sms="", by="test")
    assert [(t.kind, t.language, t.default) for t in
            await templates.list_saved(pools["notifications"], program_id=program_id)] == [("welcome", "es", False)]
    assert saved.subject == "Hola {{ member.first_name }}"


def test_quiet_hours_are_in_the_programs_time_zone_and_may_span_midnight():
    night = messages.Settings(time_zone="Europe/Madrid", quiet_start=dt.time(21), quiet_end=dt.time(8))
    # 21:30 UTC is 22:30 in Madrid in December: quiet until 08:00 Madrid, 07:00 UTC the next day
    assert messages.quiet_until(night, dt.datetime(2026, 12, 2, 21, 30, tzinfo=dt.timezone.utc)) == \
        dt.datetime(2026, 12, 3, 7, 0, tzinfo=dt.timezone.utc)
    assert messages.quiet_until(night, dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.timezone.utc)) is None
    assert messages.quiet_until(messages.Settings(), dt.datetime.now(dt.timezone.utc)) is None


async def test_infobip_sms_posts_the_text_with_the_api_key():
    received, answer = [], {"status": 200}

    async def sms(request: web.Request) -> web.Response:
        received.append((request.headers.get("Authorization"), await request.json()))
        return web.json_response({"messages": []}, status=answer["status"])

    app = web.Application()
    app.router.add_post("/sms/2/text/advanced", sms)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        sender = InfobipSms(base_url=f"http://127.0.0.1:{port}", api_key="k1", sender="Club")
        await sender.send(to="+34600000001", subject="", body="Welcome!")
        assert received == [("App k1", {"messages": [{"destinations": [{"to": "34600000001"}], "from": "Club",
                                                      "text": "Welcome!"}]})]
        answer["status"] = 401
        with pytest.raises(SendError, match="401"):
            await sender.send(to="+34600000001", subject="", body="again")
    finally:
        await runner.cleanup()


def test_expiry_offsets_cover_the_days_after_the_next_smaller_offset():
    from types import SimpleNamespace as Item

    from services.notifications.expiry_warnings import warning_rows, windows
    assert windows((7, 30)) == [(7, 0, 7), (30, 7, 30)]
    today = dt.date(2026, 12, 2)
    items = [Item(loyalty_number="1", points=10, expires_at="2027-01-01T12:00:00Z"),  # 30 days
             Item(loyalty_number="1", points=5, expires_at="2027-01-01T13:00:00Z"),  # same date: summed
             Item(loyalty_number="2", points=3, expires_at="2026-12-05T12:00:00Z"),  # 3 days: the 7-day one
             Item(loyalty_number="3", points=4, expires_at="2027-03-01T12:00:00Z")]  # beyond every offset
    rows = warning_rows(items, today=today, time_zone="Europe/Madrid", offsets=(30, 7))
    assert [(r["key"], r["data"]["points"], r["data"]["days"]) for r in rows] == [
        ("expiry:1:2027-01-01:30", 15, 30), ("expiry:2:2026-12-05:7", 3, 3)]


async def test_a_passcode_goes_by_sms_when_the_member_has_no_email_and_is_logged_without_the_code(pools):
    from types import SimpleNamespace

    from services.common.db import tenant_tx
    received = []

    async def sms(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.json_response({"messages": []})

    app = web.Application()
    app.router.add_post("/sms/2/text/advanced", sms)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    program_id = uuid.uuid4()
    messenger = messages.Messenger(pools["notifications"], member_addr=None, email=None,
                                   sms=InfobipSms(base_url=f"http://127.0.0.1:{port}", api_key="k1"))

    async def member_of(program_id, number):
        return SimpleNamespace(loyalty_number=number, first_name="Ana", last_name="López", email="",
                               phone="+34600000009", status="active", email_consent=False, sms_consent=False,
                               custom_attributes_json="{}")

    async def program_of(program_id):
        return {"name": "Club", "code": "club", "timezone": "Europe/Madrid"}

    messenger.member_of, messenger.program_of = member_of, program_of
    try:
        # (a passcode the member asked for needs no marketing consent)
        channel, recipient = await messages.send_passcode(messenger, program_id=program_id, loyalty_number="L9",
                                                          code="654321", minutes=15)
        assert (channel, recipient) == ("sms", "+34600000009")
        assert received[0]["messages"][0]["text"] == "Your passcode is 654321 (valid 15 min). It works once."
        [entry] = await messages.log_of(pools["notifications"], program_id=program_id, loyalty_number="L9")
        assert (entry.kind, entry.status, entry.channel) == ("passcode", "sent", "sms")
        async with tenant_tx(pools["notifications"], program_id) as conn:
            assert "654321" not in str(await conn.fetchval("SELECT data FROM messages WHERE id = $1", entry.id))
    finally:
        await runner.cleanup()


def test_settings_naming_no_time_zone_use_the_programs():
    assert messages.in_zone(messages.Settings(), "Pacific/Auckland").time_zone == "Pacific/Auckland"
    assert messages.in_zone(messages.Settings(time_zone="Europe/Madrid"), "Pacific/Auckland").time_zone == \
        "Europe/Madrid"
    assert messages.in_zone(messages.Settings(), "").time_zone == "UTC"
