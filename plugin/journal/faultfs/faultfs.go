// Package faultfs provides journal.FS implementations for tests: FS wraps
// another FS and injects write, fsync, rename and directory-fsync failures;
// Mem is an in-memory FS that can simulate a crash by forgetting whatever
// was not fsynced.
package faultfs

import (
	"io/fs"
	"sync"
	"time"

	"github.com/dyndns/dyndns/plugin/journal"
)

// FS wraps a journal.FS and fails operations on request. Faults apply to
// the files selected by Only (all files by default). Its methods are safe
// for concurrent use.
type FS struct {
	base journal.FS

	mu          sync.Mutex
	match       func(name string) bool
	writeBudget int64 // bytes writes may still store; <0 = unlimited
	writeErr    error
	syncBudget  int // fsyncs that may still succeed; <0 = unlimited
	syncErr     error
	syncDelay   time.Duration
	renameErr   error
	syncDirErr  error
}

// New wraps base (nil means journal.OS) with no faults armed.
func New(base journal.FS) *FS {
	if base == nil {
		base = journal.OS{}
	}
	return &FS{base: base, writeBudget: -1, syncBudget: -1}
}

// Only limits file faults (writes and fsyncs) to files whose name, as
// passed to OpenFile, satisfies match. nil means all files.
func (f *FS) Only(match func(name string) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.match = match
}

// FailWrites lets writes store n more bytes in total; the write that
// crosses the limit stores what fits and returns err, as a full disk
// does with ENOSPC, and later writes store nothing.
func (f *FS) FailWrites(n int64, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writeBudget, f.writeErr = n, err
}

// FailSyncs lets n more fsyncs succeed, then fails every fsync with err.
func (f *FS) FailSyncs(n int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.syncBudget, f.syncErr = n, err
}

// SlowSync makes every file fsync take at least d, like a slow disk.
func (f *FS) SlowSync(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.syncDelay = d
}

// FailRename makes Rename fail with err (nil to stop).
func (f *FS) FailRename(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.renameErr = err
}

// FailSyncDir makes SyncDir fail with err (nil to stop).
func (f *FS) FailSyncDir(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.syncDirErr = err
}

// Heal disarms every fault (SlowSync too).
func (f *FS) Heal() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writeBudget, f.writeErr = -1, nil
	f.syncBudget, f.syncErr = -1, nil
	f.syncDelay = 0
	f.renameErr, f.syncDirErr = nil, nil
}

// OpenFile opens name on the base FS.
func (f *FS) OpenFile(name string, flag int, perm fs.FileMode) (journal.File, error) {
	file, err := f.base.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &faultFile{File: file, fs: f, name: name}, nil
}

// Rename renames on the base FS unless a rename fault is armed.
func (f *FS) Rename(oldpath, newpath string) error {
	f.mu.Lock()
	err := f.renameErr
	f.mu.Unlock()
	if err != nil {
		return &fs.PathError{Op: "rename", Path: oldpath, Err: err}
	}
	return f.base.Rename(oldpath, newpath)
}

// Remove removes on the base FS.
func (f *FS) Remove(name string) error { return f.base.Remove(name) }

// SyncDir fsyncs dir on the base FS unless a directory fault is armed.
func (f *FS) SyncDir(dir string) error {
	f.mu.Lock()
	err := f.syncDirErr
	f.mu.Unlock()
	if err != nil {
		return &fs.PathError{Op: "sync", Path: dir, Err: err}
	}
	return f.base.SyncDir(dir)
}

func (f *FS) applies(name string) bool { return f.match == nil || f.match(name) }

type faultFile struct {
	journal.File
	fs   *FS
	name string
}

func (ff *faultFile) WriteAt(p []byte, off int64) (int, error) {
	f := ff.fs
	f.mu.Lock()
	if !f.applies(ff.name) || f.writeBudget < 0 || int64(len(p)) <= f.writeBudget {
		if f.writeBudget >= 0 && f.applies(ff.name) {
			f.writeBudget -= int64(len(p))
		}
		f.mu.Unlock()
		return ff.File.WriteAt(p, off)
	}
	n, err := f.writeBudget, f.writeErr
	f.writeBudget = 0
	f.mu.Unlock()
	if n > 0 {
		if m, werr := ff.File.WriteAt(p[:n], off); werr != nil {
			return m, werr
		}
	}
	return int(n), &fs.PathError{Op: "write", Path: ff.name, Err: err}
}

func (ff *faultFile) Sync() error {
	f := ff.fs
	f.mu.Lock()
	delay, err := f.syncDelay, error(nil)
	if f.applies(ff.name) && f.syncBudget >= 0 {
		if f.syncBudget == 0 {
			err = f.syncErr
		} else {
			f.syncBudget--
		}
	}
	f.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}
	if err != nil {
		return &fs.PathError{Op: "sync", Path: ff.name, Err: err}
	}
	return ff.File.Sync()
}
