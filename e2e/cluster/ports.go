package cluster

import (
	"fmt"
	"net"
)

// FreePort asks the kernel for a free loopback port, for a server a test or
// the demo starts beside the cluster. Another process may take it before it
// is bound; the server then fails with the bind error.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
