package durable

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dyndns/dyndns/plugin/journal"
	"github.com/dyndns/dyndns/plugin/masterfile"
	"github.com/dyndns/dyndns/plugin/pollgate"
	"github.com/dyndns/dyndns/plugin/storage"
	"github.com/dyndns/dyndns/plugin/zone"
	"github.com/miekg/dns"
)

// Options configure a Store: what every store takes (storage.Options, where
// SnapshotSize is the journal size that triggers a snapshot), and where.
type Options struct {
	storage.Options
	// Dir holds db.<zone> and its journal; "" keeps the zone in memory only.
	Dir string
	// FS is the file system (nil: the real one); tests inject faults with it.
	FS journal.FS
}

// The defaults write a busy zone back about as often as BIND does (within
// 15 minutes), and bound the journal so cold starts replay little.
const (
	DefaultSnapshotInterval    = 15 * time.Minute
	DefaultSnapshotJournalSize = 16 << 20
)

// Store is one zone kept on disk.
type Store struct {
	zone *zone.Zone

	opts    Options
	path    string
	journal *journal.Journal // nil in memory

	snapMu              sync.Mutex    // one snapshot at a time
	snapLSN             atomic.Uint64 // journal LSN the zone file covers
	kick                chan struct{} // asks the snapshot loop for a snapshot now
	every               atomic.Int64  // snapshot interval, nanoseconds
	maxSize             atomic.Int64  // journal size that triggers a snapshot
	retime              chan struct{} // tells the snapshot loop that every changed
	storage.ExpiredHook               // SetExpired
	history             atomic.Int64  // journal entries kept across snapshots, for IXFR
	sizeSnap            atomic.Int64  // journal size after the last snapshot
	stop                chan struct{}
	loops               sync.WaitGroup
	closeErr            error
	once                sync.Once
}

// Open loads origin's zone from opts.Dir (zone file, then journal) and makes
// every later commit durable.
func Open(origin string, d zone.Deriver, opts Options) (*Store, error) {
	s := &Store{zone: zone.New(origin, d), opts: opts, kick: make(chan struct{}, 1), retime: make(chan struct{}, 1),
		stop: make(chan struct{})}
	s.SetSnapshotPolicy(opts.SnapshotInterval, opts.SnapshotSize)
	if opts.Dir != "" {
		s.path = ZoneFile(opts.Dir, origin)
		j, err := journal.Open(JournalFile(opts.Dir, origin), journal.Options{Warnf: s.opts.Warn, FS: opts.FS})
		if err != nil {
			return nil, err
		}
		s.journal = j
	}
	replayed := 0
	var fileLSN uint64
	var past []zone.Changeset // the journal's changesets, for the IXFR history
	s.zone.SetHistory(0)      // the load itself is no change a secondary can apply
	err := s.zone.Load(func(t *zone.Txn) error {
		var err error
		if fileLSN, err = load(t, s.path, opts.Apex); err != nil {
			return err
		}
		if s.journal == nil {
			return nil
		}
		replayed, err = replay(t, s.journal, fileLSN, func(c zone.Changeset) { past = append(past, c) })
		return err
	})
	if err == nil && s.journal != nil {
		err = s.continueFile(fileLSN)
	}
	if err != nil {
		if s.journal != nil {
			s.journal.Close()
		}
		return nil, fmt.Errorf("zone %s: %w", origin, err)
	}
	if replayed > 0 {
		s.opts.Log("zone %s: replayed %d journal entries up to serial %d", origin, replayed, s.zone.Current().Serial())
	}
	s.SetHistory(opts.History)
	s.zone.Remember(past...)
	if s.journal != nil {
		s.zone.SetLog(s)
	}
	// Leases that ran out while the server was down end before it answers.
	expired, _, err := s.zone.Expire(time.Now())
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("zone %s: expiring leases: %w", origin, err)
	}
	for _, rr := range expired {
		s.opts.Log("zone %s: lease of %s ran out while the server was down, deleted", origin, rr)
	}
	if s.journal != nil {
		s.loops.Add(1)
		go s.snapshotLoop()
	}
	s.loops.Go(func() { storage.RunExpiry(s.zone, s.stop, s.Report, s.opts.Warn) })
	return s, nil
}

// Zone is the zone the store keeps.
func (s *Store) Zone() *zone.Zone { return s.zone }

// continueFile makes the journal's LSNs continue those the zone file covers.
// A journal behind the file (removed, or left from before the file was
// restored) holds nothing the file lacks: it is emptied and made to count
// on from the file, so that later entries are never taken as covered.
func (s *Store) continueFile(fileLSN uint64) error {
	s.snapLSN.Store(fileLSN)
	last := s.journal.LastLSN()
	if last >= fileLSN {
		return nil
	}
	if err := s.journal.CompactThrough(last); err != nil {
		return err
	}
	return s.journal.Rebase(fileLSN)
}

// SetHistory implements storage.Store; the log keeps as many records
// behind a snapshot.
func (s *Store) SetHistory(n int) {
	n = storage.HistorySize(n)
	s.history.Store(int64(n))
	s.zone.SetHistory(n)
}

// Commit implements zone.Log: it appends the changesets to the journal and
// returns once they are all on stable storage, with one fsync, or with the
// error that kept every one of them out of the journal.
func (s *Store) Commit(cs []zone.Changeset) error {
	es := make([]journal.Entry, len(cs))
	for i, c := range cs {
		es[i] = storage.EntryOf(c)
	}
	// One Enqueue: the zone's batch is one journal batch, durable with one
	// fsync or not at all, so a failure never leaves part of it behind.
	t, err := s.journal.Enqueue(es...)
	if err == nil {
		err = s.journal.Wait(t)
	}
	if err != nil {
		return s.recover(err)
	}
	if s.journal.Size()-s.sizeSnap.Load() > s.maxSize.Load() {
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
	return nil
}

// SetSnapshotPolicy changes how often the zone is written back (interval,
// 0: DefaultSnapshotInterval) and the journal size that triggers a snapshot
// (journalSize, 0: DefaultSnapshotJournalSize). A reload calls it on a
// store that outlives the configuration that opened it.
func (s *Store) SetSnapshotPolicy(interval time.Duration, journalSize int64) {
	if interval <= 0 {
		interval = DefaultSnapshotInterval
	}
	if journalSize <= 0 {
		journalSize = DefaultSnapshotJournalSize
	}
	s.maxSize.Store(journalSize)
	if time.Duration(s.every.Swap(int64(interval))) != interval {
		select {
		case s.retime <- struct{}{}:
		default:
		}
	}
	if s.journal != nil && s.journal.Size() > journalSize {
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
}

// Stats reports the journal's appended records and fsyncs since it was
// opened; zero for a zone kept in memory.
func (s *Store) Stats() journal.Stats {
	if s.journal == nil {
		return journal.Stats{}
	}
	return s.journal.Stats()
}

// recover cuts the journal back to its last durable record after a failed
// write, so the next update can try again, and returns the original error.
func (s *Store) recover(err error) error {
	if rerr := s.journal.Recover(); rerr != nil {
		s.opts.Warn("journal %s: recovering after %v: %v", s.journal.Path(), err, rerr)
	}
	return fmt.Errorf("journal %s: %w", s.journal.Path(), err)
}

// Snapshot writes the current version to the zone file and drops the
// journal entries it covers. It does nothing when nothing changed.
func (s *Store) Snapshot() error {
	if s.journal == nil {
		return nil
	}
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	// The version and the journal position that leads to it, taken while
	// no update commits: the file then covers exactly the entries up to lsn.
	var v *zone.Version
	var lsn uint64
	s.zone.Locked(func(cur *zone.Version) { v, lsn = cur, s.journal.LastLSN() })
	if lsn == s.snapLSN.Load() {
		return nil
	}
	start := time.Now()
	if err := masterfile.WriteAnnotated(s.path, v.Origin(), v.Serial(), paced(v.WalkOwn), annotate(v, lsn), s.opts.FS); err != nil {
		return err
	}
	// The journal keeps the latest entries for IXFR even when the file has them.
	through := lsn
	if keep := uint64(s.history.Load()); s.journal.LastLSN() > keep {
		through = min(through, s.journal.LastLSN()-keep)
	} else {
		through = 0
	}
	if err := s.journal.CompactThrough(through); err != nil {
		return err
	}
	s.snapLSN.Store(lsn)
	s.sizeSnap.Store(s.journal.Size())
	s.opts.Log("zone %s: snapshot at serial %d, %d records, in %v", v.Origin(), v.Serial(), v.Records(), time.Since(start).Round(time.Millisecond))
	return nil
}

// paced runs walk in turns of the process's pollgate, a few records a turn:
// a snapshot of 100,000 records takes 100 ms or more, and run in one go it
// would keep queries waiting for up to the scheduler's 10 ms time slice.
// The walk only prints to a buffered file; the file's fsync comes after it,
// outside the turns.
func paced(walk func(func(dns.RR) error) error) func(func(dns.RR) error) error {
	const perTurn = 64
	return func(emit func(dns.RR) error) error {
		turn := pollgate.Shared().Enter()
		defer func() { turn.Leave() }()
		n := 0
		return walk(func(rr dns.RR) error {
			if n++; n%perTurn == 0 {
				turn = turn.Yield()
			}
			return emit(rr)
		})
	}
}

func (s *Store) snapshotLoop() {
	defer s.loops.Done()
	tick := time.NewTicker(time.Duration(s.every.Load()))
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-s.retime:
			tick.Reset(time.Duration(s.every.Load()))
			continue
		case <-tick.C:
		case <-s.kick:
		}
		if err := s.Snapshot(); err != nil {
			s.opts.Warn("zone %s: snapshot failed, the journal keeps every change: %v", s.zone.Origin(), err)
		}
	}
}

// Close writes a last snapshot and closes the journal. Updates after Close fail.
func (s *Store) Close() error {
	s.once.Do(func() {
		close(s.stop)
		s.loops.Wait()
		if s.journal == nil {
			return
		}
		err := s.Snapshot()
		if err != nil {
			s.opts.Warn("zone %s: final snapshot failed, the journal keeps every change: %v", s.zone.Origin(), err)
		}
		s.closeErr = errors.Join(err, s.journal.Close())
	})
	return s.closeErr
}
