package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/capsuled/capsuled/internal/busctl"
	"github.com/capsuled/capsuled/internal/dynuser"
	"github.com/capsuled/capsuled/internal/unit"
)

const busUsage = `capsulectl -C NAME bus [OPTIONS...] COMMAND ...

Introspect and monitor a capsule's D-Bus broker, as busctl --capsule=NAME.

Commands:
  list                     List bus names (default)
  status [SERVICE]         Show bus or peer status
  monitor [SERVICE...]     Show bus traffic
  capture [SERVICE...]     Capture bus traffic as pcapng
  tree [SERVICE...]        Show object tree of services
  introspect SERVICE OBJECT [INTERFACE]
                           Introspect object
  call SERVICE OBJECT INTERFACE METHOD [SIGNATURE [ARGUMENT...]]
                           Call a method
  emit OBJECT INTERFACE SIGNAL [SIGNATURE [ARGUMENT...]]
                           Emit a signal
  wait [SERVICE] OBJECT INTERFACE SIGNAL
                           Wait for a signal
  get-property SERVICE OBJECT INTERFACE PROPERTY...
                           Get property value
  set-property SERVICE OBJECT INTERFACE PROPERTY SIGNATURE ARGUMENT...
                           Set property value

Options:
     --no-legend           Do not show the headers and footers
  -l --full                Do not ellipsize output (capsulectl never does)
     --unique              Only show unique names
     --acquired            Only show acquired names
     --activatable         Only show activatable names
     --match=MATCH         Only show matching messages
     --size=SIZE           Maximum length of captured packet
     --list                Don't show tree, but simple object path list
  -q --quiet               Don't show method call reply
     --verbose             Show message details
     --xml-interface       Dump the XML description in introspect command
     --expect-reply=BOOL   Expect a method call reply
     --auto-start=BOOL     Auto-start destination service
     --allow-interactive-authorization=BOOL
                           Allow interactive authorization for operation
     --timeout=SECS        Maximum time to wait for method call completion
     --json=MODE           Output as JSON (short, pretty)
  -j                       Same as --json=pretty on tty, --json=short otherwise
     --destination=SERVICE Destination service of a signal
  -N --limit-messages=NUMBER
                           Stop monitor after receiving the specified number
                           of messages
`

// busVerbs and their argument counts (without the verb), as busctl
// dispatches them; max -1 is unbounded.
var busVerbs = map[string][2]int{
	"list": {0, 0}, "status": {0, 1}, "monitor": {0, -1}, "capture": {0, -1}, "tree": {0, -1},
	"introspect": {2, 3}, "call": {4, -1}, "emit": {3, -1}, "wait": {3, 4}, "get-property": {4, -1}, "set-property": {5, -1},
}

// jsonAuto is -j: pretty on a terminal, short otherwise, as busctl 257's
// -j (SD_JSON_FORMAT_PRETTY_AUTO).
const jsonAuto = "auto"

// jsonMode resolves -j for output to out.
func jsonMode(mode string, out io.Writer) string {
	if mode != jsonAuto {
		return mode
	}
	if busctl.IsTerminal(out) {
		return "pretty"
	}
	return "short"
}

// parseBusArgs parses busctl's options anywhere before "--"; it returns
// the positional words. capsule is set by -C/--capsule.
func parseBusArgs(args []string, opt *busctl.Options, capsule *string, help *bool) ([]string, error) {
	var pos []string
	boolArg := func(name, v string) (bool, error) {
		switch strings.ToLower(v) {
		case "1", "yes", "y", "true", "t", "on":
			return true, nil
		case "0", "no", "n", "false", "f", "off":
			return false, nil
		}
		return false, fail(exitFailure, "Failed to parse %s argument: %s", name, v)
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(pos, args[i+1:]...), nil
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			pos = append(pos, a)
			continue
		}
		name, val, hasVal := strings.Cut(a, "=")
		short := !strings.HasPrefix(a, "--")
		if short && len(a) > 2 {
			// -NVALUE, -CNAME
			name, val, hasVal = a[:2], a[2:], true
		}
		needVal := func() (string, error) {
			if hasVal {
				return val, nil
			}
			if i+1 >= len(args) {
				return "", fail(exitFailure, "option requires an argument -- '%s'", strings.TrimLeft(name, "-"))
			}
			i++
			return args[i], nil
		}
		var err error
		switch name {
		case "-h", "--help":
			*help = true
		case "--no-pager", "--user":
		case "--no-legend":
			opt.NoLegend = true
		case "-l", "--full":
			opt.Full = true
		case "--unique":
			opt.Unique = true
		case "--acquired":
			opt.Acquired = true
		case "--activatable":
			opt.Activatable = true
		case "--list":
			opt.List = true
		case "-q", "--quiet":
			opt.Quiet = true
		case "--verbose":
			opt.Verbose = true
		case "--xml-interface":
			opt.XMLInterface = true
		case "-j":
			opt.JSON = jsonAuto
		case "-C", "--capsule":
			*capsule, err = needVal()
		case "--match":
			var v string
			if v, err = needVal(); err == nil {
				opt.Matches = append(opt.Matches, v)
			}
		case "--destination":
			opt.Destination, err = needVal()
		case "--json":
			var v string
			if v, err = needVal(); err == nil {
				switch v {
				case "short", "pretty":
					opt.JSON = v
				case "off":
					opt.JSON = ""
				default:
					err = fail(exitFailure, "Unknown argument to --json= switch: %s", v)
				}
			}
		case "--expect-reply", "--auto-start", "--allow-interactive-authorization", "--augment-creds":
			var v string
			var b bool
			if v, err = needVal(); err == nil {
				if b, err = boolArg(name+"=", v); err == nil {
					switch name {
					case "--expect-reply":
						opt.ExpectReply = b
					case "--auto-start":
						opt.AutoStart = b
					case "--allow-interactive-authorization":
						opt.AllowInteractive = b
					}
				}
			}
		case "--timeout":
			var v string
			if v, err = needVal(); err == nil && v != "" {
				if opt.Timeout, err = unit.ParseTimespan(v); err != nil {
					err = fail(exitFailure, "Failed to parse --timeout= parameter '%s': Invalid argument", v)
				}
			}
		case "--size":
			var v string
			if v, err = needVal(); err == nil {
				n, perr := strconv.Atoi(v)
				if perr != nil || n <= 0 {
					err = fail(exitFailure, "Failed to parse size '%s': Invalid argument", v)
				}
				opt.Snaplen = n
			}
		case "-N", "--limit-messages":
			var v string
			if v, err = needVal(); err == nil {
				switch n, perr := strconv.ParseUint(v, 10, 64); {
				case v == "" || v == "infinity":
					opt.Limit = 0
				case perr != nil:
					err = fail(exitFailure, "Failed to parse --limit-messages= parameter: %s", v)
				case n == 0:
					err = fail(exitFailure, "--limit-messages= parameter cannot be 0")
				default:
					opt.Limit = n
				}
			}
		case "--system", "--address", "-H", "--host", "-M", "--machine", "--show-machine", "--watch-bind":
			err = fail(exitFailure, "%s is not supported: capsulectl bus talks to one capsule's bus (-C NAME)", name)
		default:
			err = fail(exitFailure, "unrecognized option '%s'", a)
		}
		if err != nil {
			return nil, err
		}
	}
	return pos, nil
}

// busCommand runs busctl's verbs on a capsule's own bus, connecting as
// busctl --capsule= does (see busctl.DialCapsule).
func busCommand(args []string, o *options, raw, stdio IO, paths Paths) error {
	opt := busctl.DefaultOptions()
	capsule, help := o.capsule, false
	capsuleSet := o.capsuleSet
	pos, err := parseBusArgs(args, &opt, &capsule, &help)
	if err != nil {
		return fail(exitFailure, "%s", err)
	}
	if o.output == "json" && opt.JSON == "" {
		opt.JSON = "short"
	}
	opt.JSON = jsonMode(opt.JSON, raw.Stdout)
	if help || o.help {
		fmt.Fprint(stdio.Stdout, busUsage)
		return nil
	}
	if capsule != o.capsule {
		capsuleSet = true
	}
	verb := "list"
	if len(pos) > 0 {
		verb, pos = pos[0], pos[1:]
	}
	n, ok := busVerbs[verb]
	if !ok {
		return fail(exitFailure, "Unknown command verb '%s'.", verb)
	}
	if len(pos) < n[0] {
		return fail(exitFailure, "Too few arguments.")
	}
	if n[1] >= 0 && len(pos) > n[1] {
		return fail(exitFailure, "Too many arguments.")
	}
	if !capsuleSet {
		return fail(exitUsage, "bus needs a capsule: capsulectl -C NAME bus")
	}
	if dynuser.ValidCapsuleName(capsule) != nil {
		return fail(exitFailure, "Invalid capsule name: %s", capsule)
	}
	if err := checkRoot(); err != nil {
		return fail(exitFailure, "%v", err)
	}
	if verb == "capture" && busctl.IsTerminal(raw.Stdout) {
		return fail(exitFailure, "Refusing to write message data to console, please redirect output to a file.")
	}
	c, err := busctl.DialCapsule(filepath.Join(paths.CapsulesRuntime, capsule, "bus"))
	if err != nil {
		return fail(exitFailure, "%s", err)
	}
	defer c.Close()
	if opt.Timeout > 0 && verb != "wait" && verb != "monitor" && verb != "capture" {
		c.Timeout = opt.Timeout
	}
	e := &busctl.Env{Out: stdio.Stdout, Raw: raw.Stdout, Err: stdio.Stderr, Opt: opt}
	switch verb {
	case "list":
		err = busctl.List(c, e)
	case "status":
		err = busctl.Status(c, e, pos)
	case "tree":
		err = busctl.Tree(c, e, pos)
	case "introspect":
		err = busctl.Introspect(c, e, pos)
	case "call":
		err = busctl.Call(c, e, pos)
	case "get-property":
		err = busctl.GetProperty(c, e, pos)
	case "set-property":
		err = busctl.SetProperty(c, e, pos)
	case "emit":
		err = busctl.Emit(c, e, pos)
	case "wait":
		err = busctl.Wait(c, e, pos)
	case "monitor":
		err = busctl.Monitor(c, e, pos)
	case "capture":
		err = busctl.Capture(c, e, pos, osPrettyName(), "capsulectl bus (capsuled)")
	}
	switch {
	case err == nil:
		return nil
	case busctl.IsSilent(err):
		return fail(exitFailure, "")
	}
	return fail(exitFailure, "%s", err)
}

// osPrettyName is PRETTY_NAME from os-release, for capture's header.
func osPrettyName() string {
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
				return strings.Trim(v, `"'`)
			}
		}
	}
	return ""
}
