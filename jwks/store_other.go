//go:build !unix

package jwks

import "io/fs"

// fileUID reports no owner where files have no uid, so a cache directory is
// refused: its files cannot be shown to be the service's own.
func fileUID(fs.FileInfo) (int, bool) { return 0, false }
