package cluster

import (
	"errors"
	"fmt"
)

// BusPortIncr is what Redis adds to a node's client port to get its cluster
// bus port when cluster-port is not set (CLUSTER_PORT_INCR).
const BusPortIncr = 10000

// maxPort is the highest TCP port, and the top of every port directive's
// range in Redis's config table (0 to 65535).
const maxPort = 65535

// Errors wrapped by the *PortError values DerivePorts returns; test with
// errors.Is.
var (
	// ErrPortRange: a port directive is negative or above 65535.
	ErrPortRange = errors.New("cluster: port out of range")
	// ErrNoClientPort: port and tls-port are both 0, so no client could
	// reach the node. Redis 7.0 starts such a node anyway and announces
	// port 0.
	ErrNoClientPort = errors.New("cluster: no client port")
	// ErrBusPortRange: cluster-port is not set and the client port the bus
	// follows is above 55535, so the bus port would pass 65535. Redis 7.0
	// refuses to start for the same reason.
	ErrBusPortRange = errors.New("cluster: bus port past 65535")
)

// PortError reports a listener configuration DerivePorts refuses. Its
// message names the directive to change, which is what the startup log
// shows.
type PortError struct {
	// Directive is Redis's name for the setting at fault: "port",
	// "tls-port", "cluster-port", "cluster-announce-bus-port", ...
	Directive string
	// Value is the directive's value.
	Value int
	// Reason says what is wrong, as a predicate: "+ 10000 is past 65535 ...".
	Reason string
	// Err is one of the Err* sentinels above.
	Err error
}

// Error returns "cluster: <directive> <value> <reason>".
func (e *PortError) Error() string {
	return fmt.Sprintf("cluster: %s %d %s", e.Directive, e.Value, e.Reason)
}

// Unwrap returns Err.
func (e *PortError) Unwrap() error { return e.Err }

// Listeners is the part of a node's configuration its cluster ports follow
// from. Each field holds a directive's resolved value; a zero means what 0
// (or "") means to Redis for that directive, not Redis's default: Port 0
// is plain TCP turned off, not 6379.
type Listeners struct {
	// Port is port: the plain TCP client port, 0 when plain TCP is off.
	Port int
	// TLSPort is tls-port: the TLS client port, 0 when TLS is off.
	TLSPort int
	// TLSCluster is tls-cluster: the bus runs on TLS, and its port follows
	// TLSPort rather than Port.
	TLSCluster bool
	// ClusterPort is cluster-port: the port the bus listens on; 0 means
	// the client port plus BusPortIncr.
	ClusterPort int

	// AnnounceIP is cluster-announce-ip; "" lets the other nodes learn the
	// address from the connections this node makes, as in Redis.
	AnnounceIP string
	// AnnounceHostname is cluster-announce-hostname; "" announces none.
	AnnounceHostname string
	// AnnouncePort is cluster-announce-port: the plain client port to
	// announce in place of Port (behind NAT, in containers); 0 is unset.
	AnnouncePort int
	// AnnounceTLSPort is cluster-announce-tls-port: the TLS client port to
	// announce in place of TLSPort; 0 is unset.
	AnnounceTLSPort int
	// AnnounceBusPort is cluster-announce-bus-port: the bus port to
	// announce in place of the one the bus listens on; 0 is unset.
	AnnounceBusPort int
}

// Ports is what a cluster node listens on and what it tells the other
// nodes and its clients. A port of 0 means the node has no such port.
type Ports struct {
	// BusPort is the port the cluster bus listens on.
	BusPort int
	// IP and Hostname are announced as they were configured
	// (cluster-announce-ip, cluster-announce-hostname).
	IP, Hostname string
	// Port is the announced plain TCP client port: what a client on plain
	// TCP is told in MOVED, ASK, CLUSTER SLOTS and CLUSTER NODES, and the
	// "port" of CLUSTER SHARDS.
	Port int
	// TLSPort is the announced TLS client port: what a client on TLS is
	// told, and the "tls-port" of CLUSTER SHARDS.
	TLSPort int
	// AnnouncedBusPort is the bus port announced to the other nodes and
	// shown after the "@" in CLUSTER NODES.
	AnnouncedBusPort int
	// Note is empty unless Shingle derived the bus port differently from
	// Redis 7.0; it then says how, in words fit for the startup log.
	Note string
}

// DerivePorts computes a cluster node's ports from its listener
// configuration, as Redis 7.0 does (clusterInit and deriveAnnouncedPorts in
// cluster.c) with two departures:
//
//   - Redis takes the bus port from tls-port when tls-cluster is yes and
//     from port otherwise, even when that port is 0, which puts the bus on
//     port 10000. When cluster-port is not set and the chosen port is 0,
//     DerivePorts takes the other client port instead and says so in
//     Ports.Note.
//   - Redis 7.0 announces a single client port (the TLS one when
//     tls-cluster is yes) and knows the plain one only then; DerivePorts
//     announces both, each overridden by its own announce directive.
//
// It returns a *PortError wrapping ErrPortRange when a port directive is
// outside 0 to 65535, ErrNoClientPort when port and tls-port are both 0,
// and ErrBusPortRange when cluster-port is not set and the bus port would
// pass 65535. DerivePorts does no I/O.
func DerivePorts(l Listeners) (Ports, error) {
	for _, d := range []struct {
		name  string
		value int
	}{
		{"port", l.Port},
		{"tls-port", l.TLSPort},
		{"cluster-port", l.ClusterPort},
		{"cluster-announce-port", l.AnnouncePort},
		{"cluster-announce-tls-port", l.AnnounceTLSPort},
		{"cluster-announce-bus-port", l.AnnounceBusPort},
	} {
		if d.value < 0 || d.value > maxPort {
			return Ports{}, &PortError{d.name, d.value,
				fmt.Sprintf("is out of range: it must be between 0 and %d inclusive", maxPort),
				ErrPortRange}
		}
	}
	if l.Port == 0 && l.TLSPort == 0 {
		return Ports{}, &PortError{"port", 0,
			"and tls-port 0 leave this cluster node no port for clients to reach it: set port or tls-port",
			ErrNoClientPort}
	}

	p := Ports{
		IP:               l.AnnounceIP,
		Hostname:         l.AnnounceHostname,
		Port:             orElse(l.AnnouncePort, l.Port),
		TLSPort:          orElse(l.AnnounceTLSPort, l.TLSPort),
		BusPort:          l.ClusterPort,
		AnnouncedBusPort: l.AnnounceBusPort,
	}
	if p.BusPort == 0 {
		// Redis's base, then the other client port where Redis's is 0.
		// The base only matters here: with cluster-port set, Redis and
		// Shingle agree whatever port and tls-port are.
		base, name, other, otherName := l.Port, "port", l.TLSPort, "tls-port"
		if l.TLSCluster {
			base, name, other, otherName = other, otherName, base, name
		}
		if base == 0 {
			p.Note = fmt.Sprintf("tls-cluster is %s but %s is 0: the cluster bus listens on %s %d + %d = %d "+
				"(Redis 7.0 would add %d to %s 0 and listen on %d)",
				yesNo(l.TLSCluster), name, otherName, other, BusPortIncr, other+BusPortIncr,
				BusPortIncr, name, BusPortIncr)
			base, name = other, otherName
		}
		if base > maxPort-BusPortIncr {
			return Ports{}, &PortError{name, base,
				fmt.Sprintf("+ %d is past %d: set cluster-port, or a %s of %d or less",
					BusPortIncr, maxPort, name, maxPort-BusPortIncr),
				ErrBusPortRange}
		}
		p.BusPort = base + BusPortIncr
	}
	p.AnnouncedBusPort = orElse(p.AnnouncedBusPort, p.BusPort)
	return p, nil
}

// orElse returns announced unless it is 0 ("not set", as in Redis).
func orElse(announced, own int) int {
	if announced != 0 {
		return announced
	}
	return own
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
