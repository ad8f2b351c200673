package control

import (
	"context"
	"syscall"

	"github.com/capsuled/capsuled/internal/api"
	"github.com/capsuled/capsuled/internal/manager"
	"github.com/capsuled/capsuled/internal/varlink"
)

func catUnit(_ context.Context, m *manager.Manager, c *varlink.Call) error {
	var p api.UnitName
	if err := decode(c, &p); err != nil {
		return err
	}
	files, masked, err := m.Cat(p.Name)
	if err != nil {
		return err
	}
	return c.Reply(api.Cat{Files: unitFilesOf(files), Masked: masked})
}

func unitFilesOf(files []manager.UnitFileText) []api.UnitFile {
	out := []api.UnitFile{}
	for _, f := range files {
		out = append(out, api.UnitFile{Path: f.Path, Content: f.Content})
	}
	return out
}

func killUnit(_ context.Context, m *manager.Manager, c *varlink.Call) error {
	var p api.Kill
	if err := decode(c, &p); err != nil {
		return err
	}
	if err := m.Kill(m.Canonical(p.Name), syscall.Signal(p.Signal), p.Whom); err != nil {
		return err
	}
	return c.Reply(struct{}{})
}

func listUnitFiles(_ context.Context, m *manager.Manager, c *varlink.Call) error {
	files, err := m.ListUnitFiles()
	if err != nil {
		return err
	}
	out := api.UnitFiles{Files: []api.UnitFileEntry{}}
	for _, f := range files {
		out.Files = append(out.Files, api.UnitFileEntry{Name: f.Name, State: f.State, Preset: f.Preset})
	}
	return c.Reply(out)
}

func maskUnit(_ context.Context, m *manager.Manager, c *varlink.Call) error {
	var p api.Mask
	if err := decode(c, &p); err != nil {
		return err
	}
	changes, missing, err := m.Mask(p.Name, p.Runtime)
	if err != nil {
		return err
	}
	return c.Reply(api.Masked{Changes: changesOf(changes).Changes, Missing: missing})
}

func unmaskUnit(_ context.Context, m *manager.Manager, c *varlink.Call) error {
	var p api.Mask
	if err := decode(c, &p); err != nil {
		return err
	}
	changes, err := m.Unmask(p.Name, p.Runtime)
	if err != nil {
		return err
	}
	return c.Reply(api.Masked{Changes: changesOf(changes).Changes})
}

func editUnit(_ context.Context, m *manager.Manager, c *varlink.Call) error {
	var p api.Edit
	if err := decode(c, &p); err != nil {
		return err
	}
	r := manager.EditRequest{Name: p.Name, Runtime: p.Runtime, DropIn: p.DropIn, Full: p.Full, Force: p.Force}
	if p.Content != nil {
		path, err := m.Edit(r, *p.Content)
		if err != nil {
			return err
		}
		return c.Reply(api.Edited{Path: path})
	}
	t, err := m.EditTarget(r)
	if err != nil {
		return err
	}
	return c.Reply(api.Edited{Path: t.Path, Content: t.Content, Sources: unitFilesOf(t.Sources)})
}
