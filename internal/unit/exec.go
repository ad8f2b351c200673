package unit

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Command is one parsed ExecStart=-style command line.
type Command struct {
	Path          string   // program to execute (first word after prefixes)
	Argv          []string // argv including argv[0]; with '@' argv[0] is the second word
	IgnoreFailure bool     // '-': a non-zero exit status is not a failure
	Privileged    bool     // '+': run with full privileges, ignoring sandboxing
	NoEnvExpand   bool     // ':': no environment variable substitution
	ArgvZero      bool     // '@': the second word is passed as argv[0]
	AmbientOnly   bool     // '!' or '!!': credentials apply, privilege elevation via setuid is not used
	AmbientDouble bool     // '!!': like '!', but only on systems without ambient capability support
}

// ParseCommand parses a command line as accepted by ExecStart= and friends.
// Specifiers must be expanded by the caller beforehand; environment
// variables are left for ExpandEnv.
func ParseCommand(value string) (Command, error) { return ParseCommandExpand(value, nil) }

// ParseCommandExpand is ParseCommand for a line whose specifiers are not
// expanded yet: expand resolves them in each word once quotes and escapes
// are undone, as systemd does, so what a specifier gives (a "\x2d" of a
// unit name, a space) is taken as it is.
func ParseCommandExpand(value string, expand func(string) (string, error)) (Command, error) {
	words, err := splitCommand(value)
	if err != nil {
		return Command{}, fmt.Errorf("parse command %q: %w", value, err)
	}
	if expand != nil {
		for i := range words {
			if words[i].text, err = expand(words[i].text); err != nil {
				return Command{}, err
			}
		}
	}
	if len(words) == 0 {
		return Command{}, fmt.Errorf("parse command %q: empty command", value)
	}
	for _, w := range words {
		if w.separator {
			return Command{}, fmt.Errorf("parse command %q: multiple commands separated by ';' are not supported (use \\; for a literal semicolon)", value)
		}
	}

	var c Command
	first := words[0].text
prefixes:
	for first != "" {
		var dup bool
		switch first[0] {
		case '-':
			dup, c.IgnoreFailure = c.IgnoreFailure, true
		case '@':
			dup, c.ArgvZero = c.ArgvZero, true
		case ':':
			dup, c.NoEnvExpand = c.NoEnvExpand, true
		case '+':
			if c.AmbientOnly {
				return Command{}, fmt.Errorf("parse command %q: prefixes '+' and '!' are mutually exclusive", value)
			}
			dup, c.Privileged = c.Privileged, true
		case '!':
			if c.Privileged {
				return Command{}, fmt.Errorf("parse command %q: prefixes '+' and '!' are mutually exclusive", value)
			}
			dup, c.AmbientOnly = c.AmbientOnly, true
			// "!!" is a prefix of its own, not a repeated '!'.
			if strings.HasPrefix(first, "!!") {
				c.AmbientDouble = true
				first = first[1:]
			}
		default:
			break prefixes
		}
		if dup {
			return Command{}, fmt.Errorf("parse command %q: prefix %q given more than once", value, first[0])
		}
		first = first[1:]
	}
	if first == "" {
		return Command{}, fmt.Errorf("parse command %q: empty executable path", value)
	}
	if err := checkExecPath(first); err != nil {
		return Command{}, fmt.Errorf("parse command %q: %w", value, err)
	}
	c.Path = first

	rest := words[1:]
	if c.ArgvZero {
		if len(rest) == 0 {
			return Command{}, fmt.Errorf("parse command %q: '@' prefix needs argv[0] after the executable path", value)
		}
		c.Argv = make([]string, 0, len(rest))
	} else {
		c.Argv = append(make([]string, 0, len(rest)+1), first)
	}
	for _, w := range rest {
		c.Argv = append(c.Argv, w.text)
	}
	return c, nil
}

// checkExecPath accepts absolute paths and bare file names (looked up in a
// fixed search path by the executor), rejecting relative paths like "./x".
func checkExecPath(p string) error {
	if strings.IndexByte(p, 0) >= 0 {
		return errors.New("executable path contains a NUL byte")
	}
	if strings.HasPrefix(p, "/") {
		return nil
	}
	if strings.Contains(p, "/") || p == "." || p == ".." {
		return fmt.Errorf("executable %q is neither an absolute path nor a plain file name", p)
	}
	return nil
}

type word struct {
	text      string
	separator bool // an unquoted, unescaped ";"
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// splitCommand splits s into words with systemd's quoting rules: single
// and double quotes group (and may appear mid-word), C-style escapes are
// decoded both inside and outside quotes.
func splitCommand(s string) ([]word, error) {
	var words []word
	i := 0
	for {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i >= len(s) {
			return words, nil
		}
		var (
			b      strings.Builder
			quote  byte
			quoted bool // quotes or escapes were used, so ";" is literal
		)
		for i < len(s) {
			c := s[i]
			if quote == 0 && isSpace(c) {
				break
			}
			switch {
			case c == '\\':
				n, err := unescapeAt(s, i, &b)
				if err != nil {
					return nil, err
				}
				i += n
				quoted = true
				continue
			case quote == 0 && (c == '"' || c == '\''):
				quote = c
				quoted = true
			case quote != 0 && c == quote:
				quote = 0
			default:
				b.WriteByte(c)
			}
			i++
		}
		if quote != 0 {
			return nil, fmt.Errorf("unterminated %c quote", quote)
		}
		t := b.String()
		words = append(words, word{text: t, separator: t == ";" && !quoted})
	}
}

// unescapeAt decodes the escape sequence starting with the backslash at
// s[i], writes the result to b and returns how many bytes it consumed.
func unescapeAt(s string, i int, b *strings.Builder) (int, error) {
	if i+1 >= len(s) {
		return 0, errors.New("trailing backslash")
	}
	c := s[i+1]
	if r, ok := simpleEscape(c); ok {
		b.WriteByte(r)
		return 2, nil
	}
	switch {
	case c == 'x':
		v, err := parseDigits(s, i+2, 2, 16)
		if err != nil {
			return 0, fmt.Errorf("invalid \\x escape: %w", err)
		}
		b.WriteByte(byte(v))
		return 4, nil
	case c >= '0' && c <= '7':
		v, err := parseDigits(s, i+1, 3, 8)
		if err != nil {
			return 0, fmt.Errorf("invalid octal escape: %w", err)
		}
		if v > 0xff {
			return 0, fmt.Errorf("octal escape \\%s out of range", s[i+1:i+4])
		}
		b.WriteByte(byte(v))
		return 4, nil
	case c == 'u' || c == 'U':
		n := 4
		if c == 'U' {
			n = 8
		}
		v, err := parseDigits(s, i+2, n, 16)
		if err != nil {
			return 0, fmt.Errorf("invalid \\%c escape: %w", c, err)
		}
		if !utf8.ValidRune(rune(v)) {
			return 0, fmt.Errorf("\\%c escape is not a valid code point", c)
		}
		b.WriteRune(rune(v))
		return 2 + n, nil
	}
	return 0, fmt.Errorf("unknown escape \\%c", c)
}

// simpleEscape maps the single-character escapes to the byte they stand for.
// "\;" keeps a semicolon from being read as a command separator.
func simpleEscape(c byte) (byte, bool) {
	switch c {
	case 'a':
		return '\a', true
	case 'b':
		return '\b', true
	case 'f':
		return '\f', true
	case 'n':
		return '\n', true
	case 'r':
		return '\r', true
	case 't':
		return '\t', true
	case 'v':
		return '\v', true
	case 's', ' ':
		return ' ', true
	case '\\', '"', '\'', ';':
		return c, true
	}
	return 0, false
}

// parseDigits reads exactly n digits in base from s[at:]. NUL results are
// rejected because they cannot be passed in argv.
func parseDigits(s string, at, n, base int) (uint32, error) {
	if at+n > len(s) {
		return 0, fmt.Errorf("need %d digits", n)
	}
	var v uint32
	for _, c := range []byte(s[at : at+n]) {
		d, ok := unhex(c)
		if !ok || int(d) >= base {
			return 0, fmt.Errorf("invalid digit %q", c)
		}
		v = v*uint32(base) + uint32(d)
	}
	if v == 0 {
		return 0, errors.New("NUL byte not allowed")
	}
	return v, nil
}

// ExpandEnv substitutes environment variables into Argv the way systemd
// 257 does for Exec*= lines (argv[0] included, the program path not):
// a word that is "$NAME" becomes the value split into words as a shell
// would, quotes removed (no words if unset); "${NAME}" is replaced in place
// within a word and never splits; "$$" yields "$". There is no
// "${NAME:-default}": that and other malformed references are kept as
// written. With NoEnvExpand the argv is returned unchanged.
func (c Command) ExpandEnv(env map[string]string) []string {
	argv, _, _ := c.ExpandEnvReport(env)
	return argv
}

// ExpandEnvReport is ExpandEnv that also returns the names referenced but
// unset and the invalid names referenced (each sorted, once), which
// systemd logs; an invalid name expands as an unset one.
func (c Command) ExpandEnvReport(env map[string]string) (argv, unset, bad []string) {
	argv = make([]string, 0, len(c.Argv))
	if c.NoEnvExpand {
		return append(argv, c.Argv...), nil, nil
	}
	x := expander{env: env}
	for _, w := range c.Argv {
		if len(w) > 0 && w[0] == '$' && (len(w) == 1 || (w[1] != '{' && w[1] != '$')) {
			if v, ok := x.lookup(w[1:]); ok {
				argv = append(argv, SplitEnvValue(v)...)
			}
			continue
		}
		argv = append(argv, x.inline(w))
	}
	return argv, sortedUnique(x.unset), sortedUnique(x.bad)
}

type expander struct {
	env        map[string]string
	unset, bad []string
}

// lookup returns name's value, noting it if unset or not a valid name.
func (x *expander) lookup(name string) (string, bool) {
	if !validEnvName(name) {
		x.bad = append(x.bad, name)
		return "", false
	}
	v, ok := x.env[name]
	if !ok {
		x.unset = append(x.unset, name)
	}
	return v, ok
}

// inline replaces "${NAME}" and "$$" within one word. An unterminated
// "${" or one that meets ':' before '}' is kept literally; any other
// "${...}" is looked up, an invalid name giving the empty string.
func (x *expander) inline(w string) string {
	if !strings.Contains(w, "$") {
		return w
	}
	var b strings.Builder
	for i := 0; i < len(w); i++ {
		if w[i] != '$' || i+1 >= len(w) {
			b.WriteByte(w[i])
			continue
		}
		switch w[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '{':
			end := strings.IndexAny(w[i+2:], "}:")
			if end < 0 {
				b.WriteString(w[i:])
				return b.String()
			}
			if w[i+2+end] == ':' {
				// Unsupported syntax (systemd has no ":-" here): kept
				// as written through the ':'.
				b.WriteString(w[i : i+3+end])
				i += 2 + end
				continue
			}
			v, _ := x.lookup(w[i+2 : i+2+end])
			b.WriteString(v)
			i += 2 + end
		default:
			// "$X": the character after '$' is copied too, never the
			// start of another reference.
			b.WriteString(w[i : i+2])
			i++
		}
	}
	return b.String()
}

func sortedUnique(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	slices.Sort(s)
	return slices.Compact(s)
}

// SplitEnvValue splits the value of a "$NAME" word as systemd does: at
// spaces, tabs and newlines, with single and double quotes grouping (and
// removed) and a backslash taking the next character literally, inside
// quotes too; an unterminated quote or a trailing backslash ends the word.
func SplitEnvValue(v string) []string {
	var (
		out   []string
		b     strings.Builder
		in    bool // a word has started
		quote byte
	)
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '\\':
			in = true
			if i+1 < len(v) {
				i++
				b.WriteByte(v[i])
			}
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				b.WriteByte(c)
			}
		case c == '\'' || c == '"':
			in, quote = true, c
		case isSpace(c):
			if in {
				out = append(out, b.String())
				b.Reset()
				in = false
			}
		default:
			in = true
			b.WriteByte(c)
		}
	}
	if in {
		out = append(out, b.String())
	}
	return out
}

func validEnvName(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// ValidEnvName reports whether s is a valid environment variable name:
// letters, digits and '_', not starting with a digit (bash's rule, as
// systemd's).
func ValidEnvName(s string) bool { return validEnvName(s) }

// ValidEnvAssignment reports whether s is NAME=VALUE with a valid name
// and a value of valid UTF-8.
func ValidEnvAssignment(s string) bool {
	name, value, ok := strings.Cut(s, "=")
	return ok && validEnvName(name) && utf8.ValidString(value)
}

// SplitWords splits a value into words as Environment= and friends do:
// quotes group, C escapes are decoded, ';' is an ordinary word.
func SplitWords(s string) ([]string, error) {
	words, err := splitCommand(s)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = w.text
	}
	return out, nil
}
