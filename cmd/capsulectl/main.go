// Command capsulectl controls capsuled and the managers inside capsules,
// with systemctl's and systemd-run's grammar.
package main

import (
	"fmt"
	"os"

	"github.com/capsuled/capsuled/internal/cli"
	"github.com/capsuled/capsuled/internal/unit"
)

func main() {
	paths := cli.DefaultPaths
	// Lets a second system manager (capsuled --system --runtime-dir=DIR)
	// be reached, e.g. in tests.
	if dir := os.Getenv("CAPSULED_RUNTIME_DIR"); dir != "" {
		paths.SystemRuntime = dir
	}
	// Like $SYSTEMD_BUS_TIMEOUT for systemctl: how long a manager may stay
	// silent during a call.
	if v := os.Getenv("CAPSULECTL_TIMEOUT"); v != "" {
		d, err := unit.ParseTimespan(v)
		if err != nil || d <= 0 {
			fmt.Fprintf(os.Stderr, "Ignoring invalid CAPSULECTL_TIMEOUT=%q (want a time span such as 25 or 25s)\n", v)
		} else {
			paths.Timeout = d
		}
	}
	os.Exit(cli.Main(os.Args[1:], cli.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}, paths))
}
