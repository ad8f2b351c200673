package dynuser

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// serviceName identifies records written by this package in userdb.
const serviceName = "io.capsuled.DynamicUser"

// userRecord is the subset of the systemd JSON user record written for a
// dynamic user.
type userRecord struct {
	UserName      string `json:"userName"`
	UID           uint32 `json:"uid"`
	GID           uint32 `json:"gid"`
	RealName      string `json:"realName"`
	HomeDirectory string `json:"homeDirectory"`
	Shell         string `json:"shell"`
	Disposition   string `json:"disposition"`
	Locked        bool   `json:"locked"`
	Service       string `json:"service"`
}

// groupRecord is the matching JSON group record.
type groupRecord struct {
	GroupName   string `json:"groupName"`
	GID         uint32 `json:"gid"`
	Description string `json:"description"`
	Disposition string `json:"disposition"`
	Service     string `json:"service"`
}

// recordRef holds the fields read back from either record kind.
type recordRef struct {
	UserName  string  `json:"userName"`
	GroupName string  `json:"groupName"`
	UID       *uint32 `json:"uid"`
	GID       *uint32 `json:"gid"`
}

// Publish makes u resolvable through nss-systemd by writing JSON user and
// group records to the userdb directory, plus the UID-named symlinks used
// for lookups by number. Static users already resolve via passwd, so
// nothing is written for them.
func (a *Allocator) Publish(u *User, home string) error {
	if u == nil {
		return errors.New("publish: nil user")
	}
	if err := ValidUserName(u.Name); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	// passwd-style consumers cannot represent ':' or newlines in a field.
	if !filepath.IsAbs(home) || strings.ContainsAny(home, ":\n\x00") {
		return fmt.Errorf("publish %s: home directory %q must be an absolute path without ':' or newlines", u.Name, home)
	}
	c := a.config()
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.Static {
		return nil
	}
	if u.lock == nil {
		return fmt.Errorf("publish %s: user was released", u.Name)
	}
	if u.records != "" && u.records != c.userDB {
		return fmt.Errorf("publish %s: already published in %s", u.Name, u.records)
	}
	if err := os.MkdirAll(c.userDB, 0o755); err != nil {
		return fmt.Errorf("publish %s: %w", u.Name, err)
	}
	// Recorded before writing so that Release also cleans up a partial
	// publication.
	u.records = c.userDB

	group, err := encodeRecord(groupRecord{
		GroupName:   u.Name,
		GID:         u.UID,
		Description: "Dynamic Group",
		Disposition: "dynamic",
		Service:     serviceName,
	})
	if err != nil {
		return fmt.Errorf("publish %s: %w", u.Name, err)
	}
	user, err := encodeRecord(userRecord{
		UserName:      u.Name,
		UID:           u.UID,
		GID:           u.UID,
		RealName:      "Dynamic User",
		HomeDirectory: home,
		Shell:         "/usr/sbin/nologin",
		Disposition:   "dynamic",
		Locked:        true,
		Service:       serviceName,
	})
	if err != nil {
		return fmt.Errorf("publish %s: %w", u.Name, err)
	}
	id := strconv.FormatUint(uint64(u.UID), 10)
	// The group goes first so the user's primary group resolves as soon
	// as the user does; each symlink follows its target.
	steps := []func() error{
		func() error { return writeAtomic(c.userDB, u.Name+".group", group) },
		func() error { return symlinkAtomic(c.userDB, u.Name+".group", id+".group") },
		func() error { return writeAtomic(c.userDB, u.Name+".user", user) },
		func() error { return symlinkAtomic(c.userDB, u.Name+".user", id+".user") },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("publish %s: %w", u.Name, err)
		}
	}
	return nil
}

func encodeRecord(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	// Keep paths with & < > readable; the records are not embedded in HTML.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode record: %w", err)
	}
	return b.Bytes(), nil
}

// writeAtomic replaces dir/name so that readers see either the old or the
// new content. Temporary names do not end in .user or .group, so
// enumerations of the directory ignore them.
func writeAtomic(dir, name string, data []byte) error {
	f, err := os.CreateTemp(dir, "."+name+".tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// symlinkAtomic points dir/name at target, replacing whatever is there.
func symlinkAtomic(dir, target, name string) error {
	for range 10 {
		tmp := filepath.Join(dir, fmt.Sprintf(".%s.tmp%d", name, rand.Uint64()))
		err := os.Symlink(target, tmp)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err == nil {
			if err = os.Rename(tmp, filepath.Join(dir, name)); err != nil {
				os.Remove(tmp)
			}
		}
		if err != nil {
			return fmt.Errorf("symlink %s: %w", name, err)
		}
		return nil
	}
	return fmt.Errorf("symlink %s: no free temporary name", name)
}

// readRecord parses dir/file; ok is false if it does not exist.
func readRecord(dir, file string) (rec recordRef, ok bool, err error) {
	data, err := os.ReadFile(filepath.Join(dir, file))
	if errors.Is(err, fs.ErrNotExist) {
		return rec, false, nil
	}
	if err != nil {
		return rec, false, fmt.Errorf("read record: %w", err)
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		return rec, false, fmt.Errorf("parse record %s: %w", file, err)
	}
	return rec, true, nil
}

// recordIDs returns the ids named in the records of name.
func recordIDs(dir, name string) ([]uint32, error) {
	var ids []uint32
	var errs []error
	if rec, ok, err := readRecord(dir, name+".user"); err != nil {
		errs = append(errs, err)
	} else if ok && rec.UID != nil {
		ids = append(ids, *rec.UID)
	}
	if rec, ok, err := readRecord(dir, name+".group"); err != nil {
		errs = append(errs, err)
	} else if ok && rec.GID != nil && (len(ids) == 0 || ids[0] != *rec.GID) {
		ids = append(ids, *rec.GID)
	}
	return ids, errors.Join(errs...)
}

// removeRecords deletes the records of name with the given id. Files that
// by then describe a different id, or symlinks pointing elsewhere, belong to
// another allocation and are left alone.
func removeRecords(dir, name string, id uint32) error {
	sid := strconv.FormatUint(uint64(id), 10)
	var errs []error
	remove := func(p string) {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove record: %w", err))
		}
	}
	for _, ext := range []string{".user", ".group"} {
		link := filepath.Join(dir, sid+ext)
		if target, err := os.Readlink(link); err == nil && target == name+ext {
			remove(link)
		}
		rec, ok, err := readRecord(dir, name+ext)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		recID := rec.UID
		if ext == ".group" {
			recID = rec.GID
		}
		if ok && recID != nil && *recID == id {
			remove(filepath.Join(dir, name+ext))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove records of %s: %w", name, err)
	}
	return nil
}

// Lookup resolves a user name to its UID the way clients see it: passwd
// first, then the userdb record.
func (a *Allocator) Lookup(name string) (uid uint32, ok bool) {
	if ValidUserName(name) != nil {
		return 0, false
	}
	c := a.config()
	if uid, ok, err := lookupEtcName(filepath.Join(c.etc, "passwd"), name); err == nil && ok {
		return uid, true
	}
	rec, ok, err := readRecord(c.userDB, name+".user")
	if err != nil || !ok || rec.UserName != name || rec.UID == nil {
		return 0, false
	}
	return *rec.UID, true
}
