package busctl

import (
	"fmt"
	"sort"
	"strings"
)

// maxTreeObjects and maxTreeBytes bound the objects tree walks and the
// bytes of their paths: a hostile broker can list any number of children,
// each with a long name, and every path found is kept until printed.
const (
	maxTreeObjects = 100000
	maxTreeBytes   = 16 << 20
)

// treeOne introspects service from "/" down and prints its objects;
// failures are printed inline as busctl does and make the result an error.
func treeOne(c *Conn, e *Env, service string) error {
	var failed error
	done := map[string]bool{}
	todo := []string{"/"}
	seen := map[string]bool{"/": true}
	held := 1
	for len(todo) > 0 && len(done) < maxTreeObjects {
		p := todo[0]
		todo = todo[1:]
		data, err := c.introspect(service, p)
		if err == nil {
			var n *xmlNode
			if n, err = parseIntrospection(data); err == nil {
				children, ok := n.childPaths(p, maxTreeBytes-held)
				tooMany := failf2("Failed to introspect service %s: more than %d objects or %d MiB of object paths.", service, maxTreeObjects, maxTreeBytes>>20)
				if !ok {
					return tooMany
				}
				for _, ch := range children {
					if seen[ch] {
						continue
					}
					if len(seen) >= maxTreeObjects || held+len(ch) > maxTreeBytes {
						return tooMany
					}
					seen[ch] = true
					held += len(ch)
					todo = append(todo, ch)
				}
			}
		}
		if err != nil {
			fmt.Fprintf(e.Out, "Failed to introspect object %s of service %s: %s\n", p, service, busErrText(err))
			failed = errSilent
			continue
		}
		done[p] = true
	}
	l := make([]string, 0, len(done))
	for p := range done {
		l = append(l, p)
	}
	sort.Strings(l)
	switch {
	case e.Opt.List:
		for _, p := range l {
			fmt.Fprintln(e.Out, p)
		}
	case len(l) == 0:
		fmt.Fprintln(e.Out, "No objects discovered.")
	case len(l) == 1 && l[0] == "/":
		fmt.Fprintln(e.Out, "Only root object discovered.")
	default:
		var b strings.Builder
		printSubtree(&b, "", "/", l)
		fmt.Fprint(e.Out, b.String())
	}
	return failed
}

func under(p, dir string) bool {
	if dir == "/" {
		return strings.HasPrefix(p, "/")
	}
	return p == dir || strings.HasPrefix(p, dir+"/")
}

// printSubtree draws the paths below dir (l sorted) as busctl tree does.
func printSubtree(b *strings.Builder, prefix, dir string, l []string) {
	for len(l) > 0 && l[0] == dir {
		l = l[1:]
	}
	for len(l) > 0 && under(l[0], dir) {
		cur := l[0]
		n := 1
		hasMore := false
		for n < len(l) && under(l[n], dir) {
			if !under(l[n], cur) {
				hasMore = true
				break
			}
			n++
		}
		glyph, next := "└─", prefix+"  "
		if hasMore {
			glyph, next = "├─", prefix+"│ "
		}
		fmt.Fprintf(b, "%s%s %s\n", prefix, glyph, cur)
		printSubtree(b, next, cur, l[:n])
		l = l[n:]
	}
}

// Tree prints the object trees of services (all acquired names without
// arguments) as busctl tree does.
func Tree(c *Conn, e *Env, args []string) error {
	for _, a := range args {
		if !ValidServiceName(a) {
			return failf("Invalid bus service name: " + a)
		}
	}
	var result error
	if len(args) > 0 {
		for i, a := range args {
			if i > 0 {
				fmt.Fprintln(e.Out)
			}
			if len(args) > 1 {
				fmt.Fprintf(e.Out, "Service %s:\n", a)
			}
			if err := treeOne(c, e, a); err != nil {
				result = err
			}
		}
		return result
	}
	r, err := c.CallDBus("ListNames")
	if err != nil {
		return failf("Failed to get name list: " + busErrText(err))
	}
	names := r.Body[0].Strings()
	first := true
	for _, n := range names {
		if strings.HasPrefix(n, ":") && !e.Opt.Unique {
			continue
		}
		if !first {
			fmt.Fprintln(e.Out)
		}
		first = false
		fmt.Fprintf(e.Out, "Service %s:\n", n)
		if err := treeOne(c, e, n); err != nil {
			result = err
		}
	}
	return result
}
