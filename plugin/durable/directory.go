package durable

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/dyndns/dyndns/plugin/storage"
	"github.com/dyndns/dyndns/plugin/zone"
)

// Directory is the storage.Backend of zones kept in a directory, one zone
// file and one journal per zone; with Dir "", zones live in memory only.
type Directory struct {
	Dir  string
	lock *os.File
}

var _ storage.Backend = (*Directory)(nil)

// Key implements storage.Backend.
func (d *Directory) Key() string {
	if d.Dir == "" {
		return "memory"
	}
	return "directory " + d.Dir
}

// Start implements storage.Backend: it takes an exclusive flock on
// DIR/.dyndns.lock, since two processes writing one journal would corrupt it.
func (d *Directory) Start() error {
	if d.Dir == "" {
		return nil
	}
	f, err := os.OpenFile(filepath.Join(d.Dir, ".dyndns.lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("directory %s is in use by another process", d.Dir)
		}
		return err
	}
	d.lock = f
	return nil
}

// Open implements storage.Backend.
func (d *Directory) Open(origin string, dv zone.Deriver, o storage.Options) (storage.Store, error) {
	return Open(origin, dv, Options{Options: o, Dir: d.Dir})
}

// Stop implements storage.Backend: closing the file drops the flock.
func (d *Directory) Stop() error {
	if d.lock == nil {
		return nil
	}
	err := d.lock.Close()
	d.lock = nil
	return err
}
