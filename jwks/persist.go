package jwks

import (
	"fmt"
	"time"
)

// restored is a saved file that passed its checks, with its keys parsed.
type restored struct {
	*saved
	keys    []*Key
	skipped []Skipped
}

// loadSaved reads and checks the saved keys; a file that cannot be used is
// logged and ignored, since the provider itself remains the source.
func (c *Cache) loadSaved() *restored {
	var r *restored
	v, err := c.store.load()
	if err == nil && v != nil {
		r, err = c.checkSaved(v)
	}
	if err != nil {
		c.log.Warn("ignoring saved keys", "error", err)
		return nil
	}
	return r
}

func (c *Cache) checkSaved(v *saved) (*restored, error) {
	if v.Issuer != c.cfg.Issuer {
		return nil, fmt.Errorf("saved for issuer %q", v.Issuer)
	}
	if v.Confirmed.IsZero() || v.Confirmed.After(time.Now()) {
		return nil, fmt.Errorf("confirmation time %v is not in the past", v.Confirmed)
	}
	if c.cfg.JWKSURI != "" && v.JWKSURI != c.cfg.JWKSURI {
		return nil, fmt.Errorf("saved from %q, configured %q", v.JWKSURI, c.cfg.JWKSURI)
	}
	if _, err := parseURL(v.JWKSURI, c.cfg.InsecureAllowHTTP); err != nil {
		return nil, fmt.Errorf("saved jwks_uri: %w", err)
	}
	keys, skipped, err := ParseJWKS(v.JWKS, c.cfg.MaxKeys)
	if err != nil {
		return nil, err
	}
	return &restored{saved: v, keys: keys, skipped: skipped}, nil
}

// restore publishes the keys New read from the cache directory, with their
// saved confirmation time, so MaxStale counts from when the provider last
// confirmed them, not from the restart.
func (o *owner) restore() {
	v := o.c.saved
	o.c.saved = nil
	if v == nil {
		return
	}
	o.set, o.body = NewSet(v.keys, v.Confirmed), v.JWKS
	o.uri = v.JWKSURI
	o.validators = validators{etag: v.ETag, lastModified: v.LastModified}
	o.skipped = skippedText(v.skipped)
	o.c.snap.Store(o.set)
	o.c.cfg.Metrics.KeysConfirmed(o.c.cfg.Name, o.set.Len(), v.Confirmed)
	o.c.log.Info("saved keys restored", "keys", o.set.Len(), "confirmed", v.Confirmed)
}

// save writes the confirmed keys to the cache directory, logging only a
// change between working and failing.
func (o *owner) save(r refreshResult) {
	if o.c.store == nil {
		return
	}
	body := r.body
	if r.notModified {
		body = o.body
	}
	o.body = body
	err := o.c.store.save(&saved{
		Issuer:       o.c.cfg.Issuer,
		JWKSURI:      o.uri,
		Confirmed:    o.set.Fetched(),
		ETag:         o.validators.etag,
		LastModified: o.validators.lastModified,
		JWKS:         body,
	})
	switch {
	case err != nil && !o.saveFailed:
		o.c.log.Warn("saving keys to the cache directory failing", "error", err)
	case err == nil && o.saveFailed:
		o.c.log.Info("saving keys to the cache directory recovered")
	}
	o.saveFailed = err != nil
}
