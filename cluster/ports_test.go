package cluster_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/shinglekv/shingle/cluster"
)

// combinations returns every listener configuration of the rule table:
// each of port, tls-port, cluster-port and the three announced ports either
// 0 or set, tls-cluster no or yes, and the announced IP and hostname either
// empty or set. The set values all differ, so that a port taken from the
// wrong directive shows.
func combinations() []cluster.Listeners {
	var all []cluster.Listeners
	for _, port := range []int{0, 6379} {
		for _, tlsPort := range []int{0, 6380} {
			for _, tlsCluster := range []bool{false, true} {
				for _, clusterPort := range []int{0, 7000} {
					for _, announcePort := range []int{0, 30001} {
						for _, announceTLSPort := range []int{0, 30002} {
							for _, announceBusPort := range []int{0, 30003} {
								for _, named := range []bool{false, true} {
									l := cluster.Listeners{
										Port: port, TLSPort: tlsPort, TLSCluster: tlsCluster,
										ClusterPort:  clusterPort,
										AnnouncePort: announcePort, AnnounceTLSPort: announceTLSPort,
										AnnounceBusPort: announceBusPort,
									}
									if named {
										l.AnnounceIP, l.AnnounceHostname = "203.0.113.7", "node-7.example.net"
									}
									all = append(all, l)
								}
							}
						}
					}
				}
			}
		}
	}
	return all
}

// rule states the rule table case by case, apart from DerivePorts's code.
// errDirective is the directive the error names, "" when there is none;
// note says whether Shingle departs from Redis's bus port (a Note is due).
func rule(l cluster.Listeners) (want cluster.Ports, note bool, errDirective string) {
	// Where the bus listens.
	switch {
	case l.Port == 0 && l.TLSPort == 0:
		return cluster.Ports{}, false, "port" // no client could reach the node
	case l.ClusterPort != 0:
		want.BusPort = l.ClusterPort
	case l.TLSCluster && l.TLSPort != 0:
		want.BusPort = l.TLSPort + 10000
	case !l.TLSCluster && l.Port != 0:
		want.BusPort = l.Port + 10000
	case l.TLSCluster: // tls-port is 0: Redis would listen on 10000
		want.BusPort, note = l.Port+10000, true
	default: // tls-cluster no and port 0: likewise
		want.BusPort, note = l.TLSPort+10000, true
	}
	// What is announced: each announce directive replaces its own port.
	want.AnnouncedBusPort = want.BusPort
	if l.AnnounceBusPort != 0 {
		want.AnnouncedBusPort = l.AnnounceBusPort
	}
	want.Port = l.Port
	if l.AnnouncePort != 0 {
		want.Port = l.AnnouncePort
	}
	want.TLSPort = l.TLSPort
	if l.AnnounceTLSPort != 0 {
		want.TLSPort = l.AnnounceTLSPort
	}
	want.IP, want.Hostname = l.AnnounceIP, l.AnnounceHostname
	return want, note, ""
}

func TestDerivePortsRuleTable(t *testing.T) {
	all := combinations()
	if len(all) != 256 {
		t.Fatalf("%d combinations, want 2^8 = 256", len(all))
	}
	var errs, notes int
	for _, l := range all {
		want, note, errDirective := rule(l)
		got, err := cluster.DerivePorts(l)
		if errDirective != "" {
			errs++
			var pe *cluster.PortError
			if !errors.As(err, &pe) || pe.Directive != errDirective || !errors.Is(err, cluster.ErrNoClientPort) {
				t.Errorf("%+v: err = %v, want a *PortError naming %s wrapping ErrNoClientPort", l, err, errDirective)
			}
			if got != (cluster.Ports{}) {
				t.Errorf("%+v: ports %+v returned with the error", l, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("%+v: unexpected error %v", l, err)
			continue
		}
		if note {
			notes++
			if got.Note == "" || !strings.Contains(got.Note, "Redis 7.0") ||
				!strings.Contains(got.Note, fmt.Sprint(got.BusPort)) {
				t.Errorf("%+v: Note = %q, want one saying the bus listens on %d where Redis 7.0 would not",
					l, got.Note, got.BusPort)
			}
		} else if got.Note != "" {
			t.Errorf("%+v: Note = %q, want none", l, got.Note)
		}
		got.Note = ""
		if got != want {
			t.Errorf("%+v:\n got %+v\nwant %+v", l, got, want)
		}
	}
	// Both client ports 0 is a quarter of the table; one port 0 while the
	// bus follows it, without cluster-port, is an eighth.
	if errs != 64 || notes != 32 {
		t.Errorf("%d errors and %d notes, want 64 and 32", errs, notes)
	}
}

// redis70 transcribes Redis 7.0's cluster.c for the same configuration:
// clusterInit's bus listening port and its exit when that passes 65535,
// and deriveAnnouncedPorts's announced port, pport (the plain port, sent
// only when tls-cluster is yes) and cport.
func redis70(l cluster.Listeners) (listen, port, pport, cport int, exits bool) {
	base := l.Port
	if l.TLSCluster {
		base = l.TLSPort
	}
	if l.ClusterPort == 0 && base > 65535-10000 {
		return 0, 0, 0, 0, true
	}
	listen = base + 10000
	if l.ClusterPort != 0 {
		listen = l.ClusterPort
	}
	port, cport = base, listen
	if l.TLSCluster {
		pport = l.Port
	}
	if l.TLSCluster && l.AnnounceTLSPort != 0 {
		port, pport = l.AnnounceTLSPort, l.AnnouncePort
	} else if l.AnnouncePort != 0 {
		port = l.AnnouncePort
	}
	if l.AnnounceBusPort != 0 {
		cport = l.AnnounceBusPort
	}
	return listen, port, pport, cport, false
}

// TestDerivePortsAgainstRedis70 holds DerivePorts to Redis 7.0 over the
// whole rule table: they agree everywhere but in the departures Shingle
// means to make, each named here.
func TestDerivePortsAgainstRedis70(t *testing.T) {
	for _, l := range combinations() {
		listen, port, pport, cport, exits := redis70(l)
		if exits {
			t.Fatalf("%+v: Redis 7.0 exits; the table has no port above 55535", l)
		}
		got, err := cluster.DerivePorts(l)
		if l.Port == 0 && l.TLSPort == 0 {
			// Redis starts a node no client can reach; Shingle refuses.
			if err == nil {
				t.Errorf("%+v: no error for a node without a client port", l)
			}
			continue
		}
		if err != nil {
			t.Errorf("%+v: unexpected error %v", l, err)
			continue
		}

		// The bus.
		redisBase := l.Port
		if l.TLSCluster {
			redisBase = l.TLSPort
		}
		if redisBase == 0 && l.ClusterPort == 0 {
			// Redis's pitfall: the bus on 10000. Shingle follows the other
			// client port.
			if listen != 10000 || got.BusPort == 10000 || got.Note == "" {
				t.Errorf("%+v: Redis listens on %d, Shingle on %d (note %q); want 10000 against a derived port and a note",
					l, listen, got.BusPort, got.Note)
			}
		} else if got.BusPort != listen || got.AnnouncedBusPort != cport {
			t.Errorf("%+v: bus %d@%d, Redis 7.0 %d@%d", l, got.BusPort, got.AnnouncedBusPort, listen, cport)
		}

		// The client ports. Redis 7.0 announces one port (TLS with
		// tls-cluster yes, plain otherwise) and, with tls-cluster yes
		// only, the plain one as pport.
		if !l.TLSCluster {
			if got.Port != port {
				t.Errorf("%+v: port %d, Redis 7.0 %d", l, got.Port, port)
			}
			continue // Redis 7.0 does not know the TLS port at all
		}
		// Redis quirk: cluster-announce-port without
		// cluster-announce-tls-port replaces the TLS port it announces
		// and leaves pport at port.
		quirk := l.AnnounceTLSPort == 0 && l.AnnouncePort != 0
		if (got.TLSPort == port) == quirk {
			t.Errorf("%+v: tls-port %d, Redis 7.0 %d (quirk %v)", l, got.TLSPort, port, quirk)
		}
		// Redis quirk: cluster-announce-tls-port without
		// cluster-announce-port announces no plain port, even when port
		// is set.
		dropped := l.AnnounceTLSPort != 0 && l.AnnouncePort == 0 && l.Port != 0
		if (got.Port == pport) == (quirk || dropped) {
			t.Errorf("%+v: port %d, Redis 7.0 pport %d (quirk %v, dropped %v)", l, got.Port, pport, quirk, dropped)
		}
	}
}

func TestDerivePortsCases(t *testing.T) {
	for _, tc := range []struct {
		name string
		l    cluster.Listeners
		want cluster.Ports // Note aside
		note string        // a word the Note must hold, "" for no Note
	}{
		{"Redis's defaults", cluster.Listeners{Port: 6379},
			cluster.Ports{BusPort: 16379, Port: 6379, AnnouncedBusPort: 16379}, ""},
		{"tls-cluster yes follows tls-port", cluster.Listeners{Port: 6379, TLSPort: 6380, TLSCluster: true},
			cluster.Ports{BusPort: 16380, Port: 6379, TLSPort: 6380, AnnouncedBusPort: 16380}, ""},
		{"tls-cluster no follows port", cluster.Listeners{Port: 6379, TLSPort: 6380},
			cluster.Ports{BusPort: 16379, Port: 6379, TLSPort: 6380, AnnouncedBusPort: 16379}, ""},
		{"TLS only, tls-cluster yes", cluster.Listeners{TLSPort: 6380, TLSCluster: true},
			cluster.Ports{BusPort: 16380, TLSPort: 6380, AnnouncedBusPort: 16380}, ""},
		{"port 0 with tls-cluster no takes tls-port", cluster.Listeners{TLSPort: 6380},
			cluster.Ports{BusPort: 16380, TLSPort: 6380, AnnouncedBusPort: 16380}, "tls-port 6380"},
		{"tls-port 0 with tls-cluster yes takes port", cluster.Listeners{Port: 6379, TLSCluster: true},
			cluster.Ports{BusPort: 16379, Port: 6379, AnnouncedBusPort: 16379}, "port 6379"},
		{"cluster-port makes the base irrelevant", cluster.Listeners{TLSPort: 6380, ClusterPort: 7000},
			cluster.Ports{BusPort: 7000, TLSPort: 6380, AnnouncedBusPort: 7000}, ""},
		{"cluster-announce-bus-port", cluster.Listeners{Port: 6379, ClusterPort: 7000, AnnounceBusPort: 30000},
			cluster.Ports{BusPort: 7000, Port: 6379, AnnouncedBusPort: 30000}, ""},
		{"announced client ports", cluster.Listeners{Port: 6379, TLSPort: 6380, AnnouncePort: 30001, AnnounceTLSPort: 30002,
			AnnounceIP: "203.0.113.7", AnnounceHostname: "node-7.example.net"},
			cluster.Ports{BusPort: 16379, Port: 30001, TLSPort: 30002, AnnouncedBusPort: 16379,
				IP: "203.0.113.7", Hostname: "node-7.example.net"}, ""},
		{"port 55535", cluster.Listeners{Port: 55535},
			cluster.Ports{BusPort: 65535, Port: 55535, AnnouncedBusPort: 65535}, ""},
		{"port 55536 with cluster-port", cluster.Listeners{Port: 55536, ClusterPort: 7000},
			cluster.Ports{BusPort: 7000, Port: 55536, AnnouncedBusPort: 7000}, ""},
		{"port 55536 is not the base with tls-cluster yes", cluster.Listeners{Port: 55536, TLSPort: 6380, TLSCluster: true},
			cluster.Ports{BusPort: 16380, Port: 55536, TLSPort: 6380, AnnouncedBusPort: 16380}, ""},
		{"every port at 65535", cluster.Listeners{Port: 65535, TLSPort: 65535, ClusterPort: 65535,
			AnnouncePort: 65535, AnnounceTLSPort: 65535, AnnounceBusPort: 65535},
			cluster.Ports{BusPort: 65535, Port: 65535, TLSPort: 65535, AnnouncedBusPort: 65535}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cluster.DerivePorts(tc.l)
			if err != nil {
				t.Fatal(err)
			}
			if tc.note == "" && got.Note != "" {
				t.Errorf("Note = %q, want none", got.Note)
			}
			if tc.note != "" && !strings.Contains(got.Note, tc.note) {
				t.Errorf("Note = %q, want one naming %q", got.Note, tc.note)
			}
			got.Note = ""
			if got != tc.want {
				t.Errorf("\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestDerivePortsErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		l         cluster.Listeners
		sentinel  error
		directive string
		value     int
		text      string // the whole message, "" to skip that check
	}{
		{"no client port", cluster.Listeners{}, cluster.ErrNoClientPort, "port", 0, ""},
		{"no client port, tls-cluster yes", cluster.Listeners{TLSCluster: true}, cluster.ErrNoClientPort, "port", 0, ""},
		{"no client port despite cluster-port", cluster.Listeners{ClusterPort: 7000}, cluster.ErrNoClientPort, "port", 0, ""},
		{"no client port despite announced ones", cluster.Listeners{AnnouncePort: 30001, AnnounceTLSPort: 30002},
			cluster.ErrNoClientPort, "port", 0, ""},
		{"port 55536", cluster.Listeners{Port: 55536}, cluster.ErrBusPortRange, "port", 55536,
			"cluster: port 55536 + 10000 is past 65535: set cluster-port, or a port of 55535 or less"},
		{"port 60000", cluster.Listeners{Port: 60000, AnnounceBusPort: 30000}, cluster.ErrBusPortRange, "port", 60000,
			"cluster: port 60000 + 10000 is past 65535: set cluster-port, or a port of 55535 or less"},
		{"tls-port 55536 with tls-cluster yes", cluster.Listeners{Port: 6379, TLSPort: 55536, TLSCluster: true},
			cluster.ErrBusPortRange, "tls-port", 55536,
			"cluster: tls-port 55536 + 10000 is past 65535: set cluster-port, or a tls-port of 55535 or less"},
		{"tls-port 60000 standing in for port 0", cluster.Listeners{TLSPort: 60000}, cluster.ErrBusPortRange, "tls-port", 60000,
			"cluster: tls-port 60000 + 10000 is past 65535: set cluster-port, or a tls-port of 55535 or less"},
		{"a range error comes first", cluster.Listeners{ClusterPort: -1}, cluster.ErrPortRange, "cluster-port", -1,
			"cluster: cluster-port -1 is out of range: it must be between 0 and 65535 inclusive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkError(t, tc.l, tc.sentinel, tc.directive, tc.value, tc.text)
		})
	}
}

func TestDerivePortsRange(t *testing.T) {
	fields := []struct {
		directive string
		set       func(*cluster.Listeners, int)
	}{
		{"port", func(l *cluster.Listeners, v int) { l.Port = v }},
		{"tls-port", func(l *cluster.Listeners, v int) { l.TLSPort = v }},
		{"cluster-port", func(l *cluster.Listeners, v int) { l.ClusterPort = v }},
		{"cluster-announce-port", func(l *cluster.Listeners, v int) { l.AnnouncePort = v }},
		{"cluster-announce-tls-port", func(l *cluster.Listeners, v int) { l.AnnounceTLSPort = v }},
		{"cluster-announce-bus-port", func(l *cluster.Listeners, v int) { l.AnnounceBusPort = v }},
	}
	for _, f := range fields {
		for _, v := range []int{-1, 65536, math.MinInt, math.MaxInt} {
			t.Run(fmt.Sprintf("%s %d", f.directive, v), func(t *testing.T) {
				l := cluster.Listeners{Port: 6379, TLSPort: 6380, ClusterPort: 7000}
				f.set(&l, v)
				checkError(t, l, cluster.ErrPortRange, f.directive, v, "")
			})
		}
		// The ends of the range are ports.
		for _, v := range []int{0, 65535} {
			l := cluster.Listeners{Port: 6379, TLSPort: 6380, ClusterPort: 7000}
			f.set(&l, v)
			if _, err := cluster.DerivePorts(l); err != nil {
				t.Errorf("%s %d: %v", f.directive, v, err)
			}
		}
	}
}

func checkError(t *testing.T, l cluster.Listeners, sentinel error, directive string, value int, text string) {
	t.Helper()
	got, err := cluster.DerivePorts(l)
	if err == nil {
		t.Fatalf("no error; ports %+v", got)
	}
	if got != (cluster.Ports{}) {
		t.Errorf("ports %+v returned with the error", got)
	}
	if !errors.Is(err, sentinel) {
		t.Errorf("err = %v, want one wrapping %v", err, sentinel)
	}
	var pe *cluster.PortError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %T %v, want a *PortError", err, err)
	}
	if pe.Directive != directive || pe.Value != value {
		t.Errorf("PortError names %s %d, want %s %d", pe.Directive, pe.Value, directive, value)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "cluster: "+directive+" ") {
		t.Errorf("message %q does not start with the package and the directive", msg)
	}
	if text != "" && msg != text {
		t.Errorf("message\n %q\nwant\n %q", msg, text)
	}
}

func ExampleDerivePorts() {
	// A node serving TLS clients only, with its bus on TLS too, behind a
	// NAT that maps its ports.
	p, err := cluster.DerivePorts(cluster.Listeners{
		TLSPort:         6380,
		TLSCluster:      true,
		AnnounceIP:      "203.0.113.7",
		AnnounceTLSPort: 30002,
		AnnounceBusPort: 40002,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("bus listens on %d\n", p.BusPort)
	fmt.Printf("announced %s tls-port %d bus %d, no plain port: %v\n",
		p.IP, p.TLSPort, p.AnnouncedBusPort, p.Port == 0)

	// Redis 7.0 would put this one's bus on port 10000.
	p, _ = cluster.DerivePorts(cluster.Listeners{TLSPort: 6380})
	fmt.Println(p.BusPort)
	fmt.Println(p.Note)

	_, err = cluster.DerivePorts(cluster.Listeners{Port: 60000})
	fmt.Println(err)
	// Output:
	// bus listens on 16380
	// announced 203.0.113.7 tls-port 30002 bus 40002, no plain port: true
	// 16380
	// tls-cluster is no but port is 0: the cluster bus listens on tls-port 6380 + 10000 = 16380 (Redis 7.0 would add 10000 to port 0 and listen on 10000)
	// cluster: port 60000 + 10000 is past 65535: set cluster-port, or a port of 55535 or less
}
