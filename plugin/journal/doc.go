// Package journal is the durable log of a dyndns zone's committed UPDATEs.
//
// Each zone has one journal file. It starts with a 16-byte header:
//
//	"DYNDNSJ\n"  magic
//	uint16       format version (1)
//	6 bytes      reserved, zero
//
// followed by records, each framed as
//
//	uint32  payload length
//	uint32  CRC-32C (Castagnoli) of the payload
//	uint32  CRC-32C of the 8 bytes above (so a damaged length is detected)
//	payload From, To uint32; len(Del), len(Add) uint32;
//	        then every Del and Add RR as uint16 length + uncompressed wire form
//
// All integers are big-endian.
//
// Appends go through a single committer goroutine that writes everything
// queued so far with one write and one fsync (group commit), so concurrent
// UPDATEs share fsyncs. A record is acknowledged only once it is fsynced.
//
// On Open, a record cut short by the end of the file, or a last record whose
// checksum fails (followed by nothing or only by zero bytes, which is what a
// file system leaves where an extending write did not land), is a torn write
// that was never acknowledged: it is dropped with a warning and the file
// truncated. Any other damage is reported as a *CorruptError and the journal
// refuses to open, because it may hide acknowledged updates.
package journal
