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

// A directory of mode 0755 that another user owns is refused: that user
// could plant a file of keys in it.
func TestCacheDirRefusesOthersDir(t *testing.T) {
	dir := t.TempDir() // ours, mode 0700
	if _, err := openStoreUID(dir, "test", testIssuer, os.Getuid()); err != nil {
		t.Fatalf("openStoreUID(our own directory) = %v, want success", err)
	}
	other := os.Getuid() + 1
	_, err := openStoreUID(dir, "test", testIssuer, other)
	if err == nil || !strings.Contains(err.Error(), "owned by uid") {
		t.Errorf("openStoreUID(directory of another uid) = %v, want a refusal", err)
	}
}

// The reviewer's repro, through New: only root can give a directory away.
func TestCacheDirRefusesNobodysDir(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("chown needs root")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	_, err := New(Config{Issuer: testIssuer, CacheDir: dir})
	if err == nil || !strings.Contains(err.Error(), "owned by uid 65534") {
		t.Errorf("New with a cache directory owned by nobody: %v, want a refusal", err)
	}
}

const nobody = 65534

func TestCacheDirIgnoresBadFiles(t *testing.T) {
	k1, _, _ := threeKeys(t)
	good := string(jwksDoc(t, k1))
	confirmed := time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC).Format(time.RFC3339)
	doc := func(issuer, uri, confirmed, jwks string) string {
		return `{"issuer":"` + issuer + `","jwks_uri":"` + uri + `","confirmed":"` + confirmed +
			`","jwks":` + jwks + `}`
	}
	usable := doc(testIssuer, "https://idp.test/keys", confirmed, good)
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
		prepare func(t *testing.T, path string) // after the file is written, if set
		root    bool                            // prepare needs root
	}{
		{name: "corrupt", content: "{not json", mode: 0o600},
		{name: "truncated", mode: 0o600,
			content: `{"issuer":"` + testIssuer + `","jwks":{"keys":[`},
		{name: "other issuer", mode: 0o600,
			content: doc("https://other.test", "https://other.test/k", confirmed, good)},
		{name: "no usable key", mode: 0o600,
			content: doc(testIssuer, "https://idp.test/keys", confirmed, `{"keys":[]}`)},
		{name: "confirmed in the future", mode: 0o600,
			content: doc(testIssuer, "https://idp.test/keys", "2999-01-01T00:00:00Z", good)},
		{name: "world-writable", content: usable, mode: 0o666},
		{name: "world-readable", content: usable, mode: 0o644},
		{name: "group-readable", content: usable, mode: 0o640},
		{name: "setuid", content: usable, mode: 0o600 | os.ModeSetuid},
		{name: "symlink", content: usable, mode: 0o600, prepare: func(t *testing.T, path string) {
			target := filepath.Join(t.TempDir(), "keys.json")
			if err := os.Rename(path, target); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, path); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "owned by nobody", content: usable, mode: 0o600, root: true,
			prepare: func(t *testing.T, path string) {
				if err := os.Chown(path, nobody, nobody); err != nil {
					t.Fatal(err)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.root && os.Getuid() != 0 {
				t.Skip("chown needs root")
			}
			synctest.Test(t, func(t *testing.T) {
				dir := t.TempDir()
				st, err := openStore(dir, "test", testIssuer)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(st.path, []byte(tt.content), 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(st.path, tt.mode); err != nil {
					t.Fatal(err)
				}
				if tt.prepare != nil {
					tt.prepare(t, st.path)
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

// A saved file is used only when its owner is the uid the store was opened
// for; the test cannot give a file away without root, so it opens the same
// directory as another uid would see it.
func TestStoreLoadChecksOwner(t *testing.T) {
	k1, _, _ := threeKeys(t)
	dir := t.TempDir()
	st, err := openStore(dir, "test", testIssuer)
	if err != nil {
		t.Fatal(err)
	}
	want := &saved{Issuer: testIssuer, JWKSURI: testIssuer + "/keys",
		Confirmed: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), JWKS: jwksDoc(t, k1)}
	if err := st.save(want); err != nil {
		t.Fatal(err)
	}
	if got, err := st.load(); err != nil || got == nil || got.Issuer != testIssuer {
		t.Fatalf("load() by the owner = %+v, %v, want the saved keys", got, err)
	}

	other := &store{path: st.path, uid: os.Getuid() + 1}
	got, err := other.load()
	if err == nil || !strings.Contains(err.Error(), "owned by uid") {
		t.Errorf("load() of a file owned by another uid = %+v, %v, want a refusal", got, err)
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
