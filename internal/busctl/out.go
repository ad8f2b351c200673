package busctl

import (
	"fmt"
	"io"
	"strings"
)

// textSink is where formatted output goes: a strings.Builder, or an
// outWriter on the way to the terminal.
type textSink interface {
	io.Writer
	io.StringWriter
}

// outChunk is how much output is collected before it is written.
const outChunk = 64 << 10

// outWriter collects output and writes it in chunks, so that a large
// reply is written while it is formatted rather than held whole (a byte
// array of 16 MiB prints as some 60 MiB of text). Unlike bufio.Writer it
// never splits one WriteString across two writes: the escaping writer
// below it treats each write on its own, and a character split in two
// would come out as escaped bytes.
type outWriter struct {
	w   io.Writer
	buf []byte
	err error
}

func newOutWriter(w io.Writer) *outWriter { return &outWriter{w: w} }

func (o *outWriter) WriteString(s string) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	if len(o.buf)+len(s) > outChunk {
		o.Flush()
	}
	if len(s) > outChunk {
		if _, err := io.WriteString(o.w, s); err != nil && o.err == nil {
			o.err = err
		}
		return len(s), o.err
	}
	o.buf = append(o.buf, s...)
	return len(s), nil
}

func (o *outWriter) Write(p []byte) (int, error) { return o.WriteString(string(p)) }

// Flush writes what is collected and returns the first error.
func (o *outWriter) Flush() error {
	if len(o.buf) > 0 && o.err == nil {
		if _, err := o.w.Write(o.buf); err != nil {
			o.err = err
		}
	}
	o.buf = o.buf[:0]
	return o.err
}

// writeOut formats with f straight to w.
func writeOut(w io.Writer, f func(textSink)) error {
	o := newOutWriter(w)
	f(o)
	if err := o.Flush(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// formatString formats with f into a string.
func formatString(f func(textSink)) string {
	var b strings.Builder
	f(&b)
	return b.String()
}
