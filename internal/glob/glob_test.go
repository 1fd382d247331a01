package glob

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// globCases are Redis's answers (stringmatchlen with nocase 0 and 1) for
// each pattern and string. Quirks are listed on purpose: a pattern must select
// the same keys here as on a stock server, so they are part of the contract.
var globCases = []struct {
	pattern, s  string
	match, fold bool
}{
	// Empty pattern and empty string. The matcher loops only while both
	// pattern and string are left, and strips trailing stars only after
	// consuming a byte, so no pattern but "" matches "": not even "*" (KEYS
	// and SCAN special-case "*" with IsAll before calling Match).
	{"", "", true, true},
	{"", "a", false, false},
	{"a", "", false, false},
	{"*", "", false, false},
	{"**", "", false, false},
	{"?", "", false, false},
	{"[a]", "", false, false},
	{"\\", "", false, false},

	// Literals.
	{"abc", "abc", true, true},
	{"abc", "abd", false, false},
	{"abc", "ab", false, false},
	{"ab", "abc", false, false},
	{"ABC", "abc", false, true},
	{"abc", "aBc", false, true},
	// Only ASCII letters fold: 0xC9 and 0xE9 are É and é in Latin-1.
	{"\xc9", "\xe9", false, false},
	// Range bounds are signed chars (checked against redis-server 7.0 on
	// x86-64): [a-\xe9] runs from 0xE9 (-23) up to 'a', so it holds 0xF0
	// and '0' but not 0xB0.
	{"[a-\xe9]", "\xf0", true, true},
	{"[a-\xe9]", "0", true, true},
	{"[a-\xe9]", "\xb0", false, false},
	{"\x00\xff", "\x00\xff", true, true},

	// '*'.
	{"*", "anything", true, true},
	{"**", "abc", true, true},
	{"a*", "a", true, true},
	{"*a", "a", true, true},
	{"*a", "ba", true, true},
	{"*a", "ab", false, false},
	{"h*llo", "hllo", true, true},
	{"h*llo", "heeeello", true, true},
	{"h*llo", "hello!", false, false},
	{"*.txt", "notes.txt", true, true},
	{"*.TXT", "notes.txt", false, true},
	{"a*b*c", "aXXbYYc", true, true},
	{"a*b*c", "aXXcYYb", false, false},
	{"user:*:name", "user:1000:name", true, true},
	// Stars left at the end once the string is used up match nothing.
	{"abc***", "abc", true, true},
	{"abc*?", "abc", false, false},

	// '?'.
	{"h?llo", "hello", true, true},
	{"h?llo", "hllo", false, false},
	{"h?llo", "heello", false, false},
	{"?*", "a", true, true},
	{"???", "ab", false, false},

	// Classes.
	{"h[ae]llo", "hello", true, true},
	{"h[ae]llo", "hallo", true, true},
	{"h[ae]llo", "hillo", false, false},
	{"h[ae]llo", "hEllo", false, true},
	{"*[0-9]", "abc5", true, true},
	{"[]", "a", false, false},    // an empty class matches nothing
	{"[]a]", "]", false, false},  // ... so ']' cannot be its first member
	{"[]a]", "a]", false, false}, // (the class is "[]", then "a]" follows)
	{"[\\]]", "]", true, true},   // but an escaped one can
	{"[a\\-z]", "-", true, true}, // an escaped '-' is not a range
	{"[a\\-z]", "b", false, false},
	{"[-a]", "-", true, true},   // nor is a leading '-' with no end
	{"[a-]", "-", false, false}, // "a-]" is the range a..']' ...
	{"[a-]", "^", true, true},   // ... which holds '^' (0x5E)
	{"[a-]x]", "^", true, true}, // and the class goes on to the next ']'
	{"[a-]x]", "x", true, true},
	{"[a-]x]", "^x]", false, false},

	// Negation.
	{"h[^e]llo", "hallo", true, true},
	{"h[^e]llo", "hello", false, false},
	// Folding makes a negated class smaller: [^a] with nocase refuses 'A'.
	{"[^a]", "A", true, false},
	{"[^a-c]", "d", true, true},
	{"[^a-c]", "b", false, false},
	{"[\\^a]", "^", true, true}, // an escaped '^' does not negate
	{"[\\^a]", "b", false, false},
	{"[^]", "x", true, true}, // "[^]" negates the empty class: any byte
	{"[^]", "", false, false},
	{"[a^]", "^", true, true}, // '^' not first is a member

	// Ranges.
	{"h[a-b]llo", "hbllo", true, true},
	{"h[a-b]llo", "hcllo", false, false},
	{"[0-9][0-9]", "42", true, true},
	{"[a-z]", "M", false, true},
	{"[A-Z]", "m", false, true},
	// A reversed range is the same range.
	{"[z-a]", "m", true, true},
	{"[z-a]", "A", false, true},
	{"[9-0]", "5", true, true},
	// Redis swaps reversed bounds before folding them, and folds only the
	// bounds, not the bytes between: [A-z] holds '_' (0x5F) but [a-z] does
	// not, so with nocase it no longer matches, and [Z-a] folds to the
	// empty range z..a.
	{"[A-z]", "_", true, false},
	{"[Z-a]", "_", true, false},
	{"[Z-a]", "z", false, false},
	// Several members and ranges in one class.
	{"[a-cx-z0]", "y", true, true},
	{"[a-cx-z0]", "0", true, true},
	{"[a-cx-z0]", "m", false, false},

	// Escapes.
	{"\\*", "*", true, true},
	{"\\*", "a", false, false},
	{"a\\?c", "a?c", true, true},
	{"a\\?c", "abc", false, false},
	{"\\[a]", "[a]", true, true},
	{"\\[a]", "a", false, false},
	{"\\a", "a", true, true},
	{"\\A", "a", false, true},    // an escaped letter outside a class folds
	{"[\\A]", "a", false, false}, // inside a class it is compared exactly
	{"\\\\", "\\", true, true},
	{"\\", "\\", true, true}, // a lone '\' at the end is itself
	{"a\\", "a\\", true, true},
	{"a\\", "a", false, false},
	{"[\\", "\\", true, true}, // and so in an unclosed class
	{"*\\*", "ab*", true, true},
	{"*\\*", "ab*c", false, false},

	// A '[' left open at the end of the pattern closes there.
	{"[", "[", false, false}, // an empty class, which matches nothing
	{"a[", "a", false, false},
	{"a[", "a[", false, false},
	{"a[b", "ab", true, true},
	{"[abc", "c", true, true},
	{"[abc", "d", false, false},
	{"[abc", "cc", false, false},
	{"[a-", "-", true, true}, // too short for a range: 'a' and '-'
	{"[a-", "b", false, false},
	{"[^", "x", true, true},
	{"[^a", "a", false, false},
}

func TestMatch(t *testing.T) {
	for _, c := range globCases {
		if got := Match([]byte(c.pattern), []byte(c.s)); got != c.match {
			t.Errorf("Match(%q, %q) = %v, want %v", c.pattern, c.s, got, c.match)
		}
		if got := MatchFold([]byte(c.pattern), []byte(c.s)); got != c.fold {
			t.Errorf("MatchFold(%q, %q) = %v, want %v", c.pattern, c.s, got, c.fold)
		}
	}
}

func TestIsAll(t *testing.T) {
	for p, want := range map[string]bool{"*": true, "": false, "**": false, "\\*": false, "*a": false} {
		if got := IsAll([]byte(p)); got != want {
			t.Errorf("IsAll(%q) = %v, want %v", p, got, want)
		}
	}
}

// TestMatchPathological runs patterns whose naive backtracking is
// exponential in the number of stars. The skip flag makes them linear: once
// the last '*' has failed to place "b" anywhere, no earlier '*' retries. The
// deadline turns a regression into a clear failure instead of a hang until
// the test binary's timeout.
func TestMatchPathological(t *testing.T) {
	long := strings.Repeat("a", 20000)
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"*a*a*a*a*a*a*a*a*a*a*b", long, false},
		{"*a*a*a*a*a*a*a*a*a*a*b", long + "b", true},
		{"*a*a*a*a*a*a*a*a*a*a*b", long + "bc", false},
		{strings.Repeat("*?", 50) + "b", long, false},
		{"a*a*a*a*a*a*a*a*a*a*[b]", long, false},
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, c := range cases {
			if got := Match([]byte(c.pattern), []byte(c.s)); got != c.want {
				t.Errorf("Match(%q, %d bytes) = %v, want %v", c.pattern, len(c.s), got, c.want)
			}
			if got := MatchFold([]byte(c.pattern), []byte(c.s)); got != c.want {
				t.Errorf("MatchFold(%q, %d bytes) = %v, want %v", c.pattern, len(c.s), got, c.want)
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("pathological patterns did not finish in 30s: the '*' skip is not working")
	}
}

// TestMatchNesting checks the recursion bound: as in Redis, a '*' nested
// more than 1000 deep fails instead of growing the stack, so a pattern of
// 1001 "*a" groups does not match a string it would otherwise match.
func TestMatchNesting(t *testing.T) {
	for _, c := range []struct {
		groups int
		want   bool
	}{{1000, true}, {1001, false}} {
		p := []byte(strings.Repeat("*a", c.groups))
		s := []byte(strings.Repeat("a", c.groups))
		if got := Match(p, s); got != c.want {
			t.Errorf("Match(%d x \"*a\", %d x \"a\") = %v, want %v", c.groups, c.groups, got, c.want)
		}
	}
}

// FuzzMatch checks Match and MatchFold against refMatch, a slow but plainly
// correct statement of the same semantics, and two relations between them:
// folding can only add matches to a pattern without classes, and for such a
// pattern it is the same as lowering both sides.
func FuzzMatch(f *testing.F) {
	for _, c := range globCases {
		f.Add([]byte(c.pattern), []byte(c.s))
	}
	f.Add([]byte("*a*a*a*a*b"), []byte("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab"))
	f.Add([]byte("{user1000}.*"), []byte("{user1000}.following"))
	f.Add([]byte("\\[*[^\\]]"), []byte("[x]]"))
	f.Fuzz(func(t *testing.T, p, s []byte) {
		m, mf := Match(p, s), MatchFold(p, s)
		// Beyond 1000 nested stars the bound in match decides, not the
		// semantics; fewer than 1001 '*' bytes cannot nest that deep.
		if bytes.Count(p, []byte("*")) <= maxNesting {
			if want := refMatch(p, s, false); m != want {
				t.Errorf("Match(%q, %q) = %v, reference says %v", p, s, m, want)
			}
			if want := refMatch(p, s, true); mf != want {
				t.Errorf("MatchFold(%q, %q) = %v, reference says %v", p, s, mf, want)
			}
		}
		// Classes are left out: folding shrinks a negated class ([^a] no
		// longer takes 'A') and Redis folds only a range's bounds ([A-z]
		// no longer takes '_'), both on purpose.
		if bytes.IndexByte(p, '[') < 0 {
			if m && !mf {
				t.Errorf("Match(%q, %q) but not MatchFold", p, s)
			}
			if want := Match(lowerAll(p), lowerAll(s)); mf != want {
				t.Errorf("MatchFold(%q, %q) = %v, Match of both lowered = %v", p, s, mf, want)
			}
		}
	})
}

func lowerAll(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		out[i] = lower(c)
	}
	return out
}

// atom is one step of a pattern: a '*', or one byte of the string, which
// must be lit (folded or not) or belong to class, or is anything for '?'.
type atom struct {
	star, any bool
	lit       byte
	class     *[256]bool
}

func (a *atom) accepts(c byte, fold bool) bool {
	switch {
	case a.any:
		return true
	case a.class != nil:
		return a.class[c]
	}
	return c == a.lit || fold && lower(c) == lower(a.lit)
}

// refMatch is the reference the fuzz target compares against. It reads the
// pattern as Redis's stringmatchlen does, into atoms, then matches by
// dynamic programming over (atom, position): there is no recursion, no skip
// flag and no way to be slow, so it checks exactly the parts of match that
// exist for speed.
//
// Redis's loop runs only while both pattern and string are left, so with
// a non-empty string this is the usual glob match, and an empty string is
// matched by the empty pattern only.
func refMatch(p, s []byte, fold bool) bool {
	if len(s) == 0 {
		return len(p) == 0
	}
	atoms := refAtoms(p, fold)
	// ok[j] is whether atoms[i:] match s[j:], for the current i, computed
	// from the last atom backwards.
	ok := make([]bool, len(s)+1)
	ok[len(s)] = true
	next := make([]bool, len(s)+1)
	for i := len(atoms) - 1; i >= 0; i-- {
		if a := &atoms[i]; a.star {
			next[len(s)] = ok[len(s)]
			for j := len(s) - 1; j >= 0; j-- {
				next[j] = ok[j] || next[j+1]
			}
		} else {
			next[len(s)] = false
			for j := len(s) - 1; j >= 0; j-- {
				next[j] = a.accepts(s[j], fold) && ok[j+1]
			}
		}
		ok, next = next, ok
	}
	return ok[0]
}

func refAtoms(p []byte, fold bool) []atom {
	var atoms []atom
	for i := 0; i < len(p); {
		var a atom
		switch p[i] {
		case '*':
			a.star = true
			i++
		case '?':
			a.any = true
			i++
		case '[':
			i++
			negate := i < len(p) && p[i] == '^'
			if negate {
				i++
			}
			a.class = new([256]bool)
			for i < len(p) && p[i] != ']' {
				switch {
				case p[i] == '\\' && i+1 < len(p):
					a.class[p[i+1]] = true // compared exactly, even when folding
					i += 2
				case i+2 < len(p) && p[i+1] == '-':
					// Bounds compare as signed chars, as Redis compares
					// them on x86-64.
					lo, hi := min(int8(p[i]), int8(p[i+2])), max(int8(p[i]), int8(p[i+2]))
					if fold {
						lo, hi = int8(lower(byte(lo))), int8(lower(byte(hi)))
					}
					for c := range a.class {
						x := byte(c)
						if fold {
							x = lower(x)
						}
						if lo <= int8(x) && int8(x) <= hi {
							a.class[c] = true
						}
					}
					i += 3
				default:
					lit := atom{lit: p[i]}
					for c := range a.class {
						if lit.accepts(byte(c), fold) {
							a.class[c] = true
						}
					}
					i++
				}
			}
			i++ // past ']', or past the end of an unclosed class
			if negate {
				for c := range a.class {
					a.class[c] = !a.class[c]
				}
			}
		default:
			if p[i] == '\\' && i+1 < len(p) {
				i++
			}
			a.lit = p[i]
			i++
		}
		atoms = append(atoms, a)
	}
	return atoms
}
