package unitconf

import (
	"fmt"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/capsuled/capsuled/internal/unit"
)

// Path is the [Path] section of a .path unit (systemd.path(5)).
type Path struct {
	Specs         []PathSpec
	Unit          string // the unit started when a condition holds
	MakeDirectory bool
	DirectoryMode os.FileMode
	// TriggerLimitIntervalSec=, TriggerLimitBurst=: more than Burst
	// activations within Interval fail the path unit (trigger-limit-hit).
	TriggerLimitInterval time.Duration
	TriggerLimitBurst    uint
}

// PathSpec is one watched path and its condition, by directive name:
// PathExists, PathExistsGlob, PathChanged, PathModified, DirectoryNotEmpty.
type PathSpec struct {
	Type string
	Path string
}

// systemd's defaults for path units' trigger limit.
const (
	defaultPathTriggerInterval = 2 * time.Second
	defaultPathTriggerBurst    = 200
)

// PathTypes are the path conditions, in systemd's order.
var PathTypes = []string{"PathExists", "PathExistsGlob", "PathChanged", "PathModified", "DirectoryNotEmpty"}

func newPath(name string) *Path {
	return &Path{Unit: strings.TrimSuffix(name, ".path") + ".service", DirectoryMode: 0o755,
		TriggerLimitInterval: defaultPathTriggerInterval, TriggerLimitBurst: defaultPathTriggerBurst}
}

func pathOf(c *parseCtx) *Path { return c.unit().Path }

// parsePathSpec returns the parser of one path condition: an absolute,
// normalized path, as systemd takes it.
func parsePathSpec(typ string) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error {
		p := pathOf(c)
		if v == "" {
			p.Specs = nil
			return nil
		}
		if !strings.HasPrefix(v, "/") {
			c.warn("%s= path is not absolute, ignoring: %s", c.key, v)
			return nil
		}
		// "//" and "/./" are simplified away; ".." is refused, as a
		// watch could not follow what it meant.
		if parts := strings.Split(v, "/"); slices.Contains(parts, "..") {
			// Named as systemd names it: simplified, ".." kept.
			parts = slices.DeleteFunc(parts, func(p string) bool { return p == "" || p == "." })
			c.warn("%s= path is not normalized, ignoring: /%s", c.key, strings.Join(parts, "/"))
			return nil
		}
		p.Specs = append(p.Specs, PathSpec{Type: typ, Path: path.Clean(v)})
		return nil
	}
}

func parsePathUnit(c *parseCtx, v string) error {
	if v == "" {
		pathOf(c).Unit = newPath(c.unit().Name).Unit
		return nil
	}
	n, err := unit.ParseName(v)
	if err != nil || n.IsTemplate() {
		return fmt.Errorf("not a unit name")
	}
	if n.Type == "path" {
		return fmt.Errorf("a path unit cannot trigger a path unit")
	}
	pathOf(c).Unit = v
	return nil
}

func parsePathMakeDirectory(c *parseCtx, v string) error {
	return parseBoolInto(&pathOf(c).MakeDirectory, v, false)
}

func parsePathDirectoryMode(c *parseCtx, v string) error {
	if v == "" {
		pathOf(c).DirectoryMode = 0o755
		return nil
	}
	n, err := strconv.ParseUint(v, 8, 32)
	if err != nil || n > 0o7777 {
		return fmt.Errorf("not an octal mode")
	}
	pathOf(c).DirectoryMode = os.FileMode(n)
	return nil
}

func parseTriggerLimitInterval(c *parseCtx, v string) error {
	if strings.TrimSpace(v) == "" {
		pathOf(c).TriggerLimitInterval = defaultPathTriggerInterval
		return nil
	}
	d, err := unit.ParseTimespan(v)
	if err != nil {
		return err
	}
	pathOf(c).TriggerLimitInterval = d
	return nil
}

func parseTriggerLimitBurst(c *parseCtx, v string) error {
	if v == "" {
		pathOf(c).TriggerLimitBurst = defaultPathTriggerBurst
		return nil
	}
	n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
	if err != nil {
		return err
	}
	pathOf(c).TriggerLimitBurst = uint(n)
	return nil
}

func pathDirectives() []Directive {
	ds := []Directive{
		{Key: "Unit", Props: []string{"Unit"}, Parse: parsePathUnit},
		{Key: "MakeDirectory", Props: []string{"MakeDirectory"}, Raw: true, Parse: parsePathMakeDirectory},
		{Key: "DirectoryMode", Props: []string{"DirectoryMode"}, Raw: true, Parse: parsePathDirectoryMode},
		{Key: "TriggerLimitIntervalSec", Props: []string{"TriggerLimitIntervalUSec"}, Raw: true, Parse: parseTriggerLimitInterval},
		{Key: "TriggerLimitBurst", Props: []string{"TriggerLimitBurst"}, Raw: true, Parse: parseTriggerLimitBurst},
	}
	for _, t := range PathTypes {
		ds = append(ds, Directive{Key: t, Props: []string{"Paths"}, Parse: parsePathSpec(t)})
	}
	return ds
}

func pathProps() []Property {
	return []Property{
		{Name: "Unit", Format: func(u *Unit) string { return u.Path.Unit }},
		{Name: "Paths", Lines: func(u *Unit) []string {
			var out []string
			for _, s := range u.Path.Specs {
				out = append(out, s.Path+" ("+s.Type+")")
			}
			return out
		}},
		{Name: "MakeDirectory", Format: func(u *Unit) string { return FormatBool(u.Path.MakeDirectory) }},
		{Name: "DirectoryMode", Format: func(u *Unit) string { return fmt.Sprintf("%04o", u.Path.DirectoryMode) }},
		{Name: "TriggerLimitIntervalUSec", Format: func(u *Unit) string { return formatTimespan(u.Path.TriggerLimitInterval) }},
		{Name: "TriggerLimitBurst", Format: func(u *Unit) string { return strconv.FormatUint(uint64(u.Path.TriggerLimitBurst), 10) }},
	}
}

// finish checks the path unit as a whole: without a condition it would
// never do anything, and systemd refuses it.
func (p *Path) finish() error {
	if len(p.Specs) == 0 {
		return refuse("Path unit lacks path setting. Refusing.")
	}
	return nil
}
