package job

import (
	"fmt"
	"time"
)

func (q *Queue) startTimer(j *job) {
	if j.timerSet || q.now == nil {
		return
	}
	j.timerSet = true
	if d := q.info(j.unit).JobTimeout; d > 0 {
		j.deadline = q.now().Add(d)
	}
}

// SetDeadline sets when job id times out (zero: never), overriding the unit's settings.
func (q *Queue) SetDeadline(id uint32, at time.Time) error {
	j := q.jobs[id]
	if j == nil {
		return &Error{CodeNoSuchJob, fmt.Sprintf("Job %d does not exist.", id)}
	}
	j.deadline = at
	j.timerSet = true
	return nil
}

// NextDeadline returns the job that times out first; ok is false if none has a deadline.
func (q *Queue) NextDeadline() (id uint32, at time.Time, ok bool) {
	for _, j := range q.jobs {
		if j.deadline.IsZero() {
			continue
		}
		if !ok || j.deadline.Before(at) || (j.deadline.Equal(at) && j.id < id) {
			id, at, ok = j.id, j.deadline, true
		}
	}
	return id, at, ok
}

// Expire ends every job whose deadline is not after now with result "timeout".
func (q *Queue) Expire(now time.Time) Effects {
	var eff Effects
	for _, j := range q.sortedJobs() {
		if !j.installed || j.deadline.IsZero() || j.deadline.After(now) {
			continue
		}
		eff.logf(j.unit, "Job %s timed out.", j)
		q.finish(j, ResultTimeout, true, &eff)
	}
	return eff
}
