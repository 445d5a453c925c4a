// Package authz decides whether a request may pass, for Envoy's ext_authz
// filter (gRPC, API v3) and for HTTP forward-auth proxies such as nginx's
// auth_request. A [Server] is safe for concurrent use.
//
// # The decision
//
// The bearer token comes from the request's single Authorization header
// (RFC 6750 2.1). Its unverified iss claim selects one of the configured
// [Provider]s by exact comparison; it is never used as a URL. The token's
// kid, if any, is only a key into that provider's key set, and header
// parameters that carry a key or a key location (jwk, jku, x5u, x5c) are
// never read. The algorithm must be on the provider's allow-list and fit the
// key's type and curve, and the key's own alg, use and key_ops must allow it.
// HMAC and "none" are not supported at all. Then the signature, exp (always
// required), nbf, iat, aud and the provider's own constraints are checked.
// Input is bounded by [Limits] before any expensive work.
//
// Every outcome has a [Reason] from a closed set. The reason is the metric
// label and the log attribute; it also picks the HTTP status, the gRPC
// status code and a fixed response body, which never carries token content
// or internal error text.
//
// # Denials are answers, not errors
//
// Check returns a gRPC error for no decision: a denial is an ordinary
// CheckResponse with a non-OK status code and a DeniedHttpResponse. Envoy
// treats a failed Check call according to its failure_mode_allow setting,
// which, when true, lets the request through: returning an error for a bad
// token, or for keys that cannot be fetched, could therefore fail open.
// Missing keys are answered with HTTP 503 (reason keys_unavailable, status
// code UNAVAILABLE), so clients retry rather than fetch new tokens from an
// identity provider that may be in trouble. 403 (PERMISSION_DENIED) is
// reserved for valid tokens that fail a route's policy.
//
// # Identity headers
//
// An allowed request gets x-jwt-sub and x-jwt-iss: Check overwrites them
// upstream and removes those it has no safe value for, so a copy sent by the
// client never reaches the upstream; the forward-auth handler returns them as
// response headers, and the proxy must strip client-sent copies itself.
package authz
