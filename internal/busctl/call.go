package busctl

import (
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

func checkNames(service, p, iface string) error {
	switch {
	case !ValidServiceName(service):
		return failf("Invalid service name: " + service)
	case !ValidObjectPath(p):
		return failf("Invalid object path: " + p)
	case !ValidInterfaceName(iface):
		return failf("Invalid interface name: " + iface)
	}
	return nil
}

// printReply prints a reply's values as busctl does: the signature and
// the values in argument syntax, or --verbose's dump, or JSON.
func printReply(e *Env, values []Value) error {
	if e.Opt.JSON != "" {
		return JSONMessage(values).Print(e.Out, e.Opt.JSON == "pretty")
	}
	return writeOut(e.Out, func(w textSink) {
		if e.Opt.Verbose {
			writeDumpBody(w, values)
			return
		}
		w.WriteString(Signature(values) + " ")
		writeCmdline(w, values)
		w.WriteString("\n")
	})
}

func argsBody(sig string, words []string) ([]Value, error) {
	body, rest, err := ParseArgs(sig, words)
	if err != nil {
		return nil, failf(err.Error())
	}
	if len(rest) > 0 {
		return nil, failf("Too many parameters for signature.")
	}
	return body, nil
}

// Call calls a method: SERVICE OBJECT INTERFACE METHOD [SIGNATURE [ARGS...]].
func Call(c *Conn, e *Env, args []string) error {
	if len(args) < 4 {
		return failf("Too few arguments.")
	}
	if err := checkNames(args[0], args[1], args[2]); err != nil {
		return err
	}
	if !ValidMemberName(args[3]) {
		return failf("Invalid member name: " + args[3])
	}
	m := &Message{Destination: args[0], Path: args[1], Interface: args[2], Member: args[3]}
	if !e.Opt.ExpectReply {
		m.Flags |= FlagNoReplyExpected
	}
	if !e.Opt.AutoStart {
		m.Flags |= FlagNoAutoStart
	}
	if e.Opt.AllowInteractive {
		m.Flags |= FlagAllowInteract
	}
	if len(args) > 4 && args[4] != "" {
		body, err := argsBody(args[4], args[5:])
		if err != nil {
			return err
		}
		m.Body = body
	} else if len(args) > 5 {
		return failf("Too many parameters for signature.")
	}
	if !e.Opt.ExpectReply {
		m.Type = TypeMethodCall
		if _, err := c.Send(m); err != nil {
			return failf("Failed to send message: " + ErrnoText(err))
		}
		return nil
	}
	r, err := c.Call(m)
	if err != nil {
		return failf("Call failed: " + busErrText(err))
	}
	if len(r.Body) == 0 || e.Opt.Quiet {
		return nil
	}
	return printReply(e, r.Body)
}

// GetProperty prints properties: SERVICE OBJECT INTERFACE PROPERTY...
func GetProperty(c *Conn, e *Env, args []string) error {
	if len(args) < 4 {
		return failf("Too few arguments.")
	}
	if err := checkNames(args[0], args[1], args[2]); err != nil {
		return err
	}
	for _, p := range args[3:] {
		r, err := c.CallMethod(args[0], args[1], "org.freedesktop.DBus.Properties", "Get", Str(args[2]), Str(p))
		if err != nil {
			return failf(fmt.Sprintf("Failed to get property %s on interface %s: %s", p, args[2], busErrText(err)))
		}
		if len(r.Body) != 1 || r.Body[0].Sig != "v" {
			return failf("Failed to parse reply: Invalid argument")
		}
		v := r.Body[0].Elems[0]
		var perr error
		if e.Opt.JSON != "" {
			perr = JSONVariant(v).Print(e.Out, e.Opt.JSON == "pretty")
		} else {
			perr = writeOut(e.Out, func(w textSink) {
				if e.Opt.Verbose {
					dumpValues(w, []Value{v}, 0, "")
					return
				}
				w.WriteString(v.Sig + " ")
				writeCmdline(w, []Value{v})
				w.WriteString("\n")
			})
		}
		if perr != nil {
			return perr
		}
	}
	return nil
}

// SetProperty sets a property: SERVICE OBJECT INTERFACE PROPERTY SIGNATURE ARGUMENT...
func SetProperty(c *Conn, e *Env, args []string) error {
	if len(args) < 5 {
		return failf("Too few arguments.")
	}
	if err := checkNames(args[0], args[1], args[2]); err != nil {
		return err
	}
	inner, rest, err := ParseArgs(args[4], args[5:])
	if err != nil {
		return failf(err.Error())
	}
	if len(inner) != 1 {
		return failf(fmt.Sprintf("Failed to open variant of signature '%s': Invalid argument", args[4]))
	}
	if len(rest) > 0 {
		return failf("Too many parameters for signature.")
	}
	_, err = c.CallMethod(args[0], args[1], "org.freedesktop.DBus.Properties", "Set", Str(args[2]), Str(args[3]),
		Value{Sig: "v", Elems: inner})
	if err != nil {
		return failf(fmt.Sprintf("Failed to set property %s on interface %s: %s", args[3], args[2], busErrText(err)))
	}
	return nil
}

// Emit sends a signal: OBJECT INTERFACE SIGNAL [SIGNATURE [ARGS...]].
func Emit(c *Conn, e *Env, args []string) error {
	if len(args) < 3 {
		return failf("Too few arguments.")
	}
	m := &Message{Type: TypeSignal, Path: args[0], Interface: args[1], Member: args[2], Destination: e.Opt.Destination}
	if !ValidObjectPath(m.Path) || !ValidInterfaceName(m.Interface) || !ValidMemberName(m.Member) ||
		m.Destination != "" && !ValidServiceName(m.Destination) {
		return failf("Failed to allocate message: Invalid argument")
	}
	if !e.Opt.AutoStart {
		m.Flags |= FlagNoAutoStart
	}
	if len(args) > 3 && args[3] != "" {
		body, err := argsBody(args[3], args[4:])
		if err != nil {
			return err
		}
		m.Body = body
	}
	if _, err := c.Send(m); err != nil {
		return failf("Failed to send signal: " + ErrnoText(err))
	}
	// Wait until the bus has it: a round trip flushes our queue.
	if _, err := c.CallDBus("GetId"); err != nil {
		return failf("Failed to send signal: " + busErrText(err))
	}
	return nil
}

// Wait waits for a signal: [SERVICE] OBJECT INTERFACE SIGNAL, prints its
// values and exits 0, also when --timeout= passes first.
func Wait(c *Conn, e *Env, args []string) error {
	if len(args) < 3 || len(args) > 4 {
		return failf(map[bool]string{true: "Too few arguments.", false: "Too many arguments."}[len(args) < 3])
	}
	sender := ""
	if len(args) == 4 {
		sender, args = args[0], args[1:]
		if !ValidServiceName(sender) {
			return failf("Invalid service name: " + sender)
		}
	}
	if !ValidObjectPath(args[0]) {
		return failf("Invalid object path: " + args[0])
	}
	if !ValidInterfaceName(args[1]) {
		return failf("Invalid interface name: " + args[1])
	}
	if !ValidMemberName(args[2]) {
		return failf("Invalid member name: " + args[2])
	}
	rule := fmt.Sprintf("type='signal',path='%s',interface='%s',member='%s'", args[0], args[1], args[2])
	owner := ""
	if sender != "" {
		rule = fmt.Sprintf("type='signal',sender='%s',path='%s',interface='%s',member='%s'", sender, args[0], args[1], args[2])
		owner = sender
		if r, err := c.CallDBus("GetNameOwner", Str(sender)); err == nil && len(r.Body) == 1 {
			owner = r.Body[0].String()
		}
	}
	if _, err := c.CallDBus("AddMatch", Str(rule)); err != nil {
		return failf(fmt.Sprintf("Failed to match signal %s on interface %s: %s", args[2], args[1], busErrText(err)))
	}
	var deadline time.Time
	if e.Opt.Timeout > 0 {
		deadline = time.Now().Add(e.Opt.Timeout)
	}
	limit := e.Opt.Limit
	if limit == 0 {
		limit = 1
	}
	for {
		m, err := c.Next(deadline)
		if err != nil {
			if errors.Is(err, unix.ETIMEDOUT) || !deadline.IsZero() && time.Now().After(deadline) {
				return nil
			}
			return failf("Failed to run event loop: " + ErrnoText(err))
		}
		if m.Type != TypeSignal || m.Path != args[0] || m.Interface != args[1] || m.Member != args[2] ||
			sender != "" && m.Sender != sender && m.Sender != owner {
			continue
		}
		if len(m.Body) > 0 && !e.Opt.Quiet {
			if err := printReply(e, m.Body); err != nil {
				return err
			}
		}
		if limit--; limit == 0 {
			return nil
		}
	}
}
