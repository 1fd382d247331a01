package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/hashicorp/raft"
	"github.com/shinglekv/shingle/tlsconn"
)

// The first byte of every bus connection names its use.
const (
	kindRaft    byte = 'R' // Raft's transport
	kindRequest byte = 'Q' // one request of this package, one response
)

// busRequest is a request of this package over the bus, JSON encoded.
type busRequest struct {
	// Kind: "hello" (who are you, how many members), "join" (admit Info
	// with Slots), "invite" (you are alone: join the cluster at Addr),
	// "apply" (append Entry; sent to the leader), "remove" (take the node
	// Addr names out of Raft, once the configuration has forgotten it).
	Kind  string    `json:"kind"`
	Info  *NodeInfo `json:"info,omitempty"`
	Slots []int     `json:"slots,omitempty"`
	Entry *Entry    `json:"entry,omitempty"`
	Addr  string    `json:"addr,omitempty"`
	// From and Suspects: the reporting node, and the nodes it cannot
	// reach ("report").
	From     string   `json:"from,omitempty"`
	Suspects []string `json:"suspects,omitempty"`
	Offset   uint64   `json:"offset,omitempty"` // the reporter's replication offset
	// YourIP is the IP the sender reached the receiver at: how a node that
	// announces no IP learns its own, as in Redis.
	YourIP string `json:"your_ip,omitempty"`
}

type busResponse struct {
	Err     string  `json:"err,omitempty"`
	ID      string  `json:"id,omitempty"`
	Members int     `json:"members,omitempty"`
	YourIP  string  `json:"your_ip,omitempty"` // the IP the receiver saw the sender at
	Result  *Result `json:"result,omitempty"`
	Index   uint64  `json:"index,omitempty"`  // "apply": the entry's; "ping": the last applied
	Offset  uint64  `json:"offset,omitempty"` // "pause", "ping": the node's replication offset
}

// serveBus accepts bus connections until the listener closes.
func (n *Node) serveBus() {
	defer n.wg.Done()
	for {
		c, err := n.ln.Accept()
		if err != nil {
			return
		}
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			n.serveBusConn(c)
		}()
	}
}

func (n *Node) serveBusConn(c tlsconn.Conn) {
	handoff := false
	defer func() {
		if !handoff {
			c.Close()
		}
	}()
	// A join forwarded to the leader appends an entry and changes Raft's
	// membership, each bounded by requestTimeout: the whole request gets
	// more than their sum.
	timeout := 3 * n.requestTimeout()
	ctx, cancel := context.WithTimeout(n.ctx, timeout)
	defer cancel()
	if err := c.Handshake(ctx); err != nil {
		n.log.Warn("cluster: bus handshake failed", "peer", c.RemoteAddr().String(), "err", err)
		return
	}
	c.SetDeadline(time.Now().Add(timeout))
	var kind [1]byte
	if _, err := io.ReadFull(c, kind[:]); err != nil {
		return
	}
	switch kind[0] {
	case kindRaft:
		n.stats.countReceived("raft")
		c.SetDeadline(time.Time{})
		if s := n.stream.Load(); s != nil {
			handoff = s.offer(c)
		}
	case kindRequest:
		var req busRequest
		if err := json.NewDecoder(c).Decode(&req); err != nil {
			return
		}
		n.stats.countReceived(req.Kind)
		resp := n.handle(ctx, &req, remoteIP(c))
		c.SetDeadline(time.Now().Add(timeout))
		json.NewEncoder(c).Encode(resp)
	default:
		n.log.Warn("cluster: a bus connection that is not Shingle's", "peer", c.RemoteAddr().String())
	}
}

// busAddr is the bus address of a node of the configuration.
func busAddr(info *NodeInfo) string { return net.JoinHostPort(info.IP, itoa(info.BusPort)) }

func remoteIP(c net.Conn) string {
	host, _, err := net.SplitHostPort(c.RemoteAddr().String())
	if err != nil {
		return ""
	}
	return host
}

// dialBus connects to a peer's bus and sends the kind byte.
func (n *Node) dialBus(addr string, kind byte, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(n.ctx, timeout)
	defer cancel()
	c, err := n.cfg.BusDialer.Dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	c.SetWriteDeadline(time.Now().Add(timeout))
	if _, err := c.Write([]byte{kind}); err != nil {
		c.Close()
		return nil, err
	}
	c.SetWriteDeadline(time.Time{})
	return c, nil
}

// request sends req to the bus at addr and returns the response; a
// response carrying an error is returned as a *Error.
func (n *Node) request(ctx context.Context, addr string, req *busRequest) (*busResponse, error) {
	timeout := 3 * n.requestTimeout()
	if d, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(d))
	}
	c, err := n.dialBus(addr, kindRequest, timeout)
	if err != nil {
		return nil, fmt.Errorf("cluster: bus of %s: %w", addr, err)
	}
	defer c.Close()
	n.stats.countSent(req.Kind)
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
	defer stop()
	c.SetDeadline(time.Now().Add(timeout))
	if err := json.NewEncoder(c).Encode(req); err != nil {
		return nil, fmt.Errorf("cluster: bus of %s: %w", addr, err)
	}
	var resp busResponse
	if err := json.NewDecoder(c).Decode(&resp); err != nil {
		return nil, fmt.Errorf("cluster: bus of %s: %w", addr, err)
	}
	if resp.Err != "" {
		return &resp, &Error{resp.Err}
	}
	return &resp, nil
}

// handle answers one bus request.
func (n *Node) handle(ctx context.Context, req *busRequest, peerIP string) *busResponse {
	resp := &busResponse{ID: n.ID(), Members: len(n.state.Load().Nodes), YourIP: peerIP}
	var err error
	switch req.Kind {
	case "ping":
		resp.Offset, resp.Index = n.offset(), n.appliedIndex()
	case "report":
		if m := n.member(); m != nil && m.raft.State() == raft.Leader && n.state.Load().Nodes[req.From] != nil {
			n.record(req.From, req.Suspects, req.Offset)
		}
	case "hello":
		n.learnIP(req.YourIP)
	case "join":
		n.learnIP(req.YourIP)
		if req.Info != nil && req.Info.IP == "" {
			req.Info.IP = peerIP
		}
		err = n.admit(ctx, req)
	case "pause":
		if n.cfg.PauseWrites == nil {
			err = errors.New("ERR this node cannot pause its writes")
			break
		}
		resp.Offset = n.cfg.PauseWrites(manualFailoverPause)
	case "remove":
		if n.state.Load().Nodes[req.Addr] != nil {
			err = errors.New("ERR only a node the configuration no longer holds leaves Raft")
			break
		}
		err = n.removeMember(req.Addr)
	case "invite":
		err = n.joinCluster(ctx, req.Addr, req.YourIP)
	case "apply":
		if req.Entry == nil {
			err = errors.New("ERR empty cluster entry")
			break
		}
		var r Result
		r, resp.Index, err = n.applyAsLeader(req.Entry)
		resp.Result = &r
		if err == nil {
			n.nudge()
		}
	default:
		err = fmt.Errorf("ERR unknown bus request %q", req.Kind)
	}
	if err != nil {
		resp.Err = err.Error()
	}
	return resp
}
