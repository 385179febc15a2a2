#!/usr/bin/env python3
"""tests/fuzz: writes the seed corpora (corpus/NAME/seed-*) from the dialogues and documents
below, so every seed says where it came from. Run it after changing a seed; the files are
committed, and the fuzzers' own finds stay out of the tree (run.sh keeps them in its work
folder)."""
import pathlib
import zlib

HERE = pathlib.Path(__file__).resolve().parent


def flags(value, seed, text):
    return bytes([value, seed]) + text


SERVER = {
    # flags: 1 STARTTLS, 2 AUTH, 4 relay client, 8 normalise bare newlines, 16 TLS required,
    # 32 a recipient policy that refuses "reject" addresses.
    "data": flags(4, 0, b"EHLO client.example\r\nMAIL FROM:<a@b.example> BODY=8BITMIME "
                  b"RET=HDRS ENVID=QQ+2B1 SIZE=100\r\nRCPT TO:<c@d.example> NOTIFY=SUCCESS,FAILURE "
                  b"ORCPT=rfc822;c+40d.example\r\nRCPT TO:<reject@d.example>\r\nDATA\r\n"
                  b"Received: from x\r\nSubject: hi\r\n\r\nbody\r\n..dot\r\n.\r\nQUIT\r\n"),
    "bdat": flags(36, 3, b"EHLO client.example\r\nMAIL FROM:<>\r\nRCPT TO:<c@d.example>\r\n"
                  b"BDAT 7\r\nSubj: xBDAT 4 LAST\r\n\r\nhiRSET\r\nMAIL FROM:<a@b>\r\nBDAT 1\r\nx"
                  b"RCPT TO:<e@f>\r\nBDAT 0 LAST\r\nQUIT\r\n"),
    "tls_auth": flags(3, 7, b"EHLO c\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\nSTARTTLS\r\nEHLO c\r\n"
                      b"AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\nAUTH LOGIN\r\nYWxpY2U=\r\nc2VjcmV0\r\n"
                      b"AUTH PLAIN\r\n*\r\nMAIL FROM:<a@b> AUTH=<>\r\nRCPT TO:<x@[127.0.0.1]>\r\n"
                      b"DATA\r\n.\r\nQUIT\r\n"),
    "misc": flags(24, 11, b"HELO c\r\nVRFY x\r\nEXPN y\r\nHELP\r\nNOOP\r\nMAIL FROM:<a@b>\r\n"
                  b"DATA\r\nRCPT TO:<\"q x\"@[IPv6:::1]>\r\nRSET\r\nSTARTTLS\r\nXYZZY\r\n"
                  b"MAIL FROM:<@r1,@r2:u@d.example>\r\nRCPT TO:<postmaster>\r\nDATA\r\n"
                  b"a\nb\rc\r\n.\r\nQUIT\r\n"),
}

EHLO_FULL = (b"220 mx.example ESMTP\r\n250-mx.example\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
             b"250-DSN\r\n250-SMTPUTF8\r\n250-CHUNKING\r\n250 SIZE 1000000\r\n")
CLIENT = {
    # flags: bits 0-1 TLS policy (none, may, encrypt, verify), 4 BDAT, 8 credentials,
    # 16 implicit TLS, 32 8-bit content, 64 SMTPUTF8.
    "pipelined": flags(0, 0, EHLO_FULL + b"250 2.1.0 ok\r\n250 2.1.5 ok\r\n550 5.1.1 no\r\n"
                       b"250 2.1.5 ok\r\n354 go\r\n250 2.0.0 queued\r\n250 2.0.0 reset\r\n"
                       b"250 2.1.0 ok\r\n250 2.1.5 ok\r\n354 go\r\n451 4.3.0 later\r\n221 bye\r\n"),
    "bdat": flags(36, 1, EHLO_FULL + b"250 2.1.0 ok\r\n250 2.1.5 ok\r\n250 2.1.5 ok\r\n"
                  b"250 2.1.5 ok\r\n250 2.0.0 chunk ok\r\n250 2.1.0 ok\r\n250 2.1.5 ok\r\n"
                  b"550 5.7.1 refused\r\n221 bye\r\n"),
    "starttls_auth": flags(9, 2, b"220 mx\r\n250-mx\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n"
                           b"220 2.0.0 go\r\n250-mx\r\n250 AUTH PLAIN LOGIN\r\n235 2.7.0 ok\r\n"
                           b"250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n250 ok\r\n"),
    "helo_fallback": flags(32, 5, b"220 mx\r\n502 5.5.1 no EHLO\r\n250 mx\r\n250 ok\r\n"
                           b"250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n250 ok\r\n421 4.3.2 bye\r\n"),
    "surplus": flags(4, 9, EHLO_FULL + b"250 2.1.0 ok\r\n250 2.0.0 extra\r\n250 2.1.5 ok\r\n"
                     b"550 5.7.1 no\r\n"),
    "multiline": flags(2, 4, b"220-mx\r\n220 hi\r\n250-mx\r\n250-STARTTLS\r\n250 SIZE\r\n"
                       b"220 go\r\n250 mx\r\n250 ok\r\n550-5.1.1 a\r\n550 5.1.1 b\r\n"),
}

ARGUMENTS = {
    "mail": b"FROM:<a@b.example> SIZE=100 BODY=8BITMIME RET=FULL ENVID=QQ+2B1 SMTPUTF8",
    "rcpt": b"TO:<\"q x\"@[IPv6:::1]> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;a+40b.example",
    "route": b"<@r1.example,@r2.example:u@d.example>",
    "literal": b"<user@[127.0.0.1]>",
    "orcpt": b"rfc822;a+40b+2Bc.example",
    "notify": b"NEVER",
    "chunk": b"100 LAST",
    "command": b"MAIL FROM:<x@y.example>",
    "utf8": "<jos\u00e9@exampl\u00e9.example>".encode(),
}

DOWNGRADE = {
    "text": b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            b"Content-Transfer-Encoding: 8bit\r\n\r\ncaf\xc3\xa9 \r\nline\t\r\n",
    "multipart": b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
                 b"preamble\r\n--b1\r\nContent-Type: text/plain\r\n\r\n\xe9t\xe9\r\n--b1\r\n"
                 b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                 b"\x80\x81\xff\r\n--b1\r\nContent-Type: multipart/alternative; boundary=b2\r\n\r\n"
                 b"--b2\r\nContent-Type: text/html\r\n\r\n<p>\xc3\xa9</p>\r\n--b2--\r\n--b1--\r\n"
                 b"epilogue\r\n",
    "rfc822": b"MIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n\r\nSubject: x\r\n\r\n\xe9\r\n",
    "seven_bit": b"Subject: plain\r\n\r\nnothing to convert\r\n",
}


def record(fields, body):
    text = b"MXQ1\n" + b"".join(b"%s %s\n" % kv for kv in fields) + b"size %d\n\n" % len(body) + body
    return text + b"END %08x\n" % zlib.crc32(text)


SPOOL = {
    "record": record([(b"id", b"00061A2B3C4D5E6F"), (b"arrival", b"1764081322"),
                      (b"client", b"127.0.0.10"), (b"helo", b"domino.example"),
                      (b"from", b"a@b.example"), (b"ret", b"full"), (b"envid", b"QQ1"),
                      (b"rcpt", b"c@d.example"), (b"notify", b"success,failure"),
                      (b"orcpt", b"rfc822;c@d.example"), (b"rcpt", b"e@f.example")],
                     b"Subject: x\r\n\r\nbody\r\n"),
    "bounce": record([(b"id", b"1"), (b"arrival", b"0"), (b"client", b"::1"), (b"helo", b"h"),
                      (b"from", b""), (b"rcpt", b"x@y")], b""),
    "recipient_log": b"0 delivered 250 2.0.0 Ok\n1 failed 550 5.1.1 no such user\n2 delivered 25",
}

DSN = {
    # flags: action (failed, delayed, delivered) and 4 RET=FULL; NUL separates sender,
    # recipient, ENVID, ORCPT, remote MTA, remote reply, original message.
    "failed": b"\x00a@b.example\x00c@d.example\x00QQ1\x00c@d.example\x00mx.d.example\x00"
              b"550 5.1.1 <c@d.example>: no such user\x00Subject: x\r\n\r\nbody\r\n",
    "delayed_full": b"\x05\x00c@d.example\x00\x00\x00mx\x1b[2J.example\x00"
                    b"451 4.7.0 try later\rX-Injected: yes\x00From: x\r\n\r\n--b\r\n",
    "eight_bit": "\x02jos\u00e9@b.example\x00c@d.example\x00\x00\x00\x00"
                  "250 2.0.0 ok \u00e9\x00".encode(),
}

CONFIG = {
    "reference": (HERE.parent.parent / "conf" / "mxrelay.toml").read_bytes(),
    "transport": (HERE.parent.parent / "conf" / "transport.toml").read_bytes(),
    "small": b"[server]\nlisten = [\"127.0.0.1:2525\"]\nrelay_networks = [\"127.0.0.0/8\"]\n"
             b"[queue]\ndir = \"spool\"\nmax_lifetime = \"5d\"\n[delivery]\ntls = \"may\"\n"
             b"[transport]\n\"outlook.com\" = { host = \"outlook-com.olc.protection.outlook.com\" }\n"
             b"\".corp.example\" = { host = \"[127.0.0.5]:2525\", tls = \"none\" }\n"
             b"\"*\" = { action = \"reject\", reason = \"no\" }\n",
}


def name(labels):
    return b"".join(bytes([len(label)]) + label for label in labels) + b"\x00"


def rr(kind, rdata, owner=0):
    return bytes([kind | owner << 3, len(rdata)]) + rdata


DNS = {
    # first octet: bits 0-2 IP version, bits 3-5 rcode/flags of the MX answer; then
    # [kind][length][rdata]: kind 0-3 MX, 4 A, 5 AAAA, 6 TLSA, 7 CNAME target (owner index in
    # the upper bits for addresses).
    "two_mx": b"\x00" + rr(0, b"\x00\x0a" + name([b"mx1", b"fuzz", b"example"]))
              + rr(1, b"\x00\x14" + name([b"mx2", b"fuzz", b"example"]))
              + rr(4, bytes([127, 0, 0, 2])) + rr(4, bytes([127, 0, 0, 3]), 1)
              + rr(5, bytes(15) + b"\x01") + rr(6, b"\x03\x01\x01" + bytes(32)),
    "null_mx": b"\x00" + rr(0, b"\x00\x00\x00"),
    "implicit": b"\x00" + rr(4, bytes([127, 0, 0, 4])) + rr(7, b"alias.fuzz.example"),
    "servfail": b"\x20" + rr(0, b"\x00\x0a" + name([b"mx"])),
    "multicast": b"\x01" + rr(0, b"\x00\x0a" + name([b"mx"])) + rr(4, bytes([224, 0, 0, 1]))
                 + rr(4, bytes([0, 0, 0, 0])) + rr(4, bytes([127, 0, 0, 1])),
}
SPF = {
    "ip4": b"v=spf1 ip4:192.0.2.0/24 -all",
    "include_redirect": b"v=spf1 include:d1.fuzz.example redirect=d2.fuzz.example\x00"
                        b"v=spf1 ~all\x00v=spf1 a mx ptr -all",
    "macros": b"v=spf1 exists:%{ir}.%{l1r-}.%{d2}.x.fuzz.example a:%{H}.%{v}/24//64 ?all",
    "loop": b"v=spf1 include:d1.fuzz.example -all\x00v=spf1 include:d1.fuzz.example",
    "broken": b"v=spf1 ip4:300.1.1.1 %{p} redirect= exp=",
}
MTA_STS = {
    "enforce": b"version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\n"
               b"mx: *.mail.example.net\r\nmax_age: 604800\r\n\x00v=STSv1; id=20261204T1",
    "testing_lf": b"version: STSv1\nmode: testing\nmx: MX.Example.COM.\nmax_age: 86400\n"
                  b"\x00v=STSv1; id=a\x00v=spf1 -all",
    "none": b"version: STSv1\nmode: none\nmax_age: 0\n\x00v=STSv1;id=;",
    "broken": b"version: STSv2\nmode: enforce\nmode: testing\nmx: *.*.example\n"
              b"max_age: 99999999999\n\x00v=STSv1; id=x\x00v=STSv1; id=y",
}
THROTTLE = {
    "microsoft": b"451 4.7.650 The mail server [192.0.2.1] has been temporarily rate limited "
                 b"due to IP reputation.",
    "google": b"450 4.2.1 The user you are trying to contact is receiving mail at a rate that "
              b"prevents additional messages",
    "yahoo": b"421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred",
    "permanent": b"554 5.7.9 [TSS04] too many connections",
    "short": b"4",
}

LOG_SCAN = {
    "payloads": b"\x01\x02first message\x00second\x00third one, a little longer",
    "magic": b"MXLG\x4d\x00\x00\x00\x05\x00\x00\x00" + b"\x00" * 8 + b"hello",
    "zeros": b"\x00" * 64,
}


def main():
    for harness, seeds in [("smtp_server_session", SERVER), ("smtp_client_session", CLIENT),
                           ("smtp_arguments", ARGUMENTS), ("eight_bit_downgrade", DOWNGRADE),
                           ("spool_record", SPOOL), ("log_scan", LOG_SCAN), ("dsn_report", DSN), ("config", CONFIG),
                           ("dns_route", DNS), ("spf", SPF),
                           ("mta_sts", MTA_STS), ("throttle_reply", THROTTLE)]:
        folder = HERE / "corpus" / harness
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("seed-*"):
            old.unlink()
        for seed, data in seeds.items():
            (folder / f"seed-{seed}").write_bytes(data)


if __name__ == "__main__":
    main()
