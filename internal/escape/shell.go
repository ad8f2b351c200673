package escape

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// shellNeedsQuotes are the characters that make the shell read a word
// differently, besides whitespace and control characters.
const shellNeedsQuotes = "\"\\`$*?['()<>|&;!"

// ShellQuote returns s as systemctl prints a value for the shell: as it
// is when nothing in it is special, else in double quotes (posix: in
// $'...'), with control characters and invalid UTF-8 C-escaped and the
// characters special inside the quotes backslash-escaped.
func ShellQuote(s string, posix bool) string {
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		c := s[i]
		if (r == utf8.RuneError && n <= 1) || c < ' ' || c == 127 || strings.IndexByte(" \t\n\r"+shellNeedsQuotes, c) >= 0 {
			break
		}
		i += n
	}
	if i == len(s) {
		return s
	}
	special, open, closing := "\"\\`$", `"`, `"`
	if posix {
		special, open, closing = `\'`, "$'", "'"
	}
	var b strings.Builder
	b.WriteString(open)
	b.WriteString(s[:i])
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		c := s[i]
		switch {
		case (r == utf8.RuneError && n <= 1) || c < ' ' || c == 127:
			b.WriteString(cEscape(c))
			i++
			continue
		case n == 1 && strings.IndexByte(special, c) >= 0:
			b.WriteByte('\\')
		}
		b.WriteString(s[i : i+n])
		i += n
	}
	b.WriteString(closing)
	return b.String()
}

// cEscape writes one byte as a C escape.
func cEscape(c byte) string {
	switch c {
	case '\a':
		return `\a`
	case '\b':
		return `\b`
	case '\f':
		return `\f`
	case '\n':
		return `\n`
	case '\r':
		return `\r`
	case '\t':
		return `\t`
	case '\v':
		return `\v`
	}
	return fmt.Sprintf(`\%03o`, c)
}
