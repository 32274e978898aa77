package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDocsNameRealFlags: every `pullthrough VERB ...` line of a code block
// in the docs and the README uses only flags VERB defines, and a synopsis of
// VERB in the docs (a block that shows its usage) lists every flag its own
// usage line lists. migrate.md's synopsis once lacked --request-timeout, and
// a renamed flag must not survive in an example.
func TestDocsNameRealFlags(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, "../../README.md")
	block := regexp.MustCompile("(?s)```[a-z]*\n(.*?)```")
	command := regexp.MustCompile(`(?:^|[\s$])pullthrough ([a-z]+)\b(.*)`)
	flagToken := regexp.MustCompile(`(?:^|[\s\[(])--?([a-z][a-z0-9-]*)`)
	checked := 0
	for _, file := range files {
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range block.FindAllStringSubmatch(string(text), -1) {
			lines := strings.Split(b[1], "\n")
			for i, line := range lines {
				m := command.FindStringSubmatch(line)
				if m == nil {
					continue
				}
				verb, rest := m[1], m[2]
				flags, usage, ok := verbFlags(t, verb)
				if !ok {
					continue // a word after "pullthrough", not a verb
				}
				// A synopsis goes on over indented lines, as the usage does.
				for j := i + 1; j < len(lines) && strings.HasPrefix(lines[j], "      ") && strings.Contains(rest, "["); j++ {
					rest += " " + lines[j]
				}
				rest, _, _ = strings.Cut(rest, " | ") // a pipe to another command
				rest, _, _ = strings.Cut(rest, " #")  // a comment
				for _, f := range flagToken.FindAllStringSubmatch(rest, -1) {
					checked++
					if !flags[f[1]] {
						t.Errorf("%s: `pullthrough %s ...` uses -%s, which it does not define:\n%s", file, verb, f[1], line)
					}
				}
				if strings.Contains(rest, "...] [") || strings.Count(rest, "[") >= 4 {
					for _, f := range flagToken.FindAllStringSubmatch(usage, -1) {
						if !strings.Contains(rest, "-"+f[1]) {
							t.Errorf("%s: the synopsis of pullthrough %s lacks -%s, which its usage lists", file, verb, f[1])
						}
					}
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no flag found in the docs' examples: the scan is broken")
	}
}

// verbFlags runs `pullthrough VERB -h` and returns the names of its flags and
// its usage text; ok is false when VERB is not a command.
func verbFlags(t *testing.T, verb string) (flags map[string]bool, usage string, ok bool) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run([]string{verb, "-h"}, &stdout, &stderr); code != 0 {
		return nil, "", false
	}
	flags = map[string]bool{"h": true}
	for _, m := range regexp.MustCompile(`(?m)^  -([a-z][a-z0-9-]*)`).FindAllStringSubmatch(stderr.String(), -1) {
		flags[m[1]] = true
	}
	usage, _, _ = strings.Cut(stderr.String(), "\n  -")
	return flags, usage, len(flags) > 1
}
