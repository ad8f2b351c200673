package job

import "testing"

const depFailedA = "a: Job a/start failed with result 'dependency'."

// TestQueue drives installed jobs through running and finishing as the manager would,
// one row per rule of systemd's job scheduling.
func TestQueue(t *testing.T) {
	for _, c := range []struct {
		name  string
		graph string
		steps []step
	}{
		// Observed on systemd 257 (notes/observed.md 1a): both start at once; when B
		// fails, A's running start job ends "dependency" and A keeps running.
		{"requires without after starts both at once", "a Requires=b\nb", []step{
			{do: "enqueue start a", want: "a/start b/start"},
			{do: "runnable", want: "a/start b/start"},
			{do: "run a", want: "start"},
			{do: "run b", want: "start"},
			{do: "state a activating", want: ""},
			{do: "state b failed", want: "finished: b/start=failed a/start=dependency", log: []string{depFailedA}},
			{do: "jobs", want: ""},
			{do: "state a inactive", want: ""}}},
		{"requires with after: the dependent waits, then fails with dependency", "a Requires=b After=b\nb", []step{
			{do: "enqueue start a", want: "a/start b/start"},
			{do: "runnable", want: "b/start"},
			{do: "run b", want: "start"},
			{do: "state b activating", want: ""},
			{do: "runnable", want: ""},
			{do: "state b failed", want: "finished: b/start=failed a/start=dependency", log: []string{depFailedA}},
			{do: "jobs", want: ""}}},
		{"requires with after: the dependent starts once the other is up", "a Requires=b After=b\nb", []step{
			{do: "enqueue start a", want: "a/start b/start"},
			{do: "run b", want: "start"},
			{do: "run a", want: "error: run job 1 (a/start): not runnable now"},
			{do: "state b active", want: "finished: b/start=done"},
			{do: "runnable", want: "a/start"},
			{do: "run a", want: "start"},
			{do: "state a active", want: "finished: a/start=done"}}},
		{"wants: a failed wanted unit does not fail the dependent", "a Wants=b After=b\nb", []step{
			{do: "enqueue start a", want: "a/start b/start"},
			{do: "run b", want: "start"},
			{do: "state b failed", want: "finished: b/start=failed"},
			{do: "runnable", want: "a/start"}}},
		{"a chain of after= starts one by one", "t Wants=a,b,c\na After=b\nb After=c\nc", []step{
			{do: "enqueue start t", want: "t/start a/start b/start c/start"},
			{do: "runnable", want: "c/start t/start"},
			{do: "run c", want: "start"},
			{do: "state c active", want: "finished: c/start=done"},
			{do: "runnable", want: "b/start t/start"},
			{do: "run b", want: "start"},
			{do: "finish b done", want: "finished: b/start=done"},
			{do: "runnable", want: "a/start t/start"}}},
		{"stop runs in the inverse order", "a Requires=b After=b state=active\nb state=active", []step{
			{do: "enqueue stop b", want: "b/stop a/stop"},
			{do: "runnable", want: "a/stop"},
			{do: "run a", want: "stop"},
			{do: "state a deactivating", want: ""},
			{do: "runnable", want: ""},
			{do: "state a inactive", want: "finished: a/stop=done"},
			{do: "runnable", want: "b/stop"}}},
		// Observed (3b): stopping the target the services are PartOf=: the target
		// first, the unordered ones and the last of the chain x Before=y Before=z in
		// parallel (by name), then y, then x.
		{"units without ordering stop in parallel, ordered ones in inverse order", `
t.target state=active
x.service PartOf=t.target Before=y.service state=active
y.service PartOf=t.target Before=z.service state=active
z.service PartOf=t.target state=active
p.service PartOf=t.target state=active
q.service PartOf=t.target state=active
r.service PartOf=t.target state=active`, []step{
			{do: "enqueue stop t.target", want: "t.target/stop p.service/stop q.service/stop r.service/stop x.service/stop y.service/stop z.service/stop"},
			{do: "runnable", want: "t.target/stop p.service/stop q.service/stop r.service/stop z.service/stop"},
			{do: "run z.service", want: "stop"},
			{do: "state z.service inactive", want: "finished: z.service/stop=done"},
			{do: "runnable", want: "t.target/stop p.service/stop q.service/stop r.service/stop y.service/stop"},
			{do: "run y.service", want: "stop"},
			{do: "state y.service inactive", want: "finished: y.service/stop=done"},
			{do: "runnable", want: "t.target/stop p.service/stop q.service/stop r.service/stop x.service/stop"}}},
		// Observed (2a): Requisite= without After=: the verify-active job of q2b runs
		// before the oneshot q2s's start (by name), which so fails before it ran.
		{"requisite without after: the run queue goes by name", "q2s Requisite=q2b\nq2b", []step{
			{do: "enqueue start q2s", want: "q2s/start q2b/verify-active"},
			{do: "runnable", want: "q2b/verify-active q2s/start"},
			{do: "run q2b", want: "nop; finished: q2b/verify-active=skipped q2s/start=dependency", log: []string{
				"q2s: Job q2s/start failed with result 'dependency'."}}}},
		{"the run queue: slices, then targets, then sockets, then services; CPU weight; nice", `
a.service
b.service CPUWeight=200
c.service Nice=-5
d.socket
e.target
f.slice
g.service`, []step{
			{do: "enqueue start a.service", want: "a.service/start"},
			{do: "enqueue start b.service", want: "b.service/start"},
			{do: "enqueue start c.service", want: "c.service/start"},
			{do: "enqueue start d.socket", want: "d.socket/start"},
			{do: "enqueue start e.target", want: "e.target/start"},
			{do: "enqueue start f.slice", want: "f.slice/start"},
			{do: "enqueue start g.service", want: "g.service/start"},
			{do: "runnable", want: "f.slice/start e.target/start d.socket/start b.service/start c.service/start a.service/start g.service/start"}}},
		{"a start waits for the stop of a unit it is after", "a Conflicts=b After=b\nb state=active", []step{
			{do: "enqueue start a", want: "a/start b/stop"},
			{do: "runnable", want: "b/stop"}}},
		{"a start waits for the stop of a unit it is before", "a Conflicts=b Before=b\nb state=active", []step{
			{do: "enqueue start a", want: "a/start b/stop"},
			{do: "runnable", want: "b/stop"}}},
		{"conflicting units without ordering switch in parallel", "a Conflicts=b\nb state=active", []step{
			{do: "enqueue start a", want: "a/start b/stop"},
			{do: "runnable", want: "a/start b/stop"}}},
		{"ignore-dependencies ignores ordering too", "a After=b\nb", []step{
			{do: "enqueue start b", want: "b/start"},
			{do: "enqueue start a ignore-dependencies", want: "a/start"},
			{do: "runnable", want: "a/start b/start"}}},
		{"ignore-requirements keeps ordering", "a After=b\nb", []step{
			{do: "enqueue start b", want: "b/start"},
			{do: "enqueue start a ignore-requirements", want: "a/start"},
			{do: "runnable", want: "b/start"}}},
		{"requisite of an inactive unit", "a Requisite=b After=b\nb", []step{
			{do: "enqueue start a", want: "a/start b/verify-active"},
			{do: "runnable", want: "b/verify-active"},
			{do: "run b", want: "nop; finished: b/verify-active=skipped a/start=dependency", log: []string{depFailedA}}}},
		{"requisite of an activating unit waits for it", "a Requisite=b After=b\nb state=activating", []step{
			{do: "enqueue start a", want: "a/start b/verify-active"},
			{do: "run b", want: "nop"},
			{do: "runnable", want: ""},
			{do: "state b active", want: "finished: b/verify-active=done"},
			{do: "runnable", want: "a/start"}}},
		{"requisite of a unit whose start ends done but inactive", "a Requisite=b After=b\nb", []step{
			{do: "enqueue start b", want: "b/start"},
			{do: "enqueue start a", want: "b/start a/start"},
			{do: "run b", want: "start"},
			{do: "state b activating", want: ""},
			{do: "state b inactive", want: "finished: b/start=done a/start=dependency", log: []string{depFailedA}}}},
		{"binds-to: failure propagates like requires", "a BindsTo=b After=b\nb", []step{
			{do: "enqueue start a", want: "a/start b/start"},
			{do: "run b", want: "start"},
			{do: "finish b failed", want: "finished: b/start=failed a/start=dependency", log: []string{depFailedA}}}},
		{"dependency failures go on recursively", "a Requires=b After=b\nb Requires=c After=c\nc", []step{
			{do: "enqueue start a", want: "a/start b/start c/start"},
			{do: "run c", want: "start"},
			// As systemd, each job's notice comes after those of the jobs it took down.
			{do: "finish c timeout", want: "finished: c/start=timeout b/start=dependency a/start=dependency", log: []string{
				depFailedA,
				"b: Job b/start failed with result 'dependency'.",
				"c: Job c/start failed with result 'timeout'."}}}},
		{"a failed stop fails the start of a conflicting unit", "a Conflicts=b After=b\nb state=active", []step{
			{do: "enqueue start a", want: "a/start b/stop"},
			{do: "run b", want: "stop"},
			{do: "state b deactivating", want: ""},
			{do: "state b active", want: "finished: b/stop=failed a/start=dependency", log: []string{depFailedA}}}},
		{"binds-to: the dependent stops when the other stops unasked", "a BindsTo=b After=b state=active\nb state=active", []step{
			{do: "state b inactive", want: "installed: a/stop"}}},
		{"propagates-stop-to when the unit stops unasked", "a PropagatesStopTo=b state=active\nb state=active", []step{
			{do: "state a failed", want: "installed: b/stop"}}},
		{"a unit that becomes active unasked starts what it needs, stops what conflicts", "a Requires=b Wants=c Conflicts=d After=c\nb\nc\nd state=active", []step{
			{do: "state a active", want: "installed: b/start d/stop"}}},
		{"on-failure when the unit fails", "a OnFailure=f\nf", []step{
			{do: "enqueue start a", want: "a/start"},
			{do: "run a", want: "start"},
			{do: "state a failed", want: "finished: a/start=failed; installed: f/start", log: []string{
				"a: Triggering OnFailure= dependencies."}}}},
		{"on-failure when the start job fails with dependency", "a Requires=b After=b OnFailure=f,g OnFailureJobMode=isolate\nb\nf AllowIsolate\ng\nx state=active", []step{
			{do: "enqueue start a", want: "a/start b/start"},
			{do: "run b", want: "start"},
			{do: "finish b failed", want: "finished: b/start=failed a/start=dependency; installed: f/start", log: []string{
				depFailedA, "a: Triggering OnFailure= dependencies.",
				"a: Failed to enqueue OnFailure=g job, ignoring: Operation refused, unit may not be isolated."}},
			{do: "jobs", want: "3:f/start:waiting 4:x/stop:waiting"}}},
		{"on-success when the unit ends", "a OnSuccess=s\ns", []step{
			{do: "enqueue start a", want: "a/start"},
			{do: "run a", want: "start"},
			{do: "state a activating", want: ""},
			{do: "state a inactive", want: "finished: a/start=done; installed: s/start", log: []string{
				"a: Triggering OnSuccess= dependencies."}}}},
		{"restart stops, then starts", "a state=active", []step{
			{do: "enqueue restart a", want: "a/restart"},
			{do: "run a", want: "stop"},
			{do: "state a deactivating", want: ""},
			{do: "state a inactive", want: ""},
			{do: "jobs", want: "1:a/start:waiting"},
			{do: "run a", want: "start"},
			{do: "state a active", want: "finished: a/start=done"}}},
		{"cancel fails the dependents", "a Requires=b After=b\nb", []step{
			{do: "enqueue start a", want: "a/start b/start"},
			{do: "cancel b", want: "finished: b/start=canceled a/start=dependency", log: []string{depFailedA}}}},
		{"nop job finishes when run", "a", []step{
			{do: "enqueue try-restart a", want: "a/nop"},
			{do: "runnable", want: "a/nop"},
			{do: "run a", want: "nop; finished: a/nop=done"},
			{do: "jobs", want: ""}}},
		{"requeue parks the job until its unit changes", "a", []step{
			{do: "enqueue start a", want: "a/start"},
			{do: "run a", want: "start"},
			{do: "requeue a", want: ""},
			{do: "runnable", want: ""},
			{do: "state a inactive", want: ""},
			{do: "runnable", want: "a/start"}}},
		{"reload finishes when the unit is active again", "a CanReload state=active", []step{
			{do: "enqueue reload a", want: "a/reload"},
			{do: "run a", want: "reload"},
			{do: "state a reloading", want: ""},
			{do: "state a active reload-failed", want: "finished: a/reload=failed"}}},
		{"a stop that does not stop fails", "a state=active", []step{
			{do: "enqueue stop a", want: "a/stop"},
			{do: "run a", want: "stop"},
			{do: "state a deactivating", want: ""},
			{do: "state a active", want: "finished: a/stop=failed"}}},
		{"job timeout", "a timeout=5s", []step{
			{do: "enqueue start a", want: "a/start"},
			{do: "next", want: "a/start@5s"},
			{do: "clock +4s", want: ""},
			{do: "expire", want: ""},
			{do: "clock +1s", want: ""},
			{do: "expire", want: "finished: a/start=timeout", log: []string{
				"a: Job a/start timed out.", "a: Job a/start failed with result 'timeout'."}},
			{do: "next", want: "none"}}},
		{"job running timeout counts from the start of running", "a timeout=10s running-timeout=2s", []step{
			{do: "enqueue start a", want: "a/start"},
			{do: "clock +1s", want: ""},
			{do: "run a", want: "start"},
			{do: "next", want: "a/start@3s"}}},
		// Observed on systemd 257 (observed.md 15): the dependent stops first, then
		// the unit restarts, then the dependent starts.
		{"restart propagates through requires and after in order", "a Requires=b After=b state=active\nb state=active", []step{
			{do: "enqueue restart b", want: "b/restart a/restart"},
			{do: "runnable", want: "a/restart"},
			{do: "run a", want: "stop"},
			{do: "state a inactive", want: ""},
			{do: "jobs", want: "1:b/restart:waiting 2:a/start:waiting"},
			{do: "runnable", want: "b/restart"},
			{do: "run b", want: "stop"},
			{do: "state b inactive", want: ""},
			{do: "runnable", want: "b/start"},
			{do: "run b", want: "start"},
			{do: "state b active", want: "finished: b/start=done"},
			{do: "runnable", want: "a/start"},
			{do: "run a", want: "start"},
			{do: "state a active", want: "finished: a/start=done"}}},
		// Observed (15): the stop job is canceled, the running stop goes on, the
		// start waits for the unit to be inactive.
		{"a start while a stop runs waits for the unit", "a state=active", []step{
			{do: "enqueue stop a", want: "a/stop"},
			{do: "run a", want: "stop"},
			{do: "state a deactivating", want: ""},
			{do: "enqueue start a", want: "a/start; finished: a/stop=canceled"},
			{do: "runnable", want: "a/start"},
			{do: "run a", want: "nop"},
			{do: "runnable", want: ""},
			{do: "state a inactive", want: ""},
			{do: "runnable", want: "a/start"},
			{do: "run a", want: "start"}}},
		// Observed (13): "r14.service: Unit cannot be reloaded because it is inactive."
		{"reload of an inactive unit is invalid", "a CanReload", []step{
			{do: "enqueue reload a", want: "a/reload"},
			{do: "run a", want: "nop; finished: a/reload=invalid", log: []string{"a: Unit cannot be reloaded because it is inactive."}}}},
		{"reload of a reloading unit waits", "a CanReload state=reloading", []step{
			{do: "enqueue reload a", want: "a/reload"},
			{do: "run a", want: "nop"},
			{do: "runnable", want: ""},
			{do: "state a active", want: ""},
			{do: "run a", want: "reload"}}},
		{"start of an active unit ends at once", "a state=active", []step{
			{do: "enqueue start a", want: "a/start"},
			{do: "run a", want: "nop; finished: a/start=done"}}},
		{"restart of an inactive unit goes on as a start", "a", []step{
			{do: "enqueue restart a", want: "a/restart"},
			{do: "run a", want: "nop"},
			{do: "jobs", want: "1:a/start:waiting"},
			{do: "run a", want: "start"}}},
		// Observed (2c): a BindsTo=/After= a oneshot that is inactive again when the
		// dependent starts: "Bound to unit b2o.service, but unit isn't active.", result
		// "dependency".
		{"binds-to and after: the other must be up when the unit starts", "a BindsTo=b After=b\nb\nc BindsTo=b", []step{
			{do: "enqueue start a", want: "a/start b/start"},
			{do: "run b", want: "start"},
			{do: "state b activating", want: ""},
			{do: "state b inactive", want: "finished: b/start=done"},
			{do: "bound a", want: "b"},
			{do: "bound c", want: ""}}},
		// Observed (13): list-jobs --after / --before.
		{"which jobs wait for which", "a After=b Wants=b\nb\nc Before=a", []step{
			{do: "enqueue start a", want: "a/start b/start"},
			{do: "enqueue start c", want: "c/start"},
			{do: "run b", want: "start"},
			{do: "waiting-for a", want: "b/start c/start"},
			{do: "blocking b", want: "a/start"},
			{do: "blocking c", want: "a/start"},
			{do: "waiting-for b", want: ""},
			{do: "blocking a", want: ""}}},
		// Observed (2i): restart of an inactive unit with PropagatesStopTo= starts it
		// and stops the others.
		{"restart of an inactive unit stops what it propagates stop to", "a PropagatesStopTo=b,c\nb state=active\nc state=active", []step{
			{do: "enqueue restart a", want: "a/restart b/stop c/stop"},
			{do: "runnable", want: "a/restart b/stop c/stop"},
			{do: "run a", want: "nop"},
			{do: "jobs", want: "1:a/start:waiting 2:b/stop:waiting 3:c/stop:waiting"},
			{do: "run a", want: "start"}}},
		// Observed (9a): a stop of the required unit replaces the dependent's waiting
		// start job (canceled), though the dependent is not running.
		{"a stop of a required unit cancels the dependent's waiting start", "a Requires=b After=b\nb", []step{
			{do: "enqueue start b", want: "b/start"},
			{do: "run b", want: "start"},
			{do: "state b activating", want: ""},
			{do: "enqueue start a", want: "b/start a/start"},
			{do: "enqueue stop b", want: "b/stop a/stop; finished: b/start=canceled a/start=canceled"},
			{do: "runnable", want: "a/stop"},
			{do: "run a", want: "nop; finished: a/stop=done"},
			{do: "runnable", want: "b/stop"}}},
		// An unmet condition ends b's start "done" with b inactive: what Requires= it
		// starts anyway, what Requisite= it fails.
		{"a start skipped by a condition", "t Wants=a,c\na Requires=b After=b\nc Requisite=b After=b\nb", []step{
			{do: "enqueue start t", want: "t/start a/start c/start b/start"},
			{do: "run b", want: "start"},
			{do: "finish b done", want: "finished: b/start=done c/start=dependency", log: []string{
				"c: Job c/start failed with result 'dependency'."}},
			{do: "runnable", want: "a/start t/start"}}},
		// A running stop is not failed by a change of sub-state alone (a timer
		// elapsing, waiting -> running, while its stop job runs): only a new
		// ActiveState other than deactivating says the stop went wrong.
		{"a running stop outlives a sub-state change", "a", []step{
			{do: "state a active", want: ""},
			{do: "enqueue stop a", want: "a/stop"},
			{do: "run a", want: "stop"},
			{do: "state a active", want: ""},
			{do: "jobs", want: "1:a/stop:running"},
			{do: "state a inactive", want: "finished: a/stop=done"}}},
		// A stop that waits for its unit, which ends by itself meanwhile and
		// is about to restart (Restart=): not failed by that, done once down.
		{"a stop waiting for its unit is not failed by its own changes", "a state=active", []step{
			{do: "enqueue stop a", want: "a/stop"},
			{do: "run a", want: "stop"},
			{do: "state-before-action a deactivating", want: ""},
			{do: "state-before-action a activating", want: ""},
			{do: "jobs", want: "1:a/stop:running"},
			{do: "state-before-action a failed", want: "finished: a/stop=done"}}},
		{"a start waiting for its unit is not ended by its going down", "a state=failed", []step{
			{do: "enqueue start a", want: "a/start"},
			{do: "run a", want: "start"},
			{do: "state-before-action a inactive", want: ""},
			{do: "jobs", want: "1:a/start:running"}}},
		{"a broken ordering cycle never hangs", "a Wants=b After=b\nb After=a", []step{
			{do: "enqueue start a", want: "a/start", log: []string{
				"a: Found ordering cycle on b/start",
				"a: Found dependency on a/start",
				"a: Job b/start deleted to break ordering cycle starting with a/start"}},
			{do: "runnable", want: "a/start"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			newHarness(t, c.graph).run(c.steps)
		})
	}
}
