package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "extauthz.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRunFailures checks that every way the service cannot start gives its
// exit status and one clear line on stderr.
func TestRunFailures(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyAddr := busy.Addr().String()
	provider := "providers: [{name: main, issuer: 'https://idp.example.com', audiences: [api]}]\n"
	inUse := writeConfig(t, fmt.Sprintf("listen: {grpc: '127.0.0.1:0', http: '%s', admin: '127.0.0.1:0'}\n",
		busyAddr)+provider)
	wantInUse := fmt.Sprintf("extauthz: listen.http: listen tcp %s: bind: address already in use\n", busyAddr)
	badConfig := writeConfig(t, "providers: [{name: a, issuer: 'https://a', audiences: [x], clock_skew: -1s}]")
	absent := filepath.Join(t.TempDir(), "absent.yaml")

	tests := []struct {
		name       string
		give       []string
		wantStatus int
		wantStderr string // the whole of stderr, when wantLine
		wantLine   bool
	}{
		{"port in use", []string{"serve", "--config", inUse}, 1, wantInUse, true},
		{"port in use, short form", []string{"--config", inUse}, 1, wantInUse, true},
		{"bad config", []string{"serve", "--config", badConfig}, 1,
			`extauthz: config: providers[0].clock_skew: negative duration "-1s"` + "\n", true},
		{"missing config file", []string{"--config", absent}, 1,
			"extauthz: config: open " + absent + ": no such file or directory\n", true},
		{"bad log level flag", []string{"serve", "--config", inUse, "--log-level", "loud"}, 1,
			`extauthz: --log-level: want debug, info, warn or error, got "loud"` + "\n", true},
		{"dev issuer port in use", []string{"dev", "--issuer", busyAddr}, 1,
			fmt.Sprintf("extauthz: dev issuer: devidp: listen tcp %s: bind: address already in use\n",
				busyAddr), true},
		{"dev issuer not loopback", []string{"dev", "--issuer", "0.0.0.0:0"}, 1,
			`extauthz: dev issuer: devidp: "0.0.0.0" is not a loopback IP address; the development ` +
				"issuer serves only on loopback (for example 127.0.0.1)\n", true},
		{"dev grpc port in use", []string{"dev", "--issuer", "127.0.0.1:0", "--grpc", busyAddr,
			"--http", "127.0.0.1:0", "--admin", "127.0.0.1:0"}, 1,
			fmt.Sprintf("extauthz: listen.grpc: listen tcp %s: bind: address already in use\n", busyAddr), true},
		{"no config", nil, 2, "serve needs --config FILE", false},
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`, false},
		{"unknown flag", []string{"serve", "--confg", "x"}, 2, "flag provided but not defined", false},
		{"stray argument", []string{"dev", "now"}, 2, "dev takes no arguments", false},
		{"dev help", []string{"dev", "-h"}, 0, "-issuer address", false},
		{"serve help", []string{"serve", "-h"}, 0, "-config file", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			got := run(context.Background(), tt.give, &stdout, &stderr)
			if got != tt.wantStatus {
				t.Errorf("run(%q) = %d, want %d; stderr:\n%s", tt.give, got, tt.wantStatus, &stderr)
			}
			if tt.wantLine && stderr.String() != tt.wantStderr {
				t.Errorf("run(%q) stderr = %q,\nwant %q", tt.give, &stderr, tt.wantStderr)
			}
			if !tt.wantLine && !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("run(%q) stderr = %q, want it to contain %q", tt.give, &stderr, tt.wantStderr)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if got := run(context.Background(), []string{"help"}, &stdout, &stderr); got != 0 {
		t.Errorf("run(help) = %d, want 0", got)
	}
	if !strings.Contains(stdout.String(), "extauthz serve --config FILE") {
		t.Errorf("help output = %q, want the usage", &stdout)
	}
}
