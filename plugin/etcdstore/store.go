package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dyndns/dyndns/plugin/journal"
	"github.com/dyndns/dyndns/plugin/storage"
	"github.com/dyndns/dyndns/plugin/zone"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Store is one zone kept in etcd. It is the zone's Log.
type Store struct {
	b    *Backend
	zone *zone.Zone
	keys keys
	opts storage.Options

	// head is the index of the last log record the zone holds. It is read
	// and written only with the zone's writer lock held (Commit, Follow,
	// Locked), which keeps it and the zone's version in step.
	head uint64

	storage.ExpiredHook               // SetExpired
	history             atomic.Int64  // log records kept behind a snapshot, for IXFR and slow replicas
	every               atomic.Int64  // snapshot interval, nanoseconds
	maxBytes            atomic.Int64  // log bytes that trigger a snapshot
	logBytes            atomic.Int64  // log bytes written since the last snapshot
	reload              chan struct{} // asks the follower to load the snapshot
	snap                chan struct{} // asks the leader for a snapshot now

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	loops  sync.WaitGroup
	once   sync.Once
}

var (
	_ storage.Store = (*Store)(nil)
	_ zone.Verifier = (*Store)(nil)
)

func open(b *Backend, origin string, d zone.Deriver, opts storage.Options) (*Store, error) {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Store{b: b, zone: zone.New(origin, d), keys: newKeys(b.cfg.Prefix, origin), opts: opts,
		reload: make(chan struct{}, 1), snap: make(chan struct{}, 1), ctx: ctx, cancel: cancel}
	s.SetHistory(opts.History)
	s.SetSnapshotPolicy(opts.SnapshotInterval, opts.SnapshotSize)
	if err := s.create(); err != nil {
		cancel()
		return nil, fmt.Errorf("zone %s: %w", origin, err)
	}
	rev, err := s.load()
	if err != nil {
		cancel()
		return nil, fmt.Errorf("zone %s: %w", origin, err)
	}
	s.zone.SetLog(s)
	s.loops.Go(func() { s.follow(rev) })
	// Not in s.loops: when its context ends inside etcd's Campaign, the
	// campaign resigns with the client's context and, with etcd down, only
	// ends when the client closes (Backend.Stop), after Close.
	b.campaigns.Go(s.campaign)
	return s, nil
}

// Zone implements storage.Store.
func (s *Store) Zone() *zone.Zone { return s.zone }

// SetHistory implements storage.Store; the log keeps as many records
// behind a snapshot.
func (s *Store) SetHistory(n int) {
	n = storage.HistorySize(n)
	s.history.Store(int64(n))
	s.zone.SetHistory(n)
}

// SetSnapshotPolicy implements storage.Store.
func (s *Store) SetSnapshotPolicy(interval time.Duration, logBytes int64) {
	if interval <= 0 {
		interval = DefaultSnapshotInterval
	}
	if logBytes <= 0 {
		logBytes = DefaultSnapshotLogBytes
	}
	s.every.Store(int64(interval))
	s.maxBytes.Store(logBytes)
}

// The defaults snapshot often enough that a starting replica reads little
// log, and rarely enough that snapshots cost little.
const (
	DefaultSnapshotInterval = 5 * time.Minute
	DefaultSnapshotLogBytes = 16 << 20
)

// create writes the zone's first snapshot (its apex) and head, unless
// another replica did: the first replica to start creates the zone.
func (s *Store) create() error {
	apex := s.opts.Apex
	if apex == nil {
		apex = zone.DefaultApex(s.zone.Origin())
	}
	p, err := journal.AppendEntry(nil, &journal.Entry{Add: apex})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.b.cfg.Timeout)
	defer cancel()
	_, err = s.b.client.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(s.keys.head()), "=", 0)).
		Then(clientv3.OpPut(s.keys.chunk(0, 0), string(p)),
			clientv3.OpPut(s.keys.snapshot(), snapshotValue(0, 1)),
			clientv3.OpPut(s.keys.head(), index(0))).
		Commit()
	return err
}

// load reads the snapshot and the log after it, all at one revision, into
// the zone, and returns that revision (the watch goes on from there).
func (s *Store) load() (int64, error) {
	ctx, cancel := context.WithTimeout(s.ctx, s.b.cfg.Timeout)
	defer cancel()
	r, err := s.b.client.Get(ctx, s.keys.snapshot())
	if err != nil {
		return 0, err
	}
	if len(r.Kvs) == 0 {
		return 0, errors.New("etcd has no snapshot of the zone")
	}
	rev := r.Header.Revision
	at, n, err := parseSnapshotValue(r.Kvs[0].Value)
	if err != nil {
		return 0, err
	}
	chunks, err := s.b.client.Get(ctx, s.keys.chunks(at), clientv3.WithPrefix(), clientv3.WithRev(rev),
		clientv3.WithSort(clientv3.SortByKey, clientv3.SortAscend))
	if err != nil {
		return 0, err
	}
	if len(chunks.Kvs) != n {
		return 0, fmt.Errorf("snapshot %d has %d of its %d chunks", at, len(chunks.Kvs), n)
	}
	var payload []byte
	for _, kv := range chunks.Kvs {
		payload = append(payload, kv.Value...)
	}
	snap, err := journal.DecodeEntry(payload)
	if err != nil {
		return 0, fmt.Errorf("snapshot %d: %w", at, err)
	}
	tail, last, err := s.records(ctx, at, rev)
	if err != nil {
		return 0, err
	}
	err = s.zone.Reload(func(t *zone.Txn) error {
		l := t.Loader()
		for _, rr := range snap.Add {
			if err := l.Add(rr); err != nil {
				return err
			}
		}
		l.Flush()
		for _, le := range snap.Leases {
			t.SetLease(le.RR, le.Until)
		}
		for _, c := range tail {
			t.Apply(c)
		}
		s.head = last // under the writer lock, with the state it goes with
		return nil
	})
	if err != nil {
		return 0, err
	}
	s.zone.Remember(tail...)
	return rev, nil
}

// records reads the log records after index after (at revision rev, 0:
// the latest) and returns their changesets and the last index. A log that
// does not continue after (trimmed past it) is an error: the zone must
// load a snapshot.
func (s *Store) records(ctx context.Context, after uint64, rev int64) ([]zone.Changeset, uint64, error) {
	opts := []clientv3.OpOption{clientv3.WithRange(clientv3.GetPrefixRangeEnd(s.keys.logPrefix())),
		clientv3.WithSort(clientv3.SortByKey, clientv3.SortAscend)}
	if rev != 0 {
		opts = append(opts, clientv3.WithRev(rev))
	}
	r, err := s.b.client.Get(ctx, s.keys.log(after+1), opts...)
	if err != nil {
		return nil, 0, err
	}
	var out []zone.Changeset
	last := after
	for _, kv := range r.Kvs {
		i, err := s.keys.logIndex(string(kv.Key))
		if err != nil {
			return nil, 0, fmt.Errorf("log key %q: %w", kv.Key, err)
		}
		if i != last+1 {
			return nil, 0, errTrimmed
		}
		cs, err := decodeRecord(kv.Value)
		if err != nil {
			return nil, 0, fmt.Errorf("log record %d: %w", i, err)
		}
		out = append(out, cs...)
		last = i
	}
	return out, last, nil
}

var errTrimmed = errors.New("the log no longer holds the records this replica lacks; reloading from the snapshot")

// Commit implements zone.Log: one transaction appends the batch as one log
// record, only if the log's head is still the record this zone holds. When
// another replica committed first, the zone is told what it lacks
// (zone.Behind) and runs the batch again. The batch is acknowledged once
// etcd committed it, that is once a quorum of members has it on disk.
func (s *Store) Commit(cs []zone.Changeset) error {
	val, err := encodeRecord(cs)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.b.cfg.Timeout)
	defer cancel()
	next := s.head + 1
	r, err := s.b.client.Txn(ctx).
		If(clientv3.Compare(clientv3.Value(s.keys.head()), "=", index(s.head))).
		Then(clientv3.OpPut(s.keys.log(next), string(val)), clientv3.OpPut(s.keys.head(), index(next))).
		Commit()
	if err != nil {
		// Maybe committed, maybe not: if it was, the watch brings it.
		return fmt.Errorf("etcd: %w", err)
	}
	if r.Succeeded {
		s.head = next
		s.grewBy(len(val))
		return nil
	}
	return s.behind(ctx)
}

// Verify implements zone.Verifier: one linearizable read of the log's head.
func (s *Store) Verify() error {
	ctx, cancel := context.WithTimeout(s.ctx, s.b.cfg.Timeout)
	defer cancel()
	r, err := s.b.client.Get(ctx, s.keys.head())
	if err != nil {
		return fmt.Errorf("etcd: %w", err)
	}
	if len(r.Kvs) == 1 && string(r.Kvs[0].Value) == index(s.head) {
		return nil
	}
	return s.behind(ctx)
}

// behind reads what the zone lacks and returns it as zone.Behind.
func (s *Store) behind(ctx context.Context) error {
	missing, last, err := s.records(ctx, s.head, 0)
	if err != nil {
		if errors.Is(err, errTrimmed) {
			s.kickReload()
		}
		return fmt.Errorf("etcd: %w", err)
	}
	s.head = last
	return &zone.Behind{Changes: missing}
}

// Close implements storage.Store. The zone's data stays in etcd; a replica
// that led hands the lead over at once.
func (s *Store) Close() error {
	s.once.Do(func() {
		s.cancel()
		s.loops.Wait()
	})
	return nil
}

func (s *Store) kickReload() {
	select {
	case s.reload <- struct{}{}:
	default:
	}
}
