// Package imports holds no code: its test enforces the rules on which of
// Shingle's packages may import which, the rules each package's doc.go
// states (netmode knows TLS only through tlsconn; the codec and helpers
// under internal/ are leaves; nothing beneath the server imports it).
package imports
