// Command capsulectl controls capsuled and the managers inside capsules,
// with systemctl's and systemd-run's grammar.
package main

import (
	"os"

	"github.com/capsuled/capsuled/internal/cli"
)

func main() {
	paths := cli.DefaultPaths
	// Lets a second system manager (capsuled --system --runtime-dir=DIR)
	// be reached, e.g. in tests.
	if dir := os.Getenv("CAPSULED_RUNTIME_DIR"); dir != "" {
		paths.SystemRuntime = dir
	}
	os.Exit(cli.Main(os.Args[1:], cli.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}, paths))
}
