package calendar

import (
	"fmt"
	"syscall"
)

// Error is a rejected calendar event: Errno is the error systemd reports
// for it (EINVAL, ERANGE or ENOBUFS), Reason says what is wrong.
type Error struct {
	Expr   string
	Errno  syscall.Errno
	Reason string
}

func (e *Error) Error() string {
	if e.Expr == "" {
		return "calendar event: " + e.Reason
	}
	return fmt.Sprintf("calendar event %q: %s", e.Expr, e.Reason)
}

func (e *Error) Unwrap() error { return e.Errno }

// Strerror is the C library's text for Errno, as systemd prints it.
func (e *Error) Strerror() string {
	switch e.Errno {
	case syscall.EINVAL:
		return "Invalid argument"
	case syscall.ERANGE:
		return "Numerical result out of range"
	case syscall.ENOBUFS:
		return "No buffer space available"
	case syscall.EDEADLK:
		return "Resource deadlock avoided"
	}
	return e.Errno.Error()
}

// perr is a parse failure before the expression is known to the caller.
type perr struct {
	errno  syscall.Errno
	reason string
}

func invalid(format string, args ...any) *perr {
	return &perr{syscall.EINVAL, fmt.Sprintf(format, args...)}
}

func outOfRange(format string, args ...any) *perr {
	return &perr{syscall.ERANGE, fmt.Sprintf(format, args...)}
}
