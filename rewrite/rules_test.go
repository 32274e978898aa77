package rewrite

import (
	"strings"
	"testing"
)

// TestNewRefuses: New never routes with rules it cannot trust, even when
// package config's validation was skipped.
func TestNewRefuses(t *testing.T) {
	t.Parallel()
	hub := Mirror{Source: "docker.io", Target: "p.example/hub"}
	tests := []struct {
		name  string
		rules Rules
		want  string
	}{
		{"bad source", Rules{Mirrors: []Mirror{{Source: "dockerhub", Target: "p.example/x"}}}, "mirrors[0].source"},
		{"bad target", Rules{Mirrors: []Mirror{{Source: "quay.io", Target: "proxy/x"}}}, "mirrors[0].target"},
		{"glob without host", Rules{Mirrors: []Mirror{hub}, ExcludeImages: []string{"busybox*"}}, "exclude.images[0]"},
		{"bad glob", Rules{Mirrors: []Mirror{hub}, ExcludeImages: []string{"docker.io/[abc"}}, "not a valid glob"},
		{"loop", Rules{Mirrors: []Mirror{{Source: "docker.io", Target: "docker.io/proxy"}}}, "rewriting would loop"},
		{"source under target", Rules{Mirrors: []Mirror{hub, {Source: "p.example/hub/x", Target: "p.example/y"}}}, "could never match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := New(tt.rules); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}
