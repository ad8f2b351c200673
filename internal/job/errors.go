package job

// Code classifies an Error; its String is the D-Bus error name systemd uses, so a face
// can map it once.
type Code int

const (
	CodeNoSuchUnit Code = iota + 1
	CodeBadUnitSetting
	CodeLoadFailed
	CodeUnitMasked
	CodeNotApplicable
	CodeOnlyByDependency
	CodeNoIsolation
	CodeInvalidArgs
	CodeDestructive
	CodeOrderIsCyclic
	CodeJobsConflicting
	CodeNoSuchJob
)

var codeNames = map[Code]string{
	CodeNoSuchUnit:       "org.freedesktop.systemd1.NoSuchUnit",
	CodeBadUnitSetting:   "org.freedesktop.systemd1.BadUnitSetting",
	CodeLoadFailed:       "org.freedesktop.systemd1.LoadFailed",
	CodeUnitMasked:       "org.freedesktop.systemd1.UnitMasked",
	CodeNotApplicable:    "org.freedesktop.systemd1.JobTypeNotApplicable",
	CodeOnlyByDependency: "org.freedesktop.systemd1.OnlyByDependency",
	CodeNoIsolation:      "org.freedesktop.systemd1.NoIsolation",
	CodeInvalidArgs:      "org.freedesktop.DBus.Error.InvalidArgs",
	CodeDestructive:      "org.freedesktop.systemd1.TransactionIsDestructive",
	CodeOrderIsCyclic:    "org.freedesktop.systemd1.TransactionOrderIsCyclic",
	CodeJobsConflicting:  "org.freedesktop.systemd1.TransactionJobsConflicting",
	CodeNoSuchJob:        "org.freedesktop.systemd1.NoSuchJob",
}

// String gives the D-Bus error name.
func (c Code) String() string {
	if n, ok := codeNames[c]; ok {
		return n
	}
	return "org.freedesktop.systemd1.Unknown"
}

// Error is a refused request, with systemd's message.
type Error struct {
	Code Code
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// Is matches any Error of the same Code, so errors.Is(err, ErrDestructive) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Sentinels for errors.Is.
var (
	ErrNoSuchUnit       = &Error{Code: CodeNoSuchUnit, Msg: "no such unit"}
	ErrBadUnitSetting   = &Error{Code: CodeBadUnitSetting, Msg: "bad unit setting"}
	ErrLoadFailed       = &Error{Code: CodeLoadFailed, Msg: "unit failed to load"}
	ErrUnitMasked       = &Error{Code: CodeUnitMasked, Msg: "unit masked"}
	ErrNotApplicable    = &Error{Code: CodeNotApplicable, Msg: "job type not applicable"}
	ErrOnlyByDependency = &Error{Code: CodeOnlyByDependency, Msg: "unit may be requested by dependency only"}
	ErrNoIsolation      = &Error{Code: CodeNoIsolation, Msg: "unit may not be isolated"}
	ErrInvalidArgs      = &Error{Code: CodeInvalidArgs, Msg: "invalid arguments"}
	ErrDestructive      = &Error{Code: CodeDestructive, Msg: "transaction is destructive"}
	ErrOrderIsCyclic    = &Error{Code: CodeOrderIsCyclic, Msg: "transaction order is cyclic"}
	ErrJobsConflicting  = &Error{Code: CodeJobsConflicting, Msg: "transaction contains conflicting jobs"}
	ErrNoSuchJob        = &Error{Code: CodeNoSuchJob, Msg: "no such job"}
)
