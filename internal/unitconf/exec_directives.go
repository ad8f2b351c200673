package unitconf

import (
	"encoding/base64"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/capsuled/capsuled/internal/unit"
)

// ExecAttrs are the process attributes of systemd.exec(5) that the
// executor applies before exec: working directory, umask, priorities,
// resource limits and standard input.
type ExecAttrs struct {
	// WorkingDirMissingOK: WorkingDirectory= had a '-' prefix, a missing
	// directory leaves the process in /.
	WorkingDirMissingOK bool
	UMask               uint32
	Nice                *int
	// Limits are the Limit*= settings by RLIMIT_* number; unset ones are
	// inherited from the manager.
	Limits map[int]Rlimit
	// CPUSchedPolicy is a SCHED_* policy, nil when unset.
	CPUSchedPolicy      *int
	CPUSchedPriority    int
	CPUSchedResetOnFork bool
	// IOSchedClass is an IOPRIO_CLASS_* value (nil: inherited) and
	// IOSchedPriority its level, 0-7.
	IOSchedClass    *int
	IOSchedPriority int
	CPUAffinity     []int
	// StandardInput is null, tty, tty-force, tty-fail, data, socket or
	// file:PATH.
	StandardInput     string
	StandardInputData []byte
	TTYPath           string
	SyslogIdentifier  string
	// SupplementaryGroups are added to the user's own groups.
	SupplementaryGroups []string
	// ExecSearchPath is where bare command names are looked up instead
	// of systemd's fixed list; it is also PATH unless the environment
	// settings give one.
	ExecSearchPath []string
	outputSet      bool // StandardOutput= was given
}

// Rlimit is one resource limit; math.MaxUint64 is infinity.
type Rlimit struct{ Cur, Max uint64 }

// RlimInfinity is "infinity" in a Limit*= setting.
const RlimInfinity = math.MaxUint64

// rlimitKind says how a Limit*= value is read: a plain count, bytes with
// 1024-based suffixes, seconds, microseconds or a nice level.
type rlimitKind int

const (
	rlimCount rlimitKind = iota
	rlimBytes
	rlimSeconds
	rlimUsec
	rlimNice
)

// rlimits are the Limit*= directives in systemd's order.
var rlimits = []struct {
	name string
	res  int
	kind rlimitKind
}{
	{"CPU", unix.RLIMIT_CPU, rlimSeconds},
	{"FSIZE", unix.RLIMIT_FSIZE, rlimBytes},
	{"DATA", unix.RLIMIT_DATA, rlimBytes},
	{"STACK", unix.RLIMIT_STACK, rlimBytes},
	{"CORE", unix.RLIMIT_CORE, rlimBytes},
	{"RSS", unix.RLIMIT_RSS, rlimBytes},
	{"NOFILE", unix.RLIMIT_NOFILE, rlimCount},
	{"AS", unix.RLIMIT_AS, rlimBytes},
	{"NPROC", unix.RLIMIT_NPROC, rlimCount},
	{"MEMLOCK", unix.RLIMIT_MEMLOCK, rlimBytes},
	{"LOCKS", unix.RLIMIT_LOCKS, rlimCount},
	{"SIGPENDING", unix.RLIMIT_SIGPENDING, rlimCount},
	{"MSGQUEUE", unix.RLIMIT_MSGQUEUE, rlimBytes},
	{"NICE", unix.RLIMIT_NICE, rlimNice},
	{"RTPRIO", unix.RLIMIT_RTPRIO, rlimCount},
	{"RTTIME", unix.RLIMIT_RTTIME, rlimUsec},
}

// parseRlimitValue reads one side of a Limit*= value.
func parseRlimitValue(v string, kind rlimitKind) (uint64, error) {
	if v == "infinity" {
		return RlimInfinity, nil
	}
	switch kind {
	case rlimBytes:
		return parseIECBytes(v)
	case rlimSeconds, rlimUsec:
		if n, err := strconv.ParseUint(v, 10, 64); err == nil {
			return n, nil // a plain number is in the limit's own unit
		}
		d, err := unit.ParseTimespan(v)
		if err != nil {
			return 0, err
		}
		if kind == rlimUsec {
			return uint64(d / time.Microsecond), nil
		}
		// Rounded up: a limit of 1500ms must not end the process at 1s.
		return uint64((d + time.Second - 1) / time.Second), nil
	case rlimNice:
		// A signed value is a nice level, a plain one the kernel's
		// 0-40 scale (20 - nice).
		if strings.HasPrefix(v, "+") || strings.HasPrefix(v, "-") {
			n, err := strconv.Atoi(v)
			if err != nil || n < -20 || n > 19 {
				return 0, fmt.Errorf("nice level out of range -20..19")
			}
			return uint64(20 - n), nil
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n > 40 {
			return 0, fmt.Errorf("use a nice level (-20..+19) or a number from 0 to 40")
		}
		return n, nil
	}
	return strconv.ParseUint(v, 10, 64)
}

// parseIECBytes reads a size with K, M, G, T, P or E (1024-based) suffix.
func parseIECBytes(v string) (uint64, error) {
	mult := uint64(1)
	num := strings.TrimSuffix(v, "B")
	if num != "" {
		if i := strings.IndexByte("KMGTPE", num[len(num)-1]); i >= 0 {
			mult = 1 << (10 * (i + 1))
			num = num[:len(num)-1]
		}
	}
	n, err := strconv.ParseUint(num, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("not a size")
	}
	if n > math.MaxUint64/mult {
		return 0, fmt.Errorf("size too large")
	}
	return n * mult, nil
}

func parseRlimit(res int, kind rlimitKind) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error {
		s := svc(c)
		if v == "" {
			delete(s.Limits, res)
			return nil
		}
		soft, hard, two := strings.Cut(v, ":")
		cur, err := parseRlimitValue(soft, kind)
		if err != nil {
			return err
		}
		max := cur
		if two {
			if max, err = parseRlimitValue(hard, kind); err != nil {
				return err
			}
			if cur > max {
				return fmt.Errorf("soft limit above hard limit")
			}
		}
		if s.Limits == nil {
			s.Limits = map[int]Rlimit{}
		}
		s.Limits[res] = Rlimit{Cur: cur, Max: max}
		return nil
	}
}

func parseUMask(c *parseCtx, v string) error {
	if v == "" {
		svc(c).UMask = 0o022
		return nil
	}
	n, err := strconv.ParseUint(v, 8, 32)
	if err != nil || n > 0o777 {
		return fmt.Errorf("not an octal file mode")
	}
	svc(c).UMask = uint32(n)
	return nil
}

func parseNice(c *parseCtx, v string) error {
	if v == "" {
		svc(c).Nice = nil
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < -20 || n > 19 {
		return fmt.Errorf("use a number from -20 to 19")
	}
	svc(c).Nice = &n
	return nil
}

// schedPolicies are CPUSchedulingPolicy= values and their SCHED_* numbers.
var schedPolicies = map[string]int{"other": 0, "fifo": 1, "rr": 2, "batch": 3, "idle": 5}

func realtime(policy int) bool { return policy == 1 || policy == 2 }

func parseCPUSchedPolicy(c *parseCtx, v string) error {
	s := svc(c)
	if v == "" {
		s.CPUSchedPolicy, s.CPUSchedPriority = nil, 0
		return nil
	}
	p, ok := schedPolicies[v]
	if !ok {
		return fmt.Errorf("use other, batch, idle, fifo or rr")
	}
	s.CPUSchedPolicy = &p
	// As systemd does, the priority is brought into the policy's range.
	if realtime(p) {
		s.CPUSchedPriority = min(max(s.CPUSchedPriority, 1), 99)
	} else {
		s.CPUSchedPriority = 0
	}
	return nil
}

func parseCPUSchedPriority(c *parseCtx, v string) error {
	s := svc(c)
	if v == "" {
		s.CPUSchedPriority = 0
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 99 {
		return fmt.Errorf("use a number from 0 to 99")
	}
	if s.CPUSchedPolicy != nil && realtime(*s.CPUSchedPolicy) && n == 0 {
		return fmt.Errorf("a realtime policy takes 1 to 99")
	}
	s.CPUSchedPriority = n
	return nil
}

// ioClasses are IOSchedulingClass= values and their IOPRIO_CLASS_* numbers.
var ioClasses = map[string]int{"none": 0, "realtime": 1, "best-effort": 2, "idle": 3}

func parseIOSchedClass(c *parseCtx, v string) error {
	s := svc(c)
	if v == "" {
		s.IOSchedClass = nil
		return nil
	}
	n, ok := ioClasses[v]
	if !ok {
		if x, err := strconv.Atoi(v); err == nil && x >= 0 && x <= 3 {
			n, ok = x, true
		}
	}
	if !ok {
		return fmt.Errorf("use none, realtime, best-effort or idle")
	}
	s.IOSchedClass = &n
	return nil
}

func parseIOSchedPriority(c *parseCtx, v string) error {
	s := svc(c)
	if v == "" {
		s.IOSchedPriority = 4
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 7 {
		return fmt.Errorf("use a number from 0 to 7")
	}
	s.IOSchedPriority = n
	if s.IOSchedClass == nil {
		// A level alone means best-effort, as in systemd.
		be := 2
		s.IOSchedClass = &be
	}
	return nil
}

func parseCPUAffinity(c *parseCtx, v string) error {
	s := svc(c)
	if v == "" {
		s.CPUAffinity = nil
		return nil
	}
	if v == "numa" {
		return unsupportedf("CPUAffinity=numa (capsuled sets no NUMA policy)")
	}
	for _, w := range strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' }) {
		lo, hi, rng := strings.Cut(w, "-")
		a, err := strconv.Atoi(lo)
		b := a
		if err == nil && rng {
			b, err = strconv.Atoi(hi)
		}
		if err != nil || a < 0 || b < a || b >= 8192 {
			return fmt.Errorf("not a CPU or range: %s", w)
		}
		for i := a; i <= b; i++ {
			if !slices.Contains(s.CPUAffinity, i) {
				s.CPUAffinity = append(s.CPUAffinity, i)
			}
		}
	}
	slices.Sort(s.CPUAffinity)
	return nil
}

// inputKinds are StandardInput= values capsuled acts on.
var inputKinds = []string{"null", "tty", "tty-force", "tty-fail", "data", "socket"}

func parseStandardInput(c *parseCtx, v string) error {
	s := svc(c)
	switch {
	case v == "":
		s.StandardInput = "null"
	case slices.Contains(inputKinds, v):
		s.StandardInput = v
	case strings.HasPrefix(v, "file:"):
		if !strings.HasPrefix(v[5:], "/") {
			return fmt.Errorf("file: takes an absolute path")
		}
		s.StandardInput = v
	case strings.HasPrefix(v, "fd:"):
		return unsupportedf("StandardInput=%s (no named socket is passed to a service's standard input)", v)
	default:
		return fmt.Errorf("use null, tty, tty-force, tty-fail, data, file:PATH, socket or fd:NAME")
	}
	return nil
}

func parseStandardInputText(c *parseCtx, v string) error {
	s := svc(c)
	if v == "" {
		s.StandardInputData = nil
		return nil
	}
	s.StandardInputData = append(append(s.StandardInputData, v...), '\n')
	return nil
}

func parseStandardInputData(c *parseCtx, v string) error {
	s := svc(c)
	if v == "" {
		s.StandardInputData = nil
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(v), ""))
	if err != nil {
		return fmt.Errorf("not Base64: %w", err)
	}
	s.StandardInputData = append(s.StandardInputData, b...)
	return nil
}

func parseTTYPath(c *parseCtx, v string) error {
	if v != "" && !strings.HasPrefix(v, "/") {
		return fmt.Errorf("not an absolute path")
	}
	svc(c).TTYPath = v
	return nil
}

// parseOutput returns the parser of StandardOutput= or StandardError=.
// Output for the journal or kmsg goes to the unit's log.
func parseOutput(field func(*Service) *string, def string) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error {
		s := svc(c)
		dst := field(s)
		if c.key == "StandardOutput" {
			s.outputSet = v != ""
		}
		switch {
		case v == "":
			*dst = def
		case v == "journal" || v == "inherit" || v == "null" || v == "tty" || v == "socket":
			*dst = v
		case v == "kmsg" || v == "journal+console" || v == "kmsg+console" || v == "syslog" || v == "syslog+console":
			*dst = "journal"
			return unsupportedf("%s=%s (output goes to the unit's log only)", c.key, v)
		case strings.HasPrefix(v, "file:") || strings.HasPrefix(v, "append:") || strings.HasPrefix(v, "truncate:"):
			_, path, _ := strings.Cut(v, ":")
			if !strings.HasPrefix(path, "/") {
				return fmt.Errorf("%s takes an absolute path", v[:strings.IndexByte(v, ':')+1])
			}
			*dst = v
		case strings.HasPrefix(v, "fd:"):
			return unsupportedf("%s=%s (no named socket is passed to a service's output)", c.key, v)
		default:
			return fmt.Errorf("use journal, kmsg, null, inherit, tty, file:PATH, append:PATH, truncate:PATH, socket or fd:NAME")
		}
		return nil
	}
}

// parseExecSearchPath adds a line's colon-separated absolute paths; a
// line with a relative one is ignored whole, an empty one resets, as in
// systemd 257.
func parseExecSearchPath(c *parseCtx, v string) error {
	s := svc(c)
	if v == "" {
		s.ExecSearchPath = nil
		return nil
	}
	dirs := strings.Split(v, ":")
	for _, d := range dirs {
		if !strings.HasPrefix(d, "/") {
			c.warn("ExecSearchPath= path is not absolute, ignoring: %s", d)
			return nil
		}
	}
	s.ExecSearchPath = append(s.ExecSearchPath, dirs...)
	return nil
}

func parseSupplementaryGroups(c *parseCtx, v string) error {
	s := svc(c)
	if v == "" {
		s.SupplementaryGroups = nil
		return nil
	}
	for _, g := range strings.Fields(v) {
		if strings.ContainsAny(g, ":/") {
			c.warn("Invalid supplementary group name %s, ignoring.", g)
			continue
		}
		s.SupplementaryGroups = append(s.SupplementaryGroups, g)
	}
	return nil
}

// unitPrefix is a unit name without its type and instance ("foo" of
// foo@bar.service).
func unitPrefix(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[:i]
	}
	if i := strings.IndexByte(name, '@'); i >= 0 {
		name = name[:i]
	}
	return name
}

// execAttrDirectives are the [Service] directives of ExecAttrs.
func execAttrDirectives() []Directive {
	ds := []Directive{
		{Key: "UMask", Props: []string{"UMask"}, Parse: parseUMask},
		{Key: "Nice", Props: []string{"Nice"}, Parse: parseNice},
		{Key: "CPUSchedulingPolicy", Props: []string{"CPUSchedulingPolicy"}, Parse: parseCPUSchedPolicy},
		{Key: "CPUSchedulingPriority", Props: []string{"CPUSchedulingPriority"}, Parse: parseCPUSchedPriority},
		{Key: "CPUSchedulingResetOnFork", Props: []string{"CPUSchedulingResetOnFork"}, Parse: svcBool(func(s *Service) *bool { return &s.CPUSchedResetOnFork })},
		{Key: "IOSchedulingClass", Props: []string{"IOSchedulingClass"}, Parse: parseIOSchedClass},
		{Key: "IOSchedulingPriority", Props: []string{"IOSchedulingPriority"}, Parse: parseIOSchedPriority},
		{Key: "CPUAffinity", Props: []string{"CPUAffinity"}, Parse: parseCPUAffinity},
		{Key: "StandardOutput", Props: []string{"StandardOutput"}, Parse: parseOutput(func(s *Service) *string { return &s.StandardOutput }, "journal")},
		{Key: "StandardError", Props: []string{"StandardError"}, Parse: parseOutput(func(s *Service) *string { return &s.StandardError }, "inherit")},
		{Key: "StandardInput", Props: []string{"StandardInput"}, Parse: parseStandardInput},
		{Key: "StandardInputText", Props: []string{"StandardInputData"}, Raw: false, Parse: parseStandardInputText},
		{Key: "StandardInputData", Props: []string{"StandardInputData"}, Raw: true, Parse: parseStandardInputData},
		{Key: "TTYPath", Props: []string{"TTYPath"}, Parse: parseTTYPath},
		{Key: "SyslogIdentifier", Props: []string{"SyslogIdentifier"}, Parse: svcString(func(s *Service) *string { return &s.SyslogIdentifier })},
		{Key: "SupplementaryGroups", Props: []string{"SupplementaryGroups"}, Parse: parseSupplementaryGroups},
		{Key: "ExecSearchPath", Props: []string{"ExecSearchPath"}, Parse: parseExecSearchPath},
		{Key: "TTYReset", Status: Warn, Reason: "capsuled does not reset terminals"},
		{Key: "TTYVHangup", Status: Warn, Reason: "capsuled does not hang up terminals"},
		{Key: "TTYVTDisallocate", Status: Warn, Reason: "capsuled allocates no virtual consoles"},
	}
	for _, r := range rlimits {
		ds = append(ds, Directive{Key: "Limit" + r.name, Props: []string{"Limit" + r.name, "Limit" + r.name + "Soft"}, Parse: parseRlimit(r.res, r.kind)})
	}
	return ds
}

// formatRlimit prints a limit as show does.
func formatRlimit(n uint64) string {
	if n == RlimInfinity {
		return "infinity"
	}
	return strconv.FormatUint(n, 10)
}

// managerRlimit is the manager's own limit res, which processes of units
// without Limit*= inherit.
func managerRlimit(res int) Rlimit {
	var r unix.Rlimit
	if err := unix.Getrlimit(res, &r); err != nil {
		return Rlimit{Cur: RlimInfinity, Max: RlimInfinity}
	}
	return Rlimit{Cur: r.Cur, Max: r.Max}
}

// formatCPUSet prints CPUs as ranges ("0-3 6").
func formatCPUSet(cpus []int) string {
	var out []string
	for i := 0; i < len(cpus); {
		j := i
		for j+1 < len(cpus) && cpus[j+1] == cpus[j]+1 {
			j++
		}
		if j > i {
			out = append(out, fmt.Sprintf("%d-%d", cpus[i], cpus[j]))
		} else {
			out = append(out, strconv.Itoa(cpus[i]))
		}
		i = j + 1
	}
	return strings.Join(out, " ")
}

// execAttrProps are the show properties of ExecAttrs; unset values show
// what processes inherit from the manager, as in systemd.
func execAttrProps() []Property {
	s := func(u *Unit) *Service { return u.Service }
	p := func(name string, f func(*Service) string) Property {
		return Property{Name: name, Format: func(u *Unit) string { return f(s(u)) }}
	}
	props := []Property{
		p("UMask", func(s *Service) string { return fmt.Sprintf("%04o", s.UMask) }),
		p("Nice", func(s *Service) string {
			if s.Nice != nil {
				return strconv.Itoa(*s.Nice)
			}
			n, err := unix.Getpriority(unix.PRIO_PROCESS, 0)
			if err != nil {
				return "0"
			}
			return strconv.Itoa(20 - n) // the raw syscall returns 20 - nice
		}),
		p("IOSchedulingClass", func(s *Service) string {
			if s.IOSchedClass != nil {
				return strconv.Itoa(*s.IOSchedClass)
			}
			return "2"
		}),
		p("IOSchedulingPriority", func(s *Service) string {
			if s.IOSchedClass != nil {
				return strconv.Itoa(s.IOSchedPriority)
			}
			return "4"
		}),
		p("CPUSchedulingPolicy", func(s *Service) string {
			if s.CPUSchedPolicy != nil {
				return strconv.Itoa(*s.CPUSchedPolicy)
			}
			return "0"
		}),
		p("CPUSchedulingPriority", func(s *Service) string { return strconv.Itoa(s.CPUSchedPriority) }),
		p("CPUSchedulingResetOnFork", func(s *Service) string { return FormatBool(s.CPUSchedResetOnFork) }),
		p("CPUAffinity", func(s *Service) string { return formatCPUSet(s.CPUAffinity) }),
		p("StandardInput", func(s *Service) string { return s.StandardInput }),
		p("StandardInputData", func(s *Service) string { return base64.StdEncoding.EncodeToString(s.StandardInputData) }),
		p("TTYPath", func(s *Service) string { return s.TTYPath }),
		p("SyslogIdentifier", func(s *Service) string { return s.SyslogIdentifier }),
		p("SupplementaryGroups", func(s *Service) string { return strings.Join(s.SupplementaryGroups, " ") }),
		p("ExecSearchPath", func(s *Service) string { return strings.Join(s.ExecSearchPath, " ") }),
	}
	for _, r := range rlimits {
		get := func(s *Service) Rlimit {
			if l, ok := s.Limits[r.res]; ok {
				return l
			}
			return managerRlimit(r.res)
		}
		props = append(props,
			p("Limit"+r.name, func(s *Service) string { return formatRlimit(get(s).Max) }),
			p("Limit"+r.name+"Soft", func(s *Service) string { return formatRlimit(get(s).Cur) }))
	}
	return props
}

// finishExecAttrs applies systemd's defaults that depend on other
// settings: StandardInputText=/Data= without StandardInput= means data,
// and a terminal on standard input is inherited by the outputs unless they
// are set.
func (s *Service) finishExecAttrs() error {
	if s.StandardInputData != nil && s.StandardInput == "null" {
		s.StandardInput = "data"
	}
	if s.StandardInput == "data" && s.StandardInputData == nil {
		return refuse("StandardInput=data set but no data given via StandardInputText= or StandardInputData=. Refusing.")
	}
	if (strings.HasPrefix(s.StandardInput, "tty") || s.StandardInput == "socket") && !s.outputSet && s.StandardOutput == "journal" {
		s.StandardOutput = "inherit"
	}
	if s.TTYPath == "" {
		s.TTYPath = "/dev/console"
	}
	return nil
}
