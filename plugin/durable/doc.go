// Package durable keeps a zone on disk the way operators know from BIND:
// a readable RFC 1035 master file, db.<zone>, plus a journal,
// db.<zone>.jnl, of every change committed since that file was written.
//
//   - Every committed UPDATE's changeset is appended to the journal and
//     fsynced before the zone publishes it (and so before the client hears
//     NOERROR). The zone writer hands all updates waiting at that moment to
//     one Commit, so concurrent clients share one fsync.
//   - A snapshot writes the current version to db.<zone> (temporary file,
//     fsync, rename, directory fsync), then drops the journal entries it
//     covers. Snapshots run when the journal outgrows a size, on a timer if
//     anything changed, and when the store is closed.
//   - Opening loads db.<zone>, then replays the journal entries newer than
//     its serial. What wins: the zone file, up to its serial; the journal,
//     after it. An entry that does not continue the zone's serial means the
//     two disagree, and opening fails rather than guess.
//   - If a journal write or fsync fails, the updates of that commit fail
//     (the caller answers SERVFAIL), the zone keeps its last durable version,
//     and the journal is cut back to its last durable record.
package durable
