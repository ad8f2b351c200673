package manager

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/capsuled/capsuled/internal/executor"
	"github.com/capsuled/capsuled/internal/fstree"
	"github.com/capsuled/capsuled/internal/unit"
)

// nobody owns ID-mapped directories on disk; the mount shows them as the
// current dynamic UID.
const nobody = 65534

// private reports whether directories of kind d live below "private/"
// (DynamicUser=yes for state, cache and logs), where a 0700 parent keeps
// files of released UIDs out of reach.
func (m *Manager) private(u *Unit, d dirType) bool {
	return u.svc.DynamicUser && m.cfg.Mode == System && (d == dirState || d == dirCache || d == dirLogs)
}

// suggestedPaths are the directories whose owner is the first UID tried,
// so a restarted capsule keeps its UID and needs no chown.
func (m *Manager) suggestedPaths(u *Unit) []string {
	var out []string
	for _, d := range dirTypes {
		for _, p := range u.svc.Dirs[d] {
			root := m.cfg.Roots[d]
			if m.private(u, d) {
				root = filepath.Join(root, "private")
			}
			out = append(out, filepath.Join(root, p))
		}
	}
	return out
}

// setupDirs creates the exec directories of an invocation and records the
// binds and environment variables that go with them.
func (m *Manager) setupDirs(u *Unit, rs *runState) error {
	if m.cfg.Mode == User {
		return m.setupUserDirs(u, rs)
	}
	for _, d := range dirTypes {
		var paths []string
		for _, p := range u.svc.Dirs[d] {
			root := m.cfg.Roots[d]
			public := filepath.Join(root, p)
			paths = append(paths, public)
			if err := mkdirParents(root, p); err != nil {
				return err
			}
			if d == dirRuntime && u.svc.DynamicUser {
				if err := mountRuntimeDir(public, rs.uid, rs.gid, m.tmpfsSize(u)); err != nil {
					return err
				}
				// 0700 unless the unit asks for another mode.
				if _, set := u.svc.DirModes[d]; set {
					if err := chmodDir(public, u.svc.DirMode(d)); err != nil {
						return err
					}
				}
				rs.runtime = append(rs.runtime, public)
				rs.binds = append(rs.binds, executor.Bind{Source: public, Target: public, NoSuid: true, NoDev: true})
				continue
			}
			if !m.private(u, d) {
				if err := os.Mkdir(public, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
					return fmt.Errorf("create %s: %w", public, err)
				}
				if err := os.Lchown(public, rs.uid, rs.gid); err != nil {
					return fmt.Errorf("chown %s: %w", public, err)
				}
				if err := chmodDir(public, u.svc.DirMode(d)); err != nil {
					return err
				}
				if d == dirRuntime {
					rs.runtime = append(rs.runtime, public)
				}
				rs.binds = append(rs.binds, executor.Bind{Source: public, Target: public,
					NoSuid: u.svc.DynamicUser, NoDev: true})
				continue
			}
			priv, err := m.setupPrivateDir(root, p, rs)
			if err != nil {
				return err
			}
			if err := chmodDir(priv, u.svc.DirMode(d)); err != nil {
				return err
			}
			b := executor.Bind{Source: priv, Target: priv, NoSuid: true, NoDev: true}
			if m.idmapped(root) && rs.uid != 0 {
				b.IDMap = &executor.IDMap{From: nobody, To: uint32(rs.uid)}
			}
			rs.binds = append(rs.binds, b)
		}
		if len(paths) > 0 {
			rs.dirEnv = append(rs.dirEnv, dirEnvName(d)+"="+strings.Join(paths, ":"))
		}
	}
	return nil
}

// dirEnvName is the variable that tells a process where its directories are.
func dirEnvName(d dirType) string { return strings.ToUpper(string(d)) + "_DIRECTORY" }

// setupUserDirs handles exec directories of units in a capsule manager:
// they live below the capsule's own home and runtime directory.
func (m *Manager) setupUserDirs(u *Unit, rs *runState) error {
	roots := m.userDirRoots(u)
	for _, d := range dirTypes {
		var paths []string
		for _, p := range u.svc.Dirs[d] {
			full := filepath.Join(roots[d], p)
			if err := os.MkdirAll(full, 0o755); err != nil {
				return fmt.Errorf("create %s: %w", full, err)
			}
			if err := chmodDir(full, u.svc.DirMode(d)); err != nil {
				return err
			}
			if d == dirRuntime {
				rs.runtime = append(rs.runtime, full)
			}
			paths = append(paths, full)
		}
		if len(paths) > 0 {
			rs.dirEnv = append(rs.dirEnv, dirEnvName(d)+"="+strings.Join(paths, ":"))
		}
	}
	return nil
}

// userDirRoots are the roots of a capsule unit's exec directories: its
// runtime directory and the XDG directories of the capsule's home.
func (m *Manager) userDirRoots(u *Unit) map[dirType]string {
	n, _ := unit.ParseName(u.name)
	sp := m.specifiers(n)
	return map[dirType]string{dirRuntime: sp.RuntimeDir, dirState: sp.StateDir, dirCache: sp.CacheDir,
		dirLogs: sp.LogsDir, dirConfig: sp.ConfigDir}
}

// cleanPaths are the places a directory p of kind d of u may be: for a
// capsule's unit below its home (where setupUserDirs made it), for a
// system unit the public path and, for a dynamic user, its private twin.
func (m *Manager) cleanPaths(u *Unit, d dirType, p string) []string {
	if m.cfg.Mode == User {
		return []string{filepath.Join(m.userDirRoots(u)[d], p)}
	}
	root := m.cfg.Roots[d]
	return []string{filepath.Join(root, p), filepath.Join(root, "private", p)}
}

// setupPrivateDir prepares root/private/p and the symlink root/p pointing
// to it, and gives the tree to the invocation's UID.
func (m *Manager) setupPrivateDir(root, p string, rs *runState) (string, error) {
	privRoot := filepath.Join(root, "private")
	if err := os.Mkdir(privRoot, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("create %s: %w", privRoot, err)
	}
	fi, err := os.Lstat(privRoot)
	if err != nil {
		return "", err
	}
	st := fi.Sys().(*syscall.Stat_t)
	if !fi.IsDir() {
		return "", fmt.Errorf("%s is not a directory; remove it so it can be created with mode 0700", privRoot)
	}
	if fi.Mode().Perm()&^0o700 != 0 {
		return "", fmt.Errorf("directory %s has mode %04o, which is too permissive (0700 is needed): run chmod 0700 %s",
			privRoot, fi.Mode().Perm(), privRoot)
	}
	if st.Uid != 0 || st.Gid != 0 {
		return "", fmt.Errorf("directory %s is owned by %d:%d, not root: run chown root:root %s", privRoot, st.Uid, st.Gid, privRoot)
	}
	if err := mkdirParents(privRoot, p); err != nil {
		return "", err
	}
	priv := filepath.Join(privRoot, p)
	public := filepath.Join(root, p)
	created := false
	if _, err := os.Lstat(priv); errors.Is(err, fs.ErrNotExist) {
		// A plain directory from a time without DynamicUser= moves in.
		if pfi, err := os.Lstat(public); err == nil && pfi.IsDir() {
			if err := os.Rename(public, priv); err != nil {
				return "", fmt.Errorf("move %s to %s: %w", public, priv, err)
			}
		} else {
			if err := os.Mkdir(priv, 0o755); err != nil {
				return "", fmt.Errorf("create %s: %w", priv, err)
			}
			created = true
		}
	}
	rel, err := filepath.Rel(filepath.Dir(public), priv)
	if err != nil {
		return "", err
	}
	if target, err := os.Readlink(public); err != nil || target != rel {
		os.Remove(public)
		if err := os.Symlink(rel, public); err != nil {
			return "", fmt.Errorf("link %s: %w", public, err)
		}
	}
	if err := os.Chmod(priv, 0o755); err != nil {
		return "", err
	}
	owner := rs.uid
	if m.idmapped(root) && rs.uid != 0 {
		owner = nobody
	}
	fi, err = os.Lstat(priv)
	if err != nil {
		return "", err
	}
	if cur := int(fi.Sys().(*syscall.Stat_t).Uid); created || cur != owner {
		if err := fstree.Chown(priv, owner, owner); err != nil {
			return "", fmt.Errorf("give %s to UID %d: %w", priv, owner, err)
		}
	}
	return priv, nil
}

// idmapped reports (once per root) whether ID-mapped mounts work there.
func (m *Manager) idmapped(root string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.idmapCache == nil {
		m.idmapCache = map[string]bool{}
	}
	v, ok := m.idmapCache[root]
	if !ok {
		v = executor.IDMapSupported(root)
		m.idmapCache[root] = v
	}
	return v
}

// mkdirParents creates the parents of root/p with mode 0755.
func mkdirParents(root, p string) error {
	parent := filepath.Dir(filepath.Join(root, p))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", parent, err)
	}
	return nil
}

// sandbox returns the mount plan of a system-mode service, nil if it needs
// none.
func (m *Manager) sandbox(u *Unit, rs *runState) *executor.MountPlan {
	svc := u.svc
	if m.cfg.Mode != System {
		return nil
	}
	if len(svc.MountSettings()) == 0 && !svc.ProtectHostname && !svc.DynamicUser && svc.ProtectProc == "" {
		return nil
	}
	p := &executor.MountPlan{Staging: filepath.Join(m.cfg.RuntimeDir, "root")}
	p.ProcHidePID = svc.ProtectProc
	roBind := func(path string) {
		if _, err := os.Stat(path); err == nil {
			p.Binds = append(p.Binds, executor.Bind{Source: path, Target: path, ReadOnly: true})
		}
	}
	switch svc.ProtectSystem {
	case "strict":
		p.ReadOnly = true
	case "yes", "true":
		roBind("/usr")
		roBind("/boot")
		roBind("/efi")
	case "full":
		roBind("/usr")
		roBind("/boot")
		roBind("/efi")
		roBind("/etc")
	}
	switch svc.ProtectHome {
	case "read-only":
		if !p.ReadOnly {
			roBind("/home")
			roBind("/root")
			roBind("/run/user")
		}
	case "yes", "true", "tmpfs":
		for _, d := range []string{"/home", "/root", "/run/user"} {
			if _, err := os.Stat(d); err == nil {
				p.Tmpfs = append(p.Tmpfs, executor.Tmpfs{Path: d, Mode: 0o755})
			}
		}
	}
	if svc.PrivateTmp {
		size := m.tmpfsSize(u)
		for _, d := range []string{"/tmp", "/var/tmp", "/dev/shm"} {
			p.Tmpfs = append(p.Tmpfs, executor.Tmpfs{Path: d, Mode: 0o1777, Size: size, Inodes: tmpfsInodes(size)})
		}
	}
	// Cover each "private" root and each parent of a dynamic user's runtime
	// directory with an empty tmpfs, so only this unit's own directories
	// show through: other capsules' homes and runtime dirs stay invisible.
	covers := map[string]*executor.Tmpfs{}
	var order []string
	for _, b := range rs.binds {
		var cover string
		for _, d := range []dirType{dirState, dirCache, dirLogs} {
			privRoot := filepath.Join(m.cfg.Roots[d], "private")
			if strings.HasPrefix(b.Source, privRoot+"/") {
				cover = privRoot
			}
		}
		runRoot := m.cfg.Roots[dirRuntime]
		if cover == "" && svc.DynamicUser && strings.HasPrefix(b.Source, runRoot+"/") && filepath.Dir(b.Source) != runRoot {
			cover = filepath.Dir(b.Source)
		}
		if cover == "" {
			continue
		}
		t, ok := covers[cover]
		if !ok {
			t = &executor.Tmpfs{Path: cover, Mode: 0o755}
			covers[cover] = t
			order = append(order, cover)
		}
		rel, _ := filepath.Rel(cover, b.Target)
		t.Dirs = append(t.Dirs, rel)
	}
	for _, c := range order {
		p.Tmpfs = append(p.Tmpfs, *covers[c])
	}
	m.sandboxPaths(u, p)
	if rs.notify != nil {
		// The unit's own notify socket takes the shared one's place; the
		// rest of the manager's runtime directory is hidden.
		p.Tmpfs = append(p.Tmpfs, executor.Tmpfs{Path: m.cfg.RuntimeDir, Mode: 0o755, Files: []string{"notify"}, Size: 1 << 20})
		p.Binds = append(p.Binds, executor.Bind{Source: rs.notify.path, Target: filepath.Join(m.cfg.RuntimeDir, "notify"),
			NoSuid: true, NoDev: true, NoExec: true})
	}
	p.Binds = append(p.Binds, rs.binds...)
	if svc.Delegate {
		// The delegated subtree stays writable so the unit can manage it.
		cg := m.cfg.Cgroups.Path(rs.cgroup)
		p.Binds = append(p.Binds, executor.Bind{Source: cg, Target: cg, NoSuid: true, NoDev: true, NoExec: true})
	}
	return p
}

// Clean removes the exec directories of kinds what (runtime, state, cache,
// logs, configuration, all) of an inactive unit.
func (m *Manager) Clean(ctx context.Context, name string, what []string) ([]string, error) {
	u, err := m.load(name)
	if err != nil {
		return nil, err
	}
	if u.svc == nil && !timerCleanable(u) {
		return nil, fmt.Errorf("%w: unit %s does not support cleaning", errInvalid, name)
	}
	kinds := map[dirType]bool{}
	if len(what) == 0 {
		what = []string{"cache", "runtime", "fdstore"}
	}
	for _, w := range what {
		switch w {
		case "all":
			for _, d := range dirTypes {
				kinds[d] = true
			}
		case "fdstore":
		case "runtime", "state", "cache", "logs", "configuration":
			kinds[dirType(w)] = true
		default:
			return nil, fmt.Errorf("%w: invalid resource type %q (use runtime, state, cache, logs, configuration, fdstore or all)", errInvalid, w)
		}
	}
	done, err := m.beginJob(ctx, u, false)
	if err != nil {
		return nil, err
	}
	if done != nil {
		m.endJob(u, done)
		return nil, fmt.Errorf("%w: unit %s is not inactive or has a pending job: stop it first", errBusy, name)
	}
	m.mu.Lock()
	if u.job != nil || (u.active != stateInactive && u.active != stateFailed) {
		m.mu.Unlock()
		return nil, fmt.Errorf("%w: unit %s is not inactive or has a pending job: stop it first", errBusy, name)
	}
	ch := make(chan struct{})
	u.job = ch
	m.jobs++
	prev, prevSub := u.active, u.sub
	u.setState(stateMaintenance, subCleaning)
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		u.setState(prev, prevSub)
		m.mu.Unlock()
		m.endJob(u, ch)
	}()
	if u.svc == nil {
		return m.cleanTimerStamp(u, kinds[dirState])
	}
	var removed []string
	configured := false
	var errs []error
	for _, d := range dirTypes {
		if !kinds[d] {
			continue
		}
		for _, p := range u.svc.Dirs[d] {
			configured = true
			for _, path := range m.cleanPaths(u, d, p) {
				if _, err := os.Lstat(path); err != nil {
					continue
				}
				// The tree is the unit's: bounded descriptors and
				// short errors whatever shape it was given.
				if err := fstree.RemoveAll(path); err != nil {
					errs = append(errs, err)
					continue
				}
				removed = append(removed, path)
			}
		}
	}
	if kinds[dirLogs] {
		// What the unit wrote also sits in this manager's memory (for a
		// capsule: everything its manager and units printed). Logs of a
		// unit include that, so nothing the unit wrote outlives the clean.
		m.mu.Lock()
		u.statusText = ""
		m.mu.Unlock()
		n := u.log.Clear()
		configured = true
		m.logf(nil, "%s: Removed %d stored log lines.", name, n)
	}
	if !configured {
		return nil, fmt.Errorf("%w: no matching resources found for %s", errNothing, name)
	}
	if len(errs) > 0 {
		return removed, fmt.Errorf("clean %s: %w", name, errors.Join(errs...))
	}
	for _, p := range removed {
		m.logf(u, "%s: Removed %s.", name, p)
	}
	return removed, nil
}

var errNothing = errors.New("nothing to clean")
