package durable

import (
	"path/filepath"
	"strings"
)

// ZoneFile is where a zone's master file lives in dir: db.<zone> (db.root
// for the root zone).
func ZoneFile(dir, origin string) string {
	name := strings.TrimSuffix(origin, ".")
	if name == "" {
		name = "root"
	}
	return filepath.Join(dir, "db."+name)
}

// JournalFile is where a zone's journal lives in dir.
func JournalFile(dir, origin string) string { return ZoneFile(dir, origin) + ".jnl" }
