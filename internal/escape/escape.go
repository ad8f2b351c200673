// Package escape makes text that a capsule controls safe to show on a
// terminal or write to a log: unit output, unit and cgroup names, process
// names, error messages of a manager. Every byte or character a terminal
// could act on is replaced by a visible escape; everything else is kept.
//
// Escaped are: C0 controls (as \xNN), DEL, C1 controls both as raw
// bytes 0x80-0x9f (invalid UTF-8, which some terminals still take as 8-bit
// controls, e.g. 0x9b as CSI) and as characters U+0080-U+009F, bidi
// controls that reorder what is shown (U+061C, U+200E, U+200F,
// U+202A-U+202E, U+2066-U+2069), the line and paragraph separators
// U+2028/U+2029, and any other byte that is not valid UTF-8 (as \xNN).
// Characters are written as \uXXXX, which is also a valid JSON escape, so
// JSON output stays valid when it passes through a Writer.
package escape

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Text escapes s for one line of output: line breaks are escaped too, so
// a value cannot forge further lines. Tabs are kept.
func Text(s string) string { return escape(s, false) }

// Lines escapes s but keeps its line breaks, for multi-line messages.
func Lines(s string) string { return escape(s, true) }

// Unsafe reports whether r must be escaped (line breaks and tabs aside).
func Unsafe(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069,
		r == 0x2028, r == 0x2029:
		return true
	}
	return false
}

func keep(r rune, lines bool) bool {
	return r == '\t' || (lines && r == '\n') || !Unsafe(r)
}

func escape(s string, lines bool) string {
	i := firstUnsafe(s, lines)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case keep(r, lines):
			b.WriteString(s[i : i+n])
		case r < 0x20:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += n
	}
	return b.String()
}

// firstUnsafe returns the offset of the first byte to escape, or -1.
func firstUnsafe(s string, lines bool) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || !keep(r, lines) {
			return i
		}
		i += n
	}
	return -1
}

// Writer escapes everything written through it as Lines does. Each Write
// is escaped on its own, so callers write whole messages (as fmt.Fprintf
// and json.Encoder do); a character split across two writes is escaped as
// bytes rather than passed through.
type Writer struct{ W io.Writer }

// NewWriter returns a Writer that writes to w.
func NewWriter(w io.Writer) *Writer { return &Writer{W: w} }

// Write escapes p and writes it; it reports len(p) on success.
func (w *Writer) Write(p []byte) (int, error) {
	if _, err := io.WriteString(w.W, Lines(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
