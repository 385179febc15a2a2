#!/usr/bin/python3
"""e2e: a deliberately broken authoritative DNS server (dnslib), for what NSD cannot do.

Serves one zone from zone-file text over UDP and TCP on ADDRESS:PORT, except:
  --behaviour servfail-mx   MX queries answer SERVFAIL; everything else (A records of the
                            domain itself included) is answered from the zone: the
                            outlook.com incident's dangerous case
  --behaviour servfail      every query answers SERVFAIL
  --behaviour silent        no query is ever answered (timeouts)
  --behaviour normal        the zone as written
Appends JSON lines to --record: {"event": "listening"} once bound, then
{"event": "query", "name": "x.example.", "type": "MX", "transport": "udp", "rcode": "SERVFAIL"}
per query ("rcode": null when unanswered). SIGTERM stops it.
"""

import argparse
import asyncio
import json
import os
import signal
import struct

from dnslib import QTYPE, RCODE, RR, DNSRecord

BEHAVIOURS = ("servfail-mx", "servfail", "silent", "normal")


class Zone:
    """Authoritative answers from zone-file text: records, NODATA or NXDOMAIN with the SOA."""

    def __init__(self, text):
        self.records = RR.fromZone(text)
        self.soa = next(r for r in self.records if r.rtype == QTYPE.SOA)
        self.origin = self.soa.rname

    def answer(self, request):
        reply = request.reply()
        qname, qtype = request.q.qname, request.q.qtype
        if not qname.matchSuffix(self.origin):
            reply.header.rcode = RCODE.REFUSED
            return reply
        owned = [r for r in self.records if r.rname == qname]
        for record in owned:
            if record.rtype == qtype:
                reply.add_answer(record)
        if not reply.rr:
            reply.add_auth(self.soa)
            if not owned:
                reply.header.rcode = RCODE.NXDOMAIN
        return reply


class Responder:
    def __init__(self, zone, behaviour, record_path):
        self._zone = zone
        self._behaviour = behaviour
        self._fd = os.open(record_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def record(self, **event):
        os.write(self._fd, (json.dumps(event) + "\n").encode())

    def reply_to(self, wire, transport):
        """The wire-format reply to one query, or None to stay silent."""
        request = DNSRecord.parse(wire)
        qtype = QTYPE.get(request.q.qtype)
        if self._behaviour == "silent":
            reply = None
        elif self._behaviour == "servfail" or (self._behaviour == "servfail-mx" and qtype == "MX"):
            reply = request.reply()
            reply.header.rcode = RCODE.SERVFAIL
        else:
            reply = self._zone.answer(request)
        self.record(
            event="query",
            name=str(request.q.qname),
            type=qtype,
            transport=transport,
            rcode=RCODE.get(reply.header.rcode) if reply else None,
        )
        return reply.pack() if reply else None


class UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, responder):
        self._responder = responder

    def connection_made(self, transport):
        self._transport = transport

    def datagram_received(self, data, addr):
        reply = self._responder.reply_to(data, "udp")
        if reply is not None:
            self._transport.sendto(reply, addr)


def tcp_handler(responder):
    async def serve(reader, writer):
        try:
            while True:
                (length,) = struct.unpack("!H", await reader.readexactly(2))
                reply = responder.reply_to(await reader.readexactly(length), "tcp")
                if reply is not None:
                    writer.write(struct.pack("!H", len(reply)) + reply)
                    await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    return serve


async def serve(args):
    loop = asyncio.get_running_loop()
    with open(args.zone_file) as zone_file:
        responder = Responder(Zone(zone_file.read()), args.behaviour, args.record)
    udp, _ = await loop.create_datagram_endpoint(
        lambda: UdpProtocol(responder), local_addr=(args.address, args.port)
    )
    tcp = await asyncio.start_server(tcp_handler(responder), args.address, args.port)
    stopped = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stopped.set)
    loop.add_signal_handler(signal.SIGINT, stopped.set)
    responder.record(event="listening", address=args.address, port=args.port)
    await stopped.wait()
    udp.close()
    tcp.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--zone-file", required=True)
    parser.add_argument("--behaviour", choices=BEHAVIOURS, required=True)
    parser.add_argument("--record", required=True, help="JSON-lines file of queries")
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
