package manager

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/capsuled/capsuled/internal/keyring"
	"github.com/capsuled/capsuled/internal/unit"
	"github.com/capsuled/capsuled/internal/unitconf"
)

// serviceConfig is the [Service] section (plus the exec settings that
// matter here) of a loaded unit, with specifiers expanded.
type serviceConfig struct {
	Type             string
	ExecStart        []unit.Command
	ExecStartPre     []unit.Command
	ExecStartPost    []unit.Command
	ExecStop         []unit.Command
	ExecStopPost     []unit.Command
	RemainAfterExit  bool
	Environment      []string
	User, Group      string
	DynamicUser      bool
	WorkingDirectory string
	Slice            string
	KillMode         string
	KillSignal       int
	TimeoutStart     time.Duration
	TimeoutStop      time.Duration
	Delegate         bool
	DelegateSubgroup string
	NoNewPrivileges  bool
	ProtectSystem    string
	ProtectHome      string
	PrivateTmp       bool
	PrivateIPC       bool
	ProtectProc      string // hidepid= of the unit's own /proc; empty (default) keeps the host's
	RemoveIPC        bool
	RestrictSUIDSGID bool
	KeyringMode      keyring.Mode // empty: the manager's default
	Dirs             map[dirType][]string
	StandardOutput   string
	Restart          string
	RestartDelay     time.Duration

	// RestrictNamespaces are the CLONE_NEW* flags of namespace types the
	// unit may not use; 0 restricts nothing.
	RestrictNamespaces uint32
	resources
}

// dirType is one of the exec directory kinds (StateDirectory= etc.).
type dirType string

const (
	dirRuntime dirType = "runtime"
	dirState   dirType = "state"
	dirCache   dirType = "cache"
	dirLogs    dirType = "logs"
	dirConfig  dirType = "configuration"
)

var dirTypes = []dirType{dirRuntime, dirState, dirCache, dirLogs, dirConfig}

func (d dirType) key() string {
	switch d {
	case dirRuntime:
		return "RuntimeDirectory"
	case dirState:
		return "StateDirectory"
	case dirCache:
		return "CacheDirectory"
	case dirLogs:
		return "LogsDirectory"
	default:
		return "ConfigurationDirectory"
	}
}

// knownKeys are the directives of the sections not yet parsed by
// unitconf that this manager acts on. Others draw a warning.
var knownKeys = map[string]map[string]bool{
	"Service": set("Type", "ExecStart", "ExecStartPre", "ExecStartPost", "ExecStop", "ExecStopPost",
		"RemainAfterExit", "Environment", "User", "Group", "DynamicUser", "WorkingDirectory", "Slice",
		"KillMode", "KillSignal", "TimeoutSec", "TimeoutStartSec", "TimeoutStopSec", "Delegate",
		"DelegateSubgroup", "NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp", "PrivateIPC", "ProtectProc", "RemoveIPC", "RestrictSUIDSGID",
		"StateDirectory", "RuntimeDirectory", "CacheDirectory", "LogsDirectory", "ConfigurationDirectory",
		"StandardOutput", "StandardError", "Restart", "RestartSec", "TasksMax", "MemoryMax", "TmpfsSize",
		"LogRateLimitIntervalSec", "LogRateLimitBurst", "OOMScoreAdjust", "KeyringMode",
		"LogExtraFields", "ReloadSignal", "RestrictNamespaces", "MemoryPressureWatch", "NotifyAccess"),
	"Slice":  set("MemoryMax", "TasksMax"),
	"Socket": set("ListenStream", "SocketMode", "DirectoryMode", "Service", "Accept", "FileDescriptorName"),
	// The sections unitconf parses, for transient units' properties.
	"Unit":    set(unitconf.Keys("Unit")...),
	"Install": set(unitconf.Keys("Install")...),
}

// legacySections are the sections parsed here rather than by unitconf.
var legacySections = []string{"Service", "Socket", "Slice"}

func set(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// unknownDirectives lists "file:line: Unknown key" warnings for the
// sections of o that unitconf does not parse yet.
func unknownDirectives(o *unit.Options) []string {
	var w []string
	for _, e := range o.Entries() {
		keys := knownKeys[e.Section]
		if !slices.Contains(legacySections, e.Section) || strings.HasPrefix(e.Key, "X-") {
			continue
		}
		if !keys[e.Key] {
			w = append(w, fmt.Sprintf("%s:%d: Unknown key name '%s' in section '%s', ignoring.", e.File, e.Line, e.Key, e.Section))
		}
	}
	return w
}

// parseService reads [Service]; exp expands specifiers.
func parseService(o *unit.Options, exp func(string) (string, error)) (*serviceConfig, error) {
	get := func(key, def string) (string, error) {
		v, ok := o.Get("Service", key)
		if !ok || v == "" {
			return def, nil
		}
		return exp(v)
	}
	boolean := func(key string, def bool) (bool, error) {
		b, err := o.Bool("Service", key, def)
		if err != nil {
			return false, fmt.Errorf("%s=: %w", key, err)
		}
		return b, nil
	}
	c := &serviceConfig{Dirs: map[dirType][]string{}}
	var err error
	if c.Type, err = get("Type", "simple"); err != nil {
		return nil, err
	}
	switch c.Type {
	case "simple", "exec", "notify", "notify-reload", "oneshot":
	default:
		return nil, fmt.Errorf("unsupported Type=%s (use simple, exec, notify, notify-reload or oneshot)", c.Type)
	}
	cmds := func(key string) ([]unit.Command, error) {
		var out []unit.Command
		for _, v := range o.List("Service", key) {
			x, err := exp(v)
			if err != nil {
				return nil, fmt.Errorf("%s=: %w", key, err)
			}
			cmd, err := unit.ParseCommand(x)
			if err != nil {
				return nil, fmt.Errorf("%s=: %w", key, err)
			}
			out = append(out, cmd)
		}
		return out, nil
	}
	if c.ExecStart, err = cmds("ExecStart"); err != nil {
		return nil, err
	}
	if len(c.ExecStart) == 0 && c.Type != "oneshot" {
		return nil, fmt.Errorf("service has no ExecStart= setting, which is only allowed for Type=oneshot")
	}
	if len(c.ExecStart) > 1 && c.Type != "oneshot" {
		return nil, fmt.Errorf("service has more than one ExecStart= setting, which is only allowed for Type=oneshot")
	}
	for key, dst := range map[string]*[]unit.Command{"ExecStartPre": &c.ExecStartPre,
		"ExecStartPost": &c.ExecStartPost, "ExecStop": &c.ExecStop, "ExecStopPost": &c.ExecStopPost} {
		if *dst, err = cmds(key); err != nil {
			return nil, err
		}
	}
	if c.RemainAfterExit, err = boolean("RemainAfterExit", false); err != nil {
		return nil, err
	}
	for _, v := range o.List("Service", "Environment") {
		x, err := exp(v)
		if err != nil {
			return nil, fmt.Errorf("bad Environment=: %w", err)
		}
		words, err := unit.ParseCommand("env " + x)
		if err != nil {
			return nil, fmt.Errorf("bad Environment=: %w", err)
		}
		for _, w := range words.Argv[1:] {
			if !strings.Contains(w, "=") {
				return nil, fmt.Errorf("bad Environment=: %q is not an assignment", w)
			}
			c.Environment = append(c.Environment, w)
		}
	}
	if c.User, err = get("User", ""); err != nil {
		return nil, err
	}
	if c.Group, err = get("Group", ""); err != nil {
		return nil, err
	}
	if c.DynamicUser, err = boolean("DynamicUser", false); err != nil {
		return nil, err
	}
	if c.WorkingDirectory, err = get("WorkingDirectory", ""); err != nil {
		return nil, err
	}
	if c.Slice, err = get("Slice", ""); err != nil {
		return nil, err
	}
	if c.KillMode, err = get("KillMode", "control-group"); err != nil {
		return nil, err
	}
	switch c.KillMode {
	case "control-group", "mixed", "process", "none":
	default:
		return nil, fmt.Errorf("KillMode=%s is invalid (use control-group, mixed, process or none)", c.KillMode)
	}
	c.KillSignal = 15
	if v, _ := get("KillSignal", ""); v != "" {
		if c.KillSignal, err = parseSignal(v); err != nil {
			return nil, fmt.Errorf("KillSignal=: %w", err)
		}
	}
	c.TimeoutStart, c.TimeoutStop = 90*time.Second, 90*time.Second
	// In file order, so a later line wins whichever of the three it is.
	timeouts := map[string][]*time.Duration{"TimeoutSec": {&c.TimeoutStart, &c.TimeoutStop},
		"TimeoutStartSec": {&c.TimeoutStart}, "TimeoutStopSec": {&c.TimeoutStop}}
	for _, e := range o.Entries() {
		dsts, ok := timeouts[e.Key]
		if e.Section != "Service" || !ok {
			continue
		}
		d := 90 * time.Second
		if e.Value != "" {
			x, err := exp(e.Value)
			if err != nil {
				return nil, fmt.Errorf("%s=: %w", e.Key, err)
			}
			if d, err = unit.ParseTimespan(x); err != nil {
				return nil, fmt.Errorf("%s=: %w", e.Key, err)
			}
		}
		for _, dst := range dsts {
			*dst = d
		}
	}
	if v, _ := get("Delegate", ""); v != "" {
		// Delegate= takes a boolean or a controller list; a list means yes.
		b, berr := o.Bool("Service", "Delegate", false)
		c.Delegate = berr != nil || b
	}
	if c.DelegateSubgroup, err = get("DelegateSubgroup", ""); err != nil {
		return nil, err
	}
	if c.NoNewPrivileges, err = boolean("NoNewPrivileges", false); err != nil {
		return nil, err
	}
	if c.ProtectSystem, err = get("ProtectSystem", "no"); err != nil {
		return nil, err
	}
	if c.ProtectHome, err = get("ProtectHome", "no"); err != nil {
		return nil, err
	}
	if c.PrivateTmp, err = boolean("PrivateTmp", false); err != nil {
		return nil, err
	}
	if c.PrivateIPC, err = boolean("PrivateIPC", false); err != nil {
		return nil, err
	}
	if c.ProtectProc, err = get("ProtectProc", "default"); err != nil {
		return nil, err
	}
	switch c.ProtectProc {
	case "default":
		c.ProtectProc = ""
	case "noaccess", "invisible", "ptraceable":
	default:
		return nil, fmt.Errorf("invalid ProtectProc=%s (use default, noaccess, invisible or ptraceable)", c.ProtectProc)
	}
	if c.RestrictSUIDSGID, err = boolean("RestrictSUIDSGID", false); err != nil {
		return nil, err
	}
	if c.RemoveIPC, err = boolean("RemoveIPC", false); err != nil {
		return nil, err
	}
	if c.RestrictNamespaces, err = parseRestrictNamespaces(o.List("Service", "RestrictNamespaces")); err != nil {
		return nil, err
	}
	if v, _ := get("KeyringMode", ""); v != "" {
		if c.KeyringMode, err = keyring.ParseMode(v); err != nil {
			return nil, err
		}
	}
	if c.Restart, err = get("Restart", "no"); err != nil {
		return nil, err
	}
	if restartPolicies[c.Restart] == nil {
		return nil, fmt.Errorf("invalid Restart=%s (use no, on-success, on-failure, on-abnormal, on-abort or always)", c.Restart)
	}
	c.RestartDelay = 100 * time.Millisecond
	if v, _ := get("RestartSec", ""); v != "" {
		if c.RestartDelay, err = unit.ParseTimespan(v); err != nil {
			return nil, fmt.Errorf("RestartSec=: %w", err)
		}
	}
	if c.resources, err = parseResources(get); err != nil {
		return nil, err
	}
	if c.StandardOutput, err = get("StandardOutput", "journal"); err != nil {
		return nil, err
	}
	for _, d := range dirTypes {
		for _, v := range o.ListFields("Service", d.key()) {
			x, err := exp(v)
			if err != nil {
				return nil, fmt.Errorf("%s=: %w", d.key(), err)
			}
			if x == "" || strings.HasPrefix(x, "/") || slices.Contains(strings.Split(x, "/"), "..") {
				return nil, fmt.Errorf("%s=%s: must be a relative path without \"..\" components", d.key(), x)
			}
			c.Dirs[d] = append(c.Dirs[d], x)
		}
	}
	if c.DynamicUser {
		// What DynamicUser= implies, as systemd does: the user can only
		// write to its own directories, so removing them removes it all.
		c.NoNewPrivileges = true
		c.RestrictSUIDSGID = true
		c.RemoveIPC = true
		c.PrivateTmp = true
		if c.ProtectSystem == "no" || c.ProtectSystem == "" {
			c.ProtectSystem = "strict"
		}
		if c.ProtectHome == "no" || c.ProtectHome == "" {
			c.ProtectHome = "read-only"
		}
		if c.User == "" {
			return nil, fmt.Errorf("DynamicUser=yes needs User= here")
		}
		if c.Group == "" {
			c.Group = c.User
		}
	}
	return c, nil
}

func parseSignal(v string) (int, error) {
	if n, err := strconv.Atoi(v); err == nil && n > 0 && n < 65 {
		return n, nil
	}
	if n := unix.SignalNum("SIG" + strings.TrimPrefix(strings.ToUpper(v), "SIG")); n != 0 {
		return int(n), nil
	}
	return 0, fmt.Errorf("unknown signal %q", v)
}
