package tlsconn

import (
	"crypto/tls"
	"encoding/pem"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shinglekv/shingle/internal/certgen"
	"github.com/shinglekv/shingle/internal/testutil"
)

func TestEncryptedKey(t *testing.T) {
	dir := t.TempDir()
	p := testutil.NewPKI(t, "ca")
	s, serial := serverSettings(t, p)
	s.AuthClients = AuthClientsNo
	plain, err := os.ReadFile(s.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := certgen.EncryptKeyPEM(plain, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	// A PKCS#8-encrypted block; its content does not matter, its type
	// decides.
	pkcs8 := pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{0x30, 0x03, 0x02, 0x01, 0x00}})
	if err := certgen.WriteFiles(dir, map[string][]byte{"enc.key": enc, "pkcs8.key": pkcs8}); err != nil {
		t.Fatal(err)
	}
	plainKey := s.KeyFile
	s.KeyFile = filepath.Join(dir, "enc.key")

	s.KeyFilePass = "correct horse"
	cfg, err := s.ServerConfig()
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, cfg)
	c, err := connect(t, srv.addr, p.ClientTLS(t, false))
	if err != nil {
		t.Fatal(err)
	}
	if serverSerial(c).Cmp(serial) != 0 {
		t.Fatal("wrong certificate served")
	}

	for _, pass := range []string{"wrong", "Correct horse", ""} {
		s.KeyFilePass = pass
		err := s.Validate()
		settingError(t, err, "tls-key-file-pass", ErrKeyPassword)
		if pass != "" && strings.Contains(err.Error(), pass) {
			t.Errorf("error %q shows the password", err)
		}
	}

	// A password for an unencrypted key is ignored, as OpenSSL does.
	s.KeyFile, s.KeyFilePass = plainKey, "unused"
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}

	s.KeyFile = filepath.Join(dir, "pkcs8.key")
	err = s.Validate()
	settingError(t, err, "tls-key-file", ErrNotSupportedByGo)
	if !strings.Contains(err.Error(), "openssl pkey") {
		t.Errorf("error %q does not say how to convert the key", err)
	}

	// The client pair's password is checked the same way.
	s.KeyFile, s.KeyFilePass = plainKey, ""
	s.ClientCertFile, s.ClientKeyFile, s.ClientKeyFilePass = s.CertFile, filepath.Join(dir, "enc.key"), "wrong"
	settingError(t, s.Validate(), "tls-client-key-file-pass", ErrKeyPassword)
	s.ClientKeyFilePass = "correct horse"
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestEncryptedKeyFromOpenSSL reads a key that OpenSSL itself encrypted in
// its traditional format.
func TestEncryptedKeyFromOpenSSL(t *testing.T) {
	openssl := testutil.RequireTool(t, "openssl")
	dir := t.TempDir()
	p := testutil.NewPKI(t, "ca")
	s, _ := serverSettings(t, p)
	s.AuthClients = AuthClientsNo
	out := filepath.Join(dir, "openssl.key")
	if b, err := exec.Command(openssl, "pkey", "-in", s.KeyFile, "-traditional", "-aes256",
		"-passout", "pass:sesame", "-out", out).CombinedOutput(); err != nil {
		t.Fatalf("openssl: %v\n%s", err, b)
	}
	s.KeyFile, s.KeyFilePass = out, "sesame"
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	// And the PKCS#8 form it writes by default is refused with advice.
	out8 := filepath.Join(dir, "openssl8.key")
	if b, err := exec.Command(openssl, "pkey", "-in", p.KeyFile, "-aes256",
		"-passout", "pass:sesame", "-out", out8).CombinedOutput(); err != nil {
		t.Fatalf("openssl: %v\n%s", err, b)
	}
	s.KeyFile = out8
	settingError(t, s.Validate(), "tls-key-file", ErrNotSupportedByGo)
}

func TestCACertDir(t *testing.T) {
	root := t.TempDir()
	p1 := testutil.NewPKI(t, "ca1")
	p2 := testutil.NewPKI(t, "ca2")
	p3 := testutil.NewPKI(t, "ca3")
	s, _ := serverSettings(t, p1)
	s.CACertFile = ""

	cadir := filepath.Join(root, "cadir")
	if err := os.Mkdir(cadir, 0o700); err != nil {
		t.Fatal(err)
	}
	s.CACertDir = cadir
	settingError(t, s.Validate(), "tls-ca-cert-dir", ErrInvalidSetting) // empty
	if err := os.WriteFile(filepath.Join(cadir, "README"), []byte("not a certificate\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	settingError(t, s.Validate(), "tls-ca-cert-dir", ErrInvalidSetting) // no certificate

	// A plain .pem file, a c_rehash-style hashed symbolic link to a file
	// elsewhere, a subdirectory and a dangling link.
	if err := os.WriteFile(filepath.Join(cadir, "ca1.pem"), p1.CA.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(p2.CAFile, filepath.Join(cadir, "5d8c2a3f.0")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(cadir, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cadir, "sub", "ca3.pem"), p3.CA.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "nowhere"), filepath.Join(cadir, "deadbeef.0")); err != nil {
		t.Fatal(err)
	}
	cfg, err := s.ServerConfig()
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, cfg)
	for _, tc := range []struct {
		p    *testutil.PKI
		want bool
	}{{p1, true}, {p2, true}, {p3, false}} {
		certFile, keyFile := tc.p.Issue(t, "client", testutil.ClientLeaf("client"))
		_, err := connect(t, srv.addr, &tls.Config{RootCAs: p1.Pool(), ServerName: "localhost",
			Certificates: []tls.Certificate{testutil.LoadPair(t, certFile, keyFile)}})
		if (err == nil) != tc.want {
			t.Errorf("client of %s: %v, want success %v", tc.p.CA.Cert.Subject.CommonName, err, tc.want)
		}
		srv.next(t)
	}

	// File and directory together.
	s.CACertFile = p3.CAFile
	cfg, err = s.ServerConfig()
	if err != nil {
		t.Fatal(err)
	}
	srv = startServer(t, cfg)
	certFile, keyFile := p3.Issue(t, "client", testutil.ClientLeaf("client"))
	if _, err := connect(t, srv.addr, &tls.Config{RootCAs: p1.Pool(), ServerName: "localhost",
		Certificates: []tls.Certificate{testutil.LoadPair(t, certFile, keyFile)}}); err != nil {
		t.Errorf("client of the CA file refused with a CA dir too: %v", err)
	}
}

// TestFilesReadOnce counts the reads of a build and of the sum that
// auto-reload compares: each file, the CA directory's included, is read
// once, so that the sum is of the bytes the build used.
func TestFilesReadOnce(t *testing.T) {
	dir := t.TempDir()
	p := testutil.NewPKI(t, "ca")
	s, _ := serverSettings(t, p)
	s.ClientCertFile, s.ClientKeyFile = p.Issue(t, "client", testutil.ClientLeaf("client"))
	cadir := filepath.Join(dir, "cadir")
	if err := os.Mkdir(cadir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cadir, "ca.pem"), p.CA.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	s.CACertDir = cadir
	counting := func() (*fileSet, map[string]int) {
		reads := map[string]int{}
		f := newFileSet()
		f.readFile = func(path string) ([]byte, error) {
			reads[path]++
			return os.ReadFile(path)
		}
		return f, reads
	}
	want := []string{s.CertFile, s.KeyFile, s.ClientCertFile, s.ClientKeyFile, s.CACertFile, filepath.Join(cadir, "ca.pem")}
	check := func(what string, reads map[string]int) {
		t.Helper()
		for _, path := range want {
			if reads[path] != 1 {
				t.Errorf("%s read %s %d times, want once", what, path, reads[path])
			}
		}
		if len(reads) != len(want) {
			t.Errorf("%s read %v, want %v", what, reads, want)
		}
	}

	f, reads := counting()
	b, sum, err := buildServerTLS(s, f)
	if err != nil {
		t.Fatal(err)
	}
	check("a build and its sum", reads)
	if b.sum != sum || sum != f.sum(&s) {
		t.Error("the sum of a build is not that of the files it read")
	}

	// A build that fails early still sums every file, so that the failure
	// is remembered against all of them.
	broken := s
	broken.KeyFile = filepath.Join(dir, "missing.key")
	f, _ = counting()
	_, sum, err = buildServerTLS(broken, f)
	settingError(t, err, "tls-key-file", fs.ErrNotExist)
	if g, _ := counting(); sum != g.sum(&broken) {
		t.Error("a failed build's sum differs from a full reading of the same files")
	}

	// What ReloadIfChanged does: compare, then build from the same reading.
	holder, err := NewServerTLS(s)
	if err != nil {
		t.Fatal(err)
	}
	f, reads = counting()
	f.sum(&s)
	holder.mu.Lock()
	err = holder.reloadLocked(f)
	holder.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	check("a comparison and the reload after it", reads)
}
