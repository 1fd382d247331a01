// Package certgen makes X.509 certificates: throw-away CAs and leaves for
// tests, and the development CA that the demo program creates on its first
// start. Everything is ECDSA P-256 unless asked otherwise, and every key is
// written with permissions 0600.
//
// It is not a general-purpose PKI: there are no intermediates, no CRLs and no
// OCSP, and the defaults (one-year leaves) suit tests and development only.
//
// # Usage
//
//	ca, err := certgen.NewCA("shingle dev CA", time.Now().Add(-time.Hour), time.Now().AddDate(10, 0, 0))
//	if err != nil { ... }
//	certFile, keyFile, err := certgen.ServerPair(ca, dir)
//	// tls-cert-file certFile, tls-key-file keyFile, tls-ca-cert-file <dir>/ca.crt
//	err = certgen.WriteFiles(dir, map[string][]byte{"ca.crt": ca.CertPEM})
//
// # What it must never do
//
// Import any other package of Shingle's, or serve a production
// deployment's certificates: those come from the operator's own PKI.
package certgen
