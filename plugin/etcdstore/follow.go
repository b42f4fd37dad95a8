package etcdstore

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	"github.com/dyndns/dyndns/plugin/zone"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// retryWatch is how long the follower waits before it watches again after
// etcd failed it.
const retryWatch = 500 * time.Millisecond

// follow applies the log records other replicas commit, in order, from
// revision rev on, until the store closes. A watch that falls behind
// etcd's compaction, or a log trimmed past what this replica holds, makes
// it load the snapshot again.
func (s *Store) follow(rev int64) {
	for s.ctx.Err() == nil {
		ctx, cancel := context.WithCancel(clientv3.WithRequireLeader(s.ctx))
		next, err := s.watch(ctx, rev)
		cancel()
		rev = next
		if s.ctx.Err() != nil {
			return
		}
		if errors.Is(err, rpctypes.ErrCompacted) || errors.Is(err, errTrimmed) {
			if rev, err = s.reloadSnapshot(); err == nil {
				continue
			}
		}
		if err != nil {
			s.opts.Warn("zone %s: following etcd: %v", s.zone.Origin(), err)
		}
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(retryWatch):
		}
	}
}

// watch follows the log from revision rev until the watch ends, and
// returns the revision to go on from.
func (s *Store) watch(ctx context.Context, rev int64) (int64, error) {
	wch := s.b.client.Watch(ctx, s.keys.logPrefix(), clientv3.WithPrefix(), clientv3.WithRev(rev+1))
	for {
		select {
		case <-s.reload:
			return rev, errTrimmed
		case resp, ok := <-wch:
			if !ok {
				return rev, ctx.Err()
			}
			if err := resp.Err(); err != nil {
				return rev, err
			}
			var records []record
			for _, ev := range resp.Events {
				if ev.Type != clientv3.EventTypePut {
					continue // a trimmed record
				}
				i, err := s.keys.logIndex(string(ev.Kv.Key))
				if err != nil {
					return rev, err
				}
				records = append(records, record{i, ev.Kv.Value})
			}
			if err := s.apply(ctx, records); err != nil {
				return rev, err
			}
			rev = resp.Header.Revision
		}
	}
}

type record struct {
	index uint64
	value []byte
}

// apply gives the zone the records it does not hold yet: those after its
// head (its own commits come back through the watch too, and are skipped).
// A gap (the watch skipped records this replica lacks) is filled from
// etcd.
func (s *Store) apply(ctx context.Context, records []record) error {
	slices.SortFunc(records, func(a, b record) int { return cmp.Compare(a.index, b.index) })
	var err error
	ferr := s.zone.Follow(func() []zone.Changeset {
		var out []zone.Changeset
		for _, r := range records {
			if r.index <= s.head {
				continue
			}
			if r.index != s.head+1 {
				cs, last, rerr := s.records(ctx, s.head, 0)
				if err = rerr; err != nil {
					return out
				}
				s.head = last
				return append(out, cs...)
			}
			var cs []zone.Changeset
			if cs, err = decodeRecord(r.value); err != nil {
				return out
			}
			out = append(out, cs...)
			s.head = r.index
			s.grewBy(len(r.value)) // the log grew, whoever wrote it
		}
		return out
	})
	return errors.Join(err, ferr)
}

// reloadSnapshot replaces the zone by the snapshot and the log after it.
func (s *Store) reloadSnapshot() (int64, error) {
	s.opts.Log("zone %s: fell behind the etcd log, loading the snapshot", s.zone.Origin())
	return s.load()
}
