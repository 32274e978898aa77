package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestRunRefusesBadFlags: every flag error exits 2 naming the flag and the
// value, before anything is built.
func TestRunRefusesBadFlags(t *testing.T) {
	t.Parallel()
	// with returns the good flags and more, in a slice of its own.
	with := func(more ...string) []string {
		return append([]string{"-version", "0.1.0", "-revision", "abc", "-source-date-epoch", "1700000000"}, more...)
	}
	tests := []struct {
		name string
		args []string
		code int
		says string
	}{
		{"help", []string{"-h"}, 0, "-source-date-epoch"},
		{"unknown flag", []string{"-tag", "x"}, 2, "-tag"},
		{"arguments", with("extra"), 2, `unexpected arguments ["extra"]`},
		{"no epoch", with()[:4], 2, `-source-date-epoch "": want Unix seconds`},
		{"negative epoch", append(with()[:4], "-source-date-epoch", "-1"), 2, `"-1"`},
		{"no version", with()[2:], 2, "-version: empty"},
		{"source not https", with("-source", "git@github.com:x/y"), 2, `-source "git@github.com:x/y"`},
		{"bad platform", with("-platforms", "linux/amd64,arm64"), 2, `-platforms "arm64"`},
		{"bad image", with("-image", "Registry/UPPER:tag"), 2, `-image "Registry/UPPER:tag"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := run(t.Context(), tt.args, &stdout, &stderr)
			if code != tt.code || !strings.Contains(stderr.String(), tt.says) {
				t.Errorf("run(%q) = %d, stderr %q; want %d saying %q", tt.args, code, stderr.String(), tt.code, tt.says)
			}
		})
	}
}
