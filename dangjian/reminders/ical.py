"""A minimal iCalendar (RFC 5545) writer for the calendar feed: all-day events, text escaped, lines folded at
75 octets. The feed is read by calendar clients (Outlook, 手机日历); the tests parse it with `icalendar`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

PRODID = "-//dangjian//市级机关党建信息化平台//ZH"


@dataclass(frozen=True)
class Event:
    uid: str
    day: dt.date
    summary: str
    description: str = ""
    url: str = ""
    location: str = ""
    sequence: int = 0  # raised by each change of the event, so that clients replace their copy
    cancelled: bool = False  # STATUS:CANCELLED: clients that showed the event take it away or strike it out


def escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Splits a content line into lines of at most 75 octets, never inside a UTF-8 character."""
    out: list[str] = []
    current = b""
    for char in line:
        encoded = char.encode()
        limit = 75 if not out else 74  # a continuation line starts with one space
        if len(current) + len(encoded) > limit:
            out.append(current.decode())
            current = b""
        current += encoded
    out.append(current.decode())
    return "\r\n ".join(out)


def calendar(name: str, events: list[Event], *, stamp: dt.datetime) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape(name)}",
    ]
    stamp_text = stamp.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    for e in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{escape(e.uid)}",
            f"DTSTAMP:{stamp_text}",
            f"DTSTART;VALUE=DATE:{e.day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{e.day + dt.timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{escape(e.summary)}",
        ]
        if e.sequence:
            lines.append(f"SEQUENCE:{e.sequence}")
        if e.cancelled:
            lines.append("STATUS:CANCELLED")
        if e.description:
            lines.append(f"DESCRIPTION:{escape(e.description)}")
        if e.location:
            lines.append(f"LOCATION:{escape(e.location)}")
        if e.url:
            lines.append(f"URL:{e.url}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
