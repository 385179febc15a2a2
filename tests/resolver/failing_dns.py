#!/usr/bin/python3
"""tests/resolver: a DNS responder that fails on purpose (what NSD cannot do).

Usage: failing_dns.py ADDRESS PORT
MX queries get SERVFAIL; A queries get 127.4.0.1 (the "domain's A record" that must never
be used); anything else gets an empty NOERROR answer.
"""
import signal
import sys

from dnslib import QTYPE, RCODE, RR, A
from dnslib.server import DNSLogger, DNSServer


class ServfailForMx:
    def resolve(self, request, handler):
        reply = request.reply()
        if request.q.qtype == QTYPE.MX:
            reply.header.rcode = RCODE.SERVFAIL
        elif request.q.qtype == QTYPE.A:
            reply.add_answer(RR(request.q.qname, QTYPE.A, rdata=A("127.4.0.1"), ttl=60))
        return reply


def main():
    address, port = sys.argv[1], int(sys.argv[2])
    server = DNSServer(ServfailForMx(), address=address, port=port,
                       logger=DNSLogger(log="+request", prefix=False))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server.start()


if __name__ == "__main__":
    main()
