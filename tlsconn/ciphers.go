package tlsconn

import (
	"crypto/tls"
	"slices"
	"strings"
)

// openSSLSuites maps OpenSSL's names for the TLS 1.0-1.2 cipher suites Go
// implements to Go's IDs. Whether Go counts a suite as secure is not written
// here but asked of tls.CipherSuites and tls.InsecureCipherSuites when the
// table is used, so that a Go release moving a suite between the two lists
// changes what tls-ciphers accepts without an edit to this file.
var openSSLSuites = map[string]uint16{
	// Secure in Go (tls.CipherSuites).
	"ECDHE-ECDSA-AES128-SHA":        tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
	"ECDHE-ECDSA-AES256-SHA":        tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
	"ECDHE-RSA-AES128-SHA":          tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
	"ECDHE-RSA-AES256-SHA":          tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
	"ECDHE-ECDSA-AES128-GCM-SHA256": tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	"ECDHE-ECDSA-AES256-GCM-SHA384": tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	"ECDHE-RSA-AES128-GCM-SHA256":   tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	"ECDHE-RSA-AES256-GCM-SHA384":   tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	"ECDHE-RSA-CHACHA20-POLY1305":   tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	"ECDHE-ECDSA-CHACHA20-POLY1305": tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,

	// Implemented by Go only as insecure (tls.InsecureCipherSuites): RC4,
	// 3DES, CBC with SHA-256 (Lucky13), and RSA key exchange (no forward
	// secrecy).
	"RC4-SHA":                   tls.TLS_RSA_WITH_RC4_128_SHA,
	"DES-CBC3-SHA":              tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA,
	"AES128-SHA":                tls.TLS_RSA_WITH_AES_128_CBC_SHA,
	"AES256-SHA":                tls.TLS_RSA_WITH_AES_256_CBC_SHA,
	"AES128-SHA256":             tls.TLS_RSA_WITH_AES_128_CBC_SHA256,
	"AES128-GCM-SHA256":         tls.TLS_RSA_WITH_AES_128_GCM_SHA256,
	"AES256-GCM-SHA384":         tls.TLS_RSA_WITH_AES_256_GCM_SHA384,
	"ECDHE-ECDSA-RC4-SHA":       tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA,
	"ECDHE-RSA-RC4-SHA":         tls.TLS_ECDHE_RSA_WITH_RC4_128_SHA,
	"ECDHE-RSA-DES-CBC3-SHA":    tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA,
	"ECDHE-ECDSA-AES128-SHA256": tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
	"ECDHE-RSA-AES128-SHA256":   tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
}

// tls13Suites are Go's TLS 1.3 suites, always all enabled.
var tls13Suites = []string{"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}

// suiteClass tells how Go implements a suite ID.
type suiteClass int

const (
	suiteUnknown suiteClass = iota
	suiteSecure
	suiteInsecure
)

func classify(id uint16) (suiteClass, *tls.CipherSuite) {
	for _, cs := range tls.CipherSuites() {
		if cs.ID == id {
			return suiteSecure, cs
		}
	}
	for _, cs := range tls.InsecureCipherSuites() {
		if cs.ID == id {
			return suiteInsecure, cs
		}
	}
	return suiteUnknown, nil
}

// supportsTLS12 reports whether a suite can be negotiated in TLS 1.2 (or
// below), as opposed to a TLS 1.3 suite.
func supportsTLS12(cs *tls.CipherSuite) bool {
	for _, v := range cs.SupportedVersions {
		if v <= tls.VersionTLS12 {
			return true
		}
	}
	return false
}

// splitList splits a directive value on colons, commas and white space, the
// separators OpenSSL accepts in a cipher list, dropping empty elements.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ':' || r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})
}

// ParseCiphers turns a tls-ciphers value, an OpenSSL cipher list for TLS 1.2
// and below such as "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305",
// into Go cipher suite IDs in the order given, without duplicates. Elements
// may be separated by colons, commas or spaces; Go's own (IANA) names such as
// "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" are accepted too, and names are
// matched without regard to case. An empty list returns nil, meaning Go's
// defaults.
//
// The order is not a preference: Go picks among the allowed suites itself
// (see Settings.PreferServerCiphers).
//
// Errors are *SettingError values naming the offending element, wrapping
// ErrInsecureSetting for a suite Go implements only as insecure (RC4, 3DES,
// CBC-SHA256, RSA key exchange), ErrNotSupportedByGo for OpenSSL keywords,
// aliases and operators ("HIGH", "DEFAULT", "!aNULL", "kEECDH+AESGCM",
// "@STRENGTH"), which Go has no way to express, and ErrInvalidSetting for a
// TLS 1.3 suite (those belong in tls-ciphersuites) or a name Go does not
// implement at all.
func ParseCiphers(s string) ([]uint16, error) {
	var ids []uint16
	for _, elem := range splitList(s) {
		id, err := parseCipher(elem)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

func parseCipher(elem string) (uint16, error) {
	const directive = "tls-ciphers"
	upper := strings.ToUpper(elem)
	id, ok := openSSLSuites[upper]
	if !ok {
		// Go's own names, secure or not.
		for _, cs := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
			if cs.Name == upper {
				id, ok = cs.ID, true
				break
			}
		}
	}
	if !ok {
		switch {
		case strings.IndexAny(elem, "!+-@") == 0 || strings.Contains(elem, "+"):
			return 0, newSettingError(directive, elem, ErrNotSupportedByGo,
				"is an OpenSSL cipher-string operator, which Go cannot express; list the allowed suites by name instead (%s)", secureNames())
		case !strings.Contains(elem, "-") && !strings.HasPrefix(upper, "TLS_"):
			return 0, newSettingError(directive, elem, ErrNotSupportedByGo,
				"is an OpenSSL keyword or alias, which Go cannot express; list the allowed suites by name instead (%s)", secureNames())
		case strings.HasPrefix(upper, "DHE-") || strings.HasPrefix(upper, "EDH-"):
			return 0, newSettingError(directive, elem, ErrInvalidSetting,
				"is a finite-field DHE suite, which Go's crypto/tls does not implement; Go's TLS 1.2 suites are %s", secureNames())
		}
		return 0, newSettingError(directive, elem, ErrInvalidSetting,
			"is not a cipher suite Go's crypto/tls implements; Go's TLS 1.2 suites are %s", secureNames())
	}
	class, cs := classify(id)
	switch {
	case class == suiteInsecure:
		return 0, newSettingError(directive, elem, ErrInsecureSetting,
			"is implemented by Go only as an insecure suite (%s) and is refused", cs.Name)
	case class == suiteUnknown:
		return 0, newSettingError(directive, elem, ErrInvalidSetting,
			"is not implemented by this Go release")
	case !supportsTLS12(cs):
		return 0, newSettingError(directive, elem, ErrInvalidSetting,
			"is a TLS 1.3 suite; TLS 1.3 suites belong in tls-ciphersuites")
	}
	return id, nil
}

// secureNames lists OpenSSL's names of Go's secure TLS 1.2 suites, for error
// messages.
func secureNames() string {
	var names []string
	for name, id := range openSSLSuites {
		if c, cs := classify(id); c == suiteSecure && supportsTLS12(cs) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return strings.Join(names, ":")
}

// ParseCipherSuites checks a tls-ciphersuites value, the TLS 1.3 suite list.
// Go's crypto/tls always enables all of its TLS 1.3 suites
// (TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384 and
// TLS_CHACHA20_POLY1305_SHA256) and offers no way to restrict them, so only
// two values can be honoured: empty, and a list naming exactly those three in
// any order (separated by colons, commas or spaces). Anything else, a subset
// in particular, which would silently mean all three, is an error wrapping
// ErrNotSupportedByGo, or ErrInvalidSetting for an unknown name.
func ParseCipherSuites(s string) error {
	const directive = "tls-ciphersuites"
	elems := splitList(s)
	if len(elems) == 0 {
		return nil
	}
	seen := map[string]bool{}
	for _, elem := range elems {
		upper := strings.ToUpper(elem)
		if !slices.Contains(tls13Suites, upper) {
			if strings.HasPrefix(upper, "TLS_AES_128_CCM") {
				return newSettingError(directive, elem, ErrNotSupportedByGo,
					"is not implemented by Go's crypto/tls, which always enables exactly %s", strings.Join(tls13Suites, ":"))
			}
			return newSettingError(directive, elem, ErrInvalidSetting,
				"is not a TLS 1.3 cipher suite; Go always enables exactly %s", strings.Join(tls13Suites, ":"))
		}
		seen[upper] = true
	}
	if len(seen) != len(tls13Suites) {
		return newSettingError(directive, s, ErrNotSupportedByGo,
			"is not the full set of Go's TLS 1.3 suites, and Go's crypto/tls cannot restrict them: it always enables %s, "+
				"so a subset would silently mean all three; leave tls-ciphersuites empty or list all three",
			strings.Join(tls13Suites, ":"))
	}
	return nil
}
