// Package jwks fetches, caches and refreshes the signing keys of OpenID
// Connect providers.
//
// Each provider has one [Cache], whose [Cache.Run] goroutine alone fetches
// and replaces the provider's keys, under the context given to Run (never a
// request's). Requests read immutable [Set] snapshots without locks; on a
// miss they send the owner a message and wait with their own context, so a
// request that gives up stops waiting while the fetch goes on for everyone.
// All methods of Cache are safe for concurrent use.
//
// # Fetching
//
// Without [Config.JWKSURI], every refresh first reads the discovery document
// at {Issuer}/.well-known/openid-configuration; its issuer must equal
// [Config.Issuer] exactly, and a changed jwks_uri is followed. A configured
// JWKSURI is never overridden. Every URL, redirects and jwks_uri included,
// must be https://, or http:// to a loopback host (127.0.0.0/8, ::1,
// localhost), unless [Config.InsecureAllowHTTP] is set. Each HTTP request
// has its own timeout (FetchTimeout), a body limit (MaxResponseBytes) and a
// redirect limit (MaxRedirects, same scheme only); a JWKS may hold at most
// MaxKeys keys. [ParseJWKS] publishes RSA (2048 to 8192 bits), EC (P-256,
// P-384, P-521) and Ed25519 keys; keys with use other than "sig", key_ops
// without "verify", an alg that does not fit the key, or that cannot be
// decoded are skipped and logged once, and a JWKS with no usable key is a
// failed fetch.
//
// # Freshness
//
// Keys live as long as the provider's Cache-Control max-age or Expires says,
// clamped to [MinCacheTTL, MaxCacheTTL]; without either, or with no-store or
// no-cache, for RefreshInterval. The owner refreshes a tenth of the lifetime
// (at most a minute) before it ends, so no request waits for a scheduled
// refresh. Refreshes are conditional (ETag, Last-Modified); a 304 confirms
// the keys as a fetch does and is counted as not_modified.
//
// # Behaviour under failure
//
//   - A failed refresh (connection refused, timeout, a status other than
//     200, HTML, invalid JSON, no usable key, too large, too many keys, a
//     refused redirect or URL, an issuer mismatch) keeps the last good keys
//     and the previous jwks_uri, and is counted by kind in
//     extauthz_jwks_fetch_errors_total.
//   - The owner then retries with exponential backoff from BackoffInitial,
//     doubling up to BackoffMax, with jitter (each delay is between half
//     and all of its bound); a success resets it.
//   - Keys that the provider has not confirmed for MaxStale are no longer
//     used: [Cache.Get] returns [ErrKeysUnavailable] and [Cache.Ready]
//     false. This is a deliberate fail-closed bound: a long outage of the
//     provider makes the service deny rather than trust keys that may have
//     been revoked.
//   - Before its first keys the cache is not ready; it keeps trying with
//     backoff and becomes ready as soon as keys arrive.
//   - With CacheDir set, the last good JWKS is saved (mode 0600, written
//     atomically) and read back by [New], so a restart during an outage
//     serves the saved keys, still subject to MaxStale counted from when the
//     provider last confirmed them. [New] fails when the directory is not
//     owned by the service's uid or is group- or world-writable, since its
//     files are trust anchors; a saved file that is not a regular file of
//     that owner with mode 0600, or that cannot be used, is logged and
//     ignored.
//
// # Unknown key ids
//
// A kid comes from an untrusted token, so a miss may cause at most one fetch
// per window: the end of any fetch (scheduled, retry or asked for) opens a
// window of MinRefreshInterval, or of the backoff delay when that is longer,
// so that a slow provider is not fetched back to back. Misses
// while a fetch is in flight wait for it; concurrent misses share it. Misses
// inside the window are answered at once with [ErrUnknownKey] (counted as
// rate_limited). A key the provider has just added may therefore be refused
// for up to one MinRefreshInterval window after the previous fetch. A miss
// waits at most MaxWait, and never past its context's deadline less a margin
// (a tenth of the time left, at most 50ms) so that the answer beats the
// proxy's own timeout; forward-auth requests carry no deadline, so MaxWait
// bounds them.
//
// # Settings and defaults
//
// See [Config]: RefreshInterval 10m, MinRefreshInterval 5s, MaxWait 1s,
// FetchTimeout 5s, MaxStale 24h, MinCacheTTL 1m, MaxCacheTTL 24h,
// BackoffInitial 1s, BackoffMax 5m, MaxResponseBytes 1 MiB, MaxKeys 100,
// MaxRedirects 3.
//
// # Logs and metrics
//
// The owner logs through [Config.Logger] one line per state change (keys
// loaded or rotated with counts, refresh failing, recovered, keys skipped,
// too stale, jwks_uri changed), never per request and never key material.
// It reports through [Config.Metrics]: refreshes by result, fetch errors by
// kind, fetch durations, key counts, last confirmation and readiness.
package jwks
