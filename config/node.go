package config

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Node holds the settings that only the node side (containerd's registry host
// files) needs; the routing itself comes from the mirrors, so the webhook and
// the nodes cannot drift apart.
type Node struct {
	// Fallback lets containerd pull from the public registry when the proxy
	// fails (default true): like the webhook, the node side must never be why
	// a pod does not start. false makes the proxy the only endpoint.
	Fallback *bool `json:"fallback,omitempty"`
	// CA is the path, on the node, of a PEM bundle that signs the proxy's
	// certificate; a relative path is read from the registry's directory.
	// It must not contain control characters.
	CA string `json:"ca,omitempty"`
}

// FallsBack reports whether containerd may pull from the public registry when
// the proxy fails: Fallback, or its default when unset (a Config built in code
// rather than loaded).
func (n Node) FallsBack() bool { return orDefault(n.Fallback, defaultFallback) }

// validate rejects a CA path that a TOML basic string could not carry as
// written (control characters), so the generated files never need escapes
// beyond quotes and backslashes.
func (n *Node) validate(fld *field.Path) field.ErrorList {
	if strings.ContainsFunc(n.CA, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return field.ErrorList{field.Invalid(fld.Child("ca"), n.CA, "must not contain control characters")}
	}
	return nil
}
