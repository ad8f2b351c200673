package manager

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/capsuled/capsuled/internal/unit"
	"github.com/capsuled/capsuled/internal/unitconf"
)

// The properties below complete what `show` prints to systemd's set.
// Each value is what capsuled makes true: read from the kernel (cgroup
// counters, the rlimits and scheduling a unit process inherits from the
// manager, which sets none of them), or systemd's value for a feature that
// is off, where capsuled has no such feature (no freezer, no IP
// accounting, no device policy, no watchdog...). A directive the
// configuration acts on overrides these (see Properties).

// unitDefaultProperties are every unit type's: features capsuled lacks,
// shown as systemd shows them when off.
func unitDefaultProperties() []Property {
	return []Property{
		{"FreezerState", "running"}, // capsuled never freezes a unit
		{"CanIsolate", "no"},        // no isolate job
		{"CanFreeze", "no"},
		{"CanLiveMount", "no"},
		{"SurviveFinalKillSignal", "no"},
		{"JobTimeoutAction", "none"}, // JobTimeoutAction= draws a warning
		{"FailureAction", "none"},
		{"SuccessAction", "none"},
		{"DebugInvocation", "no"},
	}
}

// serviceDefaultProperties are a service's settings capsuled has no
// directive for, with the value that describes what it does.
func serviceDefaultProperties(_ []Property) []Property {
	ps := []Property{
		{"ExitType", "main"}, // the main process's exit ends the service
		{"RestartMode", "normal"},
		{"WatchdogTimestampMonotonic", "0"},
		{"RootDirectoryStartOnly", "no"},
		{"FileDescriptorStoreMax", "0"},
		{"NFileDescriptorStore", "0"},
		{"StatusErrno", "0"}, // ERRNO= from sd_notify is not kept
		{"LiveMountResult", "success"},
		{"IPAccounting", "no"},
		{"IPIngressBytes", "[no data]"},
		{"IPIngressPackets", "[no data]"},
		{"IPEgressBytes", "[no data]"},
		{"IPEgressPackets", "[no data]"},
		{"IOAccounting", "no"},
		{"BlockIOAccounting", "no"},
		{"IOReadBytes", "[not set]"},
		{"IOReadOperations", "[not set]"},
		{"IOWriteBytes", "[not set]"},
		{"IOWriteOperations", "[not set]"},
		{"CPUWeight", "[not set]"},
		{"StartupCPUWeight", "[not set]"},
		{"CPUShares", "[not set]"},
		{"StartupCPUShares", "[not set]"},
		{"CPUQuotaPerSecUSec", "infinity"},
		{"CPUQuotaPeriodUSec", "infinity"},
		{"IOWeight", "[not set]"},
		{"StartupIOWeight", "[not set]"},
		{"BlockIOWeight", "[not set]"},
		{"StartupBlockIOWeight", "[not set]"},
		{"DefaultMemoryLow", "0"},
		{"DefaultStartupMemoryLow", "0"},
		{"DefaultMemoryMin", "0"},
		{"MemoryMin", "0"},
		{"MemoryLow", "0"},
		{"StartupMemoryLow", "0"},
		{"MemoryHigh", "infinity"},
		{"StartupMemoryHigh", "infinity"},
		{"StartupMemoryMax", "infinity"},
		{"MemorySwapMax", "infinity"},
		{"StartupMemorySwapMax", "infinity"},
		{"MemoryZSwapMax", "infinity"},
		{"StartupMemoryZSwapMax", "infinity"},
		{"MemoryZSwapWriteback", "yes"}, // the kernel's default, left alone
		{"DevicePolicy", "auto"},        // no device access restriction
		{"ManagedOOMSwap", "auto"},
		{"ManagedOOMMemoryPressure", "auto"},
		{"ManagedOOMMemoryPressureLimit", "0"},
		{"ManagedOOMMemoryPressureDurationUSec", "[not set]"},
		{"ManagedOOMPreference", "none"},
		{"CoredumpReceive", "no"},
		{"RootEphemeral", "no"},
		{"CPUAffinityFromNUMA", "no"},
		{"NUMAPolicy", "n/a"},
		{"NonBlocking", "no"},
		{"TTYReset", "no"},
		{"TTYVHangup", "no"},
		{"TTYVTDisallocate", "no"},
		{"LogLevelMax", "-1"},
		{"SetLoginEnvironment", "no"},
		{"PrivateUsers", "no"},
		{"PrivateUsersEx", "no"},
		{"PrivateMounts", "no"},
		{"PrivatePIDs", "no"},
		{"MountAPIVFS", "no"},
		{"BindLogSockets", "no"},
		{"MemoryKSM", "no"},
	}
	return ps
}

// socketDefaultProperties are a socket's: capsuled listens on Unix
// stream sockets only, sets no socket option and accepts no connections
// itself (Accept=no), so these are systemd's values for options left unset.
func socketDefaultProperties() []Property {
	ps := []Property{
		{"BindIPv6Only", "default"},
		{"FlushPending", "no"},
		{"Writable", "no"},
		{"KeepAlive", "no"},
		{"KeepAliveTimeUSec", "0"},
		{"KeepAliveIntervalUSec", "0"},
		{"KeepAliveProbes", "0"},
		{"DeferAcceptUSec", "0"},
		{"NoDelay", "no"},
		{"Priority", "-1"},
		{"ReceiveBuffer", "0"},
		{"SendBuffer", "0"},
		{"IPTOS", "-1"},
		{"IPTTL", "-1"},
		{"PipeSize", "0"},
		{"FreeBind", "no"},
		{"Transparent", "no"},
		{"Broadcast", "no"},
		{"PassCredentials", "no"},
		{"PassFileDescriptorsToExec", "no"},
		{"PassSecurity", "no"},
		{"PassPacketInfo", "no"},
		{"Timestamping", "off"},
		// Unlike systemd's default, the socket files are removed when the
		// socket stops.
		{"RemoveOnStop", "yes"},
		{"Mark", "-1"},
		{"MessageQueueMaxMessages", "0"},
		{"MessageQueueMessageSize", "0"},
		{"ReusePort", "no"},
		{"ControlPID", "0"}, // a socket runs no commands
		{"NConnections", "0"},
		{"NAccepted", "0"},
		{"NRefused", "0"},
		{"SocketProtocol", "0"},
		{"UID", "[not set]"},
		{"GID", "[not set]"},
	}
	return ps
}

// rlimits are the resources of LimitXXX=, in systemd's order.
var rlimits = []struct {
	name     string
	resource int
}{
	{"CPU", unix.RLIMIT_CPU}, {"FSIZE", unix.RLIMIT_FSIZE}, {"DATA", unix.RLIMIT_DATA},
	{"STACK", unix.RLIMIT_STACK}, {"CORE", unix.RLIMIT_CORE}, {"RSS", unix.RLIMIT_RSS},
	{"NOFILE", unix.RLIMIT_NOFILE}, {"AS", unix.RLIMIT_AS}, {"NPROC", unix.RLIMIT_NPROC},
	{"MEMLOCK", unix.RLIMIT_MEMLOCK}, {"LOCKS", unix.RLIMIT_LOCKS},
	{"SIGPENDING", unix.RLIMIT_SIGPENDING}, {"MSGQUEUE", unix.RLIMIT_MSGQUEUE},
	{"NICE", unix.RLIMIT_NICE}, {"RTPRIO", unix.RLIMIT_RTPRIO}, {"RTTIME", unix.RLIMIT_RTTIME},
}

// inheritedProperties are the process attributes a unit's process gets
// from the manager, which sets none of them: its rlimits (as
// prefix+"NOFILE" and so on), umask, nice value, scheduling, timer slack,
// OOM score adjustment and core dump filter. They are read from the
// unit's main process pid when it runs, else from the manager (pid 0), whose
// children inherit them but for the soft RLIMIT_NOFILE: the Go runtime
// raises the manager's own and restores the original, unknown here, in
// each child, so that one is left out.
func inheritedProperties(limitPrefix string, pid int) []Property {
	var ps []Property
	for _, r := range rlimits {
		var l unix.Rlimit
		if err := unix.Prlimit(pid, r.resource, nil, &l); err != nil {
			continue
		}
		ps = append(ps, Property{limitPrefix + r.name, rlimitValue(l.Max)})
		if pid != 0 || r.resource != unix.RLIMIT_NOFILE {
			ps = append(ps, Property{limitPrefix + r.name + "Soft", rlimitValue(l.Cur)})
		}
	}
	proc := "/proc/self/"
	if pid != 0 {
		proc = "/proc/" + strconv.Itoa(pid) + "/"
	}
	if limitPrefix != "Limit" {
		return ps
	}
	if v, ok := procStatusField(proc+"status", "Umask"); ok {
		ps = append(ps, Property{"UMask", v})
	}
	if b, err := os.ReadFile(proc + "oom_score_adj"); err == nil {
		ps = append(ps, Property{"OOMScoreAdjust", strings.TrimSpace(string(b))})
	}
	if b, err := os.ReadFile(proc + "coredump_filter"); err == nil {
		if n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 16, 64); err == nil {
			ps = append(ps, Property{"CoredumpFilter", fmt.Sprintf("0x%x", n)})
		}
	}
	// getpriority returns 20-nice.
	if p, err := unix.Getpriority(unix.PRIO_PROCESS, pid); err == nil {
		ps = append(ps, Property{"Nice", strconv.Itoa(20 - p)})
	}
	if a, err := unix.SchedGetAttr(pid, 0); err == nil {
		ps = append(ps, Property{"CPUSchedulingPolicy", strconv.FormatUint(uint64(a.Policy), 10)},
			Property{"CPUSchedulingPriority", strconv.FormatUint(uint64(a.Priority), 10)},
			Property{"CPUSchedulingResetOnFork", unitconf.FormatBool(a.Flags&unix.SCHED_FLAG_RESET_ON_FORK != 0)})
	}
	if slack, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0); err == nil && pid == 0 {
		ps = append(ps, Property{"TimerSlackNSec", strconv.Itoa(slack)})
	}
	return ps
}

func rlimitValue(v uint64) string {
	if v == unix.RLIM_INFINITY {
		return "infinity"
	}
	return strconv.FormatUint(v, 10)
}

// procStatusField reads a field of a /proc/PID/status file.
func procStatusField(path, name string) (string, bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+":"); ok {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

// cgroupCounters are a running unit's resource counters as systemd reads
// them: ControlGroupId is the cgroup's inode in the cgroup2 hierarchy;
// CPUUsageNSec from cgroup2's cpu.stat (present without the cpu
// controller); MemoryCurrent and TasksCurrent from the memory and pids
// controllers where the unit has a cgroup in them (cgroup2 or v1), else
// "[not set]", as systemd prints counters it cannot read. cg is relative
// to the cgroup2 hierarchy ("" when the unit has no cgroup).
func (m *Manager) cgroupCounters(cg string, v1 []v1Member) []Property {
	ps := []Property{{"ControlGroupId", "0"}, {"MemoryCurrent", "[not set]"}, {"MemoryPeak", "[not set]"},
		{"MemorySwapCurrent", "[not set]"}, {"MemorySwapPeak", "[not set]"}, {"MemoryZSwapCurrent", "[not set]"},
		{"CPUUsageNSec", "[not set]"}, {"TasksCurrent", "[not set]"}}
	set := func(name, v string) {
		for i := range ps {
			if ps[i].Name == name {
				ps[i].Value = v
			}
		}
	}
	if cg == "" {
		return ps
	}
	dir := m.cfg.Cgroups.Path(cg)
	var st unix.Stat_t
	if unix.Stat(dir, &st) == nil {
		set("ControlGroupId", strconv.FormatUint(st.Ino, 10))
	}
	if v, ok := cgroupKey(dir+"/cpu.stat", "usage_usec"); ok {
		set("CPUUsageNSec", strconv.FormatUint(v*1000, 10))
	}
	if v, ok := cgroupValue(dir + "/memory.current"); ok {
		set("MemoryCurrent", strconv.FormatUint(v, 10))
	}
	if v, ok := cgroupValue(dir + "/pids.current"); ok {
		set("TasksCurrent", strconv.FormatUint(v, 10))
	}
	for _, mb := range v1 {
		switch mb.v.Controller {
		case "memory":
			if v, err := mb.v.Get(mb.cg, "memory.usage_in_bytes"); err == nil {
				set("MemoryCurrent", strconv.FormatUint(v, 10))
			}
		case "pids":
			if v, err := mb.v.Get(mb.cg, "pids.current"); err == nil {
				set("TasksCurrent", strconv.FormatUint(v, 10))
			}
		}
	}
	return ps
}

func cgroupValue(path string) (uint64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	return v, err == nil
}

func cgroupKey(path, key string) (uint64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+" "); ok {
			n, err := strconv.ParseUint(v, 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// managerDefaultProperties are the manager's: what it has not done
// (no firmware, loader, initrd or security stamps, no shutdown yet)
// and the rlimits units inherit from it.
func managerDefaultProperties() []Property {
	ps := append([]Property{{"ConfirmSpawn", "no"}, {"ShowStatus", "no"}}, serviceDefaults()...)
	for _, s := range []string{"Firmware", "Loader", "Kernel", "InitRD", "ShutdownStart", "SecurityStart",
		"SecurityFinish", "InitRDSecurityStart", "InitRDSecurityFinish", "InitRDGeneratorsStart",
		"InitRDGeneratorsFinish", "InitRDUnitsLoadStart", "InitRDUnitsLoadFinish"} {
		ps = append(ps, Property{s + "TimestampMonotonic", "0"})
	}
	ps = append(ps, inheritedProperties("DefaultLimit", 0)...)
	if slack, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0); err == nil {
		ps = append(ps, Property{"TimerSlackNSec", strconv.Itoa(slack)})
	}
	return ps
}

// serviceDefaults are the manager's defaults for services (DefaultXXX=):
// the properties of a service that sets nothing, as unitconf fills it in.
func serviceDefaults() []Property {
	f, err := unit.Parse(strings.NewReader("[Service]\nExecStart=/bin/true\n"), "default.service")
	if err != nil {
		return nil
	}
	conf, _, err := unitconf.Parse("default.service", unit.NewOptions(f), func(s string) (string, error) { return s, nil })
	if err != nil {
		return nil
	}
	names := map[string]string{"StandardOutput": "DefaultStandardOutput", "StandardError": "DefaultStandardError",
		"TimeoutStartUSec": "DefaultTimeoutStartUSec", "TimeoutStopUSec": "DefaultTimeoutStopUSec",
		"RestartUSec": "DefaultRestartUSec", "StartLimitIntervalUSec": "DefaultStartLimitIntervalUSec",
		"StartLimitBurst": "DefaultStartLimitBurst"}
	var ps []Property
	for _, p := range unitconf.Properties(conf) {
		if n, ok := names[p.Name]; ok {
			ps = append(ps, Property{n, p.Value})
		}
	}
	return ps
}

// restartCount is systemd's NRestarts: the automatic restarts of a
// service, kept until its next start by other means (or reset-failed).
// Guarded by Manager.mu.
type restartCount struct {
	n    int
	auto bool // an automatic restart's start is under way
}

// restarting marks the start of an automatic restart (on) and its end.
func (r *restartCount) restarting(on bool) {
	if on {
		r.n++
	}
	r.auto = on
}

// starting is called as a service starts: a start that is no automatic
// restart begins the count again.
func (r *restartCount) starting() {
	if !r.auto {
		r.n = 0
	}
}
