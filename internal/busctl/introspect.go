package busctl

import (
	"encoding/xml"
	"fmt"
	"path"
	"sort"
	"strings"
)

// member is one row of busctl introspect.
type member struct {
	Interface, Type, Name, Signature, Result, Value string
	hasValue                                        bool
	Flags                                           []string
}

type xmlArg struct {
	Type      string `xml:"type,attr"`
	Direction string `xml:"direction,attr"`
}

type xmlAnnotation struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type xmlMethod struct {
	Name        string          `xml:"name,attr"`
	Args        []xmlArg        `xml:"arg"`
	Annotations []xmlAnnotation `xml:"annotation"`
}

type xmlProperty struct {
	Name        string          `xml:"name,attr"`
	Type        string          `xml:"type,attr"`
	Access      string          `xml:"access,attr"`
	Annotations []xmlAnnotation `xml:"annotation"`
}

type xmlInterface struct {
	Name        string          `xml:"name,attr"`
	Methods     []xmlMethod     `xml:"method"`
	Signals     []xmlMethod     `xml:"signal"`
	Properties  []xmlProperty   `xml:"property"`
	Annotations []xmlAnnotation `xml:"annotation"`
}

type xmlNode struct {
	Interfaces []xmlInterface `xml:"interface"`
	Nodes      []struct {
		Name string `xml:"name,attr"`
	} `xml:"node"`
}

func parseIntrospection(data string) (*xmlNode, error) {
	var n xmlNode
	d := xml.NewDecoder(strings.NewReader(data))
	d.Strict = false
	if err := d.Decode(&n); err != nil {
		return nil, failf2("Failed to parse introspection data: %v", err)
	}
	return &n, nil
}

// childPaths are the object paths below p that the node lists; false
// once their bytes would pass budget (each relative name is joined to p,
// so a long p listed with many children makes many long paths).
func (n *xmlNode) childPaths(p string, budget int) ([]string, bool) {
	var out []string
	for _, c := range n.Nodes {
		child := c.Name
		if !strings.HasPrefix(child, "/") {
			if len(p)+1+len(child) > budget {
				return out, false
			}
			child = path.Join(p, child)
		}
		if ValidObjectPath(child) && strings.HasPrefix(child, strings.TrimSuffix(p, "/")+"/") {
			if budget -= len(child); budget < 0 {
				return out, false
			}
			out = append(out, child)
		}
	}
	return out, true
}

func flagsOf(ann []xmlAnnotation, flags map[string]bool) {
	for _, a := range ann {
		switch a.Name {
		case "org.freedesktop.DBus.Deprecated":
			if a.Value == "true" {
				flags["deprecated"] = true
			}
		case "org.freedesktop.DBus.Method.NoReply":
			if a.Value == "true" {
				flags["no-reply"] = true
			}
		case "org.freedesktop.DBus.Property.EmitsChangedSignal":
			delete(flags, "const")
			delete(flags, "emits-change")
			delete(flags, "emits-invalidation")
			switch a.Value {
			case "const":
				flags["const"] = true
			case "invalidates":
				flags["emits-invalidation"] = true
			case "true":
				flags["emits-change"] = true
			}
		}
	}
}

func flagList(f map[string]bool, writable bool) []string {
	var out []string
	for _, k := range []string{"deprecated", "no-reply", "const", "emits-change", "emits-invalidation"} {
		if f[k] {
			out = append(out, k)
		}
	}
	if writable {
		out = append(out, "writable")
	}
	return out
}

func (n *xmlNode) members() []member {
	var out []member
	for _, i := range n.Interfaces {
		iflags := map[string]bool{}
		flagsOf(i.Annotations, iflags)
		out = append(out, member{Interface: i.Name, Type: "interface", Flags: flagList(map[string]bool{"deprecated": iflags["deprecated"]}, false)})
		for _, m := range i.Methods {
			in, res := "", ""
			for _, a := range m.Args {
				if a.Direction == "out" {
					res += a.Type
				} else {
					in += a.Type
				}
			}
			f := map[string]bool{}
			flagsOf(m.Annotations, f)
			out = append(out, member{Interface: i.Name, Type: "method", Name: m.Name, Signature: in, Result: res, Flags: flagList(f, false)})
		}
		for _, s := range i.Signals {
			sig := ""
			for _, a := range s.Args {
				sig += a.Type
			}
			f := map[string]bool{}
			flagsOf(s.Annotations, f)
			out = append(out, member{Interface: i.Name, Type: "signal", Name: s.Name, Signature: sig, Flags: flagList(f, false)})
		}
		for _, p := range i.Properties {
			// Properties inherit the interface's EmitsChangedSignal.
			f := map[string]bool{"const": iflags["const"], "emits-change": iflags["emits-change"], "emits-invalidation": iflags["emits-invalidation"]}
			flagsOf(p.Annotations, f)
			out = append(out, member{Interface: i.Name, Type: "property", Name: p.Name, Signature: p.Type, Flags: flagList(f, strings.Contains(p.Access, "write"))})
		}
	}
	sort.SliceStable(out, func(a, b int) bool {
		x, y := out[a], out[b]
		if x.Interface != y.Interface {
			return x.Interface < y.Interface
		}
		if x.Type != y.Type {
			return x.Type < y.Type
		}
		if x.Name != y.Name {
			return x.Name < y.Name
		}
		return x.Signature < y.Signature
	})
	return out
}

func (c *Conn) introspect(service, p string) (string, error) {
	r, err := c.CallMethod(service, p, "org.freedesktop.DBus.Introspectable", "Introspect")
	if err != nil {
		return "", err
	}
	if len(r.Body) != 1 || r.Body[0].Sig != "s" {
		return "", failf2("Failed to parse reply: Invalid argument")
	}
	return r.Body[0].String(), nil
}

// Introspect prints the members of an object as busctl introspect does.
func Introspect(c *Conn, e *Env, args []string) error {
	if len(args) < 2 || len(args) > 3 {
		return failf(map[bool]string{true: "Too few arguments.", false: "Too many arguments."}[len(args) < 2])
	}
	service, p, iface := args[0], args[1], ""
	if len(args) == 3 {
		iface = args[2]
	}
	data, err := c.introspect(service, p)
	if err != nil {
		return failf(fmt.Sprintf("Failed to introspect object %s of service %s: %s", p, service, busErrText(err)))
	}
	if e.Opt.XMLInterface {
		fmt.Fprintln(e.Out, data)
		return nil
	}
	n, err := parseIntrospection(data)
	if err != nil {
		return failf(err.Error())
	}
	ms := n.members()
	done := map[string]bool{}
	for _, m := range ms {
		if m.Type != "property" || done[m.Interface] || iface != "" && m.Interface != iface {
			continue
		}
		done[m.Interface] = true
		r, err := c.CallMethod(service, p, "org.freedesktop.DBus.Properties", "GetAll", Str(m.Interface))
		if err != nil {
			return failf(fmt.Sprintf("Failed to get all properties on interface %s: %s", m.Interface, busErrText(err)))
		}
		if len(r.Body) != 1 || r.Body[0].Sig != "a{sv}" {
			return failf("Failed to parse reply: Invalid argument")
		}
		for _, de := range r.Body[0].Elems {
			name, val := de.Elems[0].String(), de.Elems[1].Elems[0]
			for i := range ms {
				if ms[i].Type == "property" && ms[i].Interface == m.Interface && ms[i].Name == name && ms[i].Signature == val.Sig {
					ms[i].Value, ms[i].hasValue = FormatCmdline([]Value{val}), true
				}
			}
		}
	}
	t := &table{header: []string{"NAME", "TYPE", "SIGNATURE", "RESULT/VALUE", "FLAGS"}}
	for _, m := range ms {
		if iface != "" && (m.Interface != iface || m.Type == "interface") {
			continue
		}
		name := m.Interface
		if m.Type != "interface" {
			name = "." + m.Name
		}
		res := m.Result
		if m.hasValue {
			res = m.Value
		}
		t.add(name, m.Type, m.Signature, res, strings.Join(m.Flags, " "))
	}
	if err := t.renderTo(e.Out, !e.Opt.NoLegend); err != nil {
		return err
	}
	return nil
}
