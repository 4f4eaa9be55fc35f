"""`store-agent` (or `python -m store_agent`): run | queue | check-config | tui.

    store-agent run            the agent: HTTP API, forwarder, receipt interceptor
    store-agent queue [--json] what waits in the queue and for how long (reads the queue file;
                               works while the agent is stopped); exit 3 when the alert is on
    store-agent check-config   validate the configuration and say what is wrong
    store-agent tui            the terminal UI for the cashier (talks to the running agent)
"""

import argparse
import asyncio
import datetime as dt
import gc
import json
import logging
import signal
import sys

from store_agent.settings import ConfigError, load_settings


def _settings(args):
    try:
        return load_settings(**({"_env_file": args.env_file} if args.env_file else {}))
    except ConfigError as e:
        print(f"store-agent: {e}", file=sys.stderr)
        sys.exit(2)


def _logging() -> None:
    from pythonjsonlogger.json import JsonFormatter

    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    logging.getLogger("httpx").setLevel(logging.WARNING)


async def _run(settings) -> None:
    import uvicorn

    from store_agent.agent import Agent
    from store_agent.http_api import create_app
    from store_agent.receipts import ReceiptProxy

    agent = Agent(settings)
    await agent.start()
    proxy = None
    if settings.printer_host:
        proxy = ReceiptProxy(agent=agent, settings=settings)
        port = await proxy.start()
        logging.getLogger("store_agent").info("receipt interceptor on %s:%s -> printer %s:%s", settings.proxy_host,
                                              port, settings.printer_host, settings.printer_port)
    server = uvicorn.Server(uvicorn.Config(create_app(agent), host=settings.http_host, port=settings.http_port,
                                           log_level="warning", lifespan="off"))
    server.install_signal_handlers = lambda: None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except NotImplementedError:  # Windows: Ctrl-C still raises KeyboardInterrupt
            pass
    serving = asyncio.create_task(server.serve())
    # What start-up loaded (modules, settings, the app) lives as long as the process: out of the
    # collector's way, so a collection during a print job walks only the job's own objects.
    gc.freeze()
    logging.getLogger("store_agent").info("store agent for %s/%s/%s on http://%s:%s", settings.program,
                                          settings.store_code, settings.terminal_id, settings.http_host,
                                          settings.http_port)
    await asyncio.wait([serving, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True
    await serving
    if proxy:
        await proxy.stop()
    await agent.stop()


def _queue(settings, as_json: bool) -> int:
    from store_agent.queue import connect, stats

    try:
        db = connect(settings.queue_path, readonly=True)
    except FileNotFoundError:
        print(f"no queue yet at {settings.queue_path}")
        return 0
    st = stats(db)
    age = st.oldest_age()
    alert = age > settings.alert_age_seconds
    rows = db.execute("SELECT seq, kind, reference, created_at, attempts, last_error, state FROM queue "
                      "WHERE state != 'posted' ORDER BY seq LIMIT 50").fetchall()
    if as_json:
        print(json.dumps({"pending": st.pending, "rejected": st.rejected, "posted": st.posted,
                          "oldest_pending_age_seconds": round(age, 1), "alert": alert,
                          "items": [dict(r) for r in rows]}))
    else:
        print(f"pending {st.pending}  rejected {st.rejected}  posted (kept) {st.posted}  "
              f"oldest pending {age:.0f}s" + (f"  ALERT: older than {settings.alert_age_seconds}s" if alert else ""))
        for r in rows:
            when = dt.datetime.fromtimestamp(r["created_at"]).strftime("%Y-%m-%d %H:%M:%S")
            print(f"  #{r['seq']:<6} {r['state']:<8} {r['kind']:<5} {r['reference']:<40} {when}  "
                  f"tries {r['attempts']}  {r['last_error'] or ''}")
    return 3 if alert else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="store-agent", description="Loyalty store agent for a till.")
    parser.add_argument("--env-file", help="read STORE_AGENT_* settings from this file too")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the agent")
    q = sub.add_parser("queue", help="show the queue and the age of its oldest item")
    q.add_argument("--json", action="store_true")
    sub.add_parser("check-config", help="validate the configuration")
    t = sub.add_parser("tui", help="the cashier's terminal UI")
    t.add_argument("--url", help="the agent's HTTP API (default from the settings)")
    args = parser.parse_args(argv)

    if args.command == "tui" and args.url:
        from store_agent.tui import run_tui
        return run_tui(args.url)
    settings = _settings(args)
    if args.command == "check-config":
        print(f"ok: program {settings.program}, store {settings.store_code}, terminal {settings.terminal_id}, "
              f"platform {settings.graphql_url}, queue {settings.queue_path}")
        return 0
    if args.command == "queue":
        return _queue(settings, args.json)
    if args.command == "tui":
        from store_agent.tui import run_tui
        return run_tui(f"http://{settings.http_host}:{settings.http_port}")
    _logging()
    try:
        import uvloop
    except ImportError:  # e.g. a Windows till
        asyncio.run(_run(settings))
    else:
        uvloop.run(_run(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
