package table

import "testing"

func TestCell(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"plain", "nginx:1.27", "nginx:1.27"},
		{"printable non-ASCII kept", "ghcr.io/équipe/app", "ghcr.io/équipe/app"},
		{"empty shown", "", `""`},
		// Each of these could break a row or hide one.
		{"newline", "a\nb", `"a\nb"`},
		{"tab", "a\tb", `"a\tb"`},
		{"carriage return", "evil\rnginx", `"evil\rnginx"`},
		{"ANSI escape", "x\x1b[2Ay", `"x\x1b[2Ay"`},
		{"DEL", "a\x7fb", `"a\x7fb"`},
		{"C1 control", "a\u0085b", `"a\u0085b"`},
		{"right-to-left override", "ghcr.io/acme/\u202egnp.app", `"ghcr.io/acme/\u202egnp.app"`},
		{"zero-width space", "docker.io/library/ngin\u200bx", `"docker.io/library/ngin\u200bx"`},
		{"invalid UTF-8", "a\xffb", `"a\xffb"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Cell(tt.in); got != tt.want {
				t.Errorf("Cell(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}
