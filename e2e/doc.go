// Package e2e holds extauthz's end-to-end tests: the built binary against programs this
// project did not write, all started by the tests on 127.0.0.1 free ports.
//
//   - a real OpenID provider: the npm package oauth2-mock-server 8.2.3, driven by idp/idp.mjs;
//   - grpcurl v1.9.4 sending Envoy CheckRequests to the gRPC listener;
//   - nginx with auth_request in front of an upstream, calling the forward-auth listener.
//
// The tests run only with EXTAUTHZ_E2E=1, which scripts/test.sh sets after installing those
// peers; with it set, a missing peer fails the test instead of skipping it. Plain
// `go test ./...` skips them with a message naming scripts/test.sh.
package e2e
