package manager

import "github.com/capsuled/capsuled/internal/logstore"

// logLimiter is the rate limit of u's output (LogRateLimitIntervalSec=,
// LogRateLimitBurst=), shared by all its processes as journald's is per
// service; nil if the unit turned it off.
func (m *Manager) logLimiter(u *Unit) *logstore.Limiter {
	u.logLimitSet.Do(func() {
		u.logLimit = logstore.NewLimiter(u.svc.LogRateInterval, u.svc.LogRateBurst, func(n int) {
			m.logf(u, "Suppressed %d messages from %s", n, u.name)
		})
	})
	return u.logLimit
}
