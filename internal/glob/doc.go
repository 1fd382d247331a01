// Package glob matches strings against Redis glob-style patterns, the syntax
// of KEYS, SCAN MATCH and CONFIG GET:
//
//	pattern  matches
//	*        any run of bytes
//	?        exactly one byte
//	[abc]    one byte from the set; [^abc] one byte not in it; [a-z] a range
//	\x       the byte x itself
//
// The semantics are Redis's stringmatchlen, quirks included, so that a
// pattern selects the same keys here as on a stock x86-64 server: matching
// is on bytes, range bounds compare as signed chars, a class left open at the
// end of the pattern closes there, and a non-empty string is needed for any
// pattern to match, except the empty pattern matching the empty string
// (callers treat "*" alone as "everything" before calling Match, as Redis
// does, which is how the empty key is listed).
//
// # What it must never do
//
// Import any other package of Shingle's, or allocate in proportion to
// anything but the pattern: it runs on every key KEYS and SCAN visit.
package glob
