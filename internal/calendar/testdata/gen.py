#!/usr/bin/env python3
"""Generate testdata/systemd257.tsv: calendar events with the normalized
form and next elapses that systemd 257's own `systemd-analyze calendar`
computes for them.

Run as root on a machine with the Debian trixie rootfs of
/work/shared/reference/systemd257 (systemd 257) at ROOT:

    python3 internal/calendar/testdata/gen.py [ROOT] > internal/calendar/testdata/systemd257.tsv

Each line: TZ, base time (seconds since the epoch), expression, then
either "ok", the normalized form and up to 5 next elapses (seconds since
the epoch, from the "(in UTC)" lines; systemd prints whole seconds), or
"err" and the message systemd-analyze prints. Fields are tab-separated;
expressions contain no tabs. The choice of expressions is random with a
fixed seed, so the table is reproducible.
"""
import calendar
import random
import subprocess
import sys
import time

ROOT = sys.argv[1] if len(sys.argv) > 1 else "/var/tmp/anchor/trixie"

WEEKDAYS = ["", "", "", "Mon", "Mon..Fri", "Sat,Sun", "Tue-Thu", "Wed,Fri..Sun",
            "mon,TUE", "Sunday", "Mon,Wed,Fri", "Fri..Sun,"]
DATES = ["", "", "*-*-*", "*-*-1", "*-*~1", "*-02~1..3", "2026-*-*", "2026..2027-03,10-*",
         "*-1/2-1", "*-*-1/7", "*-*-29..31", "*-2-29", "27-*-*", "*-12-25", "*-*~7/2",
         "*-*-31", "2026-3-29", "2026-10-25", "2026-11-01", "2026-03-08", "*-3,10,11-*",
         "*-*~03", "2027-*-1..7", "*-*-8..14"]
TIMES = ["", "02:30", "*:*", "*:0/15", "00/6:00", "1..4:30", "2:*", "3:00", "01:30:30",
         "*:*:0/7.5", "*:*:*", "*:*:1.25", "12:00:00.5/0.75", "2,14:0,30", "*:*:10..20",
         "2:00..59/20", "0..23/5:10", "*:59:59", "1:59:59.999999", "*:*:0/0.4"]
ZONES = ["", "", "", " UTC", " Europe/Berlin", " America/New_York", " Asia/Tokyo",
         " Australia/Lord_Howe"]
SHORTHANDS = ["minutely", "hourly", "daily", "monthly", "weekly", "yearly", "annually",
              "quarterly", "semiannually", "semi-annually", "bi-annually", "DAILY", "Hourly"]
PROCESS_TZ = ["UTC", "Europe/Berlin", "America/New_York"]
PROCESS_TZ2 = ["Australia/Lord_Howe", "Asia/Tokyo", "Europe/London"]
EDGE = ["@+5", "@ 5", "@-1", "@-0", "Mon @5", "*-*-* 12:00 JDT", "*-*-* 12:00 JST",
        "*-*-* 12:00 LMT", "*-*-* 12:00 utc", "*-*-* 12:00 Etc/UTC", "*-*-* 12:00 posixrules",
        "*-*-* 12:00 Factory", "2199-12-31 23:59:59", "*-02-29 Mon", "Mon *-02-29",
        "*-*-* 02:00 BST", "*-*-* 01:30 GMT", "*-*-* 01:30 +1030", "*-*-* 02:15 +11",
        "*-*-* 01:45:00", "*-*-* 02:00/15:00", "*-*~1 *:30", "2026-04-05 01:45",
        "2026-10-04 02:15", "*-10,3,4-* 1..2:0/15", "Sun *-*-1..7 1:30"]


def ts(s):
    return calendar.timegm(time.strptime(s, "%Y-%m-%d %H:%M:%S"))


BASES = {
    # around the 2026 daylight saving changes of each zone, and plain days
    "UTC": [ts("2026-11-30 00:33:17"), ts("2026-02-28 23:59:59")],
    "Europe/Berlin": [ts("2026-03-29 00:10:00"), ts("2026-10-24 23:40:00"),
                      ts("2026-10-25 00:30:00"), ts("2026-06-30 21:59:59")],
    "America/New_York": [ts("2026-03-08 06:20:00"), ts("2026-11-01 05:10:00"),
                         ts("2026-11-01 06:15:00"), ts("2026-12-31 04:59:30")],
    # Lord Howe shifts by 30 minutes at 02:00 local on the first Sundays of
    # April and October
    "Australia/Lord_Howe": [ts("2026-04-04 14:00:00"), ts("2026-10-03 15:00:00")],
    "Asia/Tokyo": [ts("2026-10-24 15:00:00")],
    "Europe/London": [ts("2026-03-29 00:30:00"), ts("2026-10-25 00:30:00")],
}
LOCAL_ABBR = {"Europe/Berlin": [" CET", " CEST"], "America/New_York": [" EST", " EDT"], "UTC": [],
              "Australia/Lord_Howe": [" +1030", " +11"], "Asia/Tokyo": [" JST", " JDT"],
              "Europe/London": [" GMT", " BST"]}

INVALID = ["bad", "*-*-* 25:00", "Mon..", "Fri..Mon", "*:*:60", "*-13-1", "*-*-32",
           "2300-01-01", "*:*:5..5.5", "*-*~29", "@", "*:0/0", "1:2:3:4", "Mon-",
           "*-*-* 0:0 Mars/Phobos", "", " ", "*-*-1/31", "*:*:50/20", "2026-02-30~1",
           "Mon,,Tue", "Mond", "*-*-* 1.5:00", "*:*:1.", "12", "12:", "*-*", "1-2-3-4",
           "*:*:*.5", "99999999999999999999-1-1", "@99999999999", "*:*:0/0.0000001",
           "Mon..Wed..Fri", "*-*-* *:*:* Europe/Nowhere", "now", "tomorrow", "1h",
           "2026-01-01 12:00:00 +0100", "*~1~2", "0-0-0", "24:00"]
EXTRA_VALID = ["@1774746000", "@0", "Mon..Wed..Sun", "*-*-* 00:00:00", "*-*-*  0:0",
               "Sat,Sun 2026-*-* 00/2:00", "*:*:0.000001/0.5", "Mon-Wed,Fri",
               "2026-10-25 02:30 Europe/Berlin", "2026-03-29 02:30 Europe/Berlin",
               "2026-11-01 01:30 America/New_York", "2026-03-08 02:30 America/New_York",
               "*-*-* 02:30 Europe/Berlin", "*-*-* 01:30 America/New_York",
               "*-*-* 02:00..59/10:00", "*-*-* *:*:59.5", "2026-10-25 01:59:59.5 UTC",
               "*-10~1 03:00", "*-*~1 02:30", "Sun *-*-* 02:30", "Sun *-*~07 01:00"]


def run(tz, base, expr):
    p = subprocess.run(["chroot", ROOT, "env", "TZ=" + tz, "SYSTEMD_COLORS=0",
                        "systemd-analyze", "calendar", "--iterations=5",
                        "--base-time=@%d" % base, expr],
                       capture_output=True, text=True)
    if p.returncode != 0:
        msg = [l for l in p.stderr.splitlines() if l.startswith("Failed")]
        return ["err", msg[0] if msg else p.stderr.strip().replace("\t", " ")]
    norm, nexts, local = None, [], []
    for line in p.stdout.splitlines():
        key, _, val = line.strip().partition(": ")
        if key == "Normalized form":
            norm = val
        elif key in ("Next elapse",) or key.startswith("Iteration #"):
            local.append(val)
            if val == "never":
                break
            if tz == "UTC":
                nexts.append(parse_utc(val))
        elif key == "(in UTC)":
            nexts.append(parse_utc(val))
    return ["ok", norm] + [str(n) for n in nexts]


def parse_utc(val):
    # "Sun 2026-04-05 00:30:00 UTC"
    return calendar.timegm(time.strptime(val[4:23], "%Y-%m-%d %H:%M:%S"))


def field(rnd, lo, hi, usec=False):
    """A random field: '*' or a list of values, ranges and repetitions."""
    if rnd.random() < 0.25:
        return "*"
    parts = []
    for _ in range(rnd.randint(1, 3)):
        a = rnd.randint(lo, hi)
        s = str(a)
        if usec and rnd.random() < 0.3:
            s += ".%d" % rnd.randint(0, 999)
        if rnd.random() < 0.3:
            s += "..%d" % rnd.randint(a, hi)
        if rnd.random() < 0.3:
            s += "/%d" % rnd.randint(1, max(1, (hi - lo) // 2))
        parts.append(s)
    return ",".join(parts)


def random_fields(n):
    """n events built field by field, many of them invalid, in several
    zones, from base times near daylight saving changes."""
    rnd = random.Random(99)
    tzs = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC",
           "America/Sao_Paulo", "Pacific/Apia"]
    rows = []
    for _ in range(n):
        tz = rnd.choice(tzs)
        base = rnd.choice([1774746000 + rnd.randint(-7200, 7200), 1792888200 + rnd.randint(-7200, 7200),
                           1772953200 + rnd.randint(-9000, 9000), 1793512800 + rnd.randint(-9000, 9000)])
        date = "%s-%s%s%s" % (rnd.choice(["*", field(rnd, 2025, 2030)]), field(rnd, 1, 12),
                              rnd.choice(["-", "-", "~"]), field(rnd, 1, 28 if rnd.random() < 0.5 else 31))
        tm = "%s:%s:%s" % (field(rnd, 0, 23), field(rnd, 0, 59), field(rnd, 0, 59, True))
        z = rnd.choice(["", "", " UTC", " Europe/Berlin", " America/New_York", " Australia/Lord_Howe"])
        expr = " ".join(x for x in [rnd.choice(WEEKDAYS), date, tm] if x) + z
        rows.append((tz, base, expr))
    return rows


def main():
    rnd = random.Random(257)
    rows = []
    for tz in PROCESS_TZ:
        for base in BASES[tz]:
            for expr in SHORTHANDS[:6] + EXTRA_VALID[:8]:
                rows.append((tz, base, expr))
            for _ in range(60):
                parts = [rnd.choice(WEEKDAYS), rnd.choice(DATES), rnd.choice(TIMES)]
                expr = " ".join(p for p in parts if p)
                if not expr:
                    expr = "*-*-*"
                z = rnd.choice(ZONES + LOCAL_ABBR[tz])
                rows.append((tz, base, expr + z))
        for expr in EXTRA_VALID[8:] + SHORTHANDS[6:]:
            rows.append((tz, BASES[tz][0], expr))
        for expr in INVALID:
            rows.append((tz, BASES[tz][0], expr))
    # More zones (a 30-minute daylight shift, a zone without daylight time
    # since 1951, one whose standard offset is 0) and edge cases.
    for tz in PROCESS_TZ2:
        for base in BASES[tz]:
            for _ in range(25):
                parts = [rnd.choice(WEEKDAYS), rnd.choice(DATES), rnd.choice(TIMES)]
                expr = " ".join(p for p in parts if p) or "*-*-*"
                rows.append((tz, base, expr + rnd.choice(ZONES + LOCAL_ABBR[tz])))
            for expr in EDGE:
                rows.append((tz, base, expr))
    rows += random_fields(400)
    for tz, base, expr in rows:
        print("\t".join([tz, str(base), expr] + run(tz, base, expr)))


main()
