package faultfs

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/dyndns/dyndns/plugin/journal"
)

// Mem is an in-memory journal.FS that models what survives a crash: file
// contents as of their last fsync, and directory entries as of their
// directory's last fsync. It is fast enough for fuzzing.
type Mem struct {
	mu      sync.Mutex
	names   map[string]*node // current directory entries
	durable map[string]*node // entries as of each directory's last fsync
	crashes int              // Crash calls so far
}

type node struct {
	data   []byte
	synced []byte
}

// NewMem returns an empty Mem.
func NewMem() *Mem {
	return &Mem{names: map[string]*node{}, durable: map[string]*node{}}
}

// Crash forgets everything not made durable: unsynced file data, and
// directory entries created, renamed or removed since their directory's
// last fsync. The process that had the files open is gone with it: every
// read, write, truncate or fsync of a file opened before the crash fails
// (an fsync already under way when the crash comes can no longer make
// anything durable), and Close works. Tests reopen.
func (m *Mem) Crash() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.crashes++
	m.names = map[string]*node{}
	for name, n := range m.durable {
		n.data = append([]byte(nil), n.synced...)
		m.names[name] = n
	}
}

// ReadFile returns the current contents of name.
func (m *Mem) ReadFile(name string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, ok := m.names[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return append([]byte(nil), n.data...), nil
}

// WriteFile sets the contents of name, durably, as if it had been there
// before the test began.
func (m *Mem) WriteFile(name string, data []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := &node{data: append([]byte(nil), data...), synced: append([]byte(nil), data...)}
	m.names[name] = n
	m.durable[name] = n
}

// Names returns the current directory entries.
func (m *Mem) Names() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for name := range m.names {
		out = append(out, name)
	}
	return out
}

// OpenFile supports O_RDONLY, O_RDWR, O_WRONLY, O_CREATE, O_EXCL and O_TRUNC.
func (m *Mem) OpenFile(name string, flag int, perm fs.FileMode) (journal.File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, ok := m.names[name]
	switch {
	case ok && flag&(os.O_CREATE|os.O_EXCL) == os.O_CREATE|os.O_EXCL:
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrExist}
	case !ok && flag&os.O_CREATE == 0:
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	case !ok:
		n = &node{}
		m.names[name] = n
	}
	if flag&os.O_TRUNC != 0 {
		n.data = n.data[:0]
	}
	return &memFile{m: m, n: n, name: name, gen: m.crashes}, nil
}

// Rename moves oldpath's entry to newpath, replacing any file there.
func (m *Mem) Rename(oldpath, newpath string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, ok := m.names[oldpath]
	if !ok {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: fs.ErrNotExist}
	}
	delete(m.names, oldpath)
	m.names[newpath] = n
	return nil
}

// Remove deletes name's entry.
func (m *Mem) Remove(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.names[name]; !ok {
		return &fs.PathError{Op: "remove", Path: name, Err: fs.ErrNotExist}
	}
	delete(m.names, name)
	return nil
}

// SyncDir makes the current entries of dir durable.
func (m *Mem) SyncDir(dir string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	dir = filepath.Clean(dir)
	for name := range m.durable {
		if filepath.Dir(name) == dir {
			delete(m.durable, name)
		}
	}
	for name, n := range m.names {
		if filepath.Dir(name) == dir {
			m.durable[name] = n
		}
	}
	return nil
}

type memFile struct {
	m      *Mem
	n      *node
	name   string
	closed bool
	gen    int // m.crashes when opened
}

// usable reports why f cannot be used (nil: it can). Called with m.mu held.
func (f *memFile) usable() error {
	switch {
	case f.closed:
		return fs.ErrClosed
	case f.gen != f.m.crashes:
		return errCrashed
	}
	return nil
}

// errCrashed is the error of a file opened before a crash.
var errCrashed = errors.New("faultfs: file opened before the crash")

func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.usable(); err != nil {
		return 0, err
	}
	if off >= int64(len(f.n.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.n.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *memFile) WriteAt(p []byte, off int64) (int, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.usable(); err != nil {
		return 0, err
	}
	if end := off + int64(len(p)); end > int64(len(f.n.data)) {
		f.n.data = append(f.n.data, make([]byte, end-int64(len(f.n.data)))...)
	}
	return copy(f.n.data[off:], p), nil
}

func (f *memFile) Truncate(size int64) error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.usable(); err != nil {
		return err
	}
	if size <= int64(len(f.n.data)) {
		f.n.data = f.n.data[:size]
	} else {
		f.n.data = append(f.n.data, make([]byte, size-int64(len(f.n.data)))...)
	}
	return nil
}

func (f *memFile) Sync() error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.usable(); err != nil {
		return err
	}
	f.n.synced = append(f.n.synced[:0], f.n.data...)
	return nil
}

func (f *memFile) Stat() (fs.FileInfo, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	return memInfo{name: filepath.Base(f.name), size: int64(len(f.n.data))}, nil
}

func (f *memFile) Close() error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed {
		return fs.ErrClosed
	}
	f.closed = true
	return nil
}

type memInfo struct {
	name string
	size int64
}

func (i memInfo) Name() string       { return i.name }
func (i memInfo) Size() int64        { return i.size }
func (i memInfo) Mode() fs.FileMode  { return 0o644 }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return false }
func (i memInfo) Sys() any           { return nil }
