package journal

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

const (
	magic = "DYNDNSJ\n"
	// Version is the journal format version this package writes and reads.
	Version = 1
	// headerSize is magic, uint16 version and 6 reserved bytes, room for
	// flags a later version may need.
	headerSize = HeaderSize
	// frameSize is uint32 payload length, uint32 CRC-32C of the payload and
	// uint32 CRC-32C of those first 8 bytes. The last word lets Open trust a
	// length before reading the payload: without it a flipped bit in the
	// length of an early record could point past the end of the file and be
	// mistaken for a torn tail, silently dropping every record after it.
	frameSize = 12

	// MaxRecordSize bounds a record's payload. A length beyond it can only
	// be damage, and rejecting it keeps a corrupt length from making Open
	// allocate gigabytes. One UPDATE message is at most 64 KiB, so real
	// records are far smaller.
	MaxRecordSize = 64 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// fileHeader returns the header of a version 1 journal.
func fileHeader() []byte {
	h := make([]byte, headerSize)
	copy(h, magic)
	binary.BigEndian.PutUint16(h[len(magic):], Version)
	return h
}

// appendRecord appends e framed as a record to dst. On error dst is
// returned unchanged in length.
func appendRecord(dst []byte, e *Entry) ([]byte, error) {
	start := len(dst)
	dst = append(dst, make([]byte, frameSize)...)
	dst, err := appendPayload(dst, e)
	if err != nil {
		return dst[:start], err
	}
	n := len(dst) - start - frameSize
	if n > MaxRecordSize {
		return dst[:start], fmt.Errorf("entry %d->%d encodes to %d bytes, more than the %d byte record limit", e.From, e.To, n, MaxRecordSize)
	}
	binary.BigEndian.PutUint32(dst[start:], uint32(n))
	binary.BigEndian.PutUint32(dst[start+4:], crc32.Checksum(dst[start+frameSize:], castagnoli))
	binary.BigEndian.PutUint32(dst[start+8:], crc32.Checksum(dst[start:start+8], castagnoli))
	return dst, nil
}

// CorruptError reports damage in a journal that is not a torn final write
// and so may hide acknowledged updates. The server must not start over it.
type CorruptError struct {
	Path   string
	Offset int64 // of the record (or 0 for the file header)
	Reason string
}

// Error names the file and the offset of the damaged record.
func (e *CorruptError) Error() string {
	if e.Offset < headerSize {
		return fmt.Sprintf("journal %s: corrupt header: %s", e.Path, e.Reason)
	}
	return fmt.Sprintf("journal %s: corrupt record at offset %d: %s", e.Path, e.Offset, e.Reason)
}

// HeaderSize is the size of an empty journal: Size() above it means the
// journal holds records.
const HeaderSize = 16
