package cluster

import (
	"errors"
	"math/rand/v2"
	"net"
	"strconv"
)

// Ports FreePort draws from: below Linux's default ephemeral range (32768–
// 60999), from which the kernel gives the control plane's outgoing
// connections their local ports and bind(0) its free ones. A port from that
// range, found free and released, can be taken by such a connection or handed
// out again before the server binds it: a webhook of the fault suite, under a
// stream of pod creations, once failed with "address already in use" so.
const (
	portsFrom = 20000
	portsTo   = 32767
)

// FreePort returns a port free on every interface, for a server a test or
// the demo starts beside the cluster. Another process that binds it
// explicitly may still take it first; the server then fails with the bind
// error.
func FreePort() (int, error) {
	for range 100 {
		port := portsFrom + rand.IntN(portsTo-portsFrom+1)
		l, err := net.Listen("tcp", ":"+strconv.Itoa(port))
		if err != nil {
			continue
		}
		if err := l.Close(); err != nil {
			return 0, err
		}
		return port, nil
	}
	return 0, errors.New("finding a free port: 100 tries between " + strconv.Itoa(portsFrom) + " and " + strconv.Itoa(portsTo) + " were all taken")
}
