// Package api holds the types of the io.capsuled.Manager varlink interface
// (see io.capsuled.Manager.varlink), shared by the managers and capsulectl.
package api

import _ "embed"

// Interface is the varlink interface name; methods are Interface+"."+Method.
const Interface = "io.capsuled.Manager"

// Definition is the interface definition, the contract of this package.
//
//go:embed io.capsuled.Manager.varlink
var Definition string

// Method names.
const (
	MethodGetManager         = Interface + ".GetManager"
	MethodListUnits          = Interface + ".ListUnits"
	MethodGetUnit            = Interface + ".GetUnit"
	MethodStartUnit          = Interface + ".StartUnit"
	MethodStopUnit           = Interface + ".StopUnit"
	MethodRestartUnit        = Interface + ".RestartUnit"
	MethodTryRestart         = Interface + ".TryRestartUnit"
	MethodReloadOrRestart    = Interface + ".ReloadOrRestartUnit"
	MethodTryReloadOrRestart = Interface + ".TryReloadOrRestartUnit"
	MethodReloadUnit         = Interface + ".ReloadUnit"
	MethodGetProperties      = Interface + ".GetProperties"
	MethodCleanUnit          = Interface + ".CleanUnit"
	MethodResetFailed        = Interface + ".ResetFailed"
	MethodRunTransient       = Interface + ".RunTransient"
	MethodReload             = Interface + ".Reload"
	MethodEnableUnit         = Interface + ".EnableUnit"
	MethodDisableUnit        = Interface + ".DisableUnit"
	MethodUnitFileState      = Interface + ".GetUnitFileState"
	MethodGetLogs            = Interface + ".GetLogs"
	MethodListJobs           = Interface + ".ListJobs"
	MethodCancelJob          = Interface + ".CancelJob"
	MethodGetEnvironment     = Interface + ".GetEnvironment"
	MethodSetEnvironment     = Interface + ".SetEnvironment"
	MethodUnsetEnv           = Interface + ".UnsetEnvironment"
)

// Error names.
const (
	ErrNoSuchUnit       = Interface + ".NoSuchUnit"
	ErrUnitBusy         = Interface + ".UnitBusy"
	ErrInvalidArgument  = Interface + ".InvalidArgument"
	ErrPermissionDenied = Interface + ".PermissionDenied"
	ErrJobFailed        = Interface + ".JobFailed"
	ErrUnitExists       = Interface + ".UnitExists"
	ErrNothingToClean   = Interface + ".NothingToClean"
	ErrShuttingDown     = Interface + ".ShuttingDown"
	ErrNotSupported     = Interface + ".NotSupported"
	// The job engine's refusals, named after systemd's D-Bus errors; the
	// message is systemd's text.
	ErrNoSuchJob                  = Interface + ".NoSuchJob"
	ErrJobCanceled                = Interface + ".JobCanceled"
	ErrTransactionIsDestructive   = Interface + ".TransactionIsDestructive"
	ErrTransactionJobsConflicting = Interface + ".TransactionJobsConflicting"
	ErrTransactionOrderIsCyclic   = Interface + ".TransactionOrderIsCyclic"
	ErrNoIsolation                = Interface + ".NoIsolation"
	ErrOnlyByDependency           = Interface + ".OnlyByDependency"
	ErrJobTypeNotApplicable       = Interface + ".JobTypeNotApplicable"
	// A start job failed because the unit was started too often
	// (Result=start-limit-hit).
	ErrStartLimitHit = Interface + ".StartLimitHit"
)

// JobFailure is the parameters of a JobFailed or JobCanceled error: the
// job's result (systemd's names: failed, dependency, timeout, canceled,
// assert, ...) and the unit's Result= when the job ended (exit-code,
// signal, start-limit-hit, ...), from which the client words its message.
type JobFailure struct {
	Message    string `json:"message"`
	Unit       string `json:"unit,omitempty"` // the unit the job was for
	JobResult  string `json:"jobResult,omitempty"`
	UnitResult string `json:"unitResult,omitempty"`
}

// Manager describes a running manager.
type Manager struct {
	State        string `json:"state"` // initializing, starting, running, degraded, stopping
	Mode         string `json:"mode"`  // system or user
	Capsule      string `json:"capsule,omitempty"`
	Version      string `json:"version"`
	PID          int    `json:"pid"`
	ControlGroup string `json:"controlGroup"`
	Units        int    `json:"units"`
	Jobs         int    `json:"jobs"`
	Failed       int    `json:"failed"`
	Since        int64  `json:"since"` // µs since the epoch
}

// Process is one process of a unit's cgroup.
type Process struct {
	PID     int    `json:"pid"`
	Command string `json:"command"` // empty: unreadable
	Comm    string `json:"comm,omitempty"`
	// Cgroup is the process's cgroup relative to the unit's.
	Cgroup string `json:"cgroup,omitempty"`
}

// Unit is the status of one unit.
type Unit struct {
	Name          string    `json:"name"`
	Description   string    `json:"description"`
	LoadState     string    `json:"loadState"` // loaded, not-found, masked, error
	LoadError     string    `json:"loadError,omitempty"`
	ActiveState   string    `json:"activeState"` // active, inactive, activating, deactivating, failed, maintenance
	SubState      string    `json:"subState"`
	Fragment      string    `json:"fragment,omitempty"`
	DropIns       []string  `json:"dropIns,omitempty"`
	Transient     bool      `json:"transient,omitempty"`
	NeedReload    bool      `json:"needDaemonReload,omitempty"`
	UnitFileState string    `json:"unitFileState,omitempty"`
	InvocationID  string    `json:"invocationID,omitempty"`
	MainPID       int       `json:"mainPID,omitempty"`
	ExecMainPID   int       `json:"execMainPID,omitempty"` // the last main process, also once exited
	StatusText    string    `json:"statusText,omitempty"`
	ControlGroup  string    `json:"controlGroup,omitempty"`
	ProcsError    string    `json:"processesError,omitempty"`
	Processes     []Process `json:"processes,omitempty"`
	StateChange   int64     `json:"stateChange,omitempty"` // µs since the epoch
	Result        string    `json:"result,omitempty"`
	ExitCode      string    `json:"exitCode,omitempty"` // exited, killed, dumped
	ExitStatus    int       `json:"exitStatus,omitempty"`
	User          string    `json:"user,omitempty"`
	UID           int       `json:"uid,omitempty"`
	Log           []string  `json:"log,omitempty"`
	// Execs are the commands of the last invocation that have ended,
	// for status's "Process:" lines.
	Execs []ExecRun `json:"execs,omitempty"`
	// ConditionFailed is when the last start found a condition unmet (µs
	// since the epoch), Unmet the conditions that failed; AssertFailed and
	// AssertUnmet the same for an assert.
	ConditionFailed int64    `json:"conditionFailed,omitempty"`
	Unmet           []string `json:"unmetConditions,omitempty"`
	AssertFailed    int64    `json:"assertFailed,omitempty"`
	AssertUnmet     string   `json:"assertUnmet,omitempty"`
	// Triggers and TriggeredBy name the units this one starts (a socket's
	// service, a timer's unit) and those that start it; TimerNext is a
	// timer's next elapse (µs since the epoch, 0: none).
	Triggers    []string `json:"triggers,omitempty"`
	TriggeredBy []string `json:"triggeredBy,omitempty"`
	TimerNext   int64    `json:"timerNext,omitempty"`
	// Accept is an Accept=yes socket's connections (status's
	// "Accepted: N; Connected: N;"), nil for other units.
	Accept *Accept `json:"accept,omitempty"`
	// Listen is a socket's listeners as show -p Listen prints them.
	Listen []string `json:"listen,omitempty"`

	// TriggeredByStates are the ActiveState of each TriggeredBy unit.
	TriggeredByStates []string `json:"triggeredByStates,omitempty"`
}

// Accept counts an Accept=yes socket's connections: those accepted so far
// and those whose instance still runs.
type Accept struct {
	Accepted  uint `json:"accepted"`
	Connected uint `json:"connected"`
	Refused   uint `json:"refused,omitempty"`
}

// ExecRun is an ended command: its setting (ExecStartPre, ...), command
// line, PID and how it ended (code exited, killed or dumped; the exit
// status or signal number).
type ExecRun struct {
	Kind   string `json:"kind"`
	Argv   string `json:"argv"`
	PID    int    `json:"pid"`
	Code   string `json:"code"`
	Status int    `json:"status"`
}

// UnitName names a unit.
type UnitName struct {
	Name string `json:"name"`
	// Lines of log to include in GetUnit.
	Lines int `json:"lines,omitempty"`
	// Brief asks GetUnit for the state only: no processes, file state or log.
	Brief bool `json:"brief,omitempty"`
}

// Job asks for a job on a unit (StartUnit, StopUnit, RestartUnit,
// TryRestartUnit, ReloadOrRestartUnit, TryReloadOrRestartUnit).
type Job struct {
	Name string `json:"name"`
	// Mode is the job mode (systemctl --job-mode=); empty means replace.
	Mode string `json:"mode,omitempty"`
	// NoBlock replies once the job is queued, without waiting for it.
	NoBlock bool `json:"noBlock,omitempty"`
}

// Property is one unit or manager property, named and formatted as
// systemctl show prints it.
type Property struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// PropertiesRequest asks for the properties of a unit, or of the manager
// without Name.
type PropertiesRequest struct {
	Name string `json:"name,omitempty"`
}

// Properties is the reply of GetProperties.
type Properties struct {
	Properties []Property `json:"properties"`
}

// UnitList is the reply of ListUnits.
type UnitList struct {
	Units []Unit `json:"units"`
}

// Change is one file system change made by EnableUnit or DisableUnit.
type Change struct {
	Type   string `json:"type"` // symlink or unlink
	Path   string `json:"path"`
	Source string `json:"source,omitempty"`
}

// Changes is the reply of EnableUnit and DisableUnit.
type Changes struct {
	Changes []Change `json:"changes"`
	// NoInstallInfo: the unit has nothing in its [Install] section
	// (static); nothing was changed.
	NoInstallInfo bool `json:"noInstallInfo,omitempty"`
}

// FileState is the reply of GetUnitFileState.
type FileState struct {
	State string `json:"state"` // enabled, disabled, static, masked, transient
}

// LogsRequest asks for log lines of units (of the whole manager without
// any).
type LogsRequest struct {
	Name   string   `json:"name,omitempty"` // one more unit
	Units  []string `json:"units,omitempty"`
	Lines  int      `json:"lines"` // newest lines to send first; -1 for all
	Follow bool     `json:"follow,omitempty"`
	// Since and Until bound the time in µs since the epoch (inclusive).
	Since int64 `json:"since,omitempty"`
	Until int64 `json:"until,omitempty"`
	// Priority is the least important level sent (0-7; default 7).
	Priority   *int   `json:"priority,omitempty"`
	Invocation string `json:"invocation,omitempty"` // an ID, or 0 for the newest
}

// LogEntry is one log line.
type LogEntry struct {
	Time       int64  `json:"time"` // µs since the epoch
	Unit       string `json:"unit,omitempty"`
	Ident      string `json:"ident,omitempty"`
	PID        int    `json:"pid,omitempty"`
	Priority   int    `json:"priority"`
	Invocation string `json:"invocation,omitempty"`
	Manager    bool   `json:"manager,omitempty"` // the manager's, about Unit
	Message    string `json:"message"`
}

// LogLines is one batch of log lines.
type LogLines struct {
	Hostname string     `json:"hostname,omitempty"`
	Entries  []LogEntry `json:"entries"`
}

// Clean asks to remove a unit's resources.
type Clean struct {
	Name string   `json:"name"`
	What []string `json:"what"`
}

// Cleaned lists what CleanUnit removed.
type Cleaned struct {
	Removed []string `json:"removed"`
}

// Stdio modes of RunTransient.
const (
	StdioLog = "log" // output goes to the unit's log
	StdioFDs = "fds" // three descriptors passed with the call
	StdioPTY = "pty" // the terminal named in PTY
)

// Run starts a transient service.
type Run struct {
	Unit             string   `json:"unit,omitempty"`
	Description      string   `json:"description,omitempty"`
	Argv             []string `json:"argv"`
	Environment      []string `json:"environment,omitempty"`
	Properties       []string `json:"properties,omitempty"`
	WorkingDirectory string   `json:"workingDirectory,omitempty"`
	Stdio            string   `json:"stdio,omitempty"`
	PTY              string   `json:"pty,omitempty"`
	Wait             bool     `json:"wait,omitempty"`
	Collect          bool     `json:"collect,omitempty"`
	// Timer, if set, are the [Timer] settings of a transient timer that
	// starts the service (run --on-*), instead of starting it now.
	Timer []string `json:"timer,omitempty"`
}

// RunReply is sent when the unit started and, with Wait, again when it ended.
type RunReply struct {
	Unit         string `json:"unit"`
	InvocationID string `json:"invocationID"`
	MainPID      int    `json:"mainPID,omitempty"`
	Timer        string `json:"timer,omitempty"` // the transient timer that starts Unit
	// Warnings are what loading the unit ignored, for the caller's
	// terminal.
	Warnings   []string `json:"warnings,omitempty"`
	Done       bool     `json:"done,omitempty"`
	Result     string   `json:"result,omitempty"`
	ExitCode   string   `json:"exitCode,omitempty"`
	ExitStatus int      `json:"exitStatus,omitempty"`
	// RuntimeUSec is from the unit's start to its end, CPUUsageNSec the
	// CPU time its processes used; nil when not known.
	RuntimeUSec  *int64 `json:"runtimeUSec,omitempty"`
	CPUUsageNSec *int64 `json:"cpuUsageNSec,omitempty"`
}

// JobRef names one installed job.
type JobRef struct {
	ID    uint32 `json:"id"`
	Unit  string `json:"unit"`
	Type  string `json:"type"`  // start, stop, restart, reload, verify-active, ...
	State string `json:"state"` // waiting or running
}

// JobInfo is one installed job with the jobs it waits for and blocks.
type JobInfo struct {
	JobRef
	WaitingFor []JobRef `json:"waitingFor,omitempty"`
	Blocking   []JobRef `json:"blocking,omitempty"`
}

// JobList is the reply of ListJobs.
type JobList struct {
	Jobs []JobInfo `json:"jobs"`
}

// CancelJobRequest cancels the job ID, or every job with All.
type CancelJobRequest struct {
	ID  uint32 `json:"id,omitempty"`
	All bool   `json:"all,omitempty"`
}

// Environment is GetEnvironment's reply.
type Environment struct {
	Environment []string `json:"environment"`
}

// SetEnvironment is SetEnvironment's parameters.
type SetEnvironment struct {
	Assignments []string `json:"assignments"`
}

// UnsetEnvironment is UnsetEnvironment's parameters.
type UnsetEnvironment struct {
	Names []string `json:"names"`
}
