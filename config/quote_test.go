package config

import (
	"strings"
	"testing"

	"github.com/shinglekv/shingle/internal/splitargs"
)

func TestQuote(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", `""`},
		{"plain", "plain"},
		{"/var/lib/redis", "/var/lib/redis"},
		{"-1", "-1"},
		{`a\b`, `a\b`}, // a backslash outside quotes is literal
		{"caf\xc3\xa9", "caf\xc3\xa9"},
		{"a b", `"a b"`},
		{"a\tb", `"a\tb"`},
		{"a\vb", `"a\x0bb"`},
		{"a\fb", `"a\x0cb"`},
		{"a\nb\r", `"a\nb\r"`},
		{"\a\b", `"\a\b"`},
		{`a"b`, `"a\"b"`},
		{"it's", `"it's"`},
		{`a\b c`, `"a\\b c"`},
		{"\x00", `"\x00"`},
		{"\x7f", `"\x7f"`},
		{"#x", `"#x"`},
		{"x#", "x#"},
		{"caf\xc3\xa9 au lait", `"caf\xc3\xa9 au lait"`}, // as CONFIG REWRITE writes it
	} {
		if got := Quote(c.in); got != c.want {
			t.Errorf("Quote(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

// TestDirectiveString checks that String gives back a line that parses to the
// same directive.
func TestDirectiveString(t *testing.T) {
	d := Directive{Name: "save", Args: []string{""}}
	if got := d.String(); got != `save ""` {
		t.Errorf("String() = %s", got)
	}
	d = Directive{Name: "rename-command", Args: []string{"CONFIG", "a b\x00"}}
	if got := d.String(); got != `rename-command CONFIG "a b\x00"` {
		t.Errorf("String() = %s", got)
	}
}

func FuzzQuote(f *testing.F) {
	for _, s := range []string{"", "a", "a b", `"`, `'`, `\`, "#", "\x00", "\xff", "a\"b'c\\d\ne", `\x41`, "\v"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := Quote(s)
		words, err := splitargs.Split([]byte(q))
		if err != nil || len(words) != 1 || string(words[0]) != s {
			t.Fatalf("Quote(%q) = %s, which splits to %q, %v", s, q, words, err)
		}
		// As the first word of a line it must not read as a comment either.
		ds, err := Parse(strings.NewReader(q+" x"), "-")
		if err != nil || len(ds) != 1 || ds[0].Name != asciiLower(s) || len(ds[0].Args) != 1 {
			if s != "" { // an empty name is an error, quoted or not
				t.Fatalf("Parse(%s x) = %v, %v", q, ds, err)
			}
		}
	})
}
