// Package job is the job engine: systemd's job types, job modes, transactions and the
// queue of installed jobs, with no I/O of its own. It follows systemd.unit(5) ("[Unit]
// Section Options": Requires=, Requisite=, Wants=, BindsTo=, PartOf=, Upholds=,
// Conflicts=, Before=/After=, OnFailure=/OnSuccess=, PropagatesStopTo=,
// StopPropagatedFrom=, StopWhenUnneeded=, RefuseManualStart=/Stop=, AllowIsolate=,
// IgnoreOnIsolate=, JobTimeoutSec=, JobRunningTimeoutSec=), systemctl(1)'s
// --job-mode=, and what systemd 257 does (its transaction and job logic, and the
// behaviour observed on it):
//
//   - A Request becomes a transaction: the anchor job pulls in jobs for its
//     requirements recursively (start: Requires=/BindsTo= start, Wants=/Upholds= start
//     whose failure is ignored, Requisite= verify-active, Conflicts= stop; stop and
//     restart reach the units that require, are bound to or are part of the unit, and
//     PropagatesStopTo=), jobs on one unit merge by systemd's table (MergeAndCollapse),
//     redundant jobs are dropped, ordering cycles are broken by deleting a job the anchor
//     does not need (systemd's log lines are returned, never printed), and the jobs are
//     installed, merging into or cancelling the ones queued before as the Mode asks.
//   - The Queue tells which jobs may run now (Runnable: start jobs after the jobs of
//     units they are After=, stop jobs in the inverse order, unordered units in
//     parallel) and what follows when a job ends: start jobs of units that need it end
//     with "dependency" even while running, OnFailure=/OnSuccess= units are started,
//     a restart turns into a start, dependencies are started or stopped retroactively,
//     and Dispatch acts on StopWhenUnneeded=, Upholds= and BindsTo=.
//
// The manager owns the units. It implements Graph (dependencies with both directions
// filled in, as systemd stores them; active states; flags) and drives the Queue:
//
//	res, err := q.Enqueue(job.Request{Unit: name, Type: job.Start, Manual: true})
//	for _, j := range q.Runnable() {
//		action, eff, _ := q.Run(j.ID) // Start, Stop, Reload, or Nop if settled
//		// perform action on the unit; on "not yet": q.Requeue(j.ID)
//	}
//	eff := q.UnitChanged(name, from, to, reloadOK) // after every state change
//	eff, _ = q.Finish(id, job.ResultAssert)         // outcomes no state shows
//	eff = q.Dispatch()                              // when idle
//	eff = q.Expire(now)                             // at q.NextDeadline()
//
// Every call returns Effects: the jobs that ended (with their results), the jobs the
// engine queued by itself, and log lines. Time enters only through the clock given
// to NewQueue and the times passed to Expire. A Queue is not safe for concurrent use:
// the manager calls it under its own lock.
package job
