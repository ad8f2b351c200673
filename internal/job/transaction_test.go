package job

import "testing"

// TestTransaction builds transactions over small graphs, one row per rule of
// systemd's transaction logic; the expected job sets are listed in job ID order.
func TestTransaction(t *testing.T) {
	for _, c := range []struct {
		name  string
		graph string
		steps []step
	}{
		{"requires pulls in a start", "a Requires=b\nb", []step{
			{do: "enqueue start a", want: "a/start b/start"}}},
		{"binds-to pulls in a start", "a BindsTo=b\nb", []step{
			{do: "enqueue start a", want: "a/start b/start"}}},
		{"wants and upholds pull in starts", "a Wants=b Upholds=c\nb\nc", []step{
			{do: "enqueue start a", want: "a/start b/start c/start"}}},
		{"requisite pulls in verify-active", "a Requisite=b\nb", []step{
			{do: "enqueue start a", want: "a/start b/verify-active"}}},
		{"requires a missing unit fails", "a Requires=b", []step{
			{do: "enqueue start a", want: "error: Unit b not found."}}},
		{"requires a masked unit fails", "a Requires=b\nb load=masked", []step{
			{do: "enqueue start a", want: "error: Unit b is masked."}}},
		{"wants a missing or masked unit is ignored quietly", "a Wants=b,c\nc load=masked", []step{
			{do: "enqueue start a", want: "a/start"}}},
		{"wants a broken unit is ignored with a warning", "a Wants=b\nb load=bad-setting", []step{
			{do: "enqueue start a", want: "a/start",
				log: []string{"b: Cannot add dependency job, ignoring: Unit b has a bad unit file setting."}}}},
		{"requirements recursively", "a Requires=b\nb Wants=c\nc Requisite=d\nd", []step{
			{do: "enqueue start a", want: "a/start b/start c/start d/verify-active"}}},
		{"a start of an active requirement is dropped", "a Requires=b Wants=c\nb state=active\nc state=active", []step{
			{do: "enqueue start a", want: "a/start"}}},
		{"the anchor stays though redundant", "a state=active", []step{
			{do: "enqueue start a", want: "a/start"}}},
		{"conflicts stops the other", "a Conflicts=b\nb state=active", []step{
			{do: "enqueue start a", want: "a/start b/stop"}}},
		{"conflicted-by stops the other", "a\nb Conflicts=a state=active", []step{
			{do: "enqueue start a", want: "a/start b/stop"}}},
		{"conflicts with an inactive unit adds nothing", "a Conflicts=b\nb", []step{
			{do: "enqueue start a", want: "a/start"}}},
		{"stop propagates to required-by, bound-by, part-of, requisite-of",
			"a Requires=t state=active\nb BindsTo=t state=active\nc PartOf=t state=active\nd Requisite=t state=active\ne Wants=t state=active\nt state=active", []step{
				{do: "enqueue stop t", want: "t/stop a/stop d/stop b/stop c/stop"}}},
		{"stop does not reach inactive dependents", "a Requires=b\nb state=active", []step{
			{do: "enqueue stop b", want: "b/stop"}}},
		{"stop propagates recursively", "a Requires=b state=active\nb Requires=c state=active\nc state=active", []step{
			{do: "enqueue stop c", want: "c/stop b/stop a/stop"}}},
		{"restart propagates as restart to running dependents", "a PartOf=b state=active\nb state=active\nc PartOf=b", []step{
			{do: "enqueue restart b", want: "b/restart a/restart"}}},
		{"propagates-stop-to", "a PropagatesStopTo=b state=active\nb state=active", []step{
			{do: "enqueue stop a", want: "a/stop b/stop"}}},
		{"stop-propagated-from is the same edge seen from the other end", "a state=active\nb StopPropagatedFrom=a state=active", []step{
			{do: "enqueue stop a", want: "a/stop b/stop"}}},
		{"propagates-stop-to a unit being started restarts it", "a PropagatesStopTo=b Requires=b state=active\nb state=inactive", []step{
			{do: "enqueue restart a", want: "a/restart b/restart"}}},
		{"restart-dependencies mode restarts the units that need it", "a Requires=b state=active\nb state=active", []step{
			{do: "enqueue start b restart-dependencies", want: "b/start a/restart"}}},
		{"reload propagates as try-reload", "a PropagatesReloadTo=b,c state=active\nb CanReload state=active\nc CanReload", []step{
			{do: "enqueue reload a", want: "a/reload b/reload"}}},
		{"reload of a unit that cannot reload", "a state=active", []step{
			{do: "enqueue reload a", want: "error: Job type reload is not applicable for unit a."}}},
		{"try-restart of an inactive unit is a nop", "a", []step{
			{do: "enqueue try-restart a", want: "a/nop"}}},
		{"try-reload of an active unit is a reload", "a CanReload state=active", []step{
			{do: "enqueue try-reload a", want: "a/reload"}}},
		{"reload-or-start of an inactive unit is a start", "a CanReload", []step{
			{do: "enqueue reload-or-start a", want: "a/start"}}},
		{"reload-or-restart reloads what can reload", "a CanReload state=active\nb state=active", []step{
			{do: "enqueue restart a reload-if-possible", want: "a/reload"},
			{do: "enqueue restart b reload-if-possible", want: "b/restart"}}},
		{"a perpetual unit cannot be stopped", "a Perpetual state=active", []step{
			{do: "enqueue stop a", want: "error: Job type stop is not applicable for unit a."}}},
		{"stop of a missing unit", "", []step{
			{do: "enqueue stop a", want: "error: Unit a not loaded."}}},
		{"start of a missing unit", "", []step{
			{do: "enqueue start a", want: "error: Unit a not found."}}},
		{"jobs on one unit merge: start and verify-active", "a Requires=b Requisite=b\nb", []step{
			{do: "enqueue start a", want: "a/start b/start"}}},
		// Stopping b (Conflicts=) must stop a too, as a requires b: both of a's jobs
		// are needed.
		{"needed start and stop on one unit conflict", "a Requires=b Conflicts=b\nb", []step{
			{do: "enqueue start a", want: "error: Transaction contains conflicting jobs 'stop' and 'start' for a. Probably contradicting requirement dependencies configured.",
				log: []string{"Requested transaction contains unmergeable jobs: Transaction contains conflicting jobs 'stop' and 'start' for a. Probably contradicting requirement dependencies configured."}}}},
		{"a wanted start gives way to a needed stop", "a Wants=b Conflicts=b\nb state=active", []step{
			{do: "enqueue start a", want: "a/start b/stop"}}},
		{"of two unneeded jobs the start gives way to a conflicts stop", "a Wants=b,c\nb state=active\nc Conflicts=b", []step{
			{do: "enqueue start a", want: "a/start c/start b/stop"}}},
		// b gets a wanted start and a stop from c's ConflictedBy= (the stop goes); c
		// gets a wanted start and a stop from b's Conflicts= (the start goes).
		{"of two unneeded jobs the stop goes otherwise", "a Wants=b,c\nb Conflicts=c\nc", []step{
			{do: "enqueue start a", want: "a/start b/start"}}},
		{"manual start refused", "a RefuseManualStart\nb Requires=a", []step{
			{do: "manual start a", want: "error: Operation refused, unit a may be requested by dependency only (it is configured to refuse manual start/stop)."},
			{do: "enqueue start a", want: "a/start"},
			{do: "manual start b", want: "a/start b/start"}}},
		{"manual stop and restart refused", "a RefuseManualStop state=active", []step{
			{do: "manual stop a", want: "error: Operation refused, unit a may be requested by dependency only (it is configured to refuse manual start/stop)."},
			{do: "manual restart a", want: "error: Operation refused, unit a may be requested by dependency only (it is configured to refuse manual start/stop)."},
			{do: "manual start a", want: "a/start"}}},
		{"isolate stops all else but ignore-on-isolate", "t AllowIsolate Wants=x\nx\ny state=active\nz state=active IgnoreOnIsolate\nw state=failed", []step{
			{do: "enqueue start t isolate", want: "t/start x/start y/stop"}}},
		{"isolate keeps units triggered by units that stay", "t AllowIsolate Wants=s\ns state=active Triggers=v\nv state=active\nu state=active Triggers=o\no state=active", []step{
			{do: "enqueue start t isolate", want: "t/start u/stop o/stop"}}},
		{"isolate needs AllowIsolate", "t", []step{
			{do: "enqueue start t isolate", want: "error: Operation refused, unit may not be isolated."}}},
		{"isolate only for start", "t AllowIsolate state=active", []step{
			{do: "enqueue stop t isolate", want: "error: Isolate is only valid for start."}}},
		{"ignore-requirements queues the job alone", "a Requires=b\nb", []step{
			{do: "enqueue start a ignore-requirements", want: "a/start"}}},
		{"ignore-dependencies queues the job alone", "a Requires=b Conflicts=c\nb\nc state=active", []step{
			{do: "enqueue start a ignore-dependencies", want: "a/start"}}},
		{"triggering stops the triggers too", "s Triggers=a state=active\na state=active\np Triggers=a", []step{
			{do: "enqueue stop a triggering", want: "a/stop s/stop"}}},
		// Observed (2o) with a target wanting both partners of a cycle: one of them goes
		// (systemd's choice follows its hash order; here the list order).
		{"a target wanting both partners of an ordering cycle", "t Wants=a,b After=a,b\na After=b\nb After=a", []step{
			{do: "enqueue start t", want: "t/start a/start", log: []string{
				"a: Found ordering cycle on b/start",
				"a: Found dependency on a/start",
				"a: Job b/start deleted to break ordering cycle starting with a/start"}}}},
		{"ordering cycle broken by deleting a wanted job", "a Wants=b After=b\nb After=a", []step{
			{do: "enqueue start a", want: "a/start", log: []string{
				"a: Found ordering cycle on b/start",
				"a: Found dependency on a/start",
				"a: Job b/start deleted to break ordering cycle starting with a/start"}}}},
		{"three-unit ordering cycle", "a Wants=b,c After=b\nb After=c\nc After=a", []step{
			{do: "enqueue start a", want: "a/start c/start", log: []string{
				"a: Found ordering cycle on b/start",
				"a: Found dependency on c/start",
				"a: Found dependency on a/start",
				"a: Job b/start deleted to break ordering cycle starting with a/start"}}}},
		// c was only there for b: once b goes, c is collected.
		{"jobs only the deleted job needed go with it", "a Wants=b After=b\nb After=a Requires=c\nc", []step{
			{do: "enqueue start a", want: "a/start", log: []string{
				"a: Found ordering cycle on b/start",
				"a: Found dependency on a/start",
				"a: Job b/start deleted to break ordering cycle starting with a/start"}}}},
		{"unbreakable ordering cycle fails", "a Requires=b After=b\nb After=a", []step{
			{do: "enqueue start a", want: "error: Transaction order is cyclic. See system logs for details.", log: []string{
				"a: Found ordering cycle on b/start",
				"a: Found dependency on a/start",
				"a: Unable to break cycle starting with a/start",
				"Requested transaction contains an unfixable cyclic ordering dependency: Transaction order is cyclic. See system logs for details."}},
			{do: "jobs", want: ""}}},
		{"ordering without requirement pulls in nothing", "a After=b\nb Before=c\nc", []step{
			{do: "enqueue start a", want: "a/start"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			newHarness(t, c.graph).run(c.steps)
		})
	}
}

// TestTransactionAgainstQueue covers how a new transaction meets installed jobs.
func TestTransactionAgainstQueue(t *testing.T) {
	for _, c := range []struct {
		name  string
		graph string
		steps []step
	}{
		{"mode fail refuses to replace a queued job", "a Requires=b\nb state=active", []step{
			{do: "enqueue stop b", want: "b/stop"},
			{do: "enqueue start a fail", want: "error: Transaction for a/start is destructive (b has 'stop' job queued, but 'start' is included in transaction).",
				log: []string{"Requested transaction contradicts existing jobs: Transaction for a/start is destructive (b has 'stop' job queued, but 'start' is included in transaction)."}},
			{do: "jobs", want: "1:b/stop:waiting"}}},
		{"mode replace cancels the queued job", "a Requires=b\nb state=active", []step{
			{do: "enqueue stop b", want: "b/stop"},
			{do: "enqueue start a", want: "a/start b/start; finished: b/stop=canceled"},
			// IDs are taken when jobs enter a transaction, so the a/stop that was
			// dropped from the first one used up 2.
			{do: "jobs", want: "3:a/start:waiting 4:b/start:waiting"}}},
		{"mode fail spares running units it does not need to stop", "a Wants=c\nc Conflicts=b\nb state=active", []step{
			{do: "enqueue start a fail", want: "a/start"}}},
		{"mode replace stops them", "a Wants=c\nc Conflicts=b\nb state=active", []step{
			{do: "enqueue start a", want: "a/start c/start b/stop"}}},
		{"an irreversible job is not replaced", "b state=active", []step{
			{do: "enqueue stop b replace-irreversibly", want: "b/stop"},
			{do: "enqueue start b", want: "error: Transaction for b/start is destructive (b has 'stop' job queued, but 'start' is included in transaction).",
				log: []string{"Requested transaction contradicts existing jobs: Transaction for b/start is destructive (b has 'stop' job queued, but 'start' is included in transaction)."}}}},
		{"a new job merges into the waiting one", "a CanReload", []step{
			{do: "enqueue start a", want: "a/start"},
			{do: "enqueue reload-or-start a", want: "a/start"},
			{do: "enqueue verify-active a", want: "a/start"},
			{do: "jobs", want: "1:a/start:waiting"}}},
		{"restart absorbs a waiting start", "a", []step{
			{do: "enqueue start a", want: "a/start"},
			{do: "enqueue restart a", want: "a/restart"},
			{do: "jobs", want: "1:a/restart:waiting"}}},
		{"a start merges into a running start", "a", []step{
			{do: "enqueue start a", want: "a/start"},
			{do: "run a", want: "start"},
			{do: "enqueue start a", want: "a/start"},
			{do: "jobs", want: "1:a/start:running"}}},
		{"a restart merged into a running start runs again", "a", []step{
			{do: "enqueue start a", want: "a/start"},
			{do: "run a", want: "start"},
			{do: "enqueue restart a", want: "a/restart"},
			{do: "jobs", want: "1:a/restart:waiting"}}},
		// A service restarting itself while its old start job still runs (Restart=).
		{"a re-enqueued start runs again after the running one", "a", []step{
			{do: "enqueue start a", want: "a/start"},
			{do: "run a", want: "start"},
			{do: "enqueue start a reenqueue", want: "a/start"},
			{do: "jobs", want: "1:a/start:waiting"}}},
		{"a stop cancels a running start", "a", []step{
			{do: "enqueue start a", want: "a/start"},
			{do: "run a", want: "start"},
			{do: "state a activating", want: ""},
			{do: "enqueue stop a", want: "a/stop; finished: a/start=canceled"},
			{do: "jobs", want: "2:a/stop:waiting"}}},
		{"flush cancels every other job", "a\nx\ny IgnoreOnIsolate", []step{
			{do: "enqueue start x", want: "x/start"},
			{do: "enqueue start y", want: "y/start"},
			{do: "enqueue start a flush", want: "a/start; finished: x/start=canceled"},
			{do: "jobs", want: "2:y/start:waiting 3:a/start:waiting"}}},
		{"isolate cancels the jobs of other units", "t AllowIsolate\nx", []step{
			{do: "enqueue start x", want: "x/start"},
			// x is inactive but has a job: it gets a stop, which replaces the start.
			{do: "enqueue start t isolate", want: "t/start x/stop; finished: x/start=canceled"}}},
		{"a cycle through an installed job", "a Wants=b After=b\nb After=c\nc After=a", []step{
			{do: "enqueue start c", want: "c/start"},
			{do: "enqueue start a", want: "a/start", log: []string{
				"a: Found ordering cycle on b/start",
				"a: Found dependency on c/start",
				"a: Found dependency on a/start",
				"a: Job b/start deleted to break ordering cycle starting with a/start"}}}},
		// Observed (2o): the partner's job is installed already, so it cannot go.
		{"a cycle with a job queued before cannot be broken", "a After=b\nb After=a", []step{
			{do: "enqueue start a", want: "a/start"},
			{do: "enqueue start b", want: "error: Transaction order is cyclic. See system logs for details.", log: []string{
				"b: Found ordering cycle on a/start",
				"b: Found dependency on b/start",
				"b: Unable to break cycle starting with b/start",
				"Requested transaction contains an unfixable cyclic ordering dependency: Transaction order is cyclic. See system logs for details."}}}},
		// Observed (2o): even a stop of an inactive unit is checked for cycles.
		{"a no-op stop is checked for cycles too", "a After=b state=active\nb After=a", []step{
			{do: "enqueue stop a", want: "a/stop"},
			{do: "enqueue stop b", want: "error: Transaction order is cyclic. See system logs for details.", log: []string{
				"b: Found ordering cycle on a/stop",
				"b: Found dependency on b/stop",
				"b: Unable to break cycle starting with b/stop",
				"Requested transaction contains an unfixable cyclic ordering dependency: Transaction order is cyclic. See system logs for details."}}}},
		// Observed (2e): stopping a running conflicting unit is not destructive.
		{"mode fail stops a running unit the anchor conflicts with", "a Conflicts=b\nb state=active", []step{
			{do: "enqueue start a fail", want: "a/start b/stop"}}},
		// Observed (2n): a second start merges into the running one, even in mode fail.
		{"mode fail merges into a running job of the same type", "a", []step{
			{do: "enqueue start a", want: "a/start"},
			{do: "run a", want: "start"},
			{do: "enqueue start a fail", want: "a/start"},
			{do: "enqueue stop a fail", want: "error: Transaction for a/stop is destructive (a has 'start' job queued, but 'stop' is included in transaction).",
				log: []string{"Requested transaction contradicts existing jobs: Transaction for a/stop is destructive (a has 'start' job queued, but 'stop' is included in transaction)."}}}},
		{"redundant job kept when it reverses a queued one", "a state=active\nb Requires=a", []step{
			{do: "enqueue stop a", want: "a/stop"},
			{do: "enqueue start b", want: "b/start a/start; finished: a/stop=canceled"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			newHarness(t, c.graph).run(c.steps)
		})
	}
}
