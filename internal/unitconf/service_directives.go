package unitconf

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/capsuled/capsuled/internal/keyring"
	"github.com/capsuled/capsuled/internal/unit"
)

// Service is the [Service] section (with the exec, kill and resource
// settings it takes), specifiers expanded.
type Service struct {
	Devices          Devices // DevicePolicy=, DeviceAllow=
	Type             string
	ExecCondition    []unit.Command
	ExecStart        []unit.Command
	ExecStartPre     []unit.Command
	ExecStartPost    []unit.Command
	ExecReload       []unit.Command
	ExecStop         []unit.Command
	ExecStopPost     []unit.Command
	RemainAfterExit  bool
	PIDFile          string // Type=forking's main PID comes from here; absolute
	BusName          string // Type=dbus is ready once this name is owned on the bus
	GuessMainPID     bool
	User, Group      string
	DynamicUser      bool
	WorkingDirectory string
	Slice            string
	KillMode         string
	KillSignal       int
	TimeoutStart     time.Duration // 0: none
	TimeoutStop      time.Duration // 0: none
	Delegate         bool
	DelegateSubgroup string
	NoNewPrivileges  bool
	ProtectSystem    string // no, yes, full, strict
	ProtectHome      string // no, yes, read-only, tmpfs
	PrivateTmp       bool
	PrivateIPC       bool
	ProtectProc      string // hidepid= of the unit's own /proc; empty (default) keeps the host's
	RemoveIPC        bool
	RestrictSUIDSGID bool
	KeyringMode      keyring.Mode // empty: the manager's default
	Dirs             map[DirType][]string
	DirModes         map[DirType]uint32 // RuntimeDirectoryMode= and its siblings; see DirMode
	KeepSIGPIPE      bool               // IgnoreSIGPIPE=no
	NonBlocking      bool               // O_NONBLOCK on the sockets passed
	StandardOutput   string             // journal (the unit's log)
	StandardError    string             // journal or inherit (the same as StandardOutput=)
	NotifyAccess     string             // main; empty: the default (none, main for notify types)
	OOMScoreAdjust   *int               // nil: inherited from the manager
	Restart          string
	RestartDelay     time.Duration

	// RestrictNamespaces are the CLONE_NEW* flags of namespace types the
	// unit may not use; 0 restricts nothing.
	RestrictNamespaces uint32
	nsSet              bool // a RestrictNamespaces= line came before
	typeSet            bool // a Type= line set the type; without one, no ExecStart= means oneshot
	Resources
	Stop
	EnvSettings
	Sandbox
	ExecAttrs

	// PermissionsStartOnly: every command but ExecStart='s runs as with
	// the '+' prefix (deprecated in systemd, still acted on).
	PermissionsStartOnly bool
	ReloadSignal         int // Type=notify-reload's reload request
}

// DirType is one of the exec directory kinds (StateDirectory= etc.).
type DirType string

const (
	DirRuntime DirType = "runtime"
	DirState   DirType = "state"
	DirCache   DirType = "cache"
	DirLogs    DirType = "logs"
	DirConfig  DirType = "configuration"
)

// DirTypes are the exec directory kinds in systemd's order.
var DirTypes = []DirType{DirRuntime, DirState, DirCache, DirLogs, DirConfig}

// Key is the directive of the kind, e.g. "StateDirectory".
func (d DirType) Key() string {
	switch d {
	case DirRuntime:
		return "RuntimeDirectory"
	case DirState:
		return "StateDirectory"
	case DirCache:
		return "CacheDirectory"
	case DirLogs:
		return "LogsDirectory"
	default:
		return "ConfigurationDirectory"
	}
}

const defaultTimeout = 90 * time.Second

func newService() *Service {
	return &Service{Type: "simple", KillMode: "control-group", KillSignal: 15, ReloadSignal: 1,
		TimeoutStart: defaultTimeout, TimeoutStop: defaultTimeout, ProtectSystem: "no", ProtectHome: "no",
		StandardOutput: "journal", StandardError: "inherit", Restart: "no", RestartDelay: 100 * time.Millisecond, GuessMainPID: true,
		Dirs: map[DirType][]string{}, Resources: defaultResources(), Stop: defaultStop(), Sandbox: defaultSandbox(),
		ExecAttrs: ExecAttrs{UMask: 0o022, StandardInput: "null", IOSchedPriority: 4}}
}

func svc(c *parseCtx) *Service { return c.unit().Service }

// serviceTypes are the Type= values systemd knows; capsuled runs those
// without a reason here.
var serviceTypes = map[string]string{
	"simple": "", "exec": "", "notify": "", "notify-reload": "", "oneshot": "", "idle": "", "forking": "", "dbus": "",
}

// killModes, restarts: the values systemd takes.
var (
	killModes = []string{"control-group", "mixed", "process", "none"}
	restarts  = []string{"no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort", "always"}
)

// oneOf returns a parser setting a string field to one of values; empty
// resets it to def.
func oneOf(field func(*Service) *string, def string, values []string) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error {
		dst := field(svc(c))
		if v == "" {
			*dst = def
			return nil
		}
		if !slices.Contains(values, v) {
			return fmt.Errorf("use %s", strings.Join(values, ", "))
		}
		*dst = v
		return nil
	}
}

func svcBool(field func(*Service) *bool) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error { return parseBoolInto(field(svc(c)), v, false) }
}

func svcString(field func(*Service) *string) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error {
		*field(svc(c)) = v
		return nil
	}
}

// execLines returns the parser of an Exec*= list (a Raw directive: the
// specifiers of each word are expanded once the line is split).
func execLines(field func(*Service) *[]unit.Command) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error {
		dst := field(svc(c))
		if v == "" {
			*dst = nil
			return nil
		}
		cmd, err := unit.ParseCommandExpand(v, c.expandWord)
		var spec *specifierError
		if err != nil && !errors.As(err, &spec) {
			return err
		}
		if err != nil {
			c.warn("Failed to resolve unit specifiers in %s, ignoring: %v", v, spec.err)
			return nil
		}
		*dst = append(*dst, cmd)
		return nil
	}
}

// timeouts returns the parser of a Timeout*Sec= setting the fields given.
func timeouts(fields ...func(*Service) *time.Duration) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error {
		d := defaultTimeout
		if v != "" {
			var err error
			if d, err = unit.ParseTimespan(v); err != nil {
				return err
			}
		}
		for _, f := range fields {
			*f(svc(c)) = d
		}
		return nil
	}
}

// parsePIDFile takes PIDFile= as systemd does: a relative path is below
// /run, and one below the legacy /var/run is moved to /run with a notice.
func parsePIDFile(c *parseCtx, v string) error {
	if v == "" {
		svc(c).PIDFile = ""
		return nil
	}
	p := v
	if !filepath.IsAbs(p) {
		p = "/run/" + p
	}
	if slices.Contains(strings.Split(p, "/"), "..") {
		c.warn("PIDFile= path is not normalized, ignoring: %s", p)
		return nil
	}
	p = filepath.Clean(p)
	if rest, ok := strings.CutPrefix(p, "/var/run/"); ok {
		c.warn("PIDFile= references a path below legacy directory /var/run/, updating %s → %s; please update the unit file accordingly.", p, "/run/"+rest)
		p = "/run/" + rest
	}
	svc(c).PIDFile = p
	return nil
}

func parseReloadSignal(c *parseCtx, v string) error {
	n := 1 // SIGHUP
	if v != "" {
		var err error
		if n, err = ParseSignal(v); err != nil {
			return err
		}
	}
	svc(c).ReloadSignal = n
	return nil
}

func parseKillSignal(c *parseCtx, v string) error {
	if v == "" {
		svc(c).KillSignal = 15
		return nil
	}
	n, err := ParseSignal(v)
	if err != nil {
		return err
	}
	svc(c).KillSignal = n
	return nil
}

func parseRestartSec(c *parseCtx, v string) error {
	if v == "" {
		svc(c).RestartDelay = 100 * time.Millisecond
		return nil
	}
	d, err := unit.ParseTimespan(v)
	if err != nil {
		return err
	}
	svc(c).RestartDelay = d
	return nil
}

func parseType(c *parseCtx, v string) error {
	if v == "" {
		svc(c).Type, svc(c).typeSet = "simple", false
		return nil
	}
	why, ok := serviceTypes[v]
	if !ok {
		return fmt.Errorf("use simple, exec, forking, oneshot, dbus, notify, notify-reload or idle")
	}
	if why != "" {
		return refuse("unsupported Type=%s: capsuled runs simple, exec, forking, notify, notify-reload, oneshot and idle services; %s", v, why)
	}
	svc(c).Type, svc(c).typeSet = v, true
	return nil
}

// parseProtect returns the parser of ProtectSystem= or ProtectHome=: a
// boolean (yes or no) or one of values.
func parseProtect(field func(*Service) *string, values ...string) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error {
		dst := field(svc(c))
		if v == "" {
			*dst = "no"
			return nil
		}
		if b, err := unit.ParseBool(v); err == nil {
			*dst = FormatBool(b)
			return nil
		}
		if !slices.Contains(values, v) {
			return fmt.Errorf("use yes, no, %s", strings.Join(values, ", "))
		}
		*dst = v
		return nil
	}
}

func parseProtectProc(c *parseCtx, v string) error {
	switch v {
	case "", "default":
		svc(c).ProtectProc = ""
	case "noaccess", "invisible", "ptraceable":
		svc(c).ProtectProc = v
	default:
		return fmt.Errorf("use default, noaccess, invisible or ptraceable")
	}
	return nil
}

func parseKeyringMode(c *parseCtx, v string) error {
	if v == "" {
		svc(c).KeyringMode = ""
		return nil
	}
	m, err := keyring.ParseMode(v)
	if err != nil {
		return err
	}
	svc(c).KeyringMode = m
	return nil
}

func parseDelegate(c *parseCtx, v string) error {
	// A boolean, or a list of controllers, which means yes: capsuled
	// delegates whatever the unified hierarchy has.
	b, err := unit.ParseBool(v)
	svc(c).Delegate = v != "" && (err != nil || b)
	return nil
}

func parseWorkingDirectory(c *parseCtx, v string) error {
	s := svc(c)
	d, missingOK := strings.CutPrefix(v, "-")
	switch {
	case d == "" || d == "~" || strings.HasPrefix(d, "/"):
		s.WorkingDirectory, s.WorkingDirMissingOK = d, missingOK && d != ""
		return nil
	}
	return fmt.Errorf("not an absolute path")
}

func parseSlice(c *parseCtx, v string) error {
	if v == "" {
		svc(c).Slice = ""
		return nil
	}
	n, err := unit.ParseName(v)
	if err != nil || n.Type != "slice" || n.IsTemplate() {
		return fmt.Errorf("not a slice name")
	}
	svc(c).Slice = v
	return nil
}

// dirList returns the parser of an exec directory list.
func dirList(d DirType) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error {
		s := svc(c)
		if v == "" {
			delete(s.Dirs, d)
			return nil
		}
		for _, x := range strings.Fields(v) {
			parts := strings.Split(x, "/")
			if strings.HasPrefix(x, "/") || slices.Contains(parts, "..") || slices.Contains(parts, ".") || slices.Contains(parts, "") {
				c.warn("%s= path is not valid (it must be relative and normalized), ignoring: %s", d.Key(), x)
				continue
			}
			s.Dirs[d] = append(s.Dirs[d], x)
		}
		return nil
	}
}

func parseNotifyAccess(c *parseCtx, v string) error {
	switch v {
	case "", "none", "main", "exec", "all":
		svc(c).NotifyAccess = v
		return nil
	}
	return fmt.Errorf("use none, main, exec or all")
}

func parseOOMScoreAdjust(c *parseCtx, v string) error {
	if v == "" {
		svc(c).OOMScoreAdjust = nil
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < -1000 || n > 1000 {
		return fmt.Errorf("use a number from -1000 to 1000")
	}
	svc(c).OOMScoreAdjust = &n
	return nil
}

func serviceDirectives() []Directive {
	ds := []Directive{
		{Key: "Type", Props: []string{"Type"}, Parse: parseType},
		{Key: "ExecStart", Props: []string{"ExecStart"}, Raw: true, Parse: execLines(func(s *Service) *[]unit.Command { return &s.ExecStart })},
		{Key: "ExecCondition", Props: []string{"ExecCondition"}, Raw: true, Parse: execLines(func(s *Service) *[]unit.Command { return &s.ExecCondition })},
		{Key: "ExecStartPre", Props: []string{"ExecStartPre"}, Raw: true, Parse: execLines(func(s *Service) *[]unit.Command { return &s.ExecStartPre })},
		{Key: "ExecStartPost", Props: []string{"ExecStartPost"}, Raw: true, Parse: execLines(func(s *Service) *[]unit.Command { return &s.ExecStartPost })},
		{Key: "ExecReload", Props: []string{"ExecReload"}, Raw: true, Parse: execLines(func(s *Service) *[]unit.Command { return &s.ExecReload })},
		{Key: "ExecStop", Props: []string{"ExecStop"}, Raw: true, Parse: execLines(func(s *Service) *[]unit.Command { return &s.ExecStop })},
		{Key: "ExecStopPost", Props: []string{"ExecStopPost"}, Raw: true, Parse: execLines(func(s *Service) *[]unit.Command { return &s.ExecStopPost })},
		{Key: "PIDFile", Props: []string{"PIDFile"}, Parse: parsePIDFile},
		{Key: "BusName", Props: []string{"BusName"}, Parse: parseBusName},
		{Key: "GuessMainPID", Props: []string{"GuessMainPID"}, Parse: func(c *parseCtx, v string) error { return parseBoolInto(&svc(c).GuessMainPID, v, true) }},
		{Key: "PermissionsStartOnly", Parse: svcBool(func(s *Service) *bool { return &s.PermissionsStartOnly })},
		{Key: "RemainAfterExit", Props: []string{"RemainAfterExit"}, Parse: svcBool(func(s *Service) *bool { return &s.RemainAfterExit })},
		{Key: "User", Props: []string{"User"}, Strict: true, Parse: svcString(func(s *Service) *string { return &s.User })},
		{Key: "Group", Props: []string{"Group"}, Strict: true, Parse: svcString(func(s *Service) *string { return &s.Group })},
		{Key: "DynamicUser", Props: []string{"DynamicUser"}, Strict: true, Parse: svcBool(func(s *Service) *bool { return &s.DynamicUser })},
		{Key: "WorkingDirectory", Props: []string{"WorkingDirectory"}, Parse: parseWorkingDirectory},
		{Key: "Slice", Props: []string{"Slice"}, Strict: true, Parse: parseSlice},
		{Key: "KillMode", Props: []string{"KillMode"}, Parse: parseKillMode},
		{Key: "KillSignal", Props: []string{"KillSignal"}, Parse: parseKillSignal},
		{Key: "TimeoutSec", Props: []string{"TimeoutStartUSec", "TimeoutStopUSec"},
			Parse: markStartTimeout(timeouts(func(s *Service) *time.Duration { return &s.TimeoutStart }, func(s *Service) *time.Duration { return &s.TimeoutStop }))},
		{Key: "TimeoutStartSec", Props: []string{"TimeoutStartUSec"}, Parse: markStartTimeout(timeouts(func(s *Service) *time.Duration { return &s.TimeoutStart }))},
		{Key: "TimeoutStopSec", Props: []string{"TimeoutStopUSec"}, Parse: timeouts(func(s *Service) *time.Duration { return &s.TimeoutStop })},
		{Key: "Delegate", Props: []string{"Delegate"}, Parse: parseDelegate},
		{Key: "DelegateSubgroup", Props: []string{"DelegateSubgroup"}, Parse: svcString(func(s *Service) *string { return &s.DelegateSubgroup })},
		{Key: "NoNewPrivileges", Props: []string{"NoNewPrivileges"}, Strict: true, Parse: svcBool(func(s *Service) *bool { return &s.NoNewPrivileges })},
		{Key: "ProtectSystem", Props: []string{"ProtectSystem"}, Strict: true, Parse: parseProtect(func(s *Service) *string { return &s.ProtectSystem }, "full", "strict")},
		{Key: "ProtectHome", Props: []string{"ProtectHome"}, Strict: true, Parse: parseProtect(func(s *Service) *string { return &s.ProtectHome }, "read-only", "tmpfs")},
		{Key: "PrivateTmp", Props: []string{"PrivateTmp", "PrivateTmpEx"}, Strict: true, Parse: parsePrivateTmp},
		{Key: "PrivateIPC", Props: []string{"PrivateIPC"}, Strict: true, Parse: svcBool(func(s *Service) *bool { return &s.PrivateIPC })},
		{Key: "ProtectProc", Props: []string{"ProtectProc"}, Strict: true, Parse: parseProtectProc},
		{Key: "RemoveIPC", Props: []string{"RemoveIPC"}, Strict: true, Parse: svcBool(func(s *Service) *bool { return &s.RemoveIPC })},
		{Key: "RestrictSUIDSGID", Props: []string{"RestrictSUIDSGID"}, Strict: true, Parse: svcBool(func(s *Service) *bool { return &s.RestrictSUIDSGID })},
		{Key: "RestrictNamespaces", Props: []string{"RestrictNamespaces"}, Strict: true, List: true, Parse: parseRestrictNamespaces},
		{Key: "KeyringMode", Props: []string{"KeyringMode"}, Strict: true, Parse: parseKeyringMode},
		{Key: "NotifyAccess", Props: []string{"NotifyAccess"}, Parse: parseNotifyAccess},
		{Key: "Restart", Props: []string{"Restart"}, Parse: oneOf(func(s *Service) *string { return &s.Restart }, "no", restarts)},
		{Key: "RestartSec", Props: []string{"RestartUSec"}, Parse: parseRestartSec},
		{Key: "OOMScoreAdjust", Props: []string{"OOMScoreAdjust"}, Parse: parseOOMScoreAdjust},
		{Key: "LogExtraFields", Status: Warn, Reason: "the unit's log keeps no extra journal fields"},
		{Key: "ReloadSignal", Props: []string{"ReloadSignal"}, Parse: parseReloadSignal},
		{Key: "MemoryPressureWatch", Status: Warn, Reason: "capsuled sets up no memory pressure notification"},
	}
	for _, d := range DirTypes {
		ds = append(ds, Directive{Key: d.Key(), Props: []string{d.Key()}, Parse: dirList(d)})
	}
	ds = append(ds, dirModeDirectives()...)
	ds = append(ds, sigpipeDirective(), privateUsersDirective())
	ds = append(ds, Directive{Key: "NonBlocking", Props: []string{"NonBlocking"}, Parse: svcBool(func(s *Service) *bool { return &s.NonBlocking })})
	ds = append(ds, sandboxDirectives()...)
	res := func(u *Unit) *Resources { return &u.Service.Resources }
	ds = append(ds, resourceDirectives(res)...)
	ds = append(ds, deviceDirectives(func(u *Unit) *Devices { return &u.Service.Devices })...)
	ds = append(ds, serviceStartLimitDirectives()...)
	ds = append(ds, serviceStopDirectives()...)
	ds = append(ds, envDirectives()...)
	ds = append(ds, execAttrDirectives()...)
	return append(ds, serviceResourceDirectives(res)...)
}

// finish checks the service as a whole, as systemd does at load, and
// applies what DynamicUser= implies.
func (s *Service) finish() error {
	switch {
	case !s.typeSet && s.BusName != "":
		// As systemd: a service with a bus name and no type is Type=dbus.
		s.Type = "dbus"
	case !s.typeSet && len(s.ExecStart) == 0:
		// As systemd: a service that runs nothing is a oneshot.
		s.Type = "oneshot"
	}
	if s.Type == "dbus" && s.BusName == "" {
		return refuse("Service is of type D-Bus but no D-Bus service name has been specified. Refusing.")
	}
	// The checks and texts of systemd 257 (SuccessAction= is not there
	// yet, so it never saves a unit here).
	switch {
	case len(s.ExecStart) == 0 && len(s.ExecStop) == 0:
		return refuse("Service has no ExecStart=, ExecStop=, or SuccessAction=. Refusing.")
	case len(s.ExecStart) == 0 && s.Type != "oneshot":
		return refuse("Service has no ExecStart= setting, which is only allowed for Type=oneshot services. Refusing.")
	case len(s.ExecStart) == 0 && !s.RemainAfterExit:
		return refuse("Service has no ExecStart= and no SuccessAction= settings and does not have RemainAfterExit=yes set. Refusing.")
	case len(s.ExecStart) > 1 && s.Type != "oneshot":
		return refuse("Service has more than one ExecStart= setting, which is only allowed for Type=oneshot services. Refusing.")
	}
	if err := s.finishStop(); err != nil {
		return err
	}
	if s.PermissionsStartOnly {
		for _, cmds := range [][]unit.Command{s.ExecCondition, s.ExecStartPre, s.ExecStartPost, s.ExecReload, s.ExecStop, s.ExecStopPost} {
			for i := range cmds {
				if !cmds[i].AmbientOnly {
					cmds[i].Privileged = true
				}
			}
		}
	}
	if err := s.finishExecAttrs(); err != nil {
		return err
	}
	if s.DynamicUser {
		// What DynamicUser= implies, as systemd does: the user can only
		// write to its own directories, so removing them removes it all.
		s.NoNewPrivileges = true
		s.RestrictSUIDSGID = true
		s.RemoveIPC = true
		s.PrivateTmp = true
		if s.ProtectSystem == "no" {
			s.ProtectSystem = "strict"
		}
		if s.ProtectHome == "no" {
			s.ProtectHome = "read-only"
		}
		if s.Group == "" {
			s.Group = s.User
		}
	}
	return nil
}

// formatExec prints Exec*= commands as systemctl show does, one line each;
// the run-time fields are those of a command that has not run.
func formatExec(cmds []unit.Command) []string {
	var out []string
	for _, c := range cmds {
		out = append(out, fmt.Sprintf("{ path=%s ; argv[]=%s ; ignore_errors=%s ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }",
			c.Path, strings.Join(c.Argv, " "), FormatBool(c.IgnoreFailure)))
	}
	return out
}

func serviceProps() []Property {
	s := func(u *Unit) *Service { return u.Service }
	str := func(name string, f func(*Service) string) Property {
		return Property{Name: name, Format: func(u *Unit) string { return f(s(u)) }}
	}
	boolean := func(name string, f func(*Service) bool) Property {
		return Property{Name: name, Format: func(u *Unit) string { return FormatBool(f(s(u))) }}
	}
	exec := func(name string, f func(*Service) []unit.Command) Property {
		return Property{Name: name, Lines: func(u *Unit) []string { return formatExec(f(s(u))) }}
	}
	props := []Property{
		str("Type", func(s *Service) string { return s.Type }),
		str("Restart", func(s *Service) string { return s.Restart }),
		str("PIDFile", func(s *Service) string { return s.PIDFile }),
		str("BusName", func(s *Service) string { return s.BusName }),
		str("NotifyAccess", func(s *Service) string { return s.EffectiveNotifyAccess() }),
		str("RestartUSec", func(s *Service) string { return formatTimespan(s.RestartDelay) }),
		str("TimeoutStartUSec", func(s *Service) string { return formatTimeout(s.TimeoutStart) }),
		str("TimeoutStopUSec", func(s *Service) string { return formatTimeout(s.TimeoutStop) }),
		boolean("RemainAfterExit", func(s *Service) bool { return s.RemainAfterExit }),
		boolean("GuessMainPID", func(s *Service) bool { return s.GuessMainPID }),
		exec("ExecCondition", func(s *Service) []unit.Command { return s.ExecCondition }),
		exec("ExecStartPre", func(s *Service) []unit.Command { return s.ExecStartPre }),
		exec("ExecStart", func(s *Service) []unit.Command { return s.ExecStart }),
		exec("ExecStartPost", func(s *Service) []unit.Command { return s.ExecStartPost }),
		exec("ExecReload", func(s *Service) []unit.Command { return s.ExecReload }),
		exec("ExecStop", func(s *Service) []unit.Command { return s.ExecStop }),
		exec("ExecStopPost", func(s *Service) []unit.Command { return s.ExecStopPost }),
		str("Slice", func(s *Service) string { return s.Slice }),
		boolean("Delegate", func(s *Service) bool { return s.Delegate }),
		str("DelegateSubgroup", func(s *Service) string { return s.DelegateSubgroup }),
	}
	props = append(props, resourceProps(func(u *Unit) *Resources { return &u.Service.Resources })...)
	props = append(props, envProps()...)
	props = append(props,
		str("WorkingDirectory", func(s *Service) string {
			if s.WorkingDirMissingOK {
				return "!" + s.WorkingDirectory
			}
			return s.WorkingDirectory
		}),
		str("StandardOutput", func(s *Service) string { return s.StandardOutput }),
		str("StandardError", func(s *Service) string { return s.StandardError }),
		str("User", func(s *Service) string { return s.User }),
		str("Group", func(s *Service) string { return s.Group }),
		boolean("DynamicUser", func(s *Service) bool { return s.DynamicUser }),
		boolean("RemoveIPC", func(s *Service) bool { return s.RemoveIPC }),
		boolean("PrivateTmp", func(s *Service) bool { return s.PrivateTmp }),
		boolean("PrivateIPC", func(s *Service) bool { return s.PrivateIPC }),
		str("ProtectHome", func(s *Service) string { return s.ProtectHome }),
		str("ProtectSystem", func(s *Service) string { return s.ProtectSystem }),
		boolean("NoNewPrivileges", func(s *Service) bool { return s.NoNewPrivileges }),
		str("KeyringMode", func(s *Service) string { return string(s.KeyringMode) }),
		str("ProtectProc", func(s *Service) string {
			if s.ProtectProc == "" {
				return "default"
			}
			return s.ProtectProc
		}),
		boolean("RestrictSUIDSGID", func(s *Service) bool { return s.RestrictSUIDSGID }),
		str("RestrictNamespaces", func(s *Service) string { return formatNamespaces(s.RestrictNamespaces) }),
		str("OOMScoreAdjust", func(s *Service) string {
			if s.OOMScoreAdjust != nil {
				return strconv.Itoa(*s.OOMScoreAdjust)
			}
			// Unset, processes inherit the manager's, which systemd shows.
			b, err := os.ReadFile("/proc/self/oom_score_adj")
			if err != nil {
				return ""
			}
			return strings.TrimSpace(string(b))
		}),
	)
	for _, d := range DirTypes {
		props = append(props, str(d.Key(), func(s *Service) string { return formatList(s.Dirs[d]) }))
	}
	props = append(props, dirModeProps()...)
	props = append(props, sigpipeProp())
	props = append(props, privateUsersProps()...)
	props = append(props, Property{Name: "NonBlocking", Format: func(u *Unit) string { return FormatBool(u.Service.NonBlocking) }})
	props = append(props, serviceResourceProps(func(u *Unit) *Resources { return &u.Service.Resources })...)
	props = append(props, deviceProps(func(u *Unit) *Devices { return &u.Service.Devices })...)
	props = append(props, sandboxProps()...)
	props = append(props, execAttrProps()...)
	props = append(props,
		str("KillMode", func(s *Service) string { return s.KillMode }),
		str("KillSignal", func(s *Service) string { return strconv.Itoa(s.KillSignal) }),
		str("ReloadSignal", func(s *Service) string { return strconv.Itoa(s.ReloadSignal) }),
	)
	return append(props, serviceStopProps()...)
}
