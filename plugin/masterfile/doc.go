// Package masterfile writes zone snapshots as RFC 1035 master files and
// reads them back. Snapshots are written atomically, so a crash or a
// failing disk leaves either the previous snapshot or the new one, never a
// mix, and never a temp file that Read would pick up.
package masterfile
