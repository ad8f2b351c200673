package unit

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxLineLength bounds a logical line (after joining continuations), as
// systemd does, so a corrupt file cannot exhaust memory.
const maxLineLength = 1 << 20

// whitespace is the set systemd trims around keys, values and lines.
const whitespace = " \t\n\r"

// Entry is one Key=Value assignment.
type Entry struct {
	Section, Key, Value string
	File                string
	Line                int // line the assignment starts on (1-based)
}

// File is a parsed unit file or drop-in, entries in file order.
type File struct {
	Entries []Entry
}

// SyntaxError reports a malformed line; its message starts with file:line.
type SyntaxError struct {
	File string
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// Parse reads a unit file in systemd syntax. filename is only used for
// error messages and Entry.File.
func Parse(r io.Reader, filename string) (*File, error) {
	p := parser{file: &File{}, filename: filename}
	size := 4096
	if b, ok := r.(*bytes.Reader); ok {
		// The file is in memory already: a buffer its size will do
		// (loading a thousand units allocated 4 KiB each).
		size = min(size, b.Len()+1)
	}
	br := bufio.NewReaderSize(r, size)
	var (
		cont      strings.Builder // logical line being assembled
		inCont    bool
		contStart int
		lineNo    int
	)
	for {
		raw, err := br.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: read: %w", filename, err)
		}
		if raw == "" && err != nil {
			break
		}
		lineNo++
		line := strings.TrimSuffix(raw, "\n")
		line = strings.TrimSuffix(line, "\r")
		if lineNo == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}

		// Comment lines are dropped before continuation handling, so a
		// comment inside a continued value is skipped and a comment ending
		// in a backslash does not swallow the next line.
		if t := strings.TrimLeft(line, whitespace); t != "" && (t[0] == '#' || t[0] == ';') {
			if err != nil {
				break
			}
			continue
		}

		if !inCont {
			contStart = lineNo
		}
		if cont.Len()+len(line) > maxLineLength {
			return nil, &SyntaxError{filename, contStart, "line too long"}
		}
		if endsWithEscape(line) {
			// The continuation backslash turns into a space.
			cont.WriteString(line[:len(line)-1])
			cont.WriteByte(' ')
			inCont = true
		} else {
			cont.WriteString(line)
			if perr := p.line(cont.String(), contStart); perr != nil {
				return nil, perr
			}
			cont.Reset()
			inCont = false
		}
		if err != nil {
			break
		}
	}
	if inCont {
		if perr := p.line(cont.String(), contStart); perr != nil {
			return nil, perr
		}
	}
	return p.file, nil
}

// endsWithEscape reports whether s ends in a backslash that is not itself
// escaped by a preceding backslash.
func endsWithEscape(s string) bool {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

type parser struct {
	file       *File
	filename   string
	section    string
	hasSection bool
}

func (p *parser) line(l string, lineNo int) error {
	l = strings.Trim(l, whitespace)
	if l == "" || l[0] == '#' || l[0] == ';' {
		return nil
	}
	if l[0] == '[' {
		if l[len(l)-1] != ']' {
			return &SyntaxError{p.filename, lineNo, fmt.Sprintf("invalid section header %q", l)}
		}
		name := l[1 : len(l)-1]
		if name == "" {
			return &SyntaxError{p.filename, lineNo, "empty section name"}
		}
		p.section = name
		p.hasSection = true
		return nil
	}
	if !p.hasSection {
		return &SyntaxError{p.filename, lineNo, "assignment outside of any section"}
	}
	eq := strings.IndexByte(l, '=')
	if eq < 0 {
		return &SyntaxError{p.filename, lineNo, fmt.Sprintf("missing '=' in %q", l)}
	}
	key := strings.Trim(l[:eq], whitespace)
	if key == "" {
		return &SyntaxError{p.filename, lineNo, "missing key name before '='"}
	}
	p.file.Entries = append(p.file.Entries, Entry{
		Section: p.section,
		Key:     key,
		Value:   strings.Trim(l[eq+1:], whitespace),
		File:    p.filename,
		Line:    lineNo,
	})
	return nil
}
