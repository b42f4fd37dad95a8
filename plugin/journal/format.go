package journal

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

const (
	magic = "DYNDNSJ\n"
	// Version is the journal format version this package writes. It reads
	// version 1 too (no base, no leases) and upgrades its header on open.
	Version = 2
	// headerSize is magic, uint16 version and a 48-bit base: the number of
	// records compacted away before the file's first record, so that every
	// record has a log sequence number (LSN) that survives compaction:
	// base + its position, counting from 1. Version 1 kept those six bytes
	// zero.
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

// maxBase is the largest base the header can hold.
const maxBase = 1<<48 - 1

// fileHeader returns the header of a journal whose first record has LSN base+1.
func fileHeader(base uint64) []byte {
	h := make([]byte, headerSize)
	copy(h, magic)
	binary.BigEndian.PutUint16(h[len(magic):], Version)
	for i := range 6 { // big-endian uint48 in bytes 10..15
		h[headerSize-1-i] = byte(base >> (8 * i))
	}
	return h
}

// headerBase reads the base of a version 2 header.
func headerBase(h []byte) uint64 {
	var base uint64
	for _, c := range h[len(magic)+2 : headerSize] {
		base = base<<8 | uint64(c)
	}
	return base
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
