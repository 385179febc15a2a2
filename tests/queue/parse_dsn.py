#!/usr/bin/python3
"""Parses every golden DSN (tests/fixtures/dsn/*.eml) with Python's email package and
checks the RFC 3464 / RFC 6522 structure: multipart/report with report-type
delivery-status, a text/plain part, a message/delivery-status part whose per-message and
per-recipient fields are present and consistent, and the returned headers or message.
Usage: parse_dsn.py DIR. Exits 1 and names every problem found."""

import email
import email.parser
import email.policy
import pathlib
import re
import sys

# What each golden file must contain: the Action of each recipient in order, and the
# content type of the returned original.
EXPECTED = {
    "failed_hdrs.eml": (["failed"], "text/rfc822-headers"),
    "failed_full.eml": (["failed"], "message/rfc822"),
    "delayed.eml": (["delayed"], "text/rfc822-headers"),
    "multi_recipient.eml": (["failed", "failed", "delayed"], "text/rfc822-headers"),
}
STATUS_CLASS = {"failed": "5", "delayed": "4", "delivered": "2", "relayed": "2", "expanded": "2"}
SUBJECTS = {
    "failed": "Undelivered Mail Returned to Sender",
    "delayed": "Delayed Mail (still being retried)",
}


def check_lines(raw, problems):
    for number, line in enumerate(raw.split(b"\r\n"), start=1):
        if b"\r" in line or b"\n" in line:
            problems.append(f"line {number}: bare CR or LF")
        if len(line) > 998:
            problems.append(f"line {number}: {len(line)} octets")
    if not raw.endswith(b"\r\n"):
        problems.append("no final CRLF")


def check_recipient(block, problems):
    action = block.get("Action", "")
    status = block.get("Status", "")
    if not block.get("Final-Recipient", "").startswith("rfc822; "):
        problems.append(f"Final-Recipient: {block.get('Final-Recipient')!r}")
    if action not in STATUS_CLASS:
        problems.append(f"Action: {action!r}")
    elif not re.fullmatch(STATUS_CLASS[action] + r"\.\d{1,3}\.\d{1,3}", status):
        problems.append(f"Status {status!r} does not fit Action {action}")
    if "Remote-MTA" in block and not block["Remote-MTA"].startswith("dns; "):
        problems.append(f"Remote-MTA: {block['Remote-MTA']!r}")
    if "Diagnostic-Code" in block and not block["Diagnostic-Code"].startswith("smtp; "):
        problems.append(f"Diagnostic-Code: {block['Diagnostic-Code']!r}")
    if ("Will-Retry-Until" in block) != (action == "delayed"):
        problems.append("Will-Retry-Until present exactly for delayed recipients expected")
    return action


def check_returned(part, expected_type, problems):
    if part.get_content_type() != expected_type:
        problems.append(f"part 3 is {part.get_content_type()}, expected {expected_type}")
        return
    if expected_type == "message/rfc822":
        original = part.get_payload()[0]
        if not original.get_payload():
            problems.append("message/rfc822 part has no body")
    else:
        original = email.parser.HeaderParser().parsestr(part.get_payload())
    for name in ("From", "Subject", "Message-ID"):
        if original.get(name) is None:
            problems.append(f"returned headers lack {name}")


def check_file(path):
    problems = []
    raw = path.read_bytes()
    check_lines(raw, problems)
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    if message.get_content_type() != "multipart/report":
        return [f"content type {message.get_content_type()}"]
    if message.get_param("report-type") != "delivery-status":
        problems.append(f"report-type {message.get_param('report-type')!r}")
    if not message.get("From", "").startswith("Mail Delivery System <MAILER-DAEMON@"):
        problems.append(f"From: {message.get('From')!r}")
    if message.get("Auto-Submitted") != "auto-replied":
        problems.append("Auto-Submitted missing")
    for name in ("To", "Date", "Message-ID", "Subject"):
        if message.get(name) is None:
            problems.append(f"{name} missing")
    parts = message.get_payload()
    if len(parts) != 3:
        return problems + [f"{len(parts)} parts instead of 3"]
    human, report, returned = parts
    if human.get_content_type() != "text/plain" or not human.get_payload().strip():
        problems.append("part 1 is not a non-empty text/plain")
    if report.get_content_type() != "message/delivery-status":
        return problems + [f"part 2 is {report.get_content_type()}"]
    blocks = report.get_payload()
    per_message, recipients = blocks[0], blocks[1:]
    if not per_message.get("Reporting-MTA", "").startswith("dns; "):
        problems.append(f"Reporting-MTA: {per_message.get('Reporting-MTA')!r}")
    if per_message.get("Arrival-Date") is None:
        problems.append("Arrival-Date missing")
    actions = [check_recipient(block, problems) for block in recipients]
    expected_actions, expected_returned = EXPECTED.get(path.name, (actions, None))
    if actions != expected_actions:
        problems.append(f"actions {actions}, expected {expected_actions}")
    for action, subject in SUBJECTS.items():
        if action in actions:
            if message.get("Subject") != subject:
                problems.append(f"Subject {message.get('Subject')!r} with action {action}")
            break
    check_returned(returned, expected_returned or returned.get_content_type(), problems)
    return problems


def main():
    folder = pathlib.Path(sys.argv[1])
    files = sorted(folder.glob("*.eml"))
    missing = set(EXPECTED) - {path.name for path in files}
    failed = bool(missing)
    if missing:
        print(f"missing golden files: {sorted(missing)}")
    for path in files:
        problems = check_file(path)
        failed = failed or bool(problems)
        print(f"{path.name}: {'; '.join(problems) if problems else 'ok'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
