package jwks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Behaviour 7, second half: the cache directory.
func TestCacheDirRestartDuringOutage(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "jwks") // created by New, mode 0700
	synctest.Test(t, func(t *testing.T) {
		k1, _, _ := threeKeys(t)
		idp := newFakeIdP(testIssuer, k1)
		idp.etag = `"v1"`
		first := newHarness(t, idp, Config{CacheDir: dir, MaxStale: 2 * time.Hour}).start()
		synctest.Wait()
		first.mustGet("k1")
		confirmed := time.Now()
		first.stop()

		files, err := filepath.Glob(filepath.Join(dir, "jwks-*.json"))
		if err != nil || len(files) != 1 {
			t.Fatalf("saved files %v (%v), want one", files, err)
		}
		for path, want := range map[string]os.FileMode{dir: 0o700, files[0]: 0o600} {
			if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != want {
				t.Errorf("%s: mode %v (%v), want %v", path, fi.Mode().Perm(), err, want)
			}
		}
		if data, _ := os.ReadFile(files[0]); strings.Contains(string(data), "private") {
			t.Errorf("saved file holds unexpected content")
		}

		advance(time.Hour) // the process is down for an hour, then the provider too
		idp.set(func(p *fakeIdP) { p.killed = true })
		second := newHarness(t, idp, Config{CacheDir: dir, MaxStale: 2 * time.Hour})
		if second.c.Ready() {
			t.Error("Ready before Run")
		}
		second.start()
		synctest.Wait()
		if !second.c.Ready() {
			t.Fatal("not Ready with saved keys during an outage")
		}
		if s := second.mustGet("k1"); !s.Fetched().Equal(confirmed) {
			t.Errorf("restored keys confirmed at %v, want the saved time %v", s.Fetched(), confirmed)
		}
		if second.fetchErrors(KindConnect) != 1 {
			t.Error("the start-up fetch did not fail as arranged")
		}
		// MaxStale counts from the saved confirmation, not from the restart.
		advance(time.Until(confirmed.Add(2 * time.Hour)))
		second.getErr("k1", ErrKeysUnavailable)
		if diff := cmp.Diff([]bool{true, false}, second.readyEvents()); diff != "" {
			t.Errorf("OnReadyChange calls (-want +got):\n%s", diff)
		}

		// With the provider back, the saved ETag revalidates the saved keys.
		idp.set(func(p *fakeIdP) { p.killed = false })
		advance(5 * time.Minute)
		second.mustGet("k1")
		if second.refreshes("not_modified") != 1 {
			t.Errorf("not_modified = %v, want 1: the saved ETag was not sent",
				second.refreshes("not_modified"))
		}
		second.stop()
	})
}

func TestCacheDirRefusesWritableDir(t *testing.T) {
	for _, mode := range []os.FileMode{0o770, 0o707, 0o777} {
		dir := t.TempDir()
		if err := os.Chmod(dir, mode); err != nil {
			t.Fatal(err)
		}
		_, err := New(Config{Issuer: testIssuer, CacheDir: dir})
		if err == nil || !strings.Contains(err.Error(), "writable") {
			t.Errorf("New with a cache directory of mode %v: %v, want a refusal", mode, err)
		}
	}
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{Issuer: testIssuer, CacheDir: notDir}); err == nil {
		t.Error("New with a file as cache directory succeeded")
	}
}

func TestCacheDirIgnoresBadFiles(t *testing.T) {
	k1, _, _ := threeKeys(t)
	good := string(jwksDoc(t, k1))
	confirmed := time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC).Format(time.RFC3339)
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
	}{
		{"corrupt", "{not json", 0o600},
		{"truncated", `{"issuer":"` + testIssuer + `","jwks":{"keys":[`, 0o600},
		{"other issuer", `{"issuer":"https://other.test","jwks_uri":"https://other.test/k",` +
			`"confirmed":"` + confirmed + `","jwks":` + good + `}`, 0o600},
		{"no usable key", `{"issuer":"` + testIssuer + `","jwks_uri":"https://idp.test/keys",` +
			`"confirmed":"` + confirmed + `","jwks":{"keys":[]}}`, 0o600},
		{"confirmed in the future", `{"issuer":"` + testIssuer + `","jwks_uri":"https://idp.test/keys",` +
			`"confirmed":"2999-01-01T00:00:00Z","jwks":` + good + `}`, 0o600},
		{"world-writable", `{"issuer":"` + testIssuer + `","jwks_uri":"https://idp.test/keys",` +
			`"confirmed":"` + confirmed + `","jwks":` + good + `}`, 0o666},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				dir := t.TempDir()
				st, err := openStore(dir, "test", testIssuer)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(st.path, []byte(tt.content), tt.mode); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(st.path, tt.mode); err != nil {
					t.Fatal(err)
				}
				idp := newFakeIdP(testIssuer, k1)
				idp.killed = true
				h := newHarness(t, idp, Config{CacheDir: dir}).start()
				synctest.Wait()
				if h.c.Ready() {
					t.Error("Ready from a file that should have been ignored")
				}
				if n := h.logs.count("ignoring saved keys"); n != 1 {
					t.Errorf("%d log lines about the ignored file, want 1", n)
				}
			})
		})
	}
}

// The control for TestCacheDirIgnoresBadFiles: a well-formed file is used.
func TestCacheDirUsesGoodFile(t *testing.T) {
	k1, _, _ := threeKeys(t)
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		st, err := openStore(dir, "test", testIssuer)
		if err != nil {
			t.Fatal(err)
		}
		err = st.save(&saved{Issuer: testIssuer, JWKSURI: testIssuer + "/keys",
			Confirmed: time.Now().Add(-time.Minute), JWKS: jwksDoc(t, k1)})
		if err != nil {
			t.Fatal(err)
		}
		idp := newFakeIdP(testIssuer, k1)
		idp.killed = true
		h := newHarness(t, idp, Config{CacheDir: dir}).start()
		synctest.Wait()
		h.mustGet("k1")
	})
}
