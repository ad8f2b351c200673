package cli

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/capsuled/capsuled/internal/api"
	"github.com/capsuled/capsuled/internal/logstore"
	"github.com/capsuled/capsuled/internal/varlink"
)

// levels are the syslog level names journalctl -p takes.
var levels = []string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

// parsePriority reads a level as journalctl -p does: a name or 0-7. A
// range "FROM..TO" is not taken.
func parsePriority(s string) (int, error) {
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n <= 7 {
		return n, nil
	}
	for i, l := range levels {
		if strings.EqualFold(s, l) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("unknown log level %q", s)
}

// logs prints log lines of units (or, without -u, of the whole manager)
// and, with -f, new ones as they come, until interrupted.
func (c *ctl) logs(args, pos []string) error {
	if len(pos) > 0 {
		return fail(exitUsage, "logs takes no arguments; name units with -u UNIT")
	}
	req := api.LogsRequest{Lines: -1, Follow: c.o.follow, Invocation: c.o.invocation}
	for _, u := range c.o.units {
		// A pattern is matched by the manager against the units of the
		// log lines, as journalctl -u matches those in the journal.
		if !isGlob(u) {
			u = withSuffix(u)
		}
		req.Units = append(req.Units, u)
	}
	if flagGiven(args, "n", "lines") || c.o.follow {
		req.Lines = c.o.lines
	}
	prio := c.o.priority
	if len(c.o.props) > 0 {
		prio = c.o.props[len(c.o.props)-1] // -p is --priority here
	}
	if prio != "" {
		p, err := parsePriority(prio)
		if err != nil {
			return fail(exitUsage, "Failed to parse --priority= argument: %v", err)
		}
		req.Priority = &p
	}
	now := time.Now()
	for _, b := range []struct {
		opt, val string
		dst      *int64
	}{{"since", c.o.since, &req.Since}, {"until", c.o.until, &req.Until}} {
		if b.val == "" {
			continue
		}
		t, err := parseBaseTime(b.val, time.Local, now)
		if err != nil {
			return fail(exitUsage, "Failed to parse --%s= timestamp: %s", b.opt, b.val)
		}
		*b.dst = t.UnixMicro()
	}
	shown := 0
	err := c.t.client.CallMore(api.MethodGetLogs, req, func(p json.RawMessage, _ bool) error {
		var l api.LogLines
		if err := json.Unmarshal(p, &l); err != nil {
			return err
		}
		for _, e := range l.Entries {
			fmt.Fprintln(c.io.Stdout, formatEntry(e, l.Hostname, c.o.output))
		}
		shown += len(l.Entries)
		return nil
	})
	if varlink.IsError(err, api.ErrNoSuchUnit) {
		return fail(exitFailure, "%v", err) // --invocation=0 of a unit without one
	}
	if err != nil {
		return fail(exitFailure, "Failed to read logs: %v", err)
	}
	// As journalctl: on stdout, in the short format only, not when
	// following.
	if shown == 0 && !c.o.quiet && !c.o.follow && (c.o.output == "" || c.o.output == "short") {
		fmt.Fprintln(c.io.Stdout, "-- No entries --")
	}
	return nil
}

// formatEntry renders e as journalctl's output modes do: short (the
// default), cat (the message alone) or json (the entry's journald
// fields). Whatever a unit wrote is escaped before it reaches a terminal.
func formatEntry(e api.LogEntry, host, mode string) string {
	l := entryLine(e)
	switch mode {
	case "json":
		return l.JSON()
	case "cat":
		return printable(e.Message)
	}
	return printable(l.Format(host))
}

func entryLine(e api.LogEntry) logstore.Line {
	return logstore.Line{Time: time.UnixMicro(e.Time), Unit: e.Unit, Ident: e.Ident, PID: e.PID,
		Priority: e.Priority, Invoc: e.Invocation, Manager: e.Manager, Message: e.Message}
}
