package tlsconn

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/shinglekv/shingle/internal/certgen"
	"github.com/shinglekv/shingle/internal/testutil"
)

// served is a ServerTLS (tls-auth-clients no) serving an echo server, and
// a client trusting its CA, for tests that change its files.
type served struct {
	dir    string
	p      *testutil.PKI
	s      Settings
	serial *big.Int // of the certificate first in service
	holder *ServerTLS
	srv    *echoServer
	client *tls.Config
}

func newServed(t *testing.T) *served {
	t.Helper()
	dir := t.TempDir()
	p := testutil.NewPKI(t, "ca")
	s, serial := serverSettings(t, p)
	s.AuthClients = AuthClientsNo
	holder, err := NewServerTLS(s)
	if err != nil {
		t.Fatal(err)
	}
	return &served{dir: dir, p: p, s: s, serial: serial, holder: holder, srv: startServer(t, holder.Config()),
		client: p.ClientTLS(t, false)}
}

func TestServerTLSUpdate(t *testing.T) {
	sv := newServed(t)
	dir, p, s, serialA, holder, srv, client := sv.dir, sv.p, sv.s, sv.serial, sv.holder, sv.srv, sv.client
	before, err := connect(t, srv.addr, client)
	if err != nil {
		t.Fatal(err)
	}
	if serverSerial(before).Cmp(serialA) != 0 {
		t.Fatal("first connection does not see certificate A")
	}

	// Rotate the files in place and reload with identical settings.
	_, _, serialB := issue(t, p, "server", certgen.ServerLeafOptions())
	if err := holder.Update(s); err != nil {
		t.Fatal(err)
	}
	after, err := connect(t, srv.addr, client)
	if err != nil {
		t.Fatal(err)
	}
	if serverSerial(after).Cmp(serialB) != 0 {
		t.Fatal("a new handshake after Update does not see certificate B")
	}
	if err := roundTrip(before); err != nil {
		t.Fatalf("connection made before Update broke: %v", err)
	}

	// Failed updates keep B in service.
	missing := s
	missing.CertFile = filepath.Join(dir, "missing.crt")
	settingError(t, holder.Update(missing), "tls-cert-file", fs.ErrNotExist)
	otherCert, _ := p.Issue(t, "other", certgen.ServerLeafOptions())
	mismatch := s
	mismatch.CertFile = otherCert
	settingError(t, holder.Update(mismatch), "tls-key-file", ErrInvalidSetting)
	badAuth := s
	badAuth.AuthClients = AuthClientsYes
	badAuth.CACertFile = ""
	settingError(t, holder.Update(badAuth), "tls-auth-clients", ErrCARequired)
	if holder.Settings() != s {
		t.Fatalf("Settings changed by failed updates: %+v", holder.Settings())
	}
	c, err := connect(t, srv.addr, client)
	if err != nil {
		t.Fatal(err)
	}
	if serverSerial(c).Cmp(serialB) != 0 {
		t.Fatal("a failed Update changed the certificate in service")
	}

	// A successful change of policy applies to new handshakes.
	strict := s
	strict.AuthClients = AuthClientsYes
	if err := holder.Update(strict); err != nil {
		t.Fatal(err)
	}
	if holder.Settings() != strict {
		t.Fatal("Settings does not report the update")
	}
	if _, err := connect(t, srv.addr, client); err == nil {
		t.Fatal("client without certificate accepted after tls-auth-clients yes")
	}
	if err := roundTrip(after); err != nil {
		t.Fatalf("connection made before the policy change broke: %v", err)
	}
}

// ExampleServerTLS shows a listener whose certificate can be rotated. It is
// compiled, not run: it needs certificate files.
func ExampleServerTLS() {
	s := DefaultSettings()
	s.CertFile, s.KeyFile = "/etc/shingle/server.crt", "/etc/shingle/server.key"
	s.CACertFile = "/etc/shingle/ca.crt"
	holder, err := NewServerTLS(s)
	if err != nil {
		var se *SettingError
		if errors.As(err, &se) {
			fmt.Println("cannot apply", se.Directive+":", err)
		}
		return
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", holder.Config())
	if err != nil {
		return
	}
	defer ln.Close()
	// ... serve ln ...

	// On CONFIG SET tls-cert-file, even to the same path: new handshakes
	// get the new certificate, established connections carry on.
	if err := holder.Update(s); err != nil {
		fmt.Println("kept the old certificate:", err)
	}
}

// TestServerTLSReloadIfChanged rotates the files under a ServerTLS:
// ReloadIfChanged reloads only when their contents changed, tries a broken
// file once (not at every check), and a configuration adopted from another
// ServerTLS brings the sum of the files it was built from.
func TestServerTLSReloadIfChanged(t *testing.T) {
	sv := newServed(t)
	dir, p, s, serialA, holder, srv, client := sv.dir, sv.p, sv.s, sv.serial, sv.holder, sv.srv, sv.client
	serving := func() *big.Int {
		t.Helper()
		c, err := connect(t, srv.addr, client)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return serverSerial(c)
	}
	reload := func(wantReloaded bool) error {
		t.Helper()
		reloaded, err := holder.ReloadIfChanged()
		if reloaded != wantReloaded {
			t.Fatalf("ReloadIfChanged reloaded %v, want %v (err %v)", reloaded, wantReloaded, err)
		}
		return err
	}

	if err := reload(false); err != nil {
		t.Fatal(err)
	}
	// The same files built elsewhere and adopted: nothing changed.
	built, err := NewServerTLS(s)
	if err != nil {
		t.Fatal(err)
	}
	holder.Adopt(built)
	reload(false)

	_, _, serialB := issue(t, p, "server", certgen.ServerLeafOptions())
	if err := reload(true); err != nil {
		t.Fatal(err)
	}
	if got := serving(); got.Cmp(serialB) != 0 || got.Cmp(serialA) == 0 {
		t.Fatal("the rotated certificate is not in service")
	}
	reload(false)

	// A broken key: tried once, reported, the certificate in service stays.
	if err := os.WriteFile(s.KeyFile, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	settingError(t, reload(true), "tls-key-file", ErrInvalidSetting)
	if err := reload(false); err != nil {
		t.Fatalf("a broken file was tried again without changing: %v", err)
	}
	settingError(t, holder.Reload(), "tls-key-file", ErrInvalidSetting) // Reload always tries
	if serving().Cmp(serialB) != 0 {
		t.Fatal("a failed reload changed the certificate in service")
	}

	// Repaired, and a file added to the CA directory counts as a change.
	_, _, serialC := issue(t, p, "server", certgen.ServerLeafOptions())
	if err := reload(true); err != nil {
		t.Fatal(err)
	}
	if serving().Cmp(serialC) != 0 {
		t.Fatal("the repaired certificate is not in service")
	}
	cadir := filepath.Join(dir, "cadir")
	if err := os.Mkdir(cadir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cadir, "ca.pem"), p.CA.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	withDir := s
	withDir.CACertDir = cadir
	if err := holder.Update(withDir); err != nil {
		t.Fatal(err)
	}
	reload(false)
	other := testutil.NewPKI(t, "other")
	if err := os.WriteFile(filepath.Join(cadir, "other.pem"), other.CA.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := reload(true); err != nil {
		t.Fatal(err)
	}
	reload(false)
}
