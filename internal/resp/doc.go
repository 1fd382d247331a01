// Package resp is the Redis protocol as Shingle speaks it, RESP2 and RESP3:
// it reads client requests (RequestReader: RESP arrays of bulk strings and
// inline commands, with Redis's limits and error texts) and writes command
// replies (AppendReply). For the other end of a link it writes commands
// (AppendCommand: a primary's change stream, a replica's requests to its
// primary) and reads replies back (ReadReply, as the tests need it).
//
// # Usage
//
//	rd := resp.NewRequestReader(conn)
//	rd.MaxBulkLen = 512 << 20 // proto-max-bulk-len
//	for {
//		args, err := rd.Next(true) // ["SET" "k" "v"], valid until the next call
//		if err != nil { ... }      // a *ProtocolError: answer "-ERR " + its text, then close
//		out = resp.AppendReply(out, resp.OK, proto) // +OK
//	}
//
//	req := resp.AppendCommand(nil, []byte("PING"))  // *1\r\n$4\r\nPING\r\n
//	r, err := resp.ReadReply(bufio.NewReader(conn)) // +PONG
//
// # What it owns
//
// The reply value (Reply, Kind and their constructors), which package
// command re-exports as aliases; the encoding of every reply kind, which
// must follow Redis's choices exactly: how a map, a set, a double or a
// boolean looks to a RESP2 client, and what null is; and the request
// parser, with Redis's limits (MaxBulkLen, MaxQueryBuffer, and the tighter
// ones for a client that has not authenticated) and Redis's protocol error
// texts, which a server sends as they are.
//
// # What it must never do
//
// Import a package of Shingle's outside internal/ (it uses
// internal/redisnum and internal/splitargs; a test over go list holds
// it): the codec is the leaf that command, netmode and replication build
// on, which is why the reply value lives here rather than in command.
// Own a connection: it reads from the io.Reader it is given and appends
// to the caller's slices, and sets no deadline. Know what a command
// means: that is the command table's. Let a length a client announced
// size an allocation: RequestReader's buffer grows with the bytes that
// arrive, within MaxQueryBuffer, so a few bytes claiming a 512 MiB
// argument cost nothing until the argument is there. (ReadReply, the
// client side, trusts its server: it allocates what a bulk length
// announces, up to 4 GiB.)
package resp
