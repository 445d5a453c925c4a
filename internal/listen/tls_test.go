package listen

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// pki is a CA that issues certificates for a test.
type pki struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

var serial struct {
	sync.Mutex
	n int64
}

func nextSerial() *big.Int {
	serial.Lock()
	defer serial.Unlock()
	serial.n++
	return big.NewInt(serial.n)
}

func newCA(t *testing.T, name string) *pki {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          nextSerial(),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &pki{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue returns a certificate (PEM), its key (PEM) and its serial number.
func (ca *pki) issue(t *testing.T, usage x509.ExtKeyUsage) (certPEM, keyPEM []byte, sn *big.Int) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sn = nextSerial()
	tmpl := &x509.Certificate{
		SerialNumber: sn,
		Subject:      pkix.Name{CommonName: "extauthz-test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), sn
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	// Written beside and renamed, as certificate managers do, so a reader
	// never sees half a file.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// fakeClock is a clock moved by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// serve starts an HTTPS server on loopback using cfg and returns its URL.
func serve(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }),
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(tls.NewListener(ln, cfg)) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve() = %v, want ErrServerClosed", err)
		}
	})
	return "https://" + ln.Addr().String()
}

// get fetches url trusting ca and presenting client (if any), and returns
// the serial number of the server's certificate.
func get(t *testing.T, url string, ca *pki, client *tls.Certificate) (*big.Int, error) {
	t.Helper()
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	tc := &tls.Config{RootCAs: roots}
	if client != nil {
		tc.Certificates = []tls.Certificate{*client}
	}
	tr := &http.Transport{TLSClientConfig: tc, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if _, err := io.ReadAll(resp.Body); err != nil {
		return nil, err
	}
	return resp.TLS.PeerCertificates[0].SerialNumber, nil
}

type files struct {
	Files
	dir string
}

func newFiles(t *testing.T, cert, key, ca []byte) files {
	dir := t.TempDir()
	f := files{Files{filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"), ""}, dir}
	writeFile(t, f.CertFile, cert)
	writeFile(t, f.KeyFile, key)
	if ca != nil {
		f.ClientCAFile = filepath.Join(dir, "ca.crt")
		writeFile(t, f.ClientCAFile, ca)
	}
	return f
}

func TestServerTLS(t *testing.T) {
	ca := newCA(t, "server CA")
	cert, key, sn := ca.issue(t, x509.ExtKeyUsageServerAuth)
	r, err := NewReloader(newFiles(t, cert, key, nil).Files, nil)
	if err != nil {
		t.Fatalf("NewReloader() error = %v", err)
	}
	url := serve(t, r.ServerConfig("http/1.1"))

	got, err := get(t, url, ca, nil)
	if err != nil {
		t.Fatalf("GET without a client certificate: %v", err)
	}
	if got.Cmp(sn) != 0 {
		t.Errorf("server certificate serial = %v, want %v", got, sn)
	}
}

func TestMutualTLS(t *testing.T) {
	ca := newCA(t, "mesh CA")
	other := newCA(t, "other CA")
	cert, key, _ := ca.issue(t, x509.ExtKeyUsageServerAuth)
	r, err := NewReloader(newFiles(t, cert, key, ca.pem).Files, nil)
	if err != nil {
		t.Fatalf("NewReloader() error = %v", err)
	}
	url := serve(t, r.ServerConfig("http/1.1"))

	clientCert := func(issuer *pki) *tls.Certificate {
		c, k, _ := issuer.issue(t, x509.ExtKeyUsageClientAuth)
		pair, err := tls.X509KeyPair(c, k)
		if err != nil {
			t.Fatal(err)
		}
		return &pair
	}
	if _, err := get(t, url, ca, clientCert(ca)); err != nil {
		t.Errorf("GET with a certificate from the client CA: %v", err)
	}
	if _, err := get(t, url, ca, nil); err == nil {
		t.Errorf("GET without a client certificate succeeded, want a handshake failure")
	}
	if _, err := get(t, url, ca, clientCert(other)); err == nil {
		t.Errorf("GET with a certificate from another CA succeeded, want a handshake failure")
	}
}

func TestReloadOnChange(t *testing.T) {
	ca := newCA(t, "server CA")
	cert1, key1, sn1 := ca.issue(t, x509.ExtKeyUsageServerAuth)
	f := newFiles(t, cert1, key1, nil)
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	r, err := newReloader(f.Files, nil, clock.Now)
	if err != nil {
		t.Fatalf("newReloader() error = %v", err)
	}
	url := serve(t, r.ServerConfig("http/1.1"))
	wantSerial := func(step string, want *big.Int) {
		t.Helper()
		got, err := get(t, url, ca, nil)
		if err != nil {
			t.Fatalf("%s: GET: %v", step, err)
		}
		if got.Cmp(want) != 0 {
			t.Errorf("%s: server certificate serial = %v, want %v", step, got, want)
		}
	}

	cert2, key2, sn2 := ca.issue(t, x509.ExtKeyUsageServerAuth)
	writeFile(t, f.KeyFile, key2)
	writeFile(t, f.CertFile, cert2)
	wantSerial("within the check interval", sn1)

	clock.Advance(checkInterval)
	wantSerial("after the check interval", sn2)

	// A broken renewal (key not matching the certificate) keeps the old pair.
	_, key3, _ := ca.issue(t, x509.ExtKeyUsageServerAuth)
	writeFile(t, f.KeyFile, key3)
	clock.Advance(checkInterval)
	wantSerial("after a broken renewal", sn2)

	// A removed file also keeps the old pair.
	if err := os.Remove(f.CertFile); err != nil {
		t.Fatal(err)
	}
	clock.Advance(checkInterval)
	wantSerial("after the certificate file was removed", sn2)
}

func TestReloadClientCA(t *testing.T) {
	ca1, ca2 := newCA(t, "CA one"), newCA(t, "CA two")
	cert, key, _ := ca1.issue(t, x509.ExtKeyUsageServerAuth)
	f := newFiles(t, cert, key, ca1.pem)
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	r, err := newReloader(f.Files, nil, clock.Now)
	if err != nil {
		t.Fatalf("newReloader() error = %v", err)
	}
	url := serve(t, r.ServerConfig("http/1.1"))
	c2, k2, _ := ca2.issue(t, x509.ExtKeyUsageClientAuth)
	pair, err := tls.X509KeyPair(c2, k2)
	if err != nil {
		t.Fatal(err)
	}

	if _, err := get(t, url, ca1, &pair); err == nil {
		t.Fatalf("GET with a CA-two client certificate succeeded before the CA changed")
	}
	writeFile(t, f.ClientCAFile, ca2.pem)
	clock.Advance(checkInterval)
	if _, err := get(t, url, ca1, &pair); err != nil {
		t.Errorf("GET with a CA-two client certificate after the CA changed: %v", err)
	}
}

func TestNewReloaderErrors(t *testing.T) {
	ca := newCA(t, "CA")
	cert, key, _ := ca.issue(t, x509.ExtKeyUsageServerAuth)
	_, otherKey, _ := ca.issue(t, x509.ExtKeyUsageServerAuth)
	dir := t.TempDir()
	tests := []struct {
		name    string
		give    func() Files
		wantErr string
	}{
		{"missing cert", func() Files {
			f := newFiles(t, cert, key, nil)
			f.CertFile = filepath.Join(dir, "absent.crt")
			return f.Files
		}, "no such file"},
		{"mismatched key", func() Files { return newFiles(t, cert, otherKey, nil).Files },
			"private key does not match public key"},
		{"not PEM", func() Files { return newFiles(t, []byte("garbage"), key, nil).Files },
			"failed to find any PEM data"},
		{"CA without certificates", func() Files {
			return newFiles(t, cert, key, []byte("not a certificate")).Files
		}, "no PEM certificates found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewReloader(tt.give(), nil)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("NewReloader() error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
