package cli

import (
	"fmt"
	"io"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
	"golang.org/x/term"

	"github.com/capsuled/capsuled/internal/api"
	"github.com/capsuled/capsuled/internal/varlink"
)

// maxEditSize bounds what edit --stdin reads and an editor may leave.
const maxEditSize = 1 << 20

// cat prints the fragment and drop-ins of units as systemctl cat does, as
// the unit's manager read them (in a capsule: as the capsule's user).
func (c *ctl) cat(names []string) error {
	code := 0
	first := true
	for _, name := range names {
		name = withSuffix(name)
		var r api.Cat
		err := c.t.client.Call(api.MethodCatUnit, api.UnitName{Name: name}, &r)
		if varlink.IsError(err, api.ErrNoSuchUnit) {
			fmt.Fprintf(c.io.Stderr, "No files found for %s.\n", printable(name))
			code = exitFailure
			continue
		}
		if err != nil {
			return fail(exitFailure, "Failed to cat %s: %v", name, err)
		}
		if r.Masked {
			if !first {
				fmt.Fprintln(c.io.Stdout)
			}
			first = false
			fmt.Fprintf(c.io.Stdout, "# Unit %s is masked.\n", printable(name))
			continue
		}
		for _, f := range r.Files {
			if !first {
				fmt.Fprintln(c.io.Stdout)
			}
			first = false
			fmt.Fprintf(c.io.Stdout, "# %s\n", printable(f.Path))
			io.WriteString(c.io.Stdout, f.Content)
			if f.Content != "" && !strings.HasSuffix(f.Content, "\n") {
				fmt.Fprintln(c.io.Stdout)
			}
		}
	}
	if code != 0 {
		return fail(code, "")
	}
	return nil
}

// parseSignal takes a signal as kill(1) does: a number, or a name with or
// without "SIG".
func parseSignal(s string) (int, error) {
	if n, err := strconv.Atoi(s); err == nil && n > 0 && n <= 64 {
		return n, nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if n := unix.SignalNum(name); n > 0 {
		return int(n), nil
	}
	return 0, fmt.Errorf("unknown signal %q", s)
}

// kill signals the processes of units, as systemctl kill does.
func (c *ctl) kill(names []string) error {
	sig := 15
	if c.o.signal != "" {
		n, err := parseSignal(c.o.signal)
		if err != nil {
			return fail(exitFailure, "Failed to parse signal string \"%s\".", c.o.signal)
		}
		sig = n
	}
	for _, name := range names {
		name = withSuffix(name)
		if err := c.t.client.Call(api.MethodKillUnit, api.Kill{Name: name, Signal: sig, Whom: c.o.killWhom}, nil); err != nil {
			return fail(exitFailure, "Failed to kill unit %s: %v", name, err)
		}
	}
	return nil
}

// listUnitFiles prints the unit files of the manager's search paths as
// systemctl list-unit-files does.
func (c *ctl) listUnitFiles(patterns []string) error {
	var r api.UnitFiles
	if err := c.t.client.Call(api.MethodListUnitFiles, struct{}{}, &r); err != nil {
		return fail(exitFailure, "Failed to list unit files: %v", err)
	}
	var shown []api.UnitFileEntry
	for _, f := range r.Files {
		if len(patterns) > 0 && !matchAny(patterns, f.Name) {
			continue
		}
		if len(c.o.states) > 0 && !contains(c.o.states, f.State) {
			continue
		}
		if len(c.o.types) > 0 && !contains(c.o.types, strings.TrimPrefix(filepath.Ext(f.Name), ".")) {
			continue
		}
		f.Name, f.State, f.Preset = printable(f.Name), printable(f.State), printable(f.Preset)
		shown = append(shown, f)
	}
	if c.o.output == "json" {
		if shown == nil {
			shown = []api.UnitFileEntry{}
		}
		c.json(shown)
	} else {
		nw, sw := len("UNIT FILE"), len("STATE")
		for _, f := range shown {
			nw, sw = max(nw, len(f.Name)), max(sw, len(f.State))
		}
		if !c.o.noLegend {
			fmt.Fprintf(c.io.Stdout, "%-*s %-*s %s\n", nw, "UNIT FILE", sw, "STATE", "PRESET")
		}
		for _, f := range shown {
			fmt.Fprintf(c.io.Stdout, "%-*s %-*s %s\n", nw, f.Name, sw, f.State, f.Preset)
		}
		if !c.o.noLegend {
			fmt.Fprintf(c.io.Stdout, "\n%d unit files listed.\n", len(shown))
		}
	}
	if len(shown) == 0 {
		return fail(exitFailure, "")
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

// mask masks or unmasks units; the links are made by the manager, as its
// own user (in a capsule, the capsule's).
func (c *ctl) mask(verb string, names []string) error {
	method := api.MethodMaskUnit
	if verb == "unmask" {
		method = api.MethodUnmaskUnit
	}
	for _, name := range names {
		name = withSuffix(name)
		if verb == "mask" && !c.unitExists(name) && !c.o.quiet {
			fmt.Fprintf(c.io.Stderr, "Unit %s does not exist, proceeding anyway.\n", printable(name))
		}
		var r api.Masked
		err := c.t.client.Call(method, api.Mask{Name: name, Runtime: c.o.runtime}, &r)
		if err != nil {
			return fail(exitFailure, "Failed to %s unit: %v", verb, err)
		}
		if c.o.output == "json" {
			c.json(r)
		} else if !c.o.quiet {
			printChanges(c.io.Stderr, r.Changes)
		}
		if verb == "mask" && !c.o.quiet {
			c.warnTriggeringAs("Masking", name)
		}
	}
	return nil
}

// unitExists reports whether name has a unit file its manager can load
// (a masked one counts).
func (c *ctl) unitExists(name string) bool {
	var r api.FileState
	return c.t.client.Call(api.MethodUnitFileState, api.UnitName{Name: name}, &r) == nil
}

// edit changes a unit's drop-in or, with --full, a copy of its file. The
// manager reads the current text and writes the new one as its own user
// (in a capsule: the capsule's); the editor (root's) only ever sees a
// private temporary copy.
func (c *ctl) edit(raw IO, names []string) error {
	if c.o.stdin {
		if c.o.full && len(names) != 1 {
			return fail(exitFailure, "With 'edit --stdin --full', exactly one unit for editing must be specified.")
		}
		b, err := io.ReadAll(io.LimitReader(raw.Stdin, maxEditSize+1))
		if err != nil {
			return fail(exitFailure, "Failed to read stdin: %v", err)
		}
		if len(b) > maxEditSize {
			return fail(exitFailure, "Input is larger than %d bytes.", maxEditSize)
		}
		text := strings.TrimSpace(string(b))
		if text == "" {
			fmt.Fprintln(c.io.Stderr, "Stripped stdin content is empty, not writing file.")
			return nil
		}
		for _, name := range names {
			if err := c.writeEdit(withSuffix(name), text+"\n"); err != nil {
				return err
			}
		}
		return nil
	}
	if raw.Stdin == nil || !term.IsTerminal(int(raw.Stdin.Fd())) || !isTerminalWriter(raw.Stdout) {
		return fail(exitFailure, "Cannot edit units interactively if not on a tty.")
	}
	for _, name := range names {
		name = withSuffix(name)
		var t api.Edited
		err := c.t.client.Call(api.MethodEditUnit, c.editRequest(name, nil), &t)
		if varlink.IsError(err, api.ErrNoSuchUnit) {
			return c.noFilesToEdit(name)
		}
		if err != nil {
			return fail(exitFailure, "Failed to edit %s: %v", name, err)
		}
		text, err := c.runEditor(raw, &t)
		if err != nil {
			return fail(exitFailure, "Failed to edit %s: %v", name, err)
		}
		if text == "" {
			fmt.Fprintf(c.io.Stderr, "%s: after editing, new contents are empty, not writing file.\n", printable(t.Path))
			continue
		}
		if err := c.writeEdit(name, text+"\n"); err != nil {
			return err
		}
	}
	return nil
}

func (c *ctl) editRequest(name string, content *string) api.Edit {
	return api.Edit{Name: name, Runtime: c.o.runtime, DropIn: c.o.dropIn, Full: c.o.full, Force: c.o.force, Content: content}
}

// noFilesToEdit is systemctl's refusal to edit a unit without files,
// with its hint.
func (c *ctl) noFilesToEdit(name string) error {
	cmd := "capsulectl"
	if c.o.capsule != "" {
		cmd += " -C " + printable(c.o.capsule)
	}
	fmt.Fprintf(c.io.Stderr, "No files found for %s.\n", printable(name))
	fmt.Fprintf(c.io.Stderr, "Run '%s edit --force --full %s' to create a new unit.\n", cmd, printable(name))
	return fail(exitFailure, "")
}

// writeEdit has the manager write text and reload.
func (c *ctl) writeEdit(name, text string) error {
	var r api.Edited
	err := c.t.client.Call(api.MethodEditUnit, c.editRequest(name, &text), &r)
	if varlink.IsError(err, api.ErrNoSuchUnit) {
		return c.noFilesToEdit(name)
	}
	if err != nil {
		return fail(exitFailure, "Failed to edit %s: %v", name, err)
	}
	if !c.o.quiet {
		fmt.Fprintf(c.io.Stderr, "Successfully installed edited file '%s'.\n", printable(r.Path))
	}
	return nil
}

// Markers of the text an editor gets for a drop-in, as systemctl writes
// them.
const (
	editBegin = "### Anything between here and the comment below will become the contents of the drop-in file"
	editEnd   = "### Edits below this comment will be discarded"
)

// runEditor lets root's editor change a private temporary copy of what
// the manager sent and returns the stripped result.
func (c *ctl) runEditor(raw IO, t *api.Edited) (string, error) {
	f, err := os.CreateTemp("", "capsulectl-edit-*"+filepath.Ext(t.Path))
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	// A new unit's file starts as the empty file (or what a drop-in of
	// it holds), without the markers, as systemctl gives it.
	bare := c.o.full || len(t.Sources) == 0
	var b strings.Builder
	if bare {
		b.WriteString(t.Content)
	} else {
		fmt.Fprintf(&b, "### Editing %s\n%s\n\n%s\n\n%s\n", t.Path, editBegin, t.Content, editEnd)
		for i := len(t.Sources) - 1; i >= 0; i-- {
			s := t.Sources[i]
			fmt.Fprintf(&b, "\n### %s\n", s.Path)
			for _, l := range strings.Split(strings.TrimRight(s.Content, "\n"), "\n") {
				if l == "" {
					b.WriteString("\n")
				} else {
					b.WriteString("# " + l + "\n")
				}
			}
		}
	}
	_, werr := f.WriteString(b.String())
	if err := f.Close(); err != nil || werr != nil {
		return "", fmt.Errorf("write %s: %v", f.Name(), werr)
	}
	argv, err := editorCommand()
	if err != nil {
		return "", err
	}
	if !bare {
		// As systemctl: the editor starts on the drop-in's first line.
		argv = append(argv, "+4")
	}
	cmd := osexec.Command(argv[0], append(argv[1:], f.Name())...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = raw.Stdin, raw.Stdout, raw.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("editor %s: %w", argv[0], err)
	}
	nf, err := os.Open(f.Name())
	if err != nil {
		return "", err
	}
	defer nf.Close()
	out, err := io.ReadAll(io.LimitReader(nf, maxEditSize+1))
	if err != nil {
		return "", err
	}
	if len(out) > maxEditSize {
		return "", fmt.Errorf("the edited file is larger than %d bytes", maxEditSize)
	}
	text := string(out)
	if !bare {
		if _, after, ok := strings.Cut(text, editBegin+"\n"); ok {
			text = after
		}
		text, _, _ = strings.Cut(text, editEnd)
	}
	return strings.TrimSpace(text), nil
}

// editorCommand is the editor systemctl would run: $SYSTEMD_EDITOR,
// $EDITOR, $VISUAL, else the first of editor, nano, vim, vi found.
func editorCommand() ([]string, error) {
	for _, v := range []string{"SYSTEMD_EDITOR", "EDITOR", "VISUAL"} {
		if f := strings.Fields(os.Getenv(v)); len(f) > 0 {
			return f, nil
		}
	}
	for _, e := range []string{"editor", "nano", "vim", "vi"} {
		if p, err := osexec.LookPath(e); err == nil {
			return []string{p}, nil
		}
	}
	return nil, fmt.Errorf("cannot edit units: no editor found; set $EDITOR")
}

// isTerminalWriter reports whether w is a terminal.
func isTerminalWriter(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
