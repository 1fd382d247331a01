package config

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// argsCases are redis-server command lines; those marked "redis" were run
// with redis-server 7.0.15, whose fatal config error quotes the options
// line it read.
var argsCases = []struct {
	name    string
	args    []string
	file    string
	stdin   bool
	options string
	want    []Directive // File "" and Line 0 implied
	errMsg  string      // the error Load returns for the options, if any
}{
	{name: "nothing"},
	{name: "file only", args: []string{"redis.conf"}, file: "redis.conf"},
	{name: "file and options",
		args:    []string{"redis.conf", "--port", "0", "--save", "", "--bind", "127.0.0.1", "::1"},
		file:    "redis.conf",
		options: "port \"0\" \nsave \"\" \nbind \"127.0.0.1\" \"::1\" ",
		want:    []Directive{d(0, "port", "0"), d(0, "save", ""), d(0, "bind", "127.0.0.1", "::1")}},
	{name: "one option", args: []string{"--tls-port", "7380"},
		options: `tls-port "7380" `, want: []Directive{d(0, "tls-port", "7380")}},
	{name: "negative value", args: []string{"--port", "-1"}, // redis
		options: `port "-1" `, want: []Directive{d(0, "port", "-1")}},
	{name: "several values", args: []string{"--port", "1", "2"},
		options: `port "1" "2" `, want: []Directive{d(0, "port", "1", "2")}},
	{name: "a value may start with --", args: []string{"--requirepass", "--secret", "--bogus"}, // redis
		options: "requirepass \"--secret\" \nbogus ", want: []Directive{d(0, "requirepass", "--secret"), d(0, "bogus")}},
	{name: "--save before a name gets an empty value", args: []string{"--save", "--port", "1"}, // redis
		options: "save \"\"\nport \"1\" ", want: []Directive{d(0, "save", ""), d(0, "port", "1")}},
	{name: "--save last gets an empty value", args: []string{"--port", "1", "--save"},
		options: "port \"1\" \nsave \"\"", want: []Directive{d(0, "port", "1"), d(0, "save", "")}},
	{name: "--SAVE is --save", args: []string{"--SAVE", "--port", "1"},
		options: "SAVE \"\"\nport \"1\" ", want: []Directive{d(0, "save", ""), d(0, "port", "1")}},
	{name: "--sentinel takes no value", args: []string{"--sentinel", "--port", "1"},
		options: "sentinel \nport \"1\" ", want: []Directive{d(0, "sentinel"), d(0, "port", "1")}},
	{name: "--sentinel last", args: []string{"--sentinel"},
		options: "sentinel ", want: []Directive{d(0, "sentinel")}},
	{name: "a name without value", args: []string{"--foo"},
		options: "foo ", want: []Directive{d(0, "foo")}},
	{name: "values are quoted", args: []string{"--bogus", "a b", `c"d`, "e\nf", "\xff", "\\"}, // redis
		options: `bogus "a b" "c\"d" "e\nf" "\xff" "\\" `,
		want:    []Directive{d(0, "bogus", "a b", `c"d`, "e\nf", "\xff", `\`)}},
	{name: "a name holding its value", args: []string{"--port 6380", "--x"}, // redis
		options: "port 6380 \nx ", want: []Directive{d(0, "port", "6380"), d(0, "x")}},
	{name: "a name holding its value, then more", args: []string{"--port 6380", "1"},
		options: `port 6380 "1" `, want: []Directive{d(0, "port", "6380", "1")}},
	{name: "a name that reads as a comment", args: []string{"--#c", "1", "--bogus2"}, // redis
		options: "#c \"1\" \nbogus2 ", want: []Directive{d(0, "bogus2")}},
	{name: "-- alone", args: []string{"--", "1"}, // redis
		options: ` "1" `, want: []Directive{d(0, "1")}},
	{name: "a single dash is a value", args: []string{"-x"}, // redis
		options: `"-x" `, want: []Directive{d(0, "-x")}},
	{name: "no --name=value", args: []string{"--port=1"},
		options: "port=1 ", want: []Directive{d(0, "port=1")}},
	{name: "stdin alone", args: []string{"-"}, stdin: true, file: ""},
	{name: "stdin first", args: []string{"-", "--port", "1"}, stdin: true, // redis
		options: `port "1" `, want: []Directive{d(0, "port", "1")}},
	{name: "stdin last", args: []string{"--port", "0", "-"}, stdin: true, // redis
		options: `port "0" `, want: []Directive{d(0, "port", "0")}},
	{name: "stdin last, even where a value is due", args: []string{"--port", "-"}, stdin: true, // redis
		options: "port ", want: []Directive{d(0, "port")}},
	{name: "a dash in the middle is a value", args: []string{"--requirepass", "-", "--bogus"}, // redis
		options: "requirepass \"-\" \nbogus ", want: []Directive{d(0, "requirepass", "-"), d(0, "bogus")}},
	{name: "file and stdin", args: []string{"redis.conf", "--loglevel", "verbose", "-"},
		file: "redis.conf", stdin: true, options: `loglevel "verbose" `,
		want: []Directive{d(0, "loglevel", "verbose")}},
	{name: "a quote in a name", args: []string{`--a"b`, "1"},
		options: `a"b "1" `,
		errMsg:  `config: command line: Unbalanced quotes in configuration line: "a\"b \"1\""`},
}

func TestParseCommandLine(t *testing.T) {
	for _, c := range argsCases {
		t.Run(c.name, func(t *testing.T) {
			cl, err := ParseCommandLine(c.args)
			if err != nil {
				t.Fatal(err)
			}
			if cl.File != c.file || cl.Stdin != c.stdin || cl.Options != c.options {
				t.Errorf("ParseCommandLine(%q) = %+v\nwant File %q Stdin %v Options %q", c.args, cl, c.file, c.stdin, c.options)
			}
		})
	}
	var e *Error
	if _, err := ParseCommandLine([]string{"", "--port", "1"}); !errors.As(err, &e) {
		t.Errorf("an empty config file name gave %v", err)
	}
}

// TestLoadOptions checks the directives Load reads from the options of each
// command line; the config file and stdin are left out (TestLoad covers
// them).
func TestLoadOptions(t *testing.T) {
	for _, c := range argsCases {
		t.Run(c.name, func(t *testing.T) {
			cl, err := ParseCommandLine(c.args)
			if err != nil {
				t.Fatal(err)
			}
			cl.File, cl.Stdin = "", false
			ds, err := cl.Load(nil)
			if c.errMsg != "" {
				var e *Error
				if !errors.As(err, &e) || err.Error() != c.errMsg {
					t.Fatalf("Load of %q = %v, want error %q", c.args, err, c.errMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load of %q: %v", c.args, err)
			}
			if ds := positionless(ds); !reflect.DeepEqual(ds, c.want) {
				t.Errorf("Load of %q = %v\nwant %v", c.args, ds, c.want)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"redis.conf":      "port 1\nsave 900 1\n",
		"nonl.conf":       "port 1",
		"dir.conf":        "dir " + dir + "/sub\n",
		"sub/extra.conf":  "maxmemory 1mb\n",
		"glob/a.conf":     "a 1\n",
		"glob/b.conf":     "b 1\n",
		"quote.conf":      "port 1\nx \"\n",
		"with space.conf": "port 2\n",
	})
	for _, c := range []struct {
		name  string
		args  []string
		stdin string
		want  []string
	}{
		{"file, stdin, options in that order",
			[]string{filepath.Join(dir, "redis.conf"), "--port", "3", "-"}, "port 2\n",
			[]string{"redis.conf:1 port 1", "redis.conf:2 save 900 1", "-:1 port 2", ":0 port 3"}},
		// Redis reads the file and stdin as one text.
		{"a file without a final newline runs into stdin",
			[]string{filepath.Join(dir, "nonl.conf"), "-"}, "save 2 1\n",
			[]string{"nonl.conf:1 port 1save 2 1"}},
		{"stdin alone", []string{"-"}, "port 2",
			[]string{"-:1 port 2"}},
		{"a dir in the file moves includes from the command line",
			[]string{filepath.Join(dir, "dir.conf"), "--include", "extra.conf"}, "",
			[]string{"dir.conf:1 dir " + dir + "/sub", "sub/extra.conf:1 maxmemory 1mb"}},
		{"the config file may be a pattern",
			[]string{filepath.Join(dir, "glob/*.conf")}, "",
			[]string{"glob/a.conf:1 a 1", "glob/b.conf:1 b 1"}},
		{"a file name with a space",
			[]string{filepath.Join(dir, "with space.conf")}, "",
			[]string{"with space.conf:1 port 2"}},
		{"an include among the options, in order",
			[]string{"--port", "1", "--include", filepath.Join(dir, "sub/extra.conf"), "--port", "2"}, "",
			[]string{":0 port 1", "sub/extra.conf:1 maxmemory 1mb", ":0 port 2"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cl, err := ParseCommandLine(c.args)
			if err != nil {
				t.Fatal(err)
			}
			ds, err := cl.Load(strings.NewReader(c.stdin))
			if err != nil {
				t.Fatal(err)
			}
			if got := summary(dir, ds); !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %q\nwant %q", got, c.want)
			}
		})
	}

	var e *Error
	cl := &CommandLine{File: filepath.Join(dir, "quote.conf")}
	if _, err := cl.Load(nil); !errors.As(err, &e) || e.File != cl.File || e.Line != 2 {
		t.Errorf("Load(quote.conf) = %v, want an error at line 2", err)
	}
	cl = &CommandLine{File: filepath.Join(dir, "missing.conf")}
	if _, err := cl.Load(nil); !errors.As(err, &e) || e.File != cl.File || e.Line != 0 {
		t.Errorf("Load(missing.conf) = %v", err)
	}
	cl = &CommandLine{Stdin: true}
	if _, err := cl.Load(nil); !errors.As(err, &e) || e.File != "-" {
		t.Errorf("Load with Stdin and no reader = %v", err)
	}
}
