// Package job is the job engine: systemd's job types, job modes, transactions and the
// queue of installed jobs, with no I/O of its own. It follows systemd.unit(5) ("[Unit]
// Section Options": Requires=, Requisite=, Wants=, BindsTo=, PartOf=, Upholds=,
// Conflicts=, Before=/After=, OnFailure=/OnSuccess=, PropagatesStopTo=,
// StopPropagatedFrom=, RefuseManualStart=/Stop=, AllowIsolate=, IgnoreOnIsolate=,
// JobTimeoutSec=, JobRunningTimeoutSec=), systemctl(1)'s --job-mode= and the behaviour
// of systemd 257's transaction and job logic:
//
//   - A request becomes a Transaction: the anchor job pulls in jobs for its
//     requirements recursively (start: Requires=/BindsTo= start, Wants=/Upholds= start
//     whose failure is ignored, Requisite= verify-active, Conflicts= stop; stop and
//     restart propagate to units that require, are bound to or are part of the unit, and
//     to PropagatesStopTo=), jobs on one unit are merged by systemd's merge table,
//     redundant jobs are dropped, ordering cycles are broken by deleting a job that does
//     not matter to the anchor (with systemd's log lines, returned to the caller), and
//     the result is installed into the Queue, merging into or cancelling jobs already
//     queued as the mode asks.
//   - The Queue decides which jobs may run now (start jobs after the jobs of units they
//     are After=, stop jobs in the inverse order, unordered units in parallel) and what
//     follows when a job finishes: dependent start jobs fail with result "dependency"
//     (even while running), OnFailure=/OnSuccess= units to start, restart jobs turning
//     into start jobs.
//
// The manager owns the units: it implements Graph (dependencies with both directions
// filled in, as systemd stores them, active states and flags), performs the actions the
// Queue hands out and reports unit state changes back. Clocks are injected: the Queue
// reads time only through the function it is given.
package job
