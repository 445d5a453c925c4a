// Package authz decides whether a request may pass, for Envoy's ext_authz
// filter (gRPC, API v3) and for HTTP forward-auth proxies.
package authz
