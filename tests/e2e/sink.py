#!/usr/bin/python3
"""e2e: an SMTP sink process for the end-to-end tests (aiosmtpd).

Listens on one or more loopback addresses on one port and appends one JSON object per
line to the --record file, each written with a single write(2):
  {"event": "listening", "addresses": [...], "port": N}            once all sockets are bound
  {"event": "connect", "peer": [ip, port], "local": [ip, port]}    every accepted connection
  {"event": "message", "peer": ..., "local": ..., "mail_from": ..., "rcpt_tos": [...],
   "size": N, "data": "..."}                                        every message accepted
--reply STAGE=TEXT makes the sink answer TEXT at greeting, mail, rcpt or data instead of
accepting (a greeting reply also closes the connection), e.g. a trap that answers
"530 5.7.57 Client not authenticated to send mail". --reply rcpt:ADDRESS=TEXT answers TEXT
to RCPT TO:<ADDRESS> only (the other recipients are accepted). SIGTERM stops it.
"""

import argparse
import asyncio
import json
import os
import signal

from aiosmtpd.smtp import SMTP

STAGES = ("greeting", "mail", "rcpt", "data")


class Recorder:
    """Appends events as JSON lines; O_APPEND and one write per line keep lines whole."""

    def __init__(self, path):
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def write(self, **event):
        os.write(self._fd, (json.dumps(event) + "\n").encode())


def endpoint(address):
    return [address[0], address[1]] if address else None


class Handler:
    """aiosmtpd hooks: answer the configured override for a stage, else accept and record."""

    def __init__(self, recorder, replies):
        self._recorder = recorder
        self._replies = replies

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if "mail" in self._replies:
            return self._replies["mail"]
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 Ok"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if "rcpt" in self._replies:
            return self._replies["rcpt"]
        if f"rcpt:{address}" in self._replies:
            return self._replies[f"rcpt:{address}"]
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        if "data" in self._replies:
            return self._replies["data"]
        content = envelope.original_content or b""
        self._recorder.write(
            event="message",
            peer=endpoint(session.peer),
            local=endpoint(server.transport.get_extra_info("sockname")),
            mail_from=envelope.mail_from,
            rcpt_tos=list(envelope.rcpt_tos),
            size=len(content),
            data=content.decode("utf-8", errors="replace"),
        )
        return "250 2.0.0 Ok: stored"


class RecordingSMTP(SMTP):
    """aiosmtpd's SMTP protocol that records each new connection (not the STARTTLS restart)."""

    def __init__(self, recorder, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._recorder = recorder

    def connection_made(self, transport):
        if self.transport is None:
            self._recorder.write(
                event="connect",
                peer=endpoint(transport.get_extra_info("peername")),
                local=endpoint(transport.get_extra_info("sockname")),
            )
        super().connection_made(transport)


def greeting_refuser(recorder, reply):
    """A listener that records the connection, sends `reply` as its greeting and hangs up."""

    async def serve(reader, writer):
        recorder.write(
            event="connect",
            peer=endpoint(writer.get_extra_info("peername")),
            local=endpoint(writer.get_extra_info("sockname")),
        )
        writer.write(reply.encode() + b"\r\n")
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    return serve


async def serve(args):
    loop = asyncio.get_running_loop()
    recorder = Recorder(args.record)
    replies = dict(args.reply)
    handler = Handler(recorder, replies)
    servers = []
    for address in args.listen:
        if "greeting" in replies:
            server = await asyncio.start_server(
                greeting_refuser(recorder, replies["greeting"]), address, args.port
            )
        else:
            server = await loop.create_server(
                lambda: RecordingSMTP(
                    recorder,
                    handler,
                    hostname=args.hostname,
                    enable_SMTPUTF8=True,
                    data_size_limit=None,
                    loop=loop,
                ),
                address,
                args.port,
            )
        servers.append(server)
    stopped = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stopped.set)
    loop.add_signal_handler(signal.SIGINT, stopped.set)
    recorder.write(event="listening", addresses=args.listen, port=args.port)
    await stopped.wait()
    for server in servers:
        server.close()


def stage_reply(text):
    stage, _, reply = text.partition("=")
    known = stage in STAGES or (stage.startswith("rcpt:") and "@" in stage)
    if not known or not reply[:3].isdigit():
        raise argparse.ArgumentTypeError(
            f"expected STAGE=CODE TEXT with STAGE in {STAGES} or rcpt:ADDRESS")
    return stage, reply


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", action="append", required=True, help="address (repeatable)")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--record", required=True, help="JSON-lines file of events")
    parser.add_argument("--hostname", default="sink.mxrelay-test.example")
    parser.add_argument("--reply", type=stage_reply, action="append", default=[])
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
