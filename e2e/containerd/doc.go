// Package containerd checks the host files of `pullthrough nodeconfig` with
// containerd's own code: its registry host configuration loader
// (core/remotes/docker/config) reads the generated certs.d directory, and
// its resolver resolves images through it.
//
// It is a module of its own because containerd's dependency graph is large
// and only these tests need it; the product module never imports it.
package containerd
