package tlsconn

import (
	"crypto/tls"
	"net/url"
	"testing"

	"github.com/shinglekv/shingle/internal/certgen"
	"github.com/shinglekv/shingle/internal/testutil"
)

func TestIdentity(t *testing.T) {
	p := testutil.NewPKI(t, "ca")
	spiffe, _ := url.Parse("spiffe://shingle.test/alice")
	parse := func(opt certgen.LeafOptions) *Security {
		t.Helper()
		return &Security{PeerCertificate: p.Pair(t, opt).Leaf}
	}
	both := parse(certgen.LeafOptions{CommonName: "bob", URIs: []*url.URL{spiffe}, Client: true})
	cnOnly := parse(testutil.ClientLeaf("carol"))
	for _, tc := range []struct {
		sec        *Security
		mode, want string
	}{
		{both, "CN", "bob"},
		{both, "cn", "bob"},
		{both, "URI", "spiffe://shingle.test/alice"},
		{both, "uri", "spiffe://shingle.test/alice"},
		{both, "off", ""},
		{both, "", ""},
		{cnOnly, "URI", ""},
		{cnOnly, "CN", "carol"},
		{&Security{}, "CN", ""}, // no verified certificate
		{nil, "CN", ""},         // a plain connection
	} {
		if got := tc.sec.Identity(tc.mode); got != tc.want {
			t.Errorf("Identity(%q) = %q, want %q", tc.mode, got, tc.want)
		}
	}
}

func TestSecurityNames(t *testing.T) {
	sec := &Security{Version: tls.VersionTLS13, CipherSuite: tls.TLS_AES_128_GCM_SHA256}
	if got := VersionName(sec.Version); got != "TLSv1.3" {
		t.Errorf("VersionName = %q", got)
	}
	if got := sec.CipherSuiteName(); got != "TLS_AES_128_GCM_SHA256" {
		t.Errorf("CipherSuiteName = %q", got)
	}
}
