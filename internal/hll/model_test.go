package hll

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/shinglekv/shingle/internal/resp"
	"github.com/shinglekv/shingle/internal/testutil"
)

// model is a keyspace of strings served by this package the way a command
// layer would serve it: each command is answered with the reply Redis
// sends, and the keys change as Redis's would. It covers the commands the
// differential tests send.
type model struct {
	keys      map[string][]byte
	sparseMax int
}

func newModel() *model {
	return &model{keys: map[string][]byte{}, sparseMax: DefaultSparseMaxBytes}
}

func errReply(err error) resp.Reply { return resp.ErrorReply(err.Error()) }

func intReply(b bool) resp.Reply {
	if b {
		return resp.Int(1)
	}
	return resp.Int(0)
}

// do runs one command; a nil value in keys is a missing key, as the
// package's functions take it.
func (m *model) do(args ...[]byte) resp.Reply {
	cmd := strings.ToUpper(string(args[0]))
	key := string(args[1])
	switch cmd {
	case "SET":
		m.keys[key] = append([]byte{}, args[2]...)
		return resp.Status("OK")
	case "GET":
		v, ok := m.keys[key]
		if !ok {
			return resp.Null()
		}
		return resp.Bulk(v)
	case "DEL":
		_, ok := m.keys[key]
		delete(m.keys, key)
		return intReply(ok)
	case "PFADD":
		out, changed, err := Add(m.keys[key], m.sparseMax, args[2:]...)
		if out != nil {
			m.keys[key] = out
		}
		if err != nil {
			return errReply(err)
		}
		return intReply(changed)
	case "PFCOUNT":
		if len(args) == 2 {
			card, updated, err := Count(m.keys[key])
			if err != nil {
				return errReply(err)
			}
			if updated != nil {
				m.keys[key] = updated
			}
			return resp.Int(card)
		}
		var hs [][]byte
		for _, k := range args[1:] {
			hs = append(hs, m.keys[string(k)])
		}
		card, err := CountMerged(hs...)
		if err != nil {
			return errReply(err)
		}
		return resp.Int(card)
	case "PFMERGE":
		var srcs [][]byte
		for _, k := range args[2:] {
			srcs = append(srcs, m.keys[string(k)])
		}
		out, err := Merge(m.sparseMax, m.keys[key], srcs...)
		if err != nil {
			return errReply(err)
		}
		m.keys[key] = out
		return resp.Status("OK")
	case "PFDEBUG":
		return m.pfdebug(strings.ToUpper(key), string(args[2]))
	}
	panic("model: unknown command " + cmd)
}

func (m *model) pfdebug(sub, key string) resp.Reply {
	h := m.keys[key]
	switch sub {
	case "GETREG":
		regs, dense, err := GetReg(h)
		if err != nil {
			return errReply(err)
		}
		if dense != nil {
			m.keys[key] = dense
		}
		var elems []resp.Reply
		for _, v := range regs {
			elems = append(elems, resp.Int(int64(v)))
		}
		return resp.Array(elems...)
	case "DECODE":
		s, err := Decode(h)
		if err != nil {
			return errReply(err)
		}
		return resp.BulkString(s)
	case "ENCODING":
		s, err := Encoding(h)
		if err != nil {
			return errReply(err)
		}
		return resp.Status(s)
	case "TODENSE":
		dense, err := ToDense(h)
		if err != nil {
			return errReply(err)
		}
		if dense != nil {
			m.keys[key] = dense
		}
		return intReply(dense != nil)
	}
	panic("model: unknown PFDEBUG subcommand " + sub)
}

// sameReply compares replies by kind and content, recursively.
func sameReply(a, b resp.Reply) bool {
	if a.Kind != b.Kind || !bytes.Equal(a.Str, b.Str) || a.Int != b.Int || len(a.Elems) != len(b.Elems) {
		return false
	}
	for i := range a.Elems {
		if !sameReply(a.Elems[i], b.Elems[i]) {
			return false
		}
	}
	return true
}

// diff runs every command on a stock redis-server and on a model, failing
// the test when their replies or the values they leave differ.
type diff struct {
	t    *testing.T
	c    *testutil.Client
	m    *model
	note string // what failure messages start with, if anything
}

// startDiff starts redis-server (skipping the test when it is missing,
// failing it in CI) and an empty model.
func startDiff(t *testing.T) *diff {
	t.Helper()
	r := testutil.StartRedis(t)
	return &diff{t: t, c: r.Dial(t), m: newModel()}
}

func byteArgs(args []string) [][]byte {
	b := make([][]byte, len(args))
	for i, a := range args {
		b[i] = []byte(a)
	}
	return b
}

// redis sends a command to redis-server alone.
func (d *diff) redis(args ...[]byte) resp.Reply {
	d.t.Helper()
	r, err := d.c.DoBytes(args...)
	if err != nil {
		d.t.Fatalf("%s: %v", show(args), err)
	}
	return r
}

// run sends a command to both and returns Redis's reply.
func (d *diff) run(args ...[]byte) resp.Reply {
	d.t.Helper()
	want := d.redis(args...)
	got := d.m.do(args...)
	if !sameReply(want, got) {
		d.t.Fatalf("%s%s:\nredis-server: %.300s\nhll:          %.300s", d.prefix(), show(args), want, got)
	}
	return want
}

func (d *diff) runs(args ...string) resp.Reply {
	d.t.Helper()
	return d.run(byteArgs(args)...)
}

func (d *diff) prefix() string {
	if d.note == "" {
		return ""
	}
	return d.note + ": "
}

// setSparseMax sets hll-sparse-max-bytes on both.
func (d *diff) setSparseMax(n int) {
	d.t.Helper()
	if r := d.redis(byteArgs([]string{"CONFIG", "SET", "hll-sparse-max-bytes", fmt.Sprint(n)})...); r.IsError() {
		d.t.Fatalf("CONFIG SET: %s", r)
	}
	d.m.sparseMax = n
}

// same fails the test unless key holds the same bytes on both (or is
// missing on both), and returns them.
func (d *diff) same(key string, after ...[]byte) []byte {
	d.t.Helper()
	want := d.redis([]byte("GET"), []byte(key))
	got, ok := d.m.keys[key]
	switch {
	case want.Kind == resp.KindNull && !ok:
		return nil
	case want.Kind != resp.KindBulk || !ok:
		d.t.Fatalf("%safter %s: %s is %s on redis-server, present %v in the model", d.prefix(), show(after), key, want, ok)
	case !bytes.Equal(want.Str, got):
		d.t.Fatalf("%safter %s: %s differs:\n%s", d.prefix(), show(after), key, describeDiff(want.Str, got))
	}
	return want.Str
}

// describeDiff explains how two HLL strings differ, with their opcodes when
// sparse.
func describeDiff(want, got []byte) string {
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	s := fmt.Sprintf("redis-server %d bytes, hll %d bytes, first difference at byte %d\n", len(want), len(got), i)
	for _, v := range []struct {
		who string
		h   []byte
	}{{"redis-server", want}, {"hll", got}} {
		dec, err := Decode(v.h)
		if err != nil {
			dec = err.Error()
		}
		s += fmt.Sprintf("%s: header %x: %.400s\n", v.who, v.h[:min(len(v.h), HeaderSize)], dec)
	}
	return s
}

// show prints a command for a failure message, long arguments cut short.
func show(args [][]byte) string {
	var parts []string
	for i, a := range args {
		if i == 8 {
			parts = append(parts, fmt.Sprintf("... (%d arguments)", len(args)))
			break
		}
		q := fmt.Sprintf("%q", a)
		if len(q) > 60 {
			q = q[:60] + fmt.Sprintf("...(%d bytes)", len(a))
		}
		parts = append(parts, q)
	}
	return strings.Join(parts, " ")
}
