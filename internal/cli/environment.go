package cli

import (
	"fmt"
	"strings"

	"github.com/capsuled/capsuled/internal/api"
	"github.com/capsuled/capsuled/internal/escape"
)

// showEnvironment prints the manager's environment block as systemctl
// show-environment does: NAME=VALUE, the value in $'...' where the shell
// would need quoting (control characters escaped, so nothing a capsule set
// reaches the terminal raw).
func (c *ctl) showEnvironment() error {
	var r api.Environment
	if err := c.t.client.Call(api.MethodGetEnvironment, struct{}{}, &r); err != nil {
		return fail(exitFailure, "Failed to get environment: %v", err)
	}
	var b strings.Builder
	for _, kv := range r.Environment {
		name, value, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "%s=%s\n", escape.Text(name), escape.ShellQuote(value, true))
	}
	_, err := fmt.Fprint(c.io.Stdout, b.String())
	return err
}

// setEnvironment changes the manager's environment block: set-environment
// takes NAME=VALUE, unset-environment NAME or NAME=VALUE.
func (c *ctl) setEnvironment(verb string, args []string) error {
	if len(args) == 0 {
		return fail(exitUsage, "Too few arguments.")
	}
	var err error
	if verb == "set-environment" {
		err = c.t.client.Call(api.MethodSetEnvironment, api.SetEnvironment{Assignments: args}, nil)
	} else {
		err = c.t.client.Call(api.MethodUnsetEnv, api.UnsetEnvironment{Names: args}, nil)
	}
	if err != nil {
		return fail(exitFailure, "Failed to set environment: %v", err)
	}
	return nil
}
