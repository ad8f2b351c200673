package cli

import (
	"flag"
	"strings"
)

// parseFlags parses args with fs and words what getopt would refuse as
// systemctl 257 does ("unrecognized option '--X'", exit status 1), where
// Go's flag package would say "flag provided but not defined".
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if err == nil {
		return nil
	}
	name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -")
	if !ok {
		return fail(exitUsage, "%v", err)
	}
	opt := "-" + name
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "--"+name || strings.HasPrefix(a, "--"+name+"=") {
			opt = "--" + name
			break
		}
	}
	if len(opt) == 2 {
		return fail(exitFailure, "capsulectl: invalid option -- '%s'\nSee 'capsulectl --help' for the options capsulectl knows.", name)
	}
	return fail(exitFailure, "capsulectl: unrecognized option '%s'\nSee 'capsulectl --help' for the options capsulectl knows.", opt)
}

// noUserManager refuses --user: capsulectl speaks to the system manager
// or, with -C, to one capsule's manager; there is no per-login one.
func (o *options) noUserManager() error {
	if !o.user {
		return nil
	}
	return fail(exitFailure, "capsulectl has no --user: it talks to capsuled's system manager, or with -C NAME (--capsule=NAME) to the manager of capsule NAME, as systemctl --capsule=NAME does.")
}
