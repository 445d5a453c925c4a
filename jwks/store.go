package jwks

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// store keeps the last good JWKS of one provider in a file of the cache
// directory. Only the owner goroutine uses it after New.
type store struct {
	path string
	uid  int // the service's uid, which must own the directory and the file
}

// saved is the file's content. The JWKS is kept as fetched and parsed again
// on load, so a file edited by hand passes the same checks as a fetch.
type saved struct {
	Issuer       string          `json:"issuer"`
	JWKSURI      string          `json:"jwks_uri"`
	Confirmed    time.Time       `json:"confirmed"`
	ETag         string          `json:"etag,omitempty"`
	LastModified string          `json:"last_modified,omitempty"`
	JWKS         json.RawMessage `json:"jwks"`
}

// openStore opens the store of one provider in dir for this process's uid.
// See openStoreUID.
func openStore(dir, name, issuer string) (*store, error) {
	return openStoreUID(dir, name, issuer, os.Getuid())
}

// openStoreUID creates dir (mode 0700) when missing and refuses a directory
// that is not owned by uid or that others may write to: its files are trust
// anchors, since whoever can replace them chooses the keys tokens are
// verified with.
func openStoreUID(dir, name, issuer string, uid int) (*store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cache directory: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("cache directory: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("cache directory %s: not a directory", dir)
	}
	if err := checkOwner(fi, uid); err != nil {
		return nil, fmt.Errorf("cache directory %s: %w", dir, err)
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return nil, fmt.Errorf("cache directory %s: mode %v is group- or world-writable",
			dir, fi.Mode())
	}
	// The file name is derived from name and issuer, so it never carries
	// path characters from the configuration.
	sum := sha256.Sum256([]byte(name + "\n" + issuer))
	path := filepath.Join(dir, "jwks-"+hex.EncodeToString(sum[:12])+".json")
	return &store{path: path, uid: uid}, nil
}

// checkOwner fails unless fi belongs to uid.
func checkOwner(fi fs.FileInfo, uid int) error {
	owner, ok := fileUID(fi)
	if !ok {
		return errors.New("owner unknown on this platform")
	}
	if owner != uid {
		return fmt.Errorf("owned by uid %d, not by this service's uid %d", owner, uid)
	}
	return nil
}

// load reads the saved state; it returns nil and no error when there is
// none.
func (s *store) load() (*saved, error) {
	fi, err := os.Lstat(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading saved keys: %w", err)
	}
	// Lstat, so a symlink is refused rather than followed. The file must be
	// exactly what save writes: a regular file of ours that no one else may
	// read or write.
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("saved keys %s: not a regular file", s.path)
	}
	if err := checkOwner(fi, s.uid); err != nil {
		return nil, fmt.Errorf("saved keys %s: %w", s.path, err)
	}
	if fi.Mode() != 0o600 {
		return nil, fmt.Errorf("saved keys %s: mode %v, want %v",
			s.path, fi.Mode(), fs.FileMode(0o600))
	}
	data, err := os.ReadFile(s.path)
	if err != nil {
		return nil, fmt.Errorf("reading saved keys: %w", err)
	}
	var v saved
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("saved keys %s: %w", s.path, err)
	}
	return &v, nil
}

// save writes v atomically: a temporary file in the same directory, synced,
// then renamed over the old one, so a crash leaves the old file or the new
// one, never a mix.
func (s *store) save(v *saved) (err error) {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding saved keys: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), ".jwks-*.tmp") // mode 0600
	if err != nil {
		return fmt.Errorf("saving keys: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name()) // best effort; the error that matters is err
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("saving keys: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("saving keys: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("saving keys: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("saving keys: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return fmt.Errorf("saving keys: %w", err)
	}
	return nil
}
