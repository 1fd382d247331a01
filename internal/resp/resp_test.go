package resp

import (
	"bufio"
	"bytes"
	"strconv"
	"testing"
)

// TestReadReplyRoundTrip: nested replies of every kind read back as they
// were written, through a reader whose buffer is smaller than the reply,
// so that every line it returns is overwritten by the reads that follow
// (a reply's type byte must be kept before reading its elements).
func TestReadReplyRoundTrip(t *testing.T) {
	var fields []Reply
	for i := range 50 {
		fields = append(fields, BulkString("config|get"+strconv.Itoa(i)),
			Map(BulkString("summary"), BulkString("a long enough sentence to fill the buffer"),
				BulkString("arguments"), Array(Int(int64(i)), Null(), Status("OK"), Reply{Kind: KindSet, Elems: []Reply{BulkString("x")}})))
	}
	want := Map(fields...)
	for _, proto := range []int{2, 3} {
		wire := AppendReply(nil, want, proto)
		for _, size := range []int{16, 64, 4096} {
			got, err := ReadReply(bufio.NewReaderSize(bytes.NewReader(wire), size))
			if err != nil {
				t.Fatalf("RESP%d, buffer %d: %v", proto, size, err)
			}
			if back := AppendReply(nil, got, proto); !bytes.Equal(back, wire) {
				t.Errorf("RESP%d, buffer %d: read back as\n%.300s\nwant\n%.300s", proto, size, back, wire)
			}
		}
	}
}
