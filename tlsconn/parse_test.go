package tlsconn

import (
	"crypto/tls"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/shinglekv/shingle/internal/testutil"
)

// Parsing of the directive values, without handshakes.

func TestDefaultSettings(t *testing.T) {
	s := DefaultSettings()
	want := Settings{AuthClients: "yes", Protocols: "TLSv1.2 TLSv1.3", SessionCaching: true,
		SessionCacheSize: 20480, SessionCacheTimeout: 300}
	if s != want {
		t.Fatalf("DefaultSettings() = %+v", s)
	}
	var zero Settings
	if err := zero.Validate(); err == nil {
		t.Fatal("zero Settings validated")
	}
}

func TestParseAuthClients(t *testing.T) {
	for in, want := range map[string]string{"yes": "yes", "YES": "yes", "optional": "optional", " Optional ": "optional", "no": "no"} {
		got, err := ParseAuthClients(in)
		if err != nil || got != want {
			t.Errorf("ParseAuthClients(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "true", "required", "1"} {
		_, err := ParseAuthClients(in)
		settingError(t, err, "tls-auth-clients", ErrInvalidSetting)
	}
}

func TestParseProtocols(t *testing.T) {
	tests := []struct {
		in       string
		min, max uint16
		kind     error
	}{
		{"TLSv1.2 TLSv1.3", tls.VersionTLS12, tls.VersionTLS13, nil},
		{"TLSv1.3 TLSv1.2", tls.VersionTLS12, tls.VersionTLS13, nil},
		{"tlsv1.3", tls.VersionTLS13, tls.VersionTLS13, nil},
		{"TLSv1.2", tls.VersionTLS12, tls.VersionTLS12, nil},
		{"  TLSv1.3  TLSv1.3 ", tls.VersionTLS13, tls.VersionTLS13, nil},
		{"TLSv1.2,TLSv1.3", tls.VersionTLS12, tls.VersionTLS13, nil},
		{"TLSv1", 0, 0, ErrInsecureSetting},
		{"TLSv1.1 TLSv1.2", 0, 0, ErrInsecureSetting},
		{"TLSv1.2 SSLv3", 0, 0, ErrInsecureSetting},
		{"", 0, 0, ErrInvalidSetting},
		{"   ", 0, 0, ErrInvalidSetting},
		{"TLSv1.4", 0, 0, ErrInvalidSetting},
		{"TLS1.3", 0, 0, ErrInvalidSetting},
	}
	for _, tc := range tests {
		lo, hi, err := ParseProtocols(tc.in)
		if tc.kind != nil {
			settingError(t, err, "tls-protocols", tc.kind)
			continue
		}
		if err != nil || lo != tc.min || hi != tc.max {
			t.Errorf("ParseProtocols(%q) = %x, %x, %v; want %x, %x", tc.in, lo, hi, err, tc.min, tc.max)
		}
	}
	_, _, err := ParseProtocols("TLSv1.2 TLSv1.1")
	if se := settingError(t, err, "tls-protocols", ErrInsecureSetting); se.Value != "TLSv1.1" {
		t.Errorf("error names %q, want the offending element TLSv1.1", se.Value)
	}
}

// secureTLS12 returns Go's secure suites usable with TLS 1.2.
func secureTLS12() []*tls.CipherSuite {
	var out []*tls.CipherSuite
	for _, cs := range tls.CipherSuites() {
		if supportsTLS12(cs) {
			out = append(out, cs)
		}
	}
	return out
}

func openSSLName(t *testing.T, id uint16) string {
	t.Helper()
	for name, v := range openSSLSuites {
		if v == id {
			return name
		}
	}
	t.Fatalf("no OpenSSL name for suite %s", tls.CipherSuiteName(id))
	return ""
}

func TestParseCiphersEverySecureSuite(t *testing.T) {
	for _, cs := range secureTLS12() {
		name := openSSLName(t, cs.ID)
		for _, in := range []string{name, strings.ToLower(name), cs.Name} {
			ids, err := ParseCiphers(in)
			if err != nil || len(ids) != 1 || ids[0] != cs.ID {
				t.Errorf("ParseCiphers(%q) = %v, %v; want %s", in, ids, err, cs.Name)
			}
		}
	}
}

func TestParseCiphersEveryInsecureSuiteRefused(t *testing.T) {
	for _, cs := range tls.InsecureCipherSuites() {
		if !supportsTLS12(cs) {
			continue
		}
		name := openSSLName(t, cs.ID)
		for _, in := range []string{name, cs.Name, "ECDHE-RSA-AES128-GCM-SHA256:" + name} {
			_, err := ParseCiphers(in)
			se := settingError(t, err, "tls-ciphers", ErrInsecureSetting)
			if !strings.EqualFold(se.Value, name) && se.Value != cs.Name {
				t.Errorf("ParseCiphers(%q): error names %q", in, se.Value)
			}
			if !strings.Contains(err.Error(), se.Value) {
				t.Errorf("message %q does not name %q", err, se.Value)
			}
		}
	}
}

func TestParseCiphers(t *testing.T) {
	tests := []struct {
		in   string
		want []uint16
		bad  string // offending element
		kind error
	}{
		{in: "", want: nil},
		{in: " : ", want: nil},
		{in: "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305",
			want: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}},
		{in: "ECDHE-ECDSA-AES128-GCM-SHA256, ECDHE-RSA-AES128-GCM-SHA256 ECDHE-ECDSA-AES128-GCM-SHA256",
			want: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}},
		{in: "HIGH", bad: "HIGH", kind: ErrNotSupportedByGo},
		{in: "DEFAULT", bad: "DEFAULT", kind: ErrNotSupportedByGo},
		{in: "ECDHE-RSA-AES128-GCM-SHA256:!aNULL", bad: "!aNULL", kind: ErrNotSupportedByGo},
		{in: "kEECDH+AESGCM", bad: "kEECDH+AESGCM", kind: ErrNotSupportedByGo},
		{in: "ECDHE-RSA-AES128-GCM-SHA256:@STRENGTH", bad: "@STRENGTH", kind: ErrNotSupportedByGo},
		{in: "-ECDHE-RSA-AES128-SHA", bad: "-ECDHE-RSA-AES128-SHA", kind: ErrNotSupportedByGo},
		{in: "aNULL", bad: "aNULL", kind: ErrNotSupportedByGo},
		{in: "ECDHE-RSA-AES128-GCM-SHA256:FOO-BAR", bad: "FOO-BAR", kind: ErrInvalidSetting},
		{in: "DHE-RSA-AES256-GCM-SHA384", bad: "DHE-RSA-AES256-GCM-SHA384", kind: ErrInvalidSetting},
		{in: "ECDHE-RSA-AES256-SHA384", bad: "ECDHE-RSA-AES256-SHA384", kind: ErrInvalidSetting},
		{in: "TLS_AES_128_GCM_SHA256", bad: "TLS_AES_128_GCM_SHA256", kind: ErrInvalidSetting},
		{in: "RC4-SHA", bad: "RC4-SHA", kind: ErrInsecureSetting},
		{in: "DES-CBC3-SHA", bad: "DES-CBC3-SHA", kind: ErrInsecureSetting},
		{in: "ECDHE-RSA-AES128-SHA256", bad: "ECDHE-RSA-AES128-SHA256", kind: ErrInsecureSetting},
		{in: "AES128-GCM-SHA256", bad: "AES128-GCM-SHA256", kind: ErrInsecureSetting},
	}
	for _, tc := range tests {
		got, err := ParseCiphers(tc.in)
		if tc.kind == nil {
			if err != nil || fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("ParseCiphers(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
			continue
		}
		se := settingError(t, err, "tls-ciphers", tc.kind)
		if se.Value != tc.bad || !strings.Contains(err.Error(), strconv.Quote(tc.bad)) {
			t.Errorf("ParseCiphers(%q): error %q should name %q", tc.in, err, tc.bad)
		}
	}
}

func TestParseCipherSuites(t *testing.T) {
	ok := []string{"", "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256",
		"TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256",
		"TLS_AES_256_GCM_SHA384 TLS_AES_128_GCM_SHA256,TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256"}
	for _, in := range ok {
		if err := ParseCipherSuites(in); err != nil {
			t.Errorf("ParseCipherSuites(%q) = %v", in, err)
		}
	}
	bad := []struct {
		in   string
		kind error
	}{
		{"TLS_AES_256_GCM_SHA384", ErrNotSupportedByGo},
		{"TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256", ErrNotSupportedByGo},
		{"TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_CCM_SHA256", ErrNotSupportedByGo},
		{"TLS_AES_128_CCM_8_SHA256", ErrNotSupportedByGo},
		{"ECDHE-RSA-AES128-GCM-SHA256", ErrInvalidSetting},
		{"HIGH", ErrInvalidSetting},
	}
	for _, tc := range bad {
		err := ParseCipherSuites(tc.in)
		settingError(t, err, "tls-ciphersuites", tc.kind)
	}
	err := ParseCipherSuites("TLS_AES_256_GCM_SHA384")
	if !strings.Contains(err.Error(), "always enables") {
		t.Errorf("message %q does not explain that Go always enables its TLS 1.3 suites", err)
	}
}

// TestCipherNamesMatchOpenSSL checks the table against the installed
// OpenSSL's own name -> ID listing.
func TestCipherNamesMatchOpenSSL(t *testing.T) {
	openssl := testutil.RequireTool(t, "openssl")
	out, err := exec.Command(openssl, "ciphers", "-V", "ALL:COMPLEMENTOFALL:@SECLEVEL=0").CombinedOutput()
	if err != nil {
		t.Fatalf("openssl ciphers: %v\n%s", err, out)
	}
	// Lines look like: 0xC0,0x2C - ECDHE-ECDSA-AES256-GCM-SHA384 TLSv1.2 Kx=...
	ids := map[string]uint16{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || f[1] != "-" {
			continue
		}
		hex := strings.ReplaceAll(strings.ReplaceAll(f[0], "0x", ""), ",", "")
		v, err := strconv.ParseUint(hex, 16, 16)
		if err != nil {
			continue
		}
		ids[f[2]] = uint16(v)
	}
	for _, cs := range secureTLS12() {
		name := openSSLName(t, cs.ID)
		if got, ok := ids[name]; !ok || got != cs.ID {
			t.Errorf("OpenSSL knows %s as 0x%04x (present %v), table says %s 0x%04x", name, got, ok, cs.Name, cs.ID)
		}
	}
	for name, id := range openSSLSuites {
		if got, ok := ids[name]; ok && got != id {
			t.Errorf("OpenSSL knows %s as 0x%04x, table says 0x%04x", name, got, id)
		}
	}
	for _, name := range tls13Suites {
		if _, ok := ids[name]; !ok {
			t.Errorf("OpenSSL does not list TLS 1.3 suite %s", name)
		}
	}
}
