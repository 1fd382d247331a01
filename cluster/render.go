package cluster

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/shinglekv/shingle/command"
)

// Endpoint types of cluster-preferred-endpoint-type: what MOVED, ASK and
// CLUSTER SLOTS name a node by.
const (
	EndpointIP       = "ip"
	EndpointHostname = "hostname"
	EndpointUnknown  = "unknown-endpoint"
)

// Link is what a node knows of its bus link to a peer, beside the
// configuration: the fields of CLUSTER NODES that are local in Redis too.
type Link struct {
	Since     int64 // unix ms at which this node first tried the link
	Connected bool
	PingSent  int64  // unix ms of the ping in flight, 0 when none
	PongRecv  int64  // unix ms of the last answer
	Fail      string // "fail?" when this node suspects the peer, else ""
}

// Local is the asking node's side of an answer: who it is, its links, the
// endpoint type it names nodes by, and the client's transport (tcp, tls,
// quic or unix), whose ports the answer gives.
type Local struct {
	Myself    string
	Links     map[string]Link
	Preferred string
	Transport string
	// Offsets are the replication offsets CLUSTER SHARDS shows, by node.
	Offsets map[string]int64
}

// ClientPort is n's port for a client of transport: the TLS port for TLS,
// the QUIC port for QUIC, the plain port otherwise (unix clients included,
// which have no port to be sent to). 0 when n has no such listener: a
// transport a node lacks is never advertised.
func (n *NodeInfo) ClientPort(transport string) int {
	switch transport {
	case "tls":
		return n.TLSPort
	case "quic":
		return n.QUICPort
	}
	return n.Port
}

// Endpoint is how a redirect or CLUSTER SLOTS names n: its IP, its
// hostname ("?" when it has none, as Redis), or "" for unknown-endpoint.
func (n *NodeInfo) Endpoint(preferred string) string {
	switch preferred {
	case EndpointHostname:
		if n.Hostname == "" {
			return "?"
		}
		return n.Hostname
	case EndpointUnknown:
		return ""
	}
	return n.IP
}

// Redirect is the address part of MOVED and ASK for slot's owner n, as
// "endpoint:port"; Redis writes ":port" for an unknown endpoint.
func (n *NodeInfo) Redirect(l *Local) string {
	return n.Endpoint(l.Preferred) + ":" + strconv.Itoa(n.ClientPort(l.Transport))
}

// run is a range of slots with one owner.
type run struct {
	start, end int
	owner      string
}

// runs lists the ranges of assigned slots in order, computed once per
// State: CLUSTER SLOTS and NODES would otherwise walk 16384 slots.
func (s *State) runs() []run {
	s.runsOnce.Do(func() {
		for i := 0; i < Slots; i++ {
			id := s.owners[i]
			if id == "" {
				continue
			}
			j := i
			for j+1 < Slots && s.owners[j+1] == id {
				j++
			}
			s.runList = append(s.runList, run{i, j, id})
			i = j
		}
	})
	return s.runList
}

// ranges groups the slots owned by id into [start, end] pairs.
func (s *State) ranges(id string) [][2]int {
	var out [][2]int
	for _, r := range s.runs() {
		if r.owner == id {
			out = append(out, [2]int{r.start, r.end})
		}
	}
	return out
}

// replicasOf lists the ids of primary's replicas, in id order.
func (s *State) replicasOf(primary string) []string {
	var out []string
	for _, id := range s.ids() {
		if s.Nodes[id].Primary == primary {
			out = append(out, id)
		}
	}
	return out
}

// epochOf is the config epoch CLUSTER NODES shows: a replica shows its
// primary's, as Redis does.
func (s *State) epochOf(n *NodeInfo) uint64 {
	if p := s.Nodes[n.Primary]; p != nil {
		return p.ConfigEpoch
	}
	return n.ConfigEpoch
}

// NodesText is CLUSTER NODES: one line per node, each ending in "\n".
func (s *State) NodesText(l *Local) string {
	var b strings.Builder
	for _, id := range s.ids() {
		n := s.Nodes[id]
		link := l.Links[id]
		me := id == l.Myself
		b.WriteString(id)
		b.WriteByte(' ')
		b.WriteString(n.IP)
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(n.ClientPort(l.Transport)))
		b.WriteByte('@')
		b.WriteString(strconv.Itoa(n.BusPort))
		if n.Hostname != "" {
			b.WriteByte(',')
			b.WriteString(n.Hostname)
		}
		var flags []string
		if me {
			flags = append(flags, "myself")
		}
		if n.Primary == "" {
			flags = append(flags, "master")
		} else {
			flags = append(flags, "slave")
		}
		switch {
		case n.Failed:
			flags = append(flags, "fail")
		case !me && link.Fail != "":
			flags = append(flags, link.Fail)
		}
		if n.NoFailover {
			flags = append(flags, "nofailover")
		}
		b.WriteByte(' ')
		b.WriteString(strings.Join(flags, ","))
		b.WriteByte(' ')
		if n.Primary == "" {
			b.WriteByte('-')
		} else {
			b.WriteString(n.Primary)
		}
		state := "disconnected"
		if me || link.Connected {
			state = "connected"
		}
		b.WriteString(" " + strconv.FormatInt(link.PingSent, 10) + " " + strconv.FormatInt(link.PongRecv, 10) +
			" " + strconv.FormatUint(s.epochOf(n), 10) + " " + state)
		for _, r := range s.ranges(id) {
			b.WriteByte(' ')
			b.WriteString(strconv.Itoa(r[0]))
			if r[1] != r[0] {
				b.WriteByte('-')
				b.WriteString(strconv.Itoa(r[1]))
			}
		}
		if me {
			for _, slot := range slices.Sorted(maps.Keys(n.Migrating)) {
				b.WriteString(" [" + strconv.Itoa(slot) + "->-" + n.Migrating[slot] + "]")
			}
			for _, slot := range slices.Sorted(maps.Keys(n.Importing)) {
				b.WriteString(" [" + strconv.Itoa(slot) + "-<-" + n.Importing[slot] + "]")
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// nodeReply is one node of CLUSTER SLOTS: endpoint, port, id, and the
// networking metadata that is not the preferred endpoint.
func (n *NodeInfo) nodeReply(l *Local) command.Reply {
	var endpoint command.Reply
	if l.Preferred == EndpointUnknown {
		endpoint = command.Null()
	} else {
		endpoint = command.BulkString(n.Endpoint(l.Preferred))
	}
	var meta []command.Reply
	if l.Preferred != EndpointIP {
		meta = append(meta, command.BulkString("ip"), command.BulkString(n.IP))
	}
	if l.Preferred != EndpointHostname && n.Hostname != "" {
		meta = append(meta, command.BulkString("hostname"), command.BulkString(n.Hostname))
	}
	return command.Array(endpoint, command.Int(int64(n.ClientPort(l.Transport))),
		command.BulkString(n.ID), command.Map(meta...))
}

// SlotsReply is CLUSTER SLOTS: one entry per range of slots with one
// owner, the owner first and then its replicas that are not failing and
// listen on the client's transport.
func (s *State) SlotsReply(l *Local) command.Reply {
	var out []command.Reply
	for _, r := range s.runs() {
		entry := []command.Reply{command.Int(int64(r.start)), command.Int(int64(r.end)), s.Nodes[r.owner].nodeReply(l)}
		for _, id := range s.replicasOf(r.owner) {
			// A replica the client's transport cannot reach is not named.
			if rep := s.Nodes[id]; !rep.Failed && rep.ClientPort(l.Transport) != 0 {
				entry = append(entry, rep.nodeReply(l))
			}
		}
		out = append(out, command.Array(entry...))
	}
	return command.Array(out...)
}

// ShardsReply is CLUSTER SHARDS: one map per primary with its slot ranges
// and its nodes, the plain and TLS ports given apart.
func (s *State) ShardsReply(l *Local) command.Reply {
	var shards []command.Reply
	for _, id := range s.ids() {
		p := s.Nodes[id]
		if p.Primary != "" {
			continue
		}
		var slots []command.Reply
		for _, r := range s.ranges(id) {
			slots = append(slots, command.Int(int64(r[0])), command.Int(int64(r[1])))
		}
		nodes := []command.Reply{s.shardNode(p, l)}
		for _, r := range s.replicasOf(id) {
			nodes = append(nodes, s.shardNode(s.Nodes[r], l))
		}
		shards = append(shards, command.Map(
			command.BulkString("slots"), command.Array(slots...),
			command.BulkString("nodes"), command.Array(nodes...)))
	}
	return command.Array(shards...)
}

func (s *State) shardNode(n *NodeInfo, l *Local) command.Reply {
	kv := []command.Reply{command.BulkString("id"), command.BulkString(n.ID)}
	if n.Port != 0 {
		kv = append(kv, command.BulkString("port"), command.Int(int64(n.Port)))
	}
	if n.TLSPort != 0 {
		kv = append(kv, command.BulkString("tls-port"), command.Int(int64(n.TLSPort)))
	}
	kv = append(kv, command.BulkString("ip"), command.BulkString(n.IP),
		command.BulkString("endpoint"), command.BulkString(n.Endpoint(l.Preferred)))
	if n.Hostname != "" {
		kv = append(kv, command.BulkString("hostname"), command.BulkString(n.Hostname))
	}
	role, health := "master", "online"
	if n.Primary != "" {
		role = "replica"
	}
	if n.Failed {
		health = "failed"
	}
	return command.Map(append(kv,
		command.BulkString("role"), command.BulkString(role),
		command.BulkString("replication-offset"), command.Int(l.Offsets[n.ID]),
		command.BulkString("health"), command.BulkString(health))...)
}
