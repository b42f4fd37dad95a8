package journal

import (
	"io"
	"io/fs"
	"os"

	"github.com/dyndns/dyndns/plugin/aiosync"
)

// FS is the part of the file system the journal (and masterfile) use. It
// exists so tests can inject write and fsync failures; OS is the real one.
type FS interface {
	OpenFile(name string, flag int, perm fs.FileMode) (File, error)
	Rename(oldpath, newpath string) error
	Remove(name string) error
	// SyncDir fsyncs the directory dir, making creations, renames and
	// removals in it durable.
	SyncDir(dir string) error
}

// File is an open file of an FS. *os.File implements it.
//
// Writes use explicit offsets so that, after a failed write, the journal
// can truncate and rewrite at the last durable offset without depending on
// a file position left somewhere by the failed call.
type File interface {
	io.ReaderAt
	io.WriterAt
	io.Closer
	Stat() (fs.FileInfo, error)
	Sync() error
	Truncate(size int64) error
}

// OS is the FS backed by package os.
type OS struct{}

// OpenFile calls os.OpenFile. The file's Sync leaves the Go scheduler's
// thread to other goroutines while the disk works (see aiosync).
func (OS) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

// osFile is an *os.File whose Sync is aiosync.Sync.
type osFile struct{ *os.File }

func (f osFile) Sync() error { return aiosync.Sync(f.File) }

// Rename calls os.Rename.
func (OS) Rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }

// Remove calls os.Remove.
func (OS) Remove(name string) error { return os.Remove(name) }

// SyncDir opens dir and fsyncs it.
func (OS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
