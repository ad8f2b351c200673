package job

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fakeGraph is a map-based Graph for tests, written as one line per unit:
//
//	a.service Requires=b.service After=b.service state=active RefuseManualStart
//
// Dependencies are named by their property names and symmetrized; flags are Info's
// field names; state= and load= take systemd's words; timeout= and running-timeout=
// take Go durations. Units only named in dependencies are unknown to the graph.
type fakeGraph struct {
	info  map[string]*Info
	deps  map[string]map[Dependency][]string
	units []string
}

func newFakeGraph(t testing.TB, spec string) *fakeGraph {
	t.Helper()
	g := &fakeGraph{info: map[string]*Info{}, deps: map[string]map[Dependency][]string{}}
	for _, line := range strings.Split(spec, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		u := f[0]
		in := &Info{State: UnitInactive, OnSuccessJobMode: Fail}
		g.info[u] = in
		g.units = append(g.units, u)
		if g.deps[u] == nil {
			g.deps[u] = map[Dependency][]string{}
		}
		for _, tok := range f[1:] {
			k, v, _ := strings.Cut(tok, "=")
			if err := g.set(u, in, k, v); err != nil {
				t.Fatalf("graph line %q: %v", line, err)
			}
		}
	}
	Symmetrize(g.deps)
	return g
}

func (g *fakeGraph) set(u string, in *Info, k, v string) error {
	for _, d := range Dependencies() {
		if d.String() == k {
			g.deps[u][d] = append(g.deps[u][d], strings.Split(v, ",")...)
			return nil
		}
	}
	var err error
	switch k {
	case "state":
		in.State, err = parseState(v)
	case "load":
		in.Load = map[string]LoadState{"loaded": Loaded, "not-found": NotFound, "bad-setting": BadSetting, "error": LoadError, "masked": Masked}[v]
	case "timeout":
		in.JobTimeout, err = time.ParseDuration(v)
	case "running-timeout":
		in.JobRunningTimeout, err = time.ParseDuration(v)
	case "CPUWeight":
		in.CPUWeight, err = strconv.ParseUint(v, 10, 64)
	case "Nice":
		in.Nice, err = strconv.Atoi(v)
	case "OnFailureJobMode":
		in.OnFailureJobMode, err = ParseMode(v)
	case "CanReload":
		in.CanReload = true
	case "Perpetual":
		in.Perpetual = true
	case "RefuseManualStart":
		in.RefuseManualStart = true
	case "RefuseManualStop":
		in.RefuseManualStop = true
	case "AllowIsolate":
		in.AllowIsolate = true
	case "IgnoreOnIsolate":
		in.IgnoreOnIsolate = true
	case "StopWhenUnneeded":
		in.StopWhenUnneeded = true
	case "WillRestart":
		in.WillRestart = true
	default:
		return fmt.Errorf("unknown key %q", k)
	}
	return err
}

func parseState(s string) (ActiveState, error) {
	for i, n := range activeStateNames {
		if n == s {
			return ActiveState(i), nil
		}
	}
	return 0, fmt.Errorf("unknown state %q", s)
}

func (g *fakeGraph) Info(u string) (Info, bool) {
	in := g.info[u]
	if in == nil {
		return Info{}, false
	}
	return *in, true
}

func (g *fakeGraph) Deps(u string, d Dependency) []string { return g.deps[u][d] }

func (g *fakeGraph) Units() []string { return g.units }

func jobList(js []Job) string {
	s := make([]string, len(js))
	for i, j := range js {
		s[i] = j.Unit + "/" + j.Type.String()
	}
	return strings.Join(s, " ")
}

func effectsString(e Effects) string {
	var parts []string
	if len(e.Finished) > 0 {
		s := make([]string, len(e.Finished))
		for i, f := range e.Finished {
			s[i] = fmt.Sprintf("%s/%s=%s", f.Job.Unit, f.Job.Type, f.Result)
		}
		parts = append(parts, "finished: "+strings.Join(s, " "))
	}
	if len(e.Installed) > 0 {
		parts = append(parts, "installed: "+jobList(e.Installed))
	}
	return strings.Join(parts, "; ")
}

// step is one action on a queue and what it must give: the canonical result string
// and the log lines (none if nil).
type step struct {
	do   string
	want string
	log  []string
}

// harness drives a Queue over a fakeGraph with a fake clock.
type harness struct {
	t   *testing.T
	g   *fakeGraph
	q   *Queue
	now time.Time
}

func newHarness(t *testing.T, spec string) *harness {
	h := &harness{t: t, g: newFakeGraph(t, spec), now: time.Unix(1000, 0)}
	h.q = NewQueue(h.g, func() time.Time { return h.now })
	return h
}

func (h *harness) unitJob(u string) uint32 {
	h.t.Helper()
	j, ok := h.q.UnitJob(u)
	if !ok {
		if n := h.q.unitNop[u]; n != nil {
			return n.id
		}
		h.t.Fatalf("no job for %s", u)
	}
	return j.ID
}

// exec runs one step and returns its canonical result and log.
func (h *harness) exec(do string) (string, []string) {
	h.t.Helper()
	f := strings.Fields(do)
	switch f[0] {
	case "enqueue", "manual": // enqueue TYPE UNIT [MODE] [reload-if-possible]
		typ, err := ParseType(f[1])
		if err != nil {
			h.t.Fatal(err)
		}
		r := Request{Type: typ, Unit: f[2], Manual: f[0] == "manual"}
		for _, x := range f[3:] {
			if x == "reload-if-possible" {
				r.ReloadIfPossible = true
				continue
			}
			if x == "reenqueue" {
				r.ReenqueueAnchor = true
				continue
			}
			if r.Mode, err = ParseMode(x); err != nil {
				h.t.Fatal(err)
			}
		}
		res, err := h.q.Enqueue(r)
		if err != nil {
			return "error: " + err.Error(), res.Log
		}
		out := jobList(res.Jobs)
		if res.Anchor.Unit != r.Unit {
			out += " (anchor " + res.Anchor.Unit + "/" + res.Anchor.Type.String() + ")"
		}
		if e := effectsString(res.Effects); e != "" {
			out += "; " + e
		}
		return out, res.Log
	case "runnable":
		return jobList(h.q.Runnable()), nil
	case "jobs":
		js := h.q.Jobs()
		s := make([]string, len(js))
		for i, j := range js {
			s[i] = fmt.Sprintf("%d:%s/%s:%s", j.ID, j.Unit, j.Type, j.State)
		}
		return strings.Join(s, " "), nil
	case "run": // run UNIT
		act, eff, err := h.q.Run(h.unitJob(f[1]))
		if err != nil {
			return "error: " + err.Error(), nil
		}
		out := act.String()
		if e := effectsString(eff); e != "" {
			out += "; " + e
		}
		return out, eff.Log
	case "finish", "cancel": // finish UNIT RESULT
		var eff Effects
		var err error
		if f[0] == "cancel" {
			eff, err = h.q.Cancel(h.unitJob(f[1]))
		} else {
			r, perr := ParseResult(f[2])
			if perr != nil {
				h.t.Fatal(perr)
			}
			eff, err = h.q.Finish(h.unitJob(f[1]), r)
		}
		if err != nil {
			return "error: " + err.Error(), nil
		}
		return effectsString(eff), eff.Log
	case "requeue":
		if err := h.q.Requeue(h.unitJob(f[1])); err != nil {
			return "error: " + err.Error(), nil
		}
		return "", nil
	case "state", "state-before-action": // state UNIT STATE [reload-failed]
		to, err := parseState(f[2])
		if err != nil {
			h.t.Fatal(err)
		}
		in := h.g.info[f[1]]
		from := in.State
		in.State = to
		var eff Effects
		if f[0] == "state" {
			eff = h.q.UnitChanged(f[1], from, to, len(f) < 4)
		} else {
			eff = h.q.UnitChangedBeforeAction(f[1], from, to)
		}
		return effectsString(eff), eff.Log
	case "clock": // clock +DURATION
		d, err := time.ParseDuration(strings.TrimPrefix(f[1], "+"))
		if err != nil {
			h.t.Fatal(err)
		}
		h.now = h.now.Add(d)
		return "", nil
	case "next":
		id, at, ok := h.q.NextDeadline()
		if !ok {
			return "none", nil
		}
		j, _ := h.q.Get(id)
		return fmt.Sprintf("%s/%s@%s", j.Unit, j.Type, at.Sub(time.Unix(1000, 0))), nil
	case "waiting-for":
		return jobList(h.q.WaitingFor(h.unitJob(f[1]))), nil
	case "blocking":
		return jobList(h.q.Blocking(h.unitJob(f[1]))), nil
	case "bound": // bound UNIT: the unit it is bound to that is not up
		o, _ := h.q.BoundToInactive(f[1])
		return o, nil
	case "dispatch":
		eff := h.q.Dispatch()
		return effectsString(eff), eff.Log
	case "submit":
		h.q.Submit(f[1])
		return "", nil
	case "expire":
		eff := h.q.Expire(h.now)
		return effectsString(eff), eff.Log
	}
	h.t.Fatalf("unknown step %q", do)
	return "", nil
}

func (h *harness) run(steps []step) {
	h.t.Helper()
	for i, s := range steps {
		got, log := h.exec(s.do)
		if got != s.want {
			h.t.Errorf("step %d %q:\n got  %q\n want %q", i, s.do, got, s.want)
		}
		if strings.Join(log, "\n") != strings.Join(s.log, "\n") {
			h.t.Errorf("step %d %q log:\n got  %q\n want %q", i, s.do, log, s.log)
		}
		if h.t.Failed() {
			h.t.Logf("jobs after step %d: %s", i, func() string { g, _ := h.exec("jobs"); return g }())
			return
		}
	}
}
