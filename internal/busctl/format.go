package busctl

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/capsuled/capsuled/internal/escape"
)

// CEscape quotes s as systemd's cescape does: C escapes for the usual
// controls, quotes and backslash, octal for every other byte outside
// 0x20-0x7e (so no byte a terminal acts on survives).
func CEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\v':
			b.WriteString(`\v`)
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\'':
			b.WriteString(`\'`)
		default:
			if c < ' ' || c >= 127 {
				fmt.Fprintf(&b, "\\%03o", c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	return b.String()
}

// basicText is a basic value as busctl prints it, strings unquoted.
func basicText(v Value) string {
	switch x := v.V.(type) {
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return formatG(x)
	case string:
		return x
	}
	return fmt.Sprint(v.V)
}

// formatG prints a double as C's %g does.
func formatG(f float64) string {
	s := strconv.FormatFloat(f, 'g', 6, 64)
	// Go writes e+06 like C; C keeps at least two exponent digits too.
	return s
}

// FormatCmdline prints values in busctl's argument syntax: arrays as
// their element count then the elements, variants as their signature
// then the value, strings quoted and C-escaped.
func FormatCmdline(values []Value) string {
	return formatString(func(w textSink) { writeCmdline(w, values) })
}

// writeCmdline writes FormatCmdline's text to w.
func writeCmdline(w textSink, values []Value) {
	first := true
	word := func(s string) {
		if !first {
			w.WriteString(" ")
		}
		first = false
		w.WriteString(s)
	}
	var walk func(v Value)
	walk = func(v Value) {
		switch v.Sig[0] {
		case 'a':
			word(strconv.Itoa(v.Len()))
			if b, ok := v.V.([]byte); ok {
				for _, c := range b {
					word(byteText[c])
				}
			}
			for _, e := range v.Elems {
				walk(e)
			}
		case 'v':
			word(v.Elems[0].Sig)
			walk(v.Elems[0])
		case '(', '{':
			for _, e := range v.Elems {
				walk(e)
			}
		case 's', 'o', 'g':
			word(`"` + CEscape(v.String()) + `"`)
		default:
			word(basicText(v))
		}
	}
	for _, v := range values {
		walk(v)
	}
}

// byteText is each byte in decimal, so printing a byte array allocates
// nothing per byte.
var byteText = func() (t [256]string) {
	for i := range t {
		t[i] = strconv.Itoa(i)
	}
	return t
}()

// Signature is the concatenated signature of values.
func Signature(values []Value) string {
	var b strings.Builder
	for _, v := range values {
		b.WriteString(v.Sig)
	}
	return b.String()
}

var dumpNames = map[byte]string{'y': "BYTE", 'b': "BOOLEAN", 'n': "INT16", 'q': "UINT16", 'i': "INT32", 'u': "UINT32",
	'x': "INT64", 't': "UINT64", 'd': "DOUBLE", 's': "STRING", 'o': "OBJECT_PATH", 'g': "SIGNATURE", 'h': "UNIX_FD"}

// dumpValues writes values as sd_bus_message_dump does, one per line at
// indent (in units of 8 spaces) plus pad spaces. Strings are escaped for
// a terminal (busctl prints them raw; root's terminal must not see a
// capsule's control characters or forged lines).
func dumpValues(b textSink, values []Value, level int, pad string) {
	for _, v := range values {
		prefix := pad + strings.Repeat(" ", 8*level)
		if bytes, ok := v.V.([]byte); ok {
			fmt.Fprintf(b, "%sARRAY \"y\" {\n", prefix)
			inner := prefix + strings.Repeat(" ", 8)
			for _, c := range bytes {
				b.WriteString(inner)
				b.WriteString("BYTE ")
				b.WriteString(byteText[c])
				b.WriteString(";\n")
			}
			fmt.Fprintf(b, "%s};\n", prefix)
			continue
		}
		switch v.Sig[0] {
		case 'a', 'v', '(', '{':
			kind := map[byte]string{'a': "ARRAY", 'v': "VARIANT", '(': "STRUCT", '{': "DICT_ENTRY"}[v.Sig[0]]
			contents := v.Sig[1:]
			switch v.Sig[0] {
			case 'v':
				contents = v.Elems[0].Sig
			case '(', '{':
				contents = v.Sig[1 : len(v.Sig)-1]
			}
			fmt.Fprintf(b, "%s%s \"%s\" {\n", prefix, kind, contents)
			dumpValues(b, v.Elems, level+1, pad)
			fmt.Fprintf(b, "%s};\n", prefix)
		case 's', 'o', 'g':
			fmt.Fprintf(b, "%s%s \"%s\";\n", prefix, dumpNames[v.Sig[0]], escape.Text(v.String()))
		default:
			fmt.Fprintf(b, "%s%s %s;\n", prefix, dumpNames[v.Sig[0]], basicText(v))
		}
	}
}

// DumpBody is a message body as busctl --verbose prints a reply.
func DumpBody(values []Value) string {
	return formatString(func(w textSink) { writeDumpBody(w, values) })
}

func writeDumpBody(w textSink, values []Value) {
	fmt.Fprintf(w, "MESSAGE \"%s\" {\n", Signature(values))
	dumpValues(w, values, 1, "")
	w.WriteString("};\n\n")
}

// DumpSubtree is the contents of a variant as busctl get-property
// --verbose prints them.
func DumpSubtree(v Value) string {
	return formatString(func(w textSink) { dumpValues(w, []Value{v}, 0, "") })
}
