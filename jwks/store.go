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

// openStore creates dir (mode 0700) when missing and refuses a directory
// that others may write to: its files are trust anchors, since whoever can
// replace them chooses the keys tokens are verified with.
func openStore(dir, name, issuer string) (*store, error) {
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
	if fi.Mode().Perm()&0o022 != 0 {
		return nil, fmt.Errorf("cache directory %s: mode %v is group- or world-writable",
			dir, fi.Mode().Perm())
	}
	// The file name is derived from name and issuer, so it never carries
	// path characters from the configuration.
	sum := sha256.Sum256([]byte(name + "\n" + issuer))
	return &store{path: filepath.Join(dir, "jwks-"+hex.EncodeToString(sum[:12])+".json")}, nil
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
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o022 != 0 {
		return nil, fmt.Errorf("saved keys %s: not a regular file of mode 0600", s.path)
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
