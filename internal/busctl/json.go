package busctl

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"strconv"
	"strings"
)

// jnode is a JSON value with object keys kept in wire order, as sd-json
// keeps them.
type jnode struct {
	kind  byte // 's' string, 'n' number or literal, 'a' array, 'o' object, 'y' byte array
	text  string
	bytes []byte  // 'y': the bytes, written as an array of numbers
	elems []jnode // array elements; objects: key, value, key, value...
}

func jstr(s string) jnode { return jnode{kind: 's', text: s} }

func jobj(kv ...jnode) jnode { return jnode{kind: 'o', elems: kv} }

// jsonValue converts v as busctl's JSON dump does: variants become
// {"type":SIG,"data":VALUE}, arrays of dict entries become objects.
func jsonValue(v Value) jnode {
	switch v.Sig[0] {
	case 'v':
		return jobj(jstr("type"), jstr(v.Elems[0].Sig), jstr("data"), jsonValue(v.Elems[0]))
	case 'a':
		if b, ok := v.V.([]byte); ok {
			return jnode{kind: 'y', bytes: b}
		}
		if v.Sig[1] == '{' {
			o := jnode{kind: 'o'}
			for _, e := range v.Elems {
				k := e.Elems[0]
				key := basicText(k)
				o.elems = append(o.elems, jstr(key), jsonValue(e.Elems[1]))
			}
			return o
		}
		fallthrough
	case '(', '{':
		a := jnode{kind: 'a', elems: []jnode{}}
		for _, e := range v.Elems {
			a.elems = append(a.elems, jsonValue(e))
		}
		return a
	case 's', 'o', 'g':
		return jstr(v.String())
	case 'b':
		return jnode{kind: 'n', text: strconv.FormatBool(v.V.(bool))}
	case 'd':
		f := v.V.(float64)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return jnode{kind: 'n', text: "null"}
		}
		return jnode{kind: 'n', text: strconv.FormatFloat(f, 'g', -1, 64)}
	}
	return jnode{kind: 'n', text: basicText(v)}
}

// JSONMessage is a message body as busctl --json prints a reply.
func JSONMessage(values []Value) jnode {
	data := jnode{kind: 'a', elems: []jnode{}}
	for _, v := range values {
		data.elems = append(data.elems, jsonValue(v))
	}
	return jobj(jstr("type"), jstr(Signature(values)), jstr("data"), data)
}

// JSONVariant is a property value as busctl get-property --json prints it.
func JSONVariant(v Value) jnode {
	return jobj(jstr("type"), jstr(v.Sig), jstr("data"), jsonValue(v))
}

func quoteJSON(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// Format writes n compactly (short) or as sd-json's pretty form (tabs,
// " : " between key and value).
func (n jnode) Format(pretty bool) string {
	return formatString(func(w textSink) { n.writeLine(w, pretty) })
}

// Print writes n as Format does to w.
func (n jnode) Print(w io.Writer, pretty bool) error {
	return writeOut(w, func(s textSink) { n.writeLine(s, pretty) })
}

func (n jnode) writeLine(w textSink, pretty bool) {
	n.write(w, pretty, 0)
	w.WriteString("\n")
}

func (n jnode) write(b textSink, pretty bool, level int) {
	nl := func(l int) {
		if pretty {
			b.WriteString("\n")
			b.WriteString(strings.Repeat("\t", l))
		}
	}
	switch n.kind {
	case 'y':
		b.WriteString("[")
		indent := ""
		if pretty {
			indent = "\n" + strings.Repeat("\t", level+1)
		}
		for i, c := range n.bytes {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(indent)
			b.WriteString(byteText[c])
		}
		if len(n.bytes) > 0 {
			nl(level)
		}
		b.WriteString("]")
	case 's':
		b.WriteString(quoteJSON(n.text))
	case 'n':
		b.WriteString(n.text)
	case 'a', 'o':
		open, close, step := "[", "]", 1
		if n.kind == 'o' {
			open, close, step = "{", "}", 2
		}
		b.WriteString(open)
		for i := 0; i < len(n.elems); i += step {
			if i > 0 {
				b.WriteString(",")
			}
			nl(level + 1)
			if n.kind == 'o' {
				b.WriteString(quoteJSON(n.elems[i].text))
				if pretty {
					b.WriteString(" : ")
				} else {
					b.WriteString(":")
				}
				n.elems[i+1].write(b, pretty, level+1)
			} else {
				n.elems[i].write(b, pretty, level+1)
			}
		}
		if len(n.elems) > 0 {
			nl(level)
		}
		b.WriteString(close)
	}
}
