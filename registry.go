package dyndns

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/dyndns/dyndns/plugin/derive"
	"github.com/dyndns/dyndns/plugin/durable"
)

// Zones outlive server instances. With the reload plugin the new instance is
// set up before the old one shuts down, and both must use the same store
// (one journal, one writer) per zone, or an update acknowledged by one
// would be missing from the other. Stores are therefore shared, counted,
// and closed (final snapshot) when the last instance lets go.
var registry = struct {
	sync.Mutex
	stores map[storeKey]*sharedStore
	locks  map[string]*dirLock
}{stores: map[storeKey]*sharedStore{}, locks: map[string]*dirLock{}}

type storeKey struct{ dir, origin string }

type sharedStore struct {
	store *durable.Store
	refs  int
	rules string // the derive rules the zone was derived with
}

// dirLock keeps other processes out of a directory while this one uses it.
type dirLock struct {
	f    *os.File
	refs int
}

// acquire returns the store of origin in dir, opening it on first use.
func acquire(dir, origin string, rules *derive.Rules, opts durable.Options) (*durable.Store, error) {
	registry.Lock()
	defer registry.Unlock()
	k := storeKey{dir, origin}
	if s := registry.stores[k]; s != nil {
		if s.rules != rules.String() { // a reload changed the rules: derive again
			if err := s.store.Zone.SetDeriver(rules); err != nil {
				return nil, err
			}
			s.rules = rules.String()
		}
		s.refs++
		return s.store, nil
	}
	if dir != "" {
		if err := lockDir(dir); err != nil {
			return nil, err
		}
	}
	opts.Dir = dir
	s, err := durable.Open(origin, rules, opts)
	if err != nil {
		if dir != "" {
			unlockDir(dir)
		}
		return nil, err
	}
	registry.stores[k] = &sharedStore{store: s, refs: 1, rules: rules.String()}
	return s, nil
}

// release lets go of a store; the last user closes it.
func release(dir, origin string) error {
	registry.Lock()
	defer registry.Unlock()
	k := storeKey{dir, origin}
	s := registry.stores[k]
	if s == nil {
		return nil
	}
	if s.refs--; s.refs > 0 {
		return nil
	}
	delete(registry.stores, k)
	err := s.store.Close()
	if dir != "" {
		unlockDir(dir)
	}
	return err
}

// lockDir takes an exclusive flock on DIR/.dyndns.lock: two processes
// writing one journal would corrupt it. Called with the registry locked.
func lockDir(dir string) error {
	if l := registry.locks[dir]; l != nil {
		l.refs++
		return nil
	}
	f, err := os.OpenFile(filepath.Join(dir, ".dyndns.lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("directory %s is in use by another process", dir)
		}
		return err
	}
	registry.locks[dir] = &dirLock{f: f, refs: 1}
	return nil
}

func unlockDir(dir string) {
	l := registry.locks[dir]
	if l == nil {
		return
	}
	if l.refs--; l.refs == 0 {
		l.f.Close() // closing drops the flock
		delete(registry.locks, dir)
	}
}
