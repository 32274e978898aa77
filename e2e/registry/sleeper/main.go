// Command sleeper is the program inside the runnable images that package
// e2e/registry seeds (Image.Runnable): the containers and the sandbox (pause)
// image of pods on the e2e node. It waits for SIGTERM or SIGINT and exits 0, as
// a pause container does, so that a pod stays Running until it is deleted.
// With the argument "exit", it exits 0 at once: an init container.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "exit" {
		return
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
}
