package unit

import (
	"errors"
	"fmt"
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
func ParseCommand(value string) (Command, error) {
	words, err := splitCommand(value)
	if err != nil {
		return Command{}, fmt.Errorf("parse command %q: %w", value, err)
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
// does for ExecStart=: a word that is exactly "$NAME" becomes the value
// split at whitespace (zero words if unset or empty); "${NAME}" is replaced
// in place within a word and never splits; "$$" yields a literal "$".
// "${NAME:-default}" and "${NAME:+alternative}" are supported too. With
// NoEnvExpand the argv is returned unchanged.
func (c Command) ExpandEnv(env map[string]string) []string {
	out := make([]string, 0, len(c.Argv))
	if c.NoEnvExpand {
		return append(out, c.Argv...)
	}
	for _, w := range c.Argv {
		if len(w) > 1 && w[0] == '$' && w[1] != '{' && w[1] != '$' {
			out = append(out, strings.Fields(env[w[1:]])...)
			continue
		}
		out = append(out, expandInline(w, env))
	}
	return out
}

// expandInline replaces "${...}" references and "$$" within one word;
// anything else, including malformed references, is kept literally.
func expandInline(w string, env map[string]string) string {
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
			end := strings.IndexByte(w[i+2:], '}')
			if end < 0 {
				b.WriteByte('$')
				continue
			}
			ref := w[i+2 : i+2+end]
			v, ok := lookupRef(ref, env)
			if !ok {
				b.WriteByte('$')
				continue
			}
			b.WriteString(v)
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}

// lookupRef resolves the inside of "${...}". ok is false when ref is not a
// well-formed reference, in which case the caller keeps it literally.
func lookupRef(ref string, env map[string]string) (string, bool) {
	name, op, arg := ref, "", ""
	if k := strings.Index(ref, ":"); k >= 0 && k+1 < len(ref) && (ref[k+1] == '-' || ref[k+1] == '+') {
		name, op, arg = ref[:k], ref[k:k+2], ref[k+2:]
	}
	if !validEnvName(name) {
		return "", false
	}
	v := env[name]
	switch op {
	case ":-":
		if v == "" {
			return arg, true
		}
	case ":+":
		if v != "" {
			return arg, true
		}
		return "", true
	}
	return v, true
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
