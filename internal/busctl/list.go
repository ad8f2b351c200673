package busctl

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// List prints the names on the bus as busctl list does.
func List(c *Conn, e *Env) error {
	o := e.Opt
	unique, acquired, activatable := o.Unique, o.Acquired, o.Activatable
	if !unique && !acquired && !activatable {
		unique, acquired, activatable = true, true, true
	}
	names := map[string]bool{} // name -> activatable only
	if unique || acquired {
		r, err := c.CallDBus("ListNames")
		if err != nil {
			return failf("Failed to list names: " + busErrText(err))
		}
		for _, n := range r.Body[0].Strings() {
			names[n] = false
		}
	}
	if activatable {
		r, err := c.CallDBus("ListActivatableNames")
		if err != nil {
			return failf("Failed to list names: " + busErrText(err))
		}
		for _, n := range r.Body[0].Strings() {
			if _, ok := names[n]; !ok {
				names[n] = true
			}
		}
	}
	keys := make([]string, 0, len(names))
	for n := range names {
		keys = append(keys, n)
	}
	sort.Strings(keys)
	t := &table{header: []string{"NAME", "PID", "PROCESS", "USER", "CONNECTION", "UNIT", "SESSION", "DESCRIPTION"}, right: map[int]bool{1: true}}
	var rows []jnode
	for _, n := range keys {
		row := []string{n, "", "", "", "", "", "", ""}
		if names[n] {
			row[4] = "(activatable)"
		} else {
			if !unique && strings.HasPrefix(n, ":") || !acquired && !strings.HasPrefix(n, ":") {
				continue
			}
			if n != c.Unique {
				if cr, err := c.NameCreds(n); err == nil {
					if cr.PID > 0 {
						row[1], row[2] = strconv.Itoa(cr.PID), cr.Comm
						if row[2] == "" {
							row[2] = "n/a"
						}
						row[5] = UnitOfCgroup(procCgroup(cr.PID))
					}
					if cr.UID >= 0 {
						row[3] = UserName(cr.UID)
					}
					row[4] = cr.Unique
				}
			}
		}
		t.add(append([]string(nil), row...)...)
		rows = append(rows, listJSON(row))
	}
	if o.JSON != "" {
		fmt.Fprint(e.Out, jnode{kind: 'a', elems: rows}.Format(o.JSON == "pretty"))
		return nil
	}
	if err := t.renderTo(e.Out, !o.NoLegend); err != nil {
		return err
	}
	return nil
}

func listJSON(row []string) jnode {
	keys := []string{"name", "pid", "process", "user", "connection", "unit", "session", "description"}
	o := jnode{kind: 'o'}
	for i, k := range keys {
		v := jnode{kind: 'n', text: "null"}
		switch {
		case row[i] == "":
		case i == 1:
			v = jnode{kind: 'n', text: row[i]}
		default:
			v = jstr(row[i])
		}
		o.elems = append(o.elems, jstr(k), v)
	}
	return o
}
