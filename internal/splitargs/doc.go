// Package splitargs splits a line into arguments exactly as Redis's
// sdssplitargs does. Redis uses that function for inline commands (a client
// typing "SET k v" without RESP framing), for redis.conf lines and for the
// redis-cli prompt, so the same line must give the same arguments here.
//
// The rules, quirks included (each checked against redis-server 7.0):
//
//   - Arguments are separated by runs of C isspace bytes (space, \t, \n, \v,
//     \f, \r) but an unquoted argument ends only at space, \t, \n or \r:
//     "a\vb" is one argument, while "\va" is "a".
//   - A double quote anywhere in an unquoted argument opens a quoted part, it
//     is not literal: ab"c d" is the single argument "abc d", and ab"c is an
//     error. The same goes for a single quote.
//   - Inside double quotes: \n \r \t \b \a, \xHH (two hex digits of either
//     case), and a backslash before any other byte stands for that byte
//     (\" \\ \q). A \x not followed by two hex digits is x: "\x4g" is "x4g".
//   - Inside single quotes only \' is an escape; every other byte, backslash
//     included, is itself.
//   - A closing quote must be followed by isspace or the end of the line
//     (\v and \f count here, unlike after an unquoted argument): "a"b is an
//     error, "a"\vb is "a" and "b".
//   - A quote left open is an error.
//   - A NUL byte ends the line: Redis works on a C string and never sees
//     past it.
//
// # What it must never do
//
// Import any other package of Shingle's, or split a line differently from
// sdssplitargs, quirks included.
package splitargs
