package replication

import (
	"crypto/tls"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shinglekv/shingle/internal/resp"
	"github.com/shinglekv/shingle/internal/testutil"
	"github.com/shinglekv/shingle/tlsconn"
)

func TestConfigEnsureDefaults(t *testing.T) {
	c := (&Config{Addr: "primary:6379"}).EnsureDefaults()
	if c.Dialer == nil || c.Dialer.Transport != tlsconn.TCP || c.Timeout != DefaultTimeout || c.Table == nil || c.Logger == nil {
		t.Fatalf("defaults: %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	// Set fields stay.
	d := &tlsconn.Dialer{Transport: tlsconn.Unix}
	c = (&Config{Addr: "/run/primary.sock", Dialer: d, Timeout: time.Second}).EnsureDefaults()
	if c.Dialer != d || c.Timeout != time.Second {
		t.Fatalf("EnsureDefaults replaced set fields: %+v", c)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string // in the error; "" for none
	}{
		{"tcp", Config{Addr: "primary:6379"}, ""},
		{"no port", Config{Addr: "primary"}, "primary address"},
		{"unix", Config{Addr: "/run/primary.sock", Dialer: &tlsconn.Dialer{Transport: tlsconn.Unix}}, ""},
		{"unix without a path", Config{Dialer: &tlsconn.Dialer{Transport: tlsconn.Unix}}, "primary address"},
		{"tls without a configuration", Config{Addr: "primary:6380", Dialer: &tlsconn.Dialer{Transport: tlsconn.TLS}}, "needs a TLS configuration"},
		{"quic", Config{Addr: "primary:7380", Dialer: &tlsconn.Dialer{Transport: tlsconn.QUIC, TLSConfig: &tls.Config{}}}, ""},
		{"unknown transport", Config{Addr: "primary:6379", Dialer: &tlsconn.Dialer{Transport: "sctp"}}, "unknown transport"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.EnsureDefaults().Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatal(err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Validate = %v, want an error saying %q", err, tc.want)
			}
			if tc.want != "" {
				if _, err := Follow(memStore(t), tc.cfg); err == nil {
					t.Fatal("Follow accepted a configuration Validate refuses")
				}
			}
		})
	}
}

// TestFollowOverUnix follows a primary on a unix socket, a transport only
// an embedder asks for: the Dialer is all the replica knows of it.
func TestFollowOverUnix(t *testing.T) {
	path := filepath.Join(t.TempDir(), "primary.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	_, stream := fakePrimaryOn(t, ln, baseSnapshot(t))

	db := memStore(t)
	r, err := Follow(db, Config{Addr: path, Dialer: &tlsconn.Dialer{Transport: tlsconn.Unix}, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	testutil.Eventually(t, 10*time.Second, "the link to come up", func() bool { return r.Status().LinkUp })
	stream <- resp.AppendCommand(nil, []byte("SET"), []byte("a"), []byte("1"))
	testutil.Eventually(t, 10*time.Second, "the full sync and SET a to be applied", func() bool {
		b, errB := db.Get([]byte("base"))
		a, errA := db.Get([]byte("a"))
		return errA == nil && errB == nil && string(a) == "1" && string(b) == "1"
	})
}
