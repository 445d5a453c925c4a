//go:build unix

package jwks

import (
	"io/fs"
	"syscall"
)

// fileUID returns the uid that owns the file fi describes.
func fileUID(fi fs.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}
