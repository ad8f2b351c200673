package unitconf

import (
	"path/filepath"
	"slices"
	"strings"

	"github.com/capsuled/capsuled/internal/unit"
)

// EnvSettings are the environment directives of systemd.exec(5).
type EnvSettings struct {
	Environment      []string  // NAME=VALUE, a later assignment of a name replacing the earlier one in place
	EnvironmentFiles []EnvFile // read at each process's start
	PassEnvironment  []string  // names taken from the manager's environment
	UnsetEnvironment []string  // names, or NAME=VALUE assignments, removed last
}

// EnvFile is one EnvironmentFile= entry; Path may hold glob patterns.
type EnvFile struct {
	Path         string
	IgnoreErrors bool // "-": a missing or unreadable file is skipped
}

func envSettings(c *parseCtx) *EnvSettings { return &svc(c).EnvSettings }

func envDirectives() []Directive {
	return []Directive{
		{Key: "Environment", Props: []string{"Environment"}, Raw: true, Parse: parseEnvironment},
		{Key: "EnvironmentFile", Props: []string{"EnvironmentFiles"}, Parse: parseEnvironmentFile},
		{Key: "PassEnvironment", Props: []string{"PassEnvironment"}, Raw: true, Parse: envNames(false)},
		{Key: "UnsetEnvironment", Props: []string{"UnsetEnvironment"}, Raw: true, Parse: envNames(true)},
	}
}

func envProps() []Property {
	env := func(u *Unit) *EnvSettings { return &u.Service.EnvSettings }
	list := func(name string, f func(*EnvSettings) []string) Property {
		return Property{Name: name, Format: func(u *Unit) string { return formatList(f(env(u))) }}
	}
	return []Property{
		list("Environment", func(e *EnvSettings) []string { return e.Environment }),
		{Name: "EnvironmentFiles", Lines: func(u *Unit) []string {
			var out []string
			for _, f := range env(u).EnvironmentFiles {
				out = append(out, f.Path+" (ignore_errors="+FormatBool(f.IgnoreErrors)+")")
			}
			return out
		}},
		list("PassEnvironment", func(e *EnvSettings) []string { return e.PassEnvironment }),
		list("UnsetEnvironment", func(e *EnvSettings) []string { return e.UnsetEnvironment }),
	}
}

// parseEnvironment takes quoted NAME=VALUE words, C escapes decoded,
// specifiers expanded in each word and no $ expansion; an invalid word is skipped with a warning, as systemd
// does, and the rest applies.
func parseEnvironment(c *parseCtx, v string) error {
	e := envSettings(c)
	if v == "" {
		e.Environment = nil
		return nil
	}
	words, err := c.splitExpand(v)
	if err != nil {
		c.warn("Invalid syntax, ignoring: %s", v)
		return nil
	}
	for _, w := range words {
		if !unit.ValidEnvAssignment(w) {
			c.warn("Invalid environment assignment, ignoring: %s", w)
			continue
		}
		e.Environment = SetEnv(e.Environment, w)
	}
	return nil
}

// SetEnv sets the NAME=VALUE assignment kv in env, in place of an earlier
// assignment of NAME, else at the end.
func SetEnv(env []string, kv string) []string {
	name, _, _ := strings.Cut(kv, "=")
	for i, old := range env {
		if strings.HasPrefix(old, name+"=") {
			env[i] = kv
			return env
		}
	}
	return append(env, kv)
}

// parseEnvironmentFile takes one path (spaces and all), "-" in front
// making errors reading it harmless.
func parseEnvironmentFile(c *parseCtx, v string) error {
	e := envSettings(c)
	if v == "" {
		e.EnvironmentFiles = nil
		return nil
	}
	f := EnvFile{Path: v}
	if p, ok := strings.CutPrefix(v, "-"); ok {
		f = EnvFile{Path: p, IgnoreErrors: true}
	}
	if !filepath.IsAbs(f.Path) {
		c.warn("EnvironmentFile= path is not absolute, ignoring: %s", v)
		return nil
	}
	e.EnvironmentFiles = append(e.EnvironmentFiles, f)
	return nil
}

// envNames returns the parser of PassEnvironment= (names) or, with
// assignments, of UnsetEnvironment= (names or NAME=VALUE).
func envNames(assignments bool) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error {
		e := envSettings(c)
		dst := &e.PassEnvironment
		if assignments {
			dst = &e.UnsetEnvironment
		}
		if v == "" {
			*dst = nil
			return nil
		}
		words, err := c.splitExpand(v)
		if err != nil {
			c.warn("Invalid syntax, ignoring: %s", v)
			return nil
		}
		for _, w := range words {
			switch {
			case assignments && !unit.ValidEnvName(w) && !unit.ValidEnvAssignment(w):
				c.warn("Invalid environment name or assignment %s, ignoring: %s", c.key, w)
			case !assignments && !unit.ValidEnvName(w):
				c.warn("Invalid environment name for %s, ignoring: %s", c.key, w)
			case !slices.Contains(*dst, w):
				*dst = append(*dst, w)
			}
		}
		return nil
	}
}

// FormatList prints a string list as systemctl show does: items
// space-separated, each quoted where the shell would need it.
func FormatList(items []string) string { return formatList(items) }

// specifierError marks a failure to resolve the specifiers of a word.
type specifierError struct{ err error }

func (e *specifierError) Error() string { return e.err.Error() }

// expandWord resolves the specifiers of one word of a Raw directive.
func (c *parseCtx) expandWord(w string) (string, error) {
	if c.expand == nil {
		return w, nil
	}
	x, err := c.expand(w)
	if err != nil {
		return "", &specifierError{err}
	}
	return x, nil
}

// splitExpand splits a Raw value into words and resolves the specifiers
// of each; a word whose specifiers fail is dropped with a warning.
func (c *parseCtx) splitExpand(v string) ([]string, error) {
	words, err := unit.SplitWords(v)
	if err != nil {
		return nil, err
	}
	out := words[:0]
	for _, w := range words {
		x, err := c.expandWord(w)
		if err != nil {
			c.warn("Failed to resolve unit specifiers in %s, ignoring: %v", w, err)
			continue
		}
		out = append(out, x)
	}
	return out, nil
}
