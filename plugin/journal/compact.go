package journal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Compact drops the entries whose To is at or before keepAfter in RFC 1982
// serial arithmetic, which a snapshot at serial keepAfter has made
// redundant. It writes the kept records to a temp file, fsyncs it, renames
// it over the journal and fsyncs the directory, then appends continue in
// the new file. Enqueue keeps working meanwhile; the committer waits for
// the copy, which is short because only the entries newer than the
// snapshot are copied.
//
// If Compact fails before the rename the old journal is untouched and
// stays in use. If only the directory fsync fails, the journal enters the
// failed state until Recover manages that fsync.
func (j *Journal) Compact(keepAfter uint32) error {
	return j.compact(func(_ uint64, r recInfo) bool { return !serialLE(r.to, keepAfter) })
}

// CompactThrough drops the records whose LSN is at or below lsn, which a
// snapshot covering them has made redundant; see Compact. LSNs keep
// counting across compactions, so a snapshot can name exactly the records
// it covers, entries that changed no serial (lease renewals) included.
func (j *Journal) CompactThrough(lsn uint64) error {
	return j.compact(func(l uint64, _ recInfo) bool { return l > lsn })
}

// compact keeps the records for which keep (given each record's LSN) holds;
// the records it drops must come before those it keeps.
func (j *Journal) compact(keep func(lsn uint64, r recInfo) bool) error {
	j.fileMu.Lock()
	defer j.fileMu.Unlock()
	j.mu.Lock()
	closed, failErr := j.closed, j.failErr
	j.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if failErr != nil {
		return failErr
	}
	if j.dirSyncErr != nil {
		return fmt.Errorf("journal %s: %w", j.path, j.dirSyncErr)
	}

	var kept []recInfo
	for i, r := range j.index {
		if keep(j.base+uint64(i)+1, r) {
			kept = append(kept, r)
		}
	}
	if len(kept) == len(j.index) {
		return nil
	}
	base := j.base + uint64(len(j.index)-len(kept))

	var index []recInfo
	nf, renamed, err := replaceFile(j.fs, j.path, func(w File) error {
		if _, err := w.WriteAt(fileHeader(base), 0); err != nil {
			return err
		}
		off := int64(headerSize)
		for _, r := range kept {
			index = append(index, recInfo{off: off, len: r.len, to: r.to})
			off += r.len
		}
		// Records are copied as bytes, not re-encoded: they were verified
		// by Open or written by this process.
		return copyRecords(w, j.f, kept)
	})
	if !renamed {
		return fmt.Errorf("journal %s: compact: %w", j.path, err)
	}
	// From here the path names the new file, so it must be the one used:
	// appending to the old, unlinked one would lose records.
	old := j.f
	j.f = nf
	j.index = index
	j.base = base
	size := int64(headerSize)
	if n := len(index); n > 0 {
		size = index[n-1].off + index[n-1].len
	}
	j.size.Store(size)
	cerr := old.Close()
	if err != nil {
		j.dirSyncErr = err
		return fmt.Errorf("journal %s: compact: %w", j.path, err)
	}
	if cerr != nil {
		j.warnf("journal %s: closing the old file after compaction: %v", j.path, cerr)
	}
	return nil
}

// copyRecords copies the records recs from src to dst, one after another
// from the end of the header, coalescing adjacent ones (the kept records are
// normally one run at the end of the journal) into large reads and writes.
func copyRecords(dst, src File, recs []recInfo) error {
	const chunk = 1 << 20
	var buf []byte
	out := int64(headerSize)
	for i := 0; i < len(recs); {
		from, to := recs[i].off, recs[i].off+recs[i].len
		for i++; i < len(recs) && recs[i].off == to; i++ {
			to += recs[i].len
		}
		for from < to {
			n := min(to-from, chunk)
			if int64(cap(buf)) < n {
				buf = make([]byte, n)
			}
			if _, err := src.ReadAt(buf[:n], from); err != nil {
				return fmt.Errorf("reading offset %d: %w", from, err)
			}
			if _, err := dst.WriteAt(buf[:n], out); err != nil {
				return err
			}
			from += n
			out += n
		}
	}
	return nil
}

// tempPath is where a replacement for path is built. It is fixed rather
// than random so a crash leaves at most one stale file, which the next
// Open removes.
func tempPath(path string) string { return path + ".tmp" }

func dirOf(path string) string { return filepath.Dir(path) }

// replaceFile atomically replaces path with a file whose contents write
// produces: temp file, fsync, rename, fsync of
// the directory. It returns the new file, still open. renamed reports
// whether path now names the new file; it can be true with a non-nil error
// when only the directory fsync failed.
func replaceFile(fsys FS, path string, write func(File) error) (f File, renamed bool, err error) {
	tmp := tempPath(path)
	f, err = fsys.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, false, err
	}
	fail := func(err error) (File, bool, error) {
		f.Close()
		if rerr := fsys.Remove(tmp); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			err = fmt.Errorf("%w (and removing %s: %v)", err, tmp, rerr)
		}
		return nil, false, err
	}
	if err := write(f); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := fsys.Rename(tmp, path); err != nil {
		return fail(err)
	}
	err = fsys.SyncDir(dirOf(path))
	// The handle still carries the temp name, which would then appear in
	// every later I/O error; a handle opened by the real name does not.
	if g, oerr := fsys.OpenFile(path, os.O_RDWR, 0); oerr == nil {
		f.Close()
		f = g
	}
	return f, true, err
}
