package etcdstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/dyndns/dyndns/plugin/journal"
	"github.com/dyndns/dyndns/plugin/storage"
	"github.com/dyndns/dyndns/plugin/zone"
)

// The key layout, version 1, under the prefix (etcd-path, default /dyndns):
//
//	PREFIX/v1/zones/ORIGIN/head                  index of the last log record ("%020d")
//	PREFIX/v1/zones/ORIGIN/log/INDEX             one log record: the changesets of one commit
//	PREFIX/v1/zones/ORIGIN/snapshot              "INDEX CHUNKS": the snapshot that covers the log through INDEX
//	PREFIX/v1/zones/ORIGIN/snapshot/INDEX/CHUNK  its bytes, in chunks of at most chunkSize
//	PREFIX/v1/zones/ORIGIN/leader/...            the election of the replica that expires leases and snapshots
//
// A log record is a uvarint count of changesets, then each one as a uvarint
// length and the payload of a journal entry (plugin/journal's format). A
// snapshot is one journal entry that adds every explicit record, SOA first,
// with their leases. Indexes are zero-padded so that keys sort as numbers.
const layoutVersion = "v1"

// chunkSize keeps every value well below etcd's default request limit
// (1.5 MiB, --max-request-bytes).
const chunkSize = 1 << 20

type keys struct{ base string }

func newKeys(prefix, origin string) keys {
	return keys{base: strings.TrimSuffix(prefix, "/") + "/" + layoutVersion + "/zones/" + origin}
}

func index(i uint64) string { return fmt.Sprintf("%020d", i) }

func (k keys) head() string                 { return k.base + "/head" }
func (k keys) logPrefix() string            { return k.base + "/log/" }
func (k keys) log(i uint64) string          { return k.logPrefix() + index(i) }
func (k keys) snapshot() string             { return k.base + "/snapshot" }
func (k keys) chunks(i uint64) string       { return k.base + "/snapshot/" + index(i) + "/" }
func (k keys) chunk(i uint64, c int) string { return fmt.Sprintf("%s%06d", k.chunks(i), c) }
func (k keys) leader() string               { return k.base + "/leader" }

// logIndex returns the index of a log key.
func (k keys) logIndex(key string) (uint64, error) {
	return strconv.ParseUint(strings.TrimPrefix(key, k.logPrefix()), 10, 64)
}

// encodeRecord encodes the changesets of one commit.
func encodeRecord(cs []zone.Changeset) ([]byte, error) {
	buf := binary.AppendUvarint(nil, uint64(len(cs)))
	var payload []byte
	for _, c := range cs {
		e := storage.EntryOf(c)
		var err error
		if payload, err = journal.AppendEntry(payload[:0], &e); err != nil {
			return nil, err
		}
		buf = binary.AppendUvarint(buf, uint64(len(payload)))
		buf = append(buf, payload...)
	}
	return buf, nil
}

// decodeRecord is the inverse of encodeRecord; it never trusts a count.
func decodeRecord(p []byte) ([]zone.Changeset, error) {
	n, off := binary.Uvarint(p)
	if off <= 0 || n > uint64(len(p)) {
		return nil, errors.New("bad changeset count")
	}
	out := make([]zone.Changeset, 0, n)
	for range n {
		l, k := binary.Uvarint(p[off:])
		if k <= 0 || l > uint64(len(p)-off-k) {
			return nil, errors.New("bad changeset length")
		}
		off += k
		e, err := journal.DecodeEntry(p[off : off+int(l)])
		if err != nil {
			return nil, err
		}
		off += int(l)
		out = append(out, storage.ChangesetOf(e))
	}
	if off != len(p) {
		return nil, fmt.Errorf("%d trailing bytes", len(p)-off)
	}
	return out, nil
}
