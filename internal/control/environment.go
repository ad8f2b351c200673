package control

import (
	"context"

	"github.com/capsuled/capsuled/internal/api"
	"github.com/capsuled/capsuled/internal/manager"
	"github.com/capsuled/capsuled/internal/varlink"
)

func getEnvironment(_ context.Context, m *manager.Manager, c *varlink.Call) error {
	return c.Reply(api.Environment{Environment: m.Environment()})
}

func setEnvironment(_ context.Context, m *manager.Manager, c *varlink.Call) error {
	var p api.SetEnvironment
	if err := decode(c, &p); err != nil {
		return err
	}
	if err := m.SetEnvironment(p.Assignments); err != nil {
		return err
	}
	return c.Reply(struct{}{})
}

func unsetEnvironment(_ context.Context, m *manager.Manager, c *varlink.Call) error {
	var p api.UnsetEnvironment
	if err := decode(c, &p); err != nil {
		return err
	}
	if err := m.UnsetEnvironment(p.Names); err != nil {
		return err
	}
	return c.Reply(struct{}{})
}
