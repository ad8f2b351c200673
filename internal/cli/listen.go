package cli

import (
	"fmt"
	"io"

	"github.com/capsuled/capsuled/internal/api"
)

// printListen prints a socket's "Listen:" lines as systemctl status does:
// the first after the label, the others under it.
func printListen(w io.Writer, u *api.Unit) {
	for i, l := range u.Listen {
		label := "Listen:"
		if i > 0 {
			label = ""
		}
		fmt.Fprintf(w, "%12s %s\n", label, printable(l))
	}
}
