#!/usr/bin/python3
"""e2e: an SMTP sink process for the end-to-end tests (aiosmtpd).

Listens on one or more loopback addresses on one port and appends one JSON object per
line to the --record file, each written with a single write(2):
  {"event": "listening", "addresses": [...], "port": N}            once all sockets are bound
  {"event": "connect", "peer": [ip, port], "local": [ip, port]}    every accepted connection
  {"event": "disconnect", "peer": [ip, port]}                      every connection that ended
  {"event": "auth", "peer": ..., "mechanism": "PLAIN", "username": ..., "success": bool,
   "tls": "TLSv1.3" or null}                                        every AUTH attempt (--auth)
  {"event": "message", "peer": ..., "local": ..., "mail_from": ..., "rcpt_tos": [...],
   "size": N, "data": "...", "data_base64": the exact bytes, "tls": "TLSv1.3" or null,
   "auth_username": ... or null,
   "mail_auth": the MAIL FROM AUTH= parameter or null}              every message accepted
--reply STAGE=TEXT makes the sink answer TEXT at greeting, mail, rcpt or data instead of
accepting (a greeting reply also closes the connection), e.g. a trap that answers
"530 5.7.57 Client not authenticated to send mail". --reply rcpt:ADDRESS=TEXT answers TEXT
to RCPT TO:<ADDRESS> only (the other recipients are accepted).

TLS and AUTH, for the smart-host tests:
  --tls-cert FILE --tls-key FILE  offer STARTTLS with that certificate
  --implicit-tls                  with the certificate: TLS from the first byte (port 465
                                  style) on every listening socket, no STARTTLS
  --auth USER:PASSWORD            offer AUTH (PLAIN and LOGIN) and require it before MAIL
                                  (530 5.7.0); only USER with PASSWORD succeeds, anything
                                  else gets 535 5.7.8. Offered only under TLS unless
  --auth-without-tls              AUTH is offered and accepted in plaintext as well
  --auth-mechanisms LIST          the mechanisms to offer, comma-separated (PLAIN,LOGIN)
  --raw FILE                      append every byte clients send on any TCP connection, as
                                  read from the socket (before TLS decryption), to FILE
  --no-8bitmime                   leave 8BITMIME out of the EHLO reply
  --requiretls                    offer REQUIRETLS (RFC 8689) under TLS and take the MAIL
                                  parameter; message events then carry "requiretls": bool

Limits like a large provider's, for the traffic shaping tests (each refusal is recorded as
{"event": "throttled", "peer": ..., "limit": "rate" or "connections", "reply": ...}):
  --rate-limit N:SECONDS          accept at most N messages in any SECONDS; above it MAIL gets
                                  451 4.7.650 ... temporarily rate limited (Microsoft's words)
  --throttle-peer IP              every MAIL from this client IP gets that 451 4.7.650 reply
  --max-concurrent M              greet a connection beyond M open ones with 421 4.7.0 Too
                                  many connections and close it
Every connect event carries "open": the connections open with it.
SIGTERM stops it.
"""

import argparse
import base64
import asyncio
import collections
import json
import os
import re
import signal
import socket
import ssl
import time
import warnings

from aiosmtpd.smtp import SMTP, AuthResult

STAGES = ("greeting", "mail", "rcpt", "data")
MECHANISMS = ("PLAIN", "LOGIN")
MAIL_AUTH_PARAMETER = re.compile(r"\s+AUTH=(\S*)", re.IGNORECASE)
REQUIRETLS_PARAMETER = re.compile(r"\s+REQUIRETLS(?=\s|$)", re.IGNORECASE)


class Recorder:
    """Appends events as JSON lines; O_APPEND and one write per line keep lines whole."""

    def __init__(self, path):
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def write(self, **event):
        os.write(self._fd, (json.dumps(event) + "\n").encode())


class RawTap:
    """Appends bytes to a file (O_APPEND, one write per read from a socket)."""

    def __init__(self, path):
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def __call__(self, data):
        if data:
            os.write(self._fd, data)


class TappedSocket(socket.socket):
    """An accepted connection whose every received byte is also given to `tap`. asyncio's
    transports read with recv() or recv_into(), whatever protocol (plain, TLS after STARTTLS,
    implicit TLS) sits on top, so this sees the wire bytes."""

    tap = None

    def recv(self, bufsize, flags=0):
        data = super().recv(bufsize, flags)
        if self.tap:
            self.tap(data)
        return data

    def recv_into(self, buffer, nbytes=0, flags=0):
        count = super().recv_into(buffer, nbytes, flags)
        if self.tap and count:
            self.tap(bytes(memoryview(buffer)[:count]))
        return count


class Listener(socket.socket):
    """A listening socket whose accepted connections are TappedSockets sharing its tap."""

    tap = None

    def accept(self):
        fd, address = self._accept()
        connection = TappedSocket(self.family, self.type, self.proto, fileno=fd)
        connection.tap = self.tap
        return connection, address


def listen(address, port, tap):
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    listener = Listener(family, socket.SOCK_STREAM)
    listener.tap = tap
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((address, port))
    listener.listen(100)
    listener.setblocking(False)
    return listener


def endpoint(address):
    return [address[0], address[1]] if address else None


def tls_version(transport):
    """The TLS version of the transport's session, or None in plaintext."""
    ssl_object = transport.get_extra_info("ssl_object") if transport else None
    return ssl_object.version() if ssl_object else None


class RateLimit:
    """At most `count` messages in any `seconds` (a sliding window of acceptance times)."""

    def __init__(self, count, seconds):
        self.count = count
        self.seconds = seconds
        self._accepted = collections.deque()

    def full(self):
        now = time.monotonic()
        while self._accepted and self._accepted[0] <= now - self.seconds:
            self._accepted.popleft()
        return len(self._accepted) >= self.count

    def accepted(self):
        self._accepted.append(time.monotonic())


class Handler:
    """aiosmtpd hooks: answer the configured override for a stage, else accept and record."""

    def __init__(self, recorder, replies, rate_limit=None, requiretls=False, throttle_peers=()):
        self._recorder = recorder
        self._replies = replies
        self._rate_limit = rate_limit
        self._requiretls = requiretls
        self._throttle_peers = set(throttle_peers)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self._requiretls and tls_version(server.transport):
            last = responses.pop()
            responses += ["250-" + last[4:], "250 REQUIRETLS"]
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if "mail" in self._replies:
            return self._replies["mail"]
        throttled_peer = session.peer[0] in self._throttle_peers
        if throttled_peer or (self._rate_limit and self._rate_limit.full()):
            reply = (f"451 4.7.650 The mail server [{session.peer[0]}] has been temporarily "
                     "rate limited due to IP reputation.")
            self._recorder.write(event="throttled", peer=endpoint(session.peer), limit="rate",
                                 reply=reply)
            return reply
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
        login = getattr(session.auth_data, "login", None) if session.authenticated else None
        self._recorder.write(
            event="message",
            peer=endpoint(session.peer),
            local=endpoint(server.transport.get_extra_info("sockname")),
            mail_from=envelope.mail_from,
            rcpt_tos=list(envelope.rcpt_tos),
            size=len(content),
            data=content.decode("utf-8", errors="replace"),
            data_base64=base64.b64encode(content).decode(),
            tls=tls_version(server.transport),
            auth_username=login.decode("utf-8", errors="replace") if login else None,
            mail_auth=getattr(envelope, "mail_auth", None),
            requiretls=getattr(envelope, "requiretls", False),
        )
        if self._rate_limit:
            self._rate_limit.accepted()
        return "250 2.0.0 Ok: stored"


class SevenBitHandler(Handler):
    """Handler of a sink that does not offer 8BITMIME (--no-8bitmime)."""

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        responses = await super().handle_EHLO(server, session, envelope, hostname, responses)
        return [line for line in responses if line != "250-8BITMIME"]


class Authenticator:
    """aiosmtpd authenticator: one user with one password; records every attempt."""

    def __init__(self, recorder, username, password):
        self._recorder = recorder
        self._username = username.encode()
        self._password = password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        success = (auth_data.login, auth_data.password) == (self._username, self._password)
        self._recorder.write(
            event="auth",
            peer=endpoint(session.peer),
            mechanism=mechanism,
            username=auth_data.login.decode("utf-8", errors="replace"),
            success=success,
            tls=tls_version(server.transport),
        )
        # handled=False: aiosmtpd answers a failure with 535 5.7.8 itself.
        return AuthResult(success=success, handled=False, auth_data=auth_data)


class RecordingSMTP(SMTP):
    """aiosmtpd's SMTP protocol that records each new connection (not the STARTTLS restart)
    and its end, and takes RFC 4954's MAIL FROM AUTH= parameter when it offers AUTH."""

    TOO_MANY = "421 4.7.0 Too many connections from your IP, closing transmission channel"
    # Connections open now, across every listening socket of the process.
    open_connections = 0

    def __init__(self, recorder, *args, accept_mail_auth=False, max_concurrent=None,
                 accept_requiretls=False, **kwargs):
        super().__init__(*args, **kwargs)
        self._recorder = recorder
        self._accept_mail_auth = accept_mail_auth
        self._accept_requiretls = accept_requiretls
        self._max_concurrent = max_concurrent
        self._refused = False

    def connection_made(self, transport):
        if self.transport is None:
            peer = endpoint(transport.get_extra_info("peername"))
            if self._max_concurrent and RecordingSMTP.open_connections >= self._max_concurrent:
                self._refused = True
                self._recorder.write(event="throttled", peer=peer, limit="connections",
                                     reply=self.TOO_MANY)
                transport.write(self.TOO_MANY.encode() + b"\r\n")
                transport.close()
                return
            RecordingSMTP.open_connections += 1
            self._recorder.write(
                event="connect",
                peer=peer,
                local=endpoint(transport.get_extra_info("sockname")),
                open=RecordingSMTP.open_connections,
            )
        super().connection_made(transport)

    def connection_lost(self, error):
        if self._refused:
            return
        if self.session is not None:
            RecordingSMTP.open_connections -= 1
            self._recorder.write(event="disconnect", peer=endpoint(self.session.peer))
        super().connection_lost(error)

    async def smtp_MAIL(self, arg):
        if self._accept_requiretls and arg and tls_version(self.transport):
            match = REQUIRETLS_PARAMETER.search(arg)
            if match:
                arg = arg[: match.start()] + arg[match.end():]
                self.envelope.requiretls = True
        if self._accept_mail_auth and arg:
            match = MAIL_AUTH_PARAMETER.search(arg)
            if match:
                arg = arg[: match.start()] + arg[match.end():]
                self.envelope.mail_auth = match.group(1)
        await super().smtp_MAIL(arg)


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


def server_tls_context(args):
    if not args.tls_cert:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.tls_cert, args.tls_key)
    return context


def smtp_options(args, recorder):
    """Keyword arguments of RecordingSMTP for the TLS and AUTH flags, and the TLS context
    of the listening sockets (implicit TLS) or None."""
    context = server_tls_context(args)
    options = {}
    if not args.implicit_tls:
        options["tls_context"] = context
    if args.auth:
        username, _, password = args.auth.partition(":")
        options.update(
            auth_required=True,
            # Under implicit TLS aiosmtpd does not know the session is encrypted.
            auth_require_tls=not (args.auth_without_tls or args.implicit_tls),
            authenticator=Authenticator(recorder, username, password),
            auth_exclude_mechanism=[m for m in MECHANISMS if m not in args.auth_mechanisms],
            accept_mail_auth=True,
        )
    return options, context if args.implicit_tls else None


async def serve(args):
    loop = asyncio.get_running_loop()
    recorder = Recorder(args.record)
    tap = RawTap(args.raw) if args.raw else None
    replies = dict(args.reply)
    rate_limit = RateLimit(*args.rate_limit) if args.rate_limit else None
    handler = (SevenBitHandler if args.no_8bitmime else Handler)(recorder, replies, rate_limit,
                                                                 args.requiretls,
                                                                 args.throttle_peer)
    options, listener_tls = smtp_options(args, recorder)
    servers = []
    for address in args.listen:
        sock = listen(address, args.port, tap)
        if "greeting" in replies:
            server = await asyncio.start_server(
                greeting_refuser(recorder, replies["greeting"]), sock=sock, ssl=listener_tls
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
                    max_concurrent=args.max_concurrent,
                    accept_requiretls=args.requiretls,
                    **options,
                ),
                sock=sock,
                ssl=listener_tls,
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


def rate(text):
    count, _, seconds = text.partition(":")
    if not count.isdigit() or not seconds.replace(".", "", 1).isdigit():
        raise argparse.ArgumentTypeError("expected N:SECONDS")
    return int(count), float(seconds)


def user_password(text):
    if ":" not in text or not text.partition(":")[0]:
        raise argparse.ArgumentTypeError("expected USER:PASSWORD")
    return text


def mechanism_list(text):
    mechanisms = [m.strip().upper() for m in text.split(",") if m.strip()]
    if not mechanisms or any(m not in MECHANISMS for m in mechanisms):
        raise argparse.ArgumentTypeError(f"expected a comma-separated subset of {MECHANISMS}")
    return mechanisms


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", action="append", required=True, help="address (repeatable)")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--record", required=True, help="JSON-lines file of events")
    parser.add_argument("--hostname", default="sink.mxrelay-test.example")
    parser.add_argument("--reply", type=stage_reply, action="append", default=[])
    parser.add_argument("--tls-cert", help="certificate (PEM): offer STARTTLS")
    parser.add_argument("--tls-key", help="private key (PEM) of --tls-cert")
    parser.add_argument("--implicit-tls", action="store_true",
                        help="TLS from the first byte instead of STARTTLS")
    parser.add_argument("--auth", type=user_password, help="USER:PASSWORD: require AUTH")
    parser.add_argument("--auth-without-tls", action="store_true",
                        help="offer and accept AUTH in plaintext too")
    parser.add_argument("--auth-mechanisms", type=mechanism_list, default=list(MECHANISMS),
                        help="comma-separated AUTH mechanisms to offer (PLAIN,LOGIN)")
    parser.add_argument("--raw", help="file that gets every byte received from clients")
    parser.add_argument("--no-8bitmime", action="store_true", help="do not offer 8BITMIME")
    parser.add_argument("--rate-limit", type=rate, help="N:SECONDS: at most N messages in any "
                        "SECONDS, then 451 4.7.650")
    parser.add_argument("--requiretls", action="store_true",
                        help="offer REQUIRETLS under TLS and take the MAIL parameter")
    parser.add_argument("--throttle-peer", action="append", default=[],
                        help="client IP whose every MAIL gets 451 4.7.650 (repeatable)")
    parser.add_argument("--max-concurrent", type=int,
                        help="greet connections beyond this many with 421 4.7.0")
    args = parser.parse_args()
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    if args.implicit_tls and not args.tls_cert:
        parser.error("--implicit-tls needs --tls-cert and --tls-key")
    if (args.auth_without_tls or args.auth_mechanisms != list(MECHANISMS)) and not args.auth:
        parser.error("--auth-without-tls and --auth-mechanisms need --auth")
    # aiosmtpd warns about AUTH without TLS; here it is on purpose.
    warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
