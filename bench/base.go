package main

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// baseBuild is the build the current one is compared with.
type baseBuild struct {
	label   string // the revision's short hash, or the directory
	bin     string // directory holding its capsuled and capsulectl
	cleanup func() error
}

// prepareBase returns the binaries of spec: a directory holding capsuled
// and capsulectl is taken as it is; anything else is a git revision of the
// repository in the working directory, exported into a temporary
// directory and built there the way "make build" builds (static, without
// cgo), so the repository and its worktrees stay untouched.
func prepareBase(ctx context.Context, spec string, progress io.Writer) (baseBuild, error) {
	if fi, err := os.Stat(spec); err == nil && fi.IsDir() {
		dir, err := filepath.Abs(spec)
		if err != nil {
			return baseBuild{}, fmt.Errorf("resolve -base %s: %w", spec, err)
		}
		for _, exe := range []string{"capsuled", "capsulectl"} {
			if _, err := os.Stat(filepath.Join(dir, exe)); err != nil {
				return baseBuild{}, fmt.Errorf("-base %s: %w", spec, err)
			}
		}
		return baseBuild{label: dir, bin: dir, cleanup: func() error { return nil }}, nil
	}
	rev, err := output(ctx, "", nil, "git", "rev-parse", "--verify", "--quiet", spec+"^{commit}")
	if err != nil {
		return baseBuild{}, fmt.Errorf("-base %s is neither a directory nor a git revision: %w", spec, err)
	}
	tmp, err := os.MkdirTemp("", "capsuled-bench-base-*")
	if err != nil {
		return baseBuild{}, fmt.Errorf("build base: %w", err)
	}
	b := baseBuild{label: rev[:12], bin: filepath.Join(tmp, "bin"), cleanup: func() error {
		if err := os.RemoveAll(tmp); err != nil {
			return fmt.Errorf("remove base build: %w", err)
		}
		return nil
	}}
	fmt.Fprintf(progress, "building base %s in %s\n", b.label, tmp)
	if err := buildRevision(ctx, rev, tmp); err != nil {
		return baseBuild{}, errors.Join(err, b.cleanup())
	}
	return b, nil
}

// buildRevision exports rev into dir/src and builds its commands into
// dir/bin.
func buildRevision(ctx context.Context, rev, dir string) error {
	src := filepath.Join(dir, "src")
	if err := os.Mkdir(src, 0o755); err != nil {
		return fmt.Errorf("build base: %w", err)
	}
	archive := exec.CommandContext(ctx, "git", "archive", "--format=tar", rev)
	untar := exec.CommandContext(ctx, "tar", "-x", "-C", src)
	pipe, err := archive.StdoutPipe()
	if err != nil {
		return fmt.Errorf("export %s: %w", rev, err)
	}
	untar.Stdin = pipe
	var stderr bytes.Buffer
	archive.Stderr, untar.Stderr = &stderr, &stderr
	if err := untar.Start(); err != nil {
		return fmt.Errorf("export %s: %w", rev, err)
	}
	aerr := archive.Run()
	if err := errors.Join(aerr, untar.Wait()); err != nil {
		return fmt.Errorf("export %s: %w: %s", rev, err, strings.TrimSpace(stderr.String()))
	}
	env := append(os.Environ(), "CGO_ENABLED=0")
	if _, err := output(ctx, src, env, "go", "build", "-o", filepath.Join(dir, "bin")+"/", "./cmd/..."); err != nil {
		return fmt.Errorf("build %s: %w", rev, err)
	}
	return nil
}

// output runs a command and returns its trimmed standard output.
func output(ctx context.Context, dir string, env []string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// checkSameLinking reports when one binary is linked dynamically and the
// other statically: every exec of capsuled (each capsule manager, each
// sandboxed unit) then pays dynamic loading on one side only.
func checkSameLinking(current, base string) error {
	c, err := isDynamic(current)
	if err != nil {
		return err
	}
	b, err := isDynamic(base)
	if err != nil {
		return err
	}
	if c != b {
		kind := map[bool]string{true: "dynamically", false: "statically"}
		return fmt.Errorf("%s is linked %s, %s %s (build both with make build)", current, kind[c], base, kind[b])
	}
	return nil
}

func isDynamic(path string) (bool, error) {
	f, err := elf.Open(path)
	if err != nil {
		return false, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return true, nil
		}
	}
	return false, nil
}
