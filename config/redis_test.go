package config

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/internal/testutil"
)

// The tests in this file run a stock redis-server on the same input and
// check that it reads what the package reads. They skip when redis-server is
// not installed, except in CI.

// configGet returns a configuration parameter of a running Redis.
func configGet(t *testing.T, c *testutil.Client, name string) string {
	t.Helper()
	r, err := c.Do("CONFIG", "GET", name)
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind != command.KindArray || len(r.Elems) != 2 {
		t.Fatalf("CONFIG GET %s: %+v", name, r)
	}
	return string(r.Elems[1].Str)
}

// lastArg returns the first argument of the last directive named name.
func lastArg(t *testing.T, ds []Directive, name string) string {
	t.Helper()
	for i := len(ds) - 1; i >= 0; i-- {
		if ds[i].Name == name && len(ds[i].Args) > 0 {
			return ds[i].Args[0]
		}
	}
	t.Fatalf("no %s directive in %v", name, ds)
	return ""
}

// TestParseMatchesRedis writes config files whose masterauth value is
// spelled in some tricky way, has redis-server include them, and compares
// CONFIG GET masterauth with the value Parse reads.
func TestParseMatchesRedis(t *testing.T) {
	testutil.RequireTool(t, "redis-server")
	dir := t.TempDir()
	for i, line := range []string{
		`masterauth plain`,
		`MasterAuth "a b\x41\n\t\\"`,
		`masterauth 'it\'s \n'`,
		`masterauth a"b c"`,
		"masterauth\t\"x\"\r",
		`masterauth "\x4g\q\""`,
		"masterauth caf\xc3\xa9",
		"masterauth \"\xff\"",
		"masterauth a\vb",
		"  masterauth   spaced  ",
		"masterauth first\x00ignored\nsecond", // Redis drops the rest after a NUL, newline included
	} {
		path := filepath.Join(dir, "c"+strconv.Itoa(i)+".conf")
		content := "# a comment\r\n\n" + line + "\n"
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		ds, err := ParseFile(path)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		want := lastArg(t, ds, "masterauth")
		c := testutil.StartRedis(t, "--include", path).Dial(t)
		if got := configGet(t, c, "masterauth"); got != want {
			t.Errorf("%q: Redis reads %q, Parse reads %q", line, got, want)
		}
	}
}

// TestCommandLineMatchesRedis starts redis-server with command lines and
// compares what it set with what ParseCommandLine and Load read.
func TestCommandLineMatchesRedis(t *testing.T) {
	testutil.RequireTool(t, "redis-server")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rel.conf"), []byte("masteruser from-rel\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--masterauth", "--secret"},
		{"--masterauth", "a b", "--masteruser", "-1"},
		{"--masterauth", `q"u'o\te`},
		{"--masterauth x"},
		{"--MASTERAUTH", "\xff\n"},
		{"--save", "--masterauth", "v"},
		{"--save", "60 1"},
		{"--save", "60", "1", "--masterauth", "v"},
		// Redis changes directory on --dir before it reads the include.
		{"--dir", dir, "--include", "rel.conf"},
	} {
		cl, err := ParseCommandLine(args)
		if err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		ds, err := cl.Load(nil)
		if err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		c := testutil.StartRedis(t, args...).Dial(t)
		for _, name := range []string{"masterauth", "masteruser", "save"} {
			want := "" // StartRedis's defaults for these
			for _, d := range ds {
				if d.Name == name {
					want = strings.Join(d.Args, " ")
				}
			}
			if got := configGet(t, c, name); got != want {
				t.Errorf("%q: Redis has %s %q, Load reads %q", args, name, got, want)
			}
		}
	}
}

// TestIncludeGlobMatchesRedis includes the files a pattern matches, each
// holding "save <n> 1"; Redis keeps every save line of a config file in
// order, so CONFIG GET save tells which files it read and in which order.
func TestIncludeGlobMatchesRedis(t *testing.T) {
	testutil.RequireTool(t, "redis-server")
	dir := t.TempDir()
	// Names whose order is the same in every locale: Redis sorts with the
	// environment's LC_COLLATE.
	names := []string{"a.conf", "b.conf", "c1.conf", "c2.txt", ".h.conf", "[x].conf", "d.conf"}
	for i, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("save "+strconv.Itoa(i+1)+" 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mains := t.TempDir()
	for i, pattern := range []string{"*.conf", "[!a]*", "?.conf", ".*", "[[:alpha:]][[:digit:]].*", "[[]x].conf", "*", "none*"} {
		main := filepath.Join(mains, strconv.Itoa(i)+".conf")
		if err := os.WriteFile(main, []byte("include "+dir+"/"+pattern+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		ds, err := ParseFile(main)
		if err != nil {
			t.Fatalf("%s: %v", pattern, err)
		}
		var want []string
		for _, d := range ds {
			want = append(want, d.Args...)
		}
		c := testutil.StartRedis(t, "--include", main).Dial(t)
		if got := configGet(t, c, "save"); got != strings.Join(want, " ") {
			t.Errorf("%s: Redis read save %q, Parse reads %q", pattern, got, strings.Join(want, " "))
		}
	}
}

// TestParseErrorsMatchRedis gives redis-server broken config files and
// checks that it stops at the line Parse reports.
func TestParseErrorsMatchRedis(t *testing.T) {
	bin := testutil.RequireTool(t, "redis-server")
	dir := t.TempDir()
	atLine := regexp.MustCompile(`at line (\d+)`)
	for i, c := range []struct {
		content, redisMsg string
	}{
		{"port 0\nrequirepass \"abc\n", "Unbalanced quotes in configuration line"},
		{"port 0\n\n# c\ndir \"a\"b\n", "Unbalanced quotes in configuration line"},
		{"port 0\r\nx 'a\r\n", "Unbalanced quotes in configuration line"},
		{"port 0\nx\x00y\n\"unbalanced\nport 1\n", "Unbalanced quotes in configuration line"},
		{"port 0\n\"\" 1\n", "Bad directive or wrong number of arguments"},
		{"port 0\ninclude\n", "Bad directive or wrong number of arguments"},
		{"port 0\ninclude a b\n", "Bad directive or wrong number of arguments"},
	} {
		path := filepath.Join(dir, "bad"+strconv.Itoa(i)+".conf")
		if err := os.WriteFile(path, []byte(c.content), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ParseFile(path)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%q: Parse gives %v, want an *Error", c.content, err)
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		out, runErr := exec.CommandContext(ctx, bin, path, "--port", "0", "--save", "").CombinedOutput()
		cancel()
		m := atLine.FindSubmatch(out)
		if runErr == nil || m == nil || !strings.Contains(string(out), c.redisMsg) {
			t.Errorf("%q: redis-server did not fail as expected (%v):\n%s", c.content, runErr, out)
			continue
		}
		if string(m[1]) != strconv.Itoa(e.Line) {
			t.Errorf("%q: Redis stops at line %s, Parse at %d (%v)", c.content, m[1], e.Line, err)
		}
	}
}
