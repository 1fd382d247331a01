package netmode

import (
	"strconv"
	"strings"
	"testing"

	"github.com/shinglekv/shingle/internal/testutil"
)

// TestSaveLoadsInRedis: SAVE, and BGSAVE after more writes, write
// dir/dbfilename as an RDB that a stock redis-server started on it loads
// whole: the same DEBUG DIGEST and key count as Shingle's when it saved.
// LASTSAVE and INFO persistence follow the saves.
func TestSaveLoadsInRedis(t *testing.T) {
	testutil.RequireTool(t, "redis-server")
	dir := t.TempDir()
	sh := startServer(t, func(c *Config) { c.Dir, c.DBFilename = dir, "export.rdb" })
	c := sh.raw(t)
	for i := range 300 {
		k := "k:" + strconv.Itoa(i)
		switch i % 4 {
		case 0:
			mustDo(t, c, "SET", k, strings.Repeat("v", i))
		case 1:
			mustDo(t, c, "HSET", k, "f", strconv.Itoa(i), "g", "x")
		case 2:
			mustDo(t, c, "SADD", k, "a", strconv.Itoa(i), "")
		case 3:
			mustDo(t, c, "SET", k, strconv.Itoa(-i))
			mustDo(t, c, "EXPIRE", k, "3600")
		}
	}
	before := mustDo(t, c, "LASTSAVE")
	loadedBy := func(what string) {
		t.Helper()
		rd := testutil.StartRedis(t, "--dir", dir, "--dbfilename", "export.rdb", "--enable-debug-command", "yes")
		rc := rd.Dial(t)
		for _, cmd := range [][]string{{"DEBUG", "DIGEST"}, {"DBSIZE"}} {
			if got, want := mustDo(t, rc, cmd...), mustDo(t, c, cmd...); got != want {
				t.Fatalf("%s: %s on redis-server loading the file: %s, Shingle: %s", what, cmd[0], got, want)
			}
		}
	}
	if got := mustDo(t, c, "SAVE"); got != `"OK"` {
		t.Fatalf("SAVE: %s", got)
	}
	loadedBy("SAVE")
	if after := mustDo(t, c, "LASTSAVE"); after < before {
		t.Fatalf("LASTSAVE %s after SAVE, %s before", after, before)
	}

	mustDo(t, c, "DEL", "k:0", "k:1")
	mustDo(t, c, "SADD", "new", "m")
	if got := mustDo(t, c, "BGSAVE"); got != `"Background saving started"` && got != `"Background saving scheduled"` {
		t.Fatalf("BGSAVE: %s", got)
	}
	eventually(t, "the background save to end", func() bool {
		r, err := c.Do("INFO", "persistence")
		if err != nil {
			t.Fatal(err)
		}
		return testutil.InfoFields(string(r.Str))["rdb_bgsave_in_progress"] == "0"
	})
	loadedBy("BGSAVE")
	for cmd, want := range map[string]string{
		"BGSAVE NOW":            "(error) ERR syntax error",
		"SAVE x":                "(error) ERR wrong number of arguments for 'save' command",
		"LASTSAVE x":            "(error) ERR wrong number of arguments for 'lastsave' command",
		"CONFIG GET dbfilename": `["dbfilename" "export.rdb"]`,
	} {
		if got := mustDo(t, c, strings.Fields(cmd)...); got != want {
			t.Errorf("%s: %s, want %s", cmd, got, want)
		}
	}
}

// TestBGRewriteAOF: BGREWRITEAOF compacts the store in the background,
// INFO shows it running and then done, and the data set is the same.
func TestBGRewriteAOF(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.raw(t)
	for i := range 200 {
		mustDo(t, c, "SET", "k:"+strconv.Itoa(i), strings.Repeat("v", 100))
		if i%2 == 0 {
			mustDo(t, c, "DEL", "k:"+strconv.Itoa(i))
		}
	}
	before := mustDo(t, c, "DEBUG", "DIGEST")
	if r := mustDo(t, c, "BGREWRITEAOF"); r != `"Background append only file rewriting started"` {
		t.Fatalf("BGREWRITEAOF: %s", r)
	}
	info := func(field string) string {
		r, err := c.Do("INFO", "persistence")
		if err != nil {
			t.Fatal(err)
		}
		return testutil.InfoFields(string(r.Str))[field]
	}
	eventually(t, "the rewrite to end", func() bool { return info("aof_rewrite_in_progress") == "0" })
	if s := info("aof_last_bgrewrite_status"); s != "ok" {
		t.Fatalf("aof_last_bgrewrite_status:%s", s)
	}
	if after := mustDo(t, c, "DEBUG", "DIGEST"); after != before {
		t.Fatalf("DEBUG DIGEST %s after the rewrite, %s before", after, before)
	}
}
