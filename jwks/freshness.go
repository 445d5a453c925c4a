package jwks

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// lifetime returns how long a JWKS response stays fresh (RFC 9111 4.2.1):
// Cache-Control max-age, else Expires (relative to Date when present),
// clamped to [minTTL, maxTTL]. Without either, or with no-store or
// no-cache, which some providers send on their JWKS by accident, it returns
// fallback unclamped: the configured refresh interval.
func lifetime(h http.Header, now time.Time, fallback, minTTL, maxTTL time.Duration) time.Duration {
	d, ok := providerLifetime(h, now, maxTTL)
	if !ok {
		return fallback
	}
	return min(max(d, minTTL), maxTTL)
}

func providerLifetime(h http.Header, now time.Time, maxTTL time.Duration) (time.Duration, bool) {
	maxAge, haveMaxAge := time.Duration(0), false
	for _, line := range h.Values("Cache-Control") {
		for dir := range strings.SplitSeq(line, ",") {
			name, val, _ := strings.Cut(strings.TrimSpace(dir), "=")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "no-store", "no-cache":
				return 0, false
			case "max-age":
				if d, ok := parseSeconds(strings.Trim(strings.TrimSpace(val), `"`), maxTTL); ok {
					maxAge, haveMaxAge = d, true
				}
			}
		}
	}
	if haveMaxAge {
		return maxAge, true
	}
	exp := h.Get("Expires")
	if exp == "" {
		return 0, false
	}
	t, err := http.ParseTime(exp)
	if err != nil {
		// RFC 9111 5.3: an invalid Expires means already expired.
		return 0, true
	}
	base := now
	if date, err := http.ParseTime(h.Get("Date")); err == nil {
		base = date
	}
	return t.Sub(base), true
}

// parseSeconds parses a delta-seconds value; values too large for a
// Duration count as maxTTL, since they are clamped to it anyway.
func parseSeconds(s string, maxTTL time.Duration) (time.Duration, bool) {
	n, err := strconv.ParseUint(s, 10, 63)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return maxTTL, true
		}
		return 0, false
	}
	if n > uint64(maxTTL/time.Second) {
		return maxTTL, true
	}
	return time.Duration(n) * time.Second, true
}
