package control

import (
	"github.com/capsuled/capsuled/internal/api"
	"github.com/capsuled/capsuled/internal/manager"
)

// unitOf is the wire form of a unit's status.
func unitOf(s manager.UnitStatus) api.Unit {
	u := api.Unit{Name: s.Name, Description: s.Description, LoadState: s.LoadState, LoadError: s.LoadError,
		ActiveState: s.ActiveState, SubState: s.SubState, Fragment: s.Fragment, DropIns: s.DropIns,
		Transient: s.Transient, NeedReload: s.NeedReload, UnitFileState: s.UnitFileState, InvocationID: s.InvocationID,
		MainPID: s.MainPID, ExecMainPID: s.ExecMainPID, StatusText: s.StatusText, ControlGroup: s.ControlGroup, ProcsError: s.ProcsError,
		Result: s.Result, ExitCode: s.ExitCode, ExitStatus: s.ExitStatus, User: s.User, UID: s.UID, Log: s.Log,
		Triggers: s.Triggers, TriggeredBy: s.TriggeredBy, TriggeredByStates: s.TriggeredByStates, Listen: s.Listen}
	if a := s.Accept; a != nil {
		u.Accept = &api.Accept{Accepted: a.Accepted, Connected: a.Connected, Refused: a.Refused}
	}
	if !s.TimerNext.IsZero() {
		u.TimerNext = s.TimerNext.UnixMicro()
	}
	if !s.StateChange.IsZero() {
		u.StateChange = s.StateChange.UnixMicro()
	}
	if c := s.Conditions; !c.ConditionResult && !c.ConditionTimestamp.IsZero() {
		u.ConditionFailed, u.Unmet = c.ConditionTimestamp.UnixMicro(), c.Unmet
	}
	if c := s.Conditions; !c.AssertResult && !c.AssertTimestamp.IsZero() {
		u.AssertFailed, u.AssertUnmet = c.AssertTimestamp.UnixMicro(), c.AssertUnmet
	}
	for _, e := range s.Execs {
		u.Execs = append(u.Execs, api.ExecRun{Kind: e.Kind, Argv: e.Argv, PID: e.PID, Code: e.Code, Status: e.Status})
	}
	for _, p := range s.Processes {
		u.Processes = append(u.Processes, api.Process{PID: p.PID, Command: p.Command, Comm: p.Comm, Cgroup: p.Cgroup})
	}
	return u
}

// managerOf is the wire form of the manager's status.
func managerOf(s manager.ManagerStatus) api.Manager {
	return api.Manager{State: s.State, Mode: s.Mode.String(), Capsule: s.Capsule, Version: s.Version,
		PID: s.PID, ControlGroup: s.ControlGroup, Units: s.Units, Jobs: s.Jobs, Failed: s.Failed,
		Since: s.Since.UnixMicro()}
}

// changesOf is the wire form of enable's and disable's changes.
func changesOf(cs []manager.Change) api.Changes {
	out := api.Changes{}
	for _, c := range cs {
		out.Changes = append(out.Changes, api.Change{Type: c.Type, Path: c.Path, Source: c.Source})
	}
	return out
}
