package journal

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// ErrUnsupportedVersion is wrapped by the error Open returns for a journal
// written in a format version this build does not know.
var ErrUnsupportedVersion = errors.New("unsupported journal format version")

// scanResult is what scan learnt about a journal's bytes.
type scanResult struct {
	// good is the length of the valid prefix: header plus whole records.
	good int64
	// torn, when non-empty, says why the bytes from good to the end of
	// the file are an unacknowledged torn write to be cut off.
	torn string
	// tornHeader means the file is shorter than a header and is a prefix
	// of one: it was being created and holds nothing. good is 0.
	tornHeader bool
	// base is the header's base (0 for version 1); v1 says the header is
	// version 1's and should be upgraded before appending.
	base uint64
	v1   bool
}

// scan reads a journal of size bytes from r, calling visit with the offset
// and payload of every record whose frame and checksum are good, in order.
// payload is only valid during the call. An error from visit stops the scan
// and is returned as is.
//
// Damage counts as a torn tail only where nothing acknowledged can follow
// it: the file ends inside the record, or only zero bytes follow it.
func scan(r io.ReaderAt, size int64, path string, visit func(off int64, payload []byte) error) (scanResult, error) {
	br := bufio.NewReaderSize(io.NewSectionReader(r, 0, size), 64<<10)
	corrupt := func(off int64, format string, args ...any) (scanResult, error) {
		return scanResult{}, &CorruptError{Path: path, Offset: off, Reason: fmt.Sprintf(format, args...)}
	}
	readErr := func(off int64, err error) (scanResult, error) {
		return scanResult{}, fmt.Errorf("journal %s: reading offset %d: %w", path, off, err)
	}

	want := fileHeader(0)
	if size < headerSize {
		got := make([]byte, size)
		if _, err := io.ReadFull(br, got); err != nil {
			return readErr(0, err)
		}
		if bytes.HasPrefix(want, got) {
			return scanResult{tornHeader: true, torn: fmt.Sprintf("header cut short at %d of %d bytes", size, headerSize)}, nil
		}
		return corrupt(0, "file of %d bytes is too short for a journal header and is not the start of one", size)
	}
	hdr := make([]byte, headerSize)
	if _, err := io.ReadFull(br, hdr); err != nil {
		return readErr(0, err)
	}
	if string(hdr[:len(magic)]) != magic {
		return corrupt(0, "bad magic %q, not a dyndns journal", hdr[:len(magic)])
	}
	var base uint64
	switch v := binary.BigEndian.Uint16(hdr[len(magic):]); v {
	case 1:
		if !bytes.Equal(hdr[len(magic)+2:], want[len(magic)+2:]) {
			return corrupt(0, "reserved header bytes are not zero")
		}
	case Version:
		base = headerBase(hdr)
	default:
		return scanResult{}, fmt.Errorf("journal %s: %w %d (this build reads versions 1 and %d)", path, ErrUnsupportedVersion, v, Version)
	}
	v1 := binary.BigEndian.Uint16(hdr[len(magic):]) == 1

	var frame [frameSize]byte
	var payload []byte
	off := int64(headerSize)
	for off < size {
		res := scanResult{good: off, base: base, v1: v1}
		left := size - off
		if left < frameSize {
			res.torn = fmt.Sprintf("record frame cut short at %d of %d bytes", left, frameSize)
			return res, nil
		}
		if _, err := io.ReadFull(br, frame[:]); err != nil {
			return readErr(off, err)
		}
		n := int64(binary.BigEndian.Uint32(frame[0:]))
		sum := binary.BigEndian.Uint32(frame[4:])
		if got, want := crc32.Checksum(frame[:8], castagnoli), binary.BigEndian.Uint32(frame[8:]); got != want {
			zero, err := restIsZero(br)
			if err != nil {
				return readErr(off, err)
			}
			if zero {
				res.torn = fmt.Sprintf("record frame fails its checksum and only zero bytes follow (%d bytes)", left)
				return res, nil
			}
			return corrupt(off, "record frame checksum %08x, want %08x", got, want)
		}
		if n < entryFixed || n > MaxRecordSize {
			// The frame checksum held, so this length was written as is,
			// which no version of the writer does.
			return corrupt(off, "record length %d outside [%d, %d]", n, entryFixed, MaxRecordSize)
		}
		if left < frameSize+n {
			res.torn = fmt.Sprintf("record of %d bytes cut short at %d", frameSize+n, left)
			return res, nil
		}
		if int64(cap(payload)) < n {
			payload = make([]byte, n)
		}
		payload = payload[:n]
		if _, err := io.ReadFull(br, payload); err != nil {
			return readErr(off, err)
		}
		if got := crc32.Checksum(payload, castagnoli); got != sum {
			zero, err := restIsZero(br)
			if err != nil {
				return readErr(off, err)
			}
			if zero {
				res.torn = fmt.Sprintf("last record (%d bytes) fails its checksum", frameSize+n)
				return res, nil
			}
			return corrupt(off, "payload checksum %08x, want %08x, and %d more bytes follow", got, sum, left-frameSize-n)
		}
		if err := visit(off, payload); err != nil {
			return scanResult{}, err
		}
		off += frameSize + n
	}
	return scanResult{good: off, base: base, v1: v1}, nil
}

// restIsZero reports whether everything left in br is zero bytes (or
// nothing at all).
func restIsZero(br *bufio.Reader) (bool, error) {
	for {
		b, err := br.ReadByte()
		if err == io.EOF {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		if b != 0 {
			return false, nil
		}
	}
}
