package job

import (
	"fmt"
	"time"
)

// Job is a snapshot of an installed (or just finished) job.
type Job struct {
	ID    uint32
	Unit  string
	Type  Type
	State State
	// Irreversible jobs (mode replace-irreversibly) cannot be replaced by later ones.
	Irreversible bool
	// IgnoreOrder jobs (mode ignore-dependencies) run regardless of ordering.
	IgnoreOrder bool
	// Deadline is when the job times out; zero for never.
	Deadline time.Time
}

// Finished is a job that ended, with its result.
type Finished struct {
	Job    Job
	Result Result
}

// Request asks for a job on a unit.
type Request struct {
	Unit string
	Type Type
	Mode Mode
	// Manual requests come from a user (systemctl start); RefuseManualStart= and
	// RefuseManualStop= refuse them. Requests of the engine itself (OnFailure=, ...)
	// are not manual.
	Manual bool
	// ReloadIfPossible turns restart into reload-or-start and try-restart into
	// try-reload for units that can reload (systemctl reload-or-restart).
	ReloadIfPossible bool
	// ReenqueueAnchor keeps the job from merging into a job of the unit that is
	// running already: it runs again after it (a service restarting itself, whose
	// old start job may still run).
	ReenqueueAnchor bool
}

// Effects is what follows from a change to the queue, in the order it happened.
type Effects struct {
	// Finished lists the jobs that ended (the one asked about first, then the ones
	// that failed with it).
	Finished []Finished
	// Installed lists the jobs the engine queued by itself on the way (OnFailure=,
	// OnSuccess=, the retroactive starts and stops of dependencies, StopWhenUnneeded=,
	// Upholds=, BindsTo=), or merged into, in the order they were queued.
	Installed []Job
	// Log holds systemd's log lines for what happened ("unit: message").
	Log []string
}

func (e *Effects) add(o Effects) {
	e.Finished = append(e.Finished, o.Finished...)
	e.Installed = append(e.Installed, o.Installed...)
	e.Log = append(e.Log, o.Log...)
}

func (e *Effects) logf(unit, format string, args ...any) {
	e.Log = append(e.Log, unit+": "+fmt.Sprintf(format, args...))
}

// job is the engine's record of one job, in a transaction or installed.
type job struct {
	id        uint32
	unit      string
	typ       Type
	state     State
	installed bool
	deleted   bool
	// queued jobs are in the run queue: Runnable looks at them. A job leaves it when it
	// runs or is found blocked, and comes back when its unit changes state or a job
	// it is ordered against ends, as in systemd.
	queued bool

	// Transaction bookkeeping: the other jobs for the same unit, and the links
	// "subject needs object".
	trNext, trPrev  *job
	subjects        []*link
	objects         []*link
	matters         bool
	refuseLateMerge bool

	ignoreOrder  bool
	irreversible bool

	// Graph walks: generation of the last visit and the way back.
	gen    uint64
	marker *job

	deadline time.Time
	timerSet bool
}

type link struct {
	subject, object *job
	matters         bool
	conflicts       bool
}

func (j *job) snapshot() Job {
	return Job{ID: j.id, Unit: j.unit, Type: j.typ, State: j.state,
		Irreversible: j.irreversible, IgnoreOrder: j.ignoreOrder, Deadline: j.deadline}
}

func (j *job) String() string { return j.unit + "/" + j.typ.String() }

func removeLink(s []*link, l *link) []*link {
	for i, x := range s {
		if x == l {
			copy(s[i:], s[i+1:])
			s[len(s)-1] = nil
			return s[:len(s)-1]
		}
	}
	return s
}

// compare tells the execution order of a and b when a's unit has dependency d
// (Before or After) on b's unit: negative if a runs first, positive if b runs first,
// zero if they are not ordered. Stop jobs (and restarts, which stop first) run in the
// inverse order: of two units A Before= B, a stop of B goes before any job of A.
func compare(a, b *job, d Dependency) int {
	if a.typ == Nop || b.typ == Nop || a.ignoreOrder || b.ignoreOrder {
		return 0
	}
	if d == After {
		return -compare(b, a, Before)
	}
	if b.typ == Stop || b.typ == Restart {
		return 1
	}
	return -1
}
