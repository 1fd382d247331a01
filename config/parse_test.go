package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// d builds an expected directive; file is filled in by the test.
func d(line int, name string, args ...string) Directive {
	if len(args) == 0 {
		args = nil
	}
	return Directive{Name: name, Args: args, Line: line}
}

// parseCases run through Parse with the name "t.conf". Those marked "redis"
// were fed to redis-server 7.0.15 and read the same way (its error message
// quotes the line it read).
var parseCases = []struct {
	name    string
	in      string
	want    []Directive
	errLine int // the error's line when the case must fail
	errMsg  string
}{
	{name: "empty", in: ""},
	{name: "blank lines", in: "\n\n \t \r\n"},
	{name: "plain", in: "port 6379\nbind 127.0.0.1 ::1\n",
		want: []Directive{d(1, "port", "6379"), d(2, "bind", "127.0.0.1", "::1")}},
	{name: "no final newline", in: "port 1",
		want: []Directive{d(1, "port", "1")}},
	{name: "line numbers count blank and comment lines", in: "\n# c\n\nport 1\n",
		want: []Directive{d(4, "port", "1")}},
	{name: "comments", in: "# port 1\n   # indented\n\t# tab\nport 2 # not a comment\n",
		want: []Directive{d(4, "port", "2", "#", "not", "a", "comment")}},
	{name: "CRLF", in: "port 1\r\nsave \"\"\r\nbind a b \r\n", // redis
		want: []Directive{d(1, "port", "1"), d(2, "save", ""), d(3, "bind", "a", "b")}},
	{name: "lone CR is not a line break", in: "port 1\rsave 2",
		want: []Directive{d(1, "port", "1", "save", "2")}},
	{name: "leading and trailing blanks", in: " \t PORT\t1 \t\r\n",
		want: []Directive{d(1, "port", "1")}},
	{name: "name lowercased, arguments kept", in: "MaxMemory-Policy AllKeys-LRU\n",
		want: []Directive{d(1, "maxmemory-policy", "AllKeys-LRU")}},
	{name: "only ASCII is lowercased", in: "\xc3\x89T\xc3\x89 1\n",
		want: []Directive{d(1, "\xc3\x89t\xc3\x89", "1")}},
	{name: "double quotes", in: `requirepass "a b\x41\n"` + "\n",
		want: []Directive{d(1, "requirepass", "a bA\n")}},
	{name: "single quotes", in: `masterauth 'it\'s'` + "\n",
		want: []Directive{d(1, "masterauth", "it's")}},
	{name: "empty arguments", in: `rename-command CONFIG ""` + "\nsave ''\n",
		want: []Directive{d(1, "rename-command", "CONFIG", ""), d(2, "save", "")}},
	{name: "quoted name", in: `"PORT" 1` + "\n",
		want: []Directive{d(1, "port", "1")}},
	{name: "quote inside a word", in: `logfile /var/log/"redis server".log` + "\n",
		errLine: 1, errMsg: "Unbalanced quotes in configuration line"},
	{name: "quote opening mid-word", in: `logfile a"b c"` + "\n",
		want: []Directive{d(1, "logfile", "ab c")}},
	{name: "unbalanced quotes", in: "port 1\nrequirepass \"abc\n", // redis
		errLine: 2, errMsg: "Unbalanced quotes in configuration line"},
	{name: "closing quote followed by a word", in: `dir "a"b` + "\n",
		errLine: 1, errMsg: "Unbalanced quotes in configuration line"},
	{name: "quoted newline escape does not end the line", in: "a \"x\\\ny\"\n",
		errLine: 1, errMsg: "Unbalanced quotes in configuration line"},
	{name: "vertical tab is not trimmed", in: "\v\nport 1\n\v# x\n", // redis: a directive named "#"
		want: []Directive{d(2, "port", "1"), d(3, "#", "x")}},
	{name: "form feed inside a word", in: "a b\fc\n",
		want: []Directive{d(1, "a", "b\fc")}},
	{name: "empty name", in: `"" 1` + "\n", // redis: Bad directive
		errLine: 1, errMsg: "empty directive name"},
	{name: "BOM is part of the name", in: "\xef\xbb\xbfport 0\n", // redis: Bad directive
		want: []Directive{d(1, "\xef\xbb\xbfport", "0")}},
	{name: "NUL joins the line to the next", in: "port 0\nbogus\x00xx\nbogus2\nlast 1\n", // redis
		want: []Directive{d(1, "port", "0"), d(2, "bogusbogus2"), d(3, "last", "1")}},
	{name: "include without a path", in: "port 1\ninclude\n", // redis: Bad directive
		errLine: 2, errMsg: "wrong number of arguments for include"},
	{name: "include with two paths", in: "include a b\n", // redis: Bad directive
		errLine: 1, errMsg: "wrong number of arguments for include"},
	{name: "include is case-insensitive", in: "INCLUDE a b\n",
		errLine: 1, errMsg: "wrong number of arguments for include"},
}

func TestParse(t *testing.T) {
	for _, c := range parseCases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(c.in), "t.conf")
			if c.errMsg != "" {
				var e *Error
				if !errors.As(err, &e) || e.File != "t.conf" || e.Line != c.errLine || e.Msg != c.errMsg {
					t.Fatalf("Parse(%q) = %v, %v; want error %q at line %d", c.in, got, err, c.errMsg, c.errLine)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", c.in, err)
			}
			want := withFile(c.want, "t.conf")
			if got := positionless(got); !reflect.DeepEqual(got, want) {
				t.Fatalf("Parse(%q) =\n%v\nwant\n%v", c.in, got, want)
			}
		})
	}
}

// positionless returns ds without Text and RedisLine, which
// TestRedisPosition checks.
func positionless(ds []Directive) []Directive {
	if ds == nil {
		return nil
	}
	out := make([]Directive, len(ds))
	for i, d := range ds {
		d.Text, d.RedisLine = "", 0
		out[i] = d
	}
	return out
}

func withFile(ds []Directive, file string) []Directive {
	if ds == nil {
		return nil
	}
	out := make([]Directive, len(ds))
	for i, d := range ds {
		d.File = file
		out[i] = d
	}
	return out
}

func TestErrorFormat(t *testing.T) {
	for _, c := range []struct {
		e    Error
		want string
	}{
		{Error{File: "redis.conf", Line: 3, Msg: "m"}, "config: redis.conf:3: m"},
		{Error{File: "redis.conf", Msg: "m"}, "config: redis.conf: m"},
		{Error{Msg: "m"}, "config: command line: m"},
		{Error{File: "-", Line: 1, Msg: "m"}, "config: -:1: m"},
	} {
		if got := c.e.Error(); got != c.want {
			t.Errorf("%#v.Error() = %q, want %q", c.e, got, c.want)
		}
	}
}

// writeFiles creates files under dir from name: content pairs.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// summary lists directives as "file:line name args", files relative to dir.
func summary(dir string, ds []Directive) []string {
	var out []string
	for _, d := range ds {
		out = append(out, strings.TrimPrefix(d.File, dir+"/")+":"+strconv.Itoa(d.Line)+" "+d.String())
	}
	return out
}

func TestInclude(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"main.conf": "port 1\ninclude " + dir + "/inc.conf\n" +
			"include \"" + dir + "/with space.conf\"\nport 2\n",
		"inc.conf":        "# included\nmaxmemory 1mb\n",
		"with space.conf": "save \"\"\n",
	})
	ds, err := ParseFile(filepath.Join(dir, "main.conf"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"main.conf:1 port 1", "inc.conf:2 maxmemory 1mb", `with space.conf:1 save ""`, "main.conf:4 port 2"}
	if got := summary(dir, ds); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestIncludeTwiceIsNotALoop(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"main.conf": "include " + dir + "/a.conf\ninclude " + dir + "/b.conf\n",
		"a.conf":    "include " + dir + "/c.conf\n",
		"b.conf":    "include " + dir + "/c.conf\n",
		"c.conf":    "port 1\n",
	})
	ds, err := ParseFile(filepath.Join(dir, "main.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := summary(dir, ds), []string{"c.conf:1 port 1", "c.conf:1 port 1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestIncludeLoop(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"self.conf": "port 1\ninclude " + dir + "/self.conf\n",
		"a.conf":    "include " + dir + "/b.conf\n",
		"b.conf":    "port 1\n\ninclude " + dir + "/a.conf\n",
		"glob.conf": "include " + dir + "/g/*.conf\n",
		"g/1.conf":  "port 1\n",
		"g/2.conf":  "include " + dir + "/glob.conf\n",
	})
	// A symbolic link is the same file under another name.
	if err := os.Symlink(filepath.Join(dir, "self.conf"), filepath.Join(dir, "link.conf")); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, dir, map[string]string{"vialink.conf": "include " + dir + "/link.conf\n"})

	for _, c := range []struct {
		file, errFile string
		errLine       int
		chain         string
	}{
		{"self.conf", "self.conf", 2, "self.conf -> self.conf"},
		{"a.conf", "b.conf", 3, "a.conf -> b.conf -> a.conf"},
		{"b.conf", "a.conf", 1, "b.conf -> a.conf -> b.conf"},
		{"glob.conf", "g/2.conf", 1, "glob.conf -> g/2.conf -> glob.conf"},
		{"vialink.conf", "link.conf", 2, "link.conf -> self.conf"},
	} {
		_, err := ParseFile(filepath.Join(dir, c.file))
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, ErrIncludeLoop) {
			t.Errorf("%s: got %v, want an include loop", c.file, err)
			continue
		}
		if e.File != filepath.Join(dir, c.errFile) || e.Line != c.errLine {
			t.Errorf("%s: error at %s:%d, want %s:%d", c.file, e.File, e.Line, c.errFile, c.errLine)
		}
		if got := strings.ReplaceAll(e.Msg, dir+"/", ""); got != "include loop: "+c.chain {
			t.Errorf("%s: message %q, want %q", c.file, got, "include loop: "+c.chain)
		}
	}

	// Parse knows the file it reads when its name is the file's path.
	path := filepath.Join(dir, "self.conf")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := Parse(f, path); !errors.Is(err, ErrIncludeLoop) {
		t.Errorf("Parse(self.conf) = %v, want an include loop", err)
	}
}

func TestIncludeMissing(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"main.conf": "port 1\ninclude " + dir + "/missing.conf\n"})
	_, err := ParseFile(filepath.Join(dir, "main.conf"))
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, fs.ErrNotExist) || e.File != filepath.Join(dir, "main.conf") || e.Line != 2 ||
		!strings.Contains(e.Msg, "can't open config file") || !strings.Contains(e.Msg, "missing.conf") {
		t.Errorf("got %v, want can't open missing.conf at main.conf:2", err)
	}

	_, err = ParseFile(filepath.Join(dir, "nope.conf"))
	if !errors.As(err, &e) || !errors.Is(err, fs.ErrNotExist) || e.File != filepath.Join(dir, "nope.conf") || e.Line != 0 {
		t.Errorf("ParseFile(nope.conf) = %v", err)
	}
	if want := "config: " + dir + "/nope.conf: can't open config file: open " + dir + "/nope.conf: no such file or directory"; err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
}

// TestIncludeDirectory: Redis opens a directory, fgets reads nothing, and it
// goes on.
func TestIncludeDirectory(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"main.conf": "include " + dir + "\nport 1\n"})
	ds, err := ParseFile(filepath.Join(dir, "main.conf"))
	if err != nil || len(ds) != 1 || ds[0].Name != "port" {
		t.Errorf("got %v, %v", ds, err)
	}
}

func TestIncludeGlob(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"d/b.conf":     "b 1\n",
		"d/a.conf":     "a 1\na 2\n",
		"d/a-x.conf":   "ax 1", // no final newline: runs into a.conf's first line
		"d/.h.conf":    "hidden 1\n",
		"d/c.txt":      "txt 1\n",
		"d/sub/s.conf": "sub 1\n",
		"e/x.conf":     "x 1\n",
	})
	for _, c := range []struct {
		pattern string
		want    []string
	}{
		{"d/*.conf", []string{"d/a-x.conf:1 ax 1a 1", "d/a.conf:2 a 2", "d/b.conf:1 b 1"}},
		{"d/[ab].conf", []string{"d/a.conf:1 a 1", "d/a.conf:2 a 2", "d/b.conf:1 b 1"}},
		{"d/[!a].conf", []string{"d/b.conf:1 b 1"}},
		{"d/.*.conf", []string{"d/.h.conf:1 hidden 1"}},
		{"d/?.txt", []string{"d/c.txt:1 txt 1"}},
		{"*/x.conf", []string{"e/x.conf:1 x 1"}},
		{"d/*/*.conf", []string{"d/sub/s.conf:1 sub 1"}},
		{"nothing/*.conf", nil},
		{"d/*.none", nil},
	} {
		writeFiles(t, dir, map[string]string{"main.conf": "include " + dir + "/" + c.pattern + "\n"})
		ds, err := ParseFile(filepath.Join(dir, "main.conf"))
		if err != nil {
			t.Errorf("%s: %v", c.pattern, err)
			continue
		}
		if got := summary(dir, ds); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %q, want %q", c.pattern, got, c.want)
		}
	}

	// The config file itself may be a pattern, as on redis-server's command
	// line.
	ds, err := ParseFile(dir + "/d/[b].conf")
	if err != nil || len(ds) != 1 || ds[0].Name != "b" {
		t.Errorf("ParseFile(pattern) = %v, %v", ds, err)
	}
}

// TestIncludeRelative: a relative include is looked for from the working
// directory, not from the including file's directory, and a dir directive
// moves it, as Redis calls chdir while reading its configuration.
func TestIncludeRelative(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"conf/main.conf":      "include inc.conf\n",
		"conf/inc.conf":       "wrong 1\n",
		"inc.conf":            "right 1\n",
		"conf/dir.conf":       "dir sub\ninclude rel.conf\ndir deeper\ninclude rel.conf\n",
		"sub/rel.conf":        "sub 1\n",
		"sub/deeper/rel.conf": "deeper 1\n",
		"conf/abs.conf":       "dir " + dir + "/sub\ninclude rel.conf\n",
	})
	t.Chdir(dir)

	ds, err := ParseFile("conf/main.conf")
	if got, want := summary(dir, ds), []string{"inc.conf:1 right 1"}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("main.conf: got %q, %v; want %q", got, err, want)
	}
	ds, err = ParseFile("conf/dir.conf")
	want := []string{"conf/dir.conf:1 dir sub", "sub/rel.conf:1 sub 1", "conf/dir.conf:3 dir deeper", "sub/deeper/rel.conf:1 deeper 1"}
	if got := summary(dir, ds); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("dir.conf: got %q, %v; want %q", got, err, want)
	}
	ds, err = ParseFile("conf/abs.conf")
	want = []string{"conf/abs.conf:1 dir " + dir + "/sub", "sub/rel.conf:1 sub 1"}
	if got := summary(dir, ds); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("abs.conf: got %q, %v; want %q", got, err, want)
	}
}

func TestReadConfigNUL(t *testing.T) {
	// fgets reads at most 1024 bytes at a time: a NUL drops the rest of its
	// 1024-byte chunk only, even on a longer line.
	long := strings.Repeat("x", 1500)
	in := "a " + long[:10] + "\x00" + long[:1500] + "\nb 1\n"
	got, err := readConfig(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	// The first chunk is "a xxxxxxxxxx\0" plus 1011 x; the second holds the
	// remaining 489 x and the newline.
	want := "a " + long[:10] + strings.Repeat("x", 489) + "\nb 1\n"
	if string(got) != want {
		t.Errorf("readConfig: got %d bytes, want %d", len(got), len(want))
	}
}

// FuzzParse feeds arbitrary text to the parser, with includes confined to a
// directory of a few files, and checks the promises on every directive.
func FuzzParse(f *testing.F) {
	for _, c := range parseCases {
		f.Add(c.in)
	}
	f.Add("include a.conf\nport 1\n")
	f.Add("include *.conf\n")
	f.Add("dir sub\ninclude s.conf\n")
	f.Add("include loop.conf\n")
	dir := f.TempDir()
	for name, content := range map[string]string{
		"a.conf":     "Port 1\ninclude b.conf\n",
		"b.conf":     "save \"\"\nbind a b\n",
		"loop.conf":  "include loop.conf\n",
		"sub/s.conf": "include ../a.conf\n",
		"quote.conf": "x \"unbalanced\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			f.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			f.Fatal(err)
		}
	}
	inside := func(path string) bool {
		rel, err := filepath.Rel(dir, path)
		return err == nil && rel != ".." && !strings.HasPrefix(rel, "../") && !filepath.IsAbs(rel)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p := parser{
			cwd: dir,
			readFileHook: func(path string) ([]byte, os.FileInfo, error) {
				if !inside(path) {
					return nil, nil, fs.ErrNotExist
				}
				return readFile(path)
			},
			globHook: func(cwd, pattern string) []string {
				if !inside(cwd) || strings.HasPrefix(pattern, "/") || strings.Contains(pattern, "..") {
					return nil
				}
				return glob(cwd, pattern)
			},
		}
		data, err := readConfig(strings.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		err = p.parse(data, []source{{name: "fuzz"}})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.File == "" || e.Line < 1 || e.Msg == "" {
				t.Fatalf("error %#v is not a located *Error", err)
			}
		}
		for _, d := range p.out {
			if d.Name == "" || d.Name != asciiLower(d.Name) {
				t.Fatalf("directive %#v: name empty or not lowercase", d)
			}
			if d.Line < 1 || (d.File != "fuzz" && !inside(d.File)) {
				t.Fatalf("directive %#v: bad origin", d)
			}
			if d.Name == "include" {
				t.Fatalf("include left unexpanded: %#v", d)
			}
		}
		// What Parse returns must read back the same through String.
		if err == nil && len(p.out) > 0 && strings.IndexByte(in, 0) < 0 && !strings.Contains(strings.ToLower(in), "include") {
			var text strings.Builder
			for _, d := range p.out {
				text.WriteString(d.String() + "\n")
			}
			again, err := Parse(strings.NewReader(text.String()), "again")
			if err != nil || len(again) != len(p.out) {
				t.Fatalf("re-parsing %q: %v, %v", text.String(), again, err)
			}
			for i := range again {
				if again[i].Name != p.out[i].Name || !reflect.DeepEqual(again[i].Args, p.out[i].Args) {
					t.Fatalf("re-parsing %q gives %v, want %v", text.String(), again[i], p.out[i])
				}
			}
		}
	})
}

// TestRedisPosition checks Directive.Text and RedisLine against what
// redis-server 7.0.15 printed in its startup error block for the same
// input (">>> 'Text'" and "at line RedisLine").
func TestRedisPosition(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"a.conf":   "port 0\n\n  foo bar\t\n",
		"inc.conf": "# inc\nbaz 1\n",
		"b.conf":   "port 0\ninclude " + dir + "/inc.conf\n",
		"c.conf":   "port 0",
	})
	for _, c := range []struct {
		args  []string
		stdin string
		name  string // the directive to look at
		text  string
		line  int
	}{
		{args: []string{dir + "/a.conf"}, name: "foo", text: "foo bar", line: 3},
		{args: []string{dir + "/b.conf"}, name: "baz", text: "baz 1", line: 2},
		{args: []string{"--port", "0", "--x", "a"}, name: "x", text: `x "a"`, line: 3},
		{args: []string{dir + "/c.conf", "--bar", "a b"}, name: "bar", text: `bar "a b"`, line: 2},
		{args: []string{dir + "/c.conf", "-"}, stdin: "qux 1\n", name: "port", text: "port 0qux 1", line: 1},
		{args: []string{dir + "/a.conf", "--port", "1", "-"}, stdin: "qux 1\n", name: "qux", text: "qux 1", line: 4},
	} {
		cl, err := ParseCommandLine(c.args)
		if err != nil {
			t.Fatal(err)
		}
		ds, err := cl.Load(strings.NewReader(c.stdin))
		if err != nil {
			t.Fatalf("%q: %v", c.args, err)
		}
		found := false
		for _, d := range ds {
			if d.Name == c.name {
				found = true
				if d.Text != c.text || d.RedisLine != c.line {
					t.Errorf("%q: %s is %q at line %d, want %q at line %d", c.args, c.name, d.Text, d.RedisLine, c.text, c.line)
				}
			}
		}
		if !found {
			t.Errorf("%q: no %s directive in %v", c.args, c.name, ds)
		}
	}
	// A syntax error carries the same, with Redis's words.
	cl, _ := ParseCommandLine([]string{"--port", "0", `--x "a`})
	_, err := cl.Load(nil)
	var e *Error
	if !errors.As(err, &e) || e.RedisLine != 3 || e.Text != `x "a` || e.Reason != "Unbalanced quotes in configuration line" {
		t.Errorf("unbalanced quotes: %#v", err)
	}
}
