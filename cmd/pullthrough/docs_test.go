package main

import (
	"bytes"
	"go/scanner"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
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

// TestTroubleshootingQuotesRealLogLines: every log line troubleshooting.md
// quotes in a table row is one the code can write. A quote is a backticked
// span in the first column of a table headed "The log says", or one followed
// by "in the log"; its placeholders ("..." and upper-case words such as NS
// or NAME) stand for what the code fills in, and each piece of fixed text
// between them must occur in a string literal of a .go file of the
// repository (tests excluded). Rows once quoted lines nothing logged.
func TestTroubleshootingQuotesRealLogLines(t *testing.T) {
	t.Parallel()
	text, err := os.ReadFile("../../docs/troubleshooting.md")
	if err != nil {
		t.Fatal(err)
	}
	literals := goStringLiterals(t, "../..")
	span := regexp.MustCompile("`([^`]+)`")
	inTheLog := regexp.MustCompile("`([^`]+)`[^`|]*? in the log")
	placeholder := regexp.MustCompile(`\.\.\.|\b[A-Z]{2,}\b`)
	var quotes []string
	logTable := false
	for _, line := range strings.Split(string(text), "\n") {
		if !strings.HasPrefix(line, "|") {
			logTable = false
			continue
		}
		cells := strings.Split(line, "|")
		if strings.Contains(strings.ToLower(cells[1]), "log says") {
			logTable = true
			continue
		}
		if logTable {
			for _, m := range span.FindAllStringSubmatch(cells[1], -1) {
				quotes = append(quotes, m[1])
			}
		}
		for _, m := range inTheLog.FindAllStringSubmatch(line, -1) {
			quotes = append(quotes, m[1])
		}
	}
	if len(quotes) == 0 {
		t.Fatal("no quoted log line found in troubleshooting.md: the scan is broken")
	}
	for _, q := range quotes {
		for _, piece := range placeholder.Split(q, -1) {
			piece = strings.TrimSpace(piece)
			if piece == "" {
				continue
			}
			if !slices.ContainsFunc(literals, func(l string) bool { return strings.Contains(l, piece) }) {
				t.Errorf("troubleshooting.md quotes `%s` as a log line, but no .go file (tests excluded) has %q in a string", q, piece)
			}
		}
	}
}

// goStringLiterals returns the string literals of every .go file under root
// but tests, the build output and nested modules' vendored code.
func goStringLiterals(t *testing.T, root string) []string {
	t.Helper()
	var literals []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "bin" || name == "vendor" || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var s scanner.Scanner
		fset := token.NewFileSet()
		s.Init(fset.AddFile(path, -1, len(src)), src, nil, 0)
		for {
			_, tok, lit := s.Scan()
			if tok == token.EOF {
				break
			}
			if tok == token.STRING {
				if v, err := strconv.Unquote(lit); err == nil {
					literals = append(literals, v)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return literals
}
