// Package imports holds no code: its test enforces, over go list (the
// packages as the build sees them, test files aside), the import rules
// that the packages' doc.go files state:
//
//   - netmode and cluster import neither crypto/tls nor crypto/x509: TLS
//     is tlsconn's.
//   - The packages under internal/ (the codec and the helpers), store and
//     tlsconn import, directly or not, no package of Shingle's outside
//     internal/: they are the leaves. internal/testutil is the exception:
//     it may import anything.
//   - Nothing but the programs (cmd/, bench/) imports netmode, directly or
//     not: replication, cluster, command, acl, config and store sit
//     beneath the server.
//   - Only _test.go files import internal/testutil.
//
// Several packages hold themselves to stricter rules than these (most
// helpers under internal/ import nothing of Shingle's at all); their
// doc.go says so. .ci/run runs the test with the rest of the suite.
//
// # What it must never do
//
// Hold code that another package imports, or relax a rule to let a
// change through: move the code to the package that owns it instead.
package imports
