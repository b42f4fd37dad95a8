package dyndns

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/dyndns/dyndns/plugin/derive"
	"github.com/dyndns/dyndns/plugin/durable"
)

// Zones outlive server instances. With the reload plugin the new instance is
// set up before the old one shuts down, and both must use the same store
// (one journal, one writer) per zone, or an update acknowledged by one
// would be missing from the other. Stores are therefore shared, owned by the
// instances (generations) whose blocks use them, and closed (final
// snapshot) when the last owner lets go.
//
// A reload that fails after some blocks were set up leaves owners that
// never start; the running instance drops them (dropNewer) and puts back
// its own settings, so a failed reload changes nothing.
var registry = struct {
	sync.Mutex
	stores map[storeKey]*sharedStore
	locks  map[string]*dirLock
}{stores: map[storeKey]*sharedStore{}, locks: map[string]*dirLock{}}

// generations numbers caddy instances in the order they are set up.
var generations atomic.Uint64

type storeKey struct{ dir, origin string }

type sharedStore struct {
	store    *durable.Store
	owners   map[uint64]int // generation → blocks of it holding the store
	settings storeSettings  // what the zone runs with now
}

// storeSettings are the parts of a block's configuration that live in the
// shared store, so a reload that changes them must apply them.
type storeSettings struct {
	rules            string // derive rules, canonical text
	snapshotInterval time.Duration
	snapshotSize     int64
	queueLimit       int
	ixfrHistory      int
}

// dirLock keeps other processes out of a directory while this one uses it.
type dirLock struct {
	f    *os.File
	refs int
}

// acquire returns the store of origin in dir for generation gen, opening it
// on first use with the given settings. A store that is already open keeps
// its settings: apply changes them once the new instance starts.
func acquire(gen uint64, dir, origin string, rules *derive.Rules, set storeSettings, opts durable.Options) (*durable.Store, error) {
	registry.Lock()
	defer registry.Unlock()
	k := storeKey{dir, origin}
	if s := registry.stores[k]; s != nil {
		s.owners[gen]++
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
	s.Zone.SetQueueLimit(set.queueLimit)
	registry.stores[k] = &sharedStore{store: s, owners: map[uint64]int{gen: 1}, settings: set}
	return s, nil
}

// apply brings the store of origin in dir to the settings of a block that
// starts (or, after a failed reload, of the one that keeps running), and
// makes it report expired leases to that block. Only what changed is done:
// new derive rules cost a walk of the zone.
func apply(dir, origin string, rules *derive.Rules, set storeSettings, expired durable.Expired) error {
	registry.Lock()
	defer registry.Unlock()
	s := registry.stores[storeKey{dir, origin}]
	if s == nil {
		return nil
	}
	s.store.SetExpired(expired) // the instance that starts reports expiries from now on
	if s.settings == set {
		return nil
	}
	if s.settings.rules != set.rules {
		if err := s.store.Zone.SetDeriver(rules); err != nil {
			return err
		}
	}
	s.store.SetSnapshotPolicy(set.snapshotInterval, set.snapshotSize)
	s.store.Zone.SetQueueLimit(set.queueLimit)
	s.store.SetHistory(set.ixfrHistory)
	s.settings = set
	return nil
}

// release lets go of generation gen's hold on a store; the last owner
// closes it.
func release(gen uint64, dir, origin string) error {
	registry.Lock()
	defer registry.Unlock()
	k := storeKey{dir, origin}
	s := registry.stores[k]
	if s == nil || s.owners[gen] == 0 {
		return nil
	}
	if s.owners[gen]--; s.owners[gen] == 0 {
		delete(s.owners, gen)
	}
	return closeUnowned(k, s)
}

// dropNewer removes every hold of generations after gen: they belong to a
// reload that failed and will never shut down.
func dropNewer(gen uint64) error {
	registry.Lock()
	defer registry.Unlock()
	var errs []error
	for k, s := range registry.stores {
		for g := range s.owners {
			if g > gen {
				delete(s.owners, g)
			}
		}
		errs = append(errs, closeUnowned(k, s))
	}
	return errors.Join(errs...)
}

// closeUnowned closes s when nobody holds it. Called with the registry locked.
func closeUnowned(k storeKey, s *sharedStore) error {
	if len(s.owners) > 0 {
		return nil
	}
	delete(registry.stores, k)
	err := s.store.Close()
	if k.dir != "" {
		unlockDir(k.dir)
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
