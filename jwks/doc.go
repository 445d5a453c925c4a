// Package jwks fetches, caches and refreshes the signing keys of OpenID
// Connect providers.
//
// Each provider has one [Cache], whose [Cache.Run] goroutine alone fetches
// and replaces the provider's keys, under the context given to Run (never a
// request's). Requests read immutable [Set] snapshots without locks; on a
// miss they send the owner a message and wait with their own context, so a
// request that gives up stops waiting while the fetch goes on for everyone.
package jwks
