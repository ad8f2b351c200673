// Command capsulectl controls capsuled and the managers inside capsules,
// with systemctl's and systemd-run's grammar.
package main

import (
	"os"

	"github.com/capsuled/capsuled/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}, cli.DefaultPaths))
}
