package main

import (
	"reflect"
	"testing"
)

func TestParseFlagHelp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		help      string
		wantUsage string
		want      []flagHelp
	}{
		{
			// flag.PrintDefaults' layout: a one-letter flag's help on its own line,
			// a bool without a type, a default at the end.
			name:      "custom usage",
			help:      "usage: pullthrough x --config FILE\n  -config string\n    \tconfig file\n  -n value\n    \tnamespace\n  -q\tquiet\n  -qps float\n    \trequests per second (default 20)\n",
			wantUsage: "usage: pullthrough x --config FILE",
			want: []flagHelp{
				{name: "config", kind: "string", help: "config file"},
				{name: "n", kind: "value", help: "namespace"},
				{name: "q", kind: "bool", help: "quiet"},
				{name: "qps", kind: "float", def: "20", help: "requests per second"},
			},
		},
		{
			// The flag package's own usage line says nothing the page's heading does not.
			name: "default usage dropped",
			help: "Usage of pullthrough version:\n",
		},
		{
			// A help text over several lines is one cell.
			name: "multi-line help",
			help: "  -shutdown-delay duration\n    \ton SIGTERM,\n    \tkeep answering (default 5s)\n",
			want: []flagHelp{{name: "shutdown-delay", kind: "duration", def: "5s", help: "on SIGTERM, keep answering"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			usage, flags := parseFlagHelp(tt.help)
			if usage != tt.wantUsage || !reflect.DeepEqual(flags, tt.want) {
				t.Errorf("parseFlagHelp = %q, %+v; want %q, %+v", usage, flags, tt.wantUsage, tt.want)
			}
		})
	}
}

func TestParseCommands(t *testing.T) {
	t.Parallel()
	help := "usage: pullthrough COMMAND [flags]\n\ncommands:\n  rewrite    show how images are rewritten\n  version    print the version\n\nRun 'pullthrough COMMAND -h'.\n"
	want := []commandLine{{"rewrite", "show how images are rewritten"}, {"version", "print the version"}}
	if got := parseCommands(help); !reflect.DeepEqual(got, want) {
		t.Errorf("parseCommands = %+v, want %+v", got, want)
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	values := map[string]any{"mode": "audit", "exclude": map[string]any{"images": []any{}}, "mirrors": []any{map[string]any{"source": "docker.io"}}}
	tests := []struct{ name, path, want string }{
		{"string", "mode", "audit"},
		{"nested list", "exclude.images", "[]"},
		{"left out: the binary's default applies", "unrouted", ""},
		{"inside a list: the parent row shows it", "mirrors[].source", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := lookup(values, tt.path); got != tt.want {
				t.Errorf("lookup(%q) = %q, want %q", tt.path, got, tt.want)
			}
		})
	}
}

func TestAcceptedValues(t *testing.T) {
	t.Parallel()
	// Mode's constants include off, a namespace label value the config refuses.
	if got, want := acceptedValues("mode", []string{"audit", "enforce", "off"}), []string{"`audit`", "`enforce`"}; !reflect.DeepEqual(got, want) {
		t.Errorf("acceptedValues(mode) = %v, want %v", got, want)
	}
}
