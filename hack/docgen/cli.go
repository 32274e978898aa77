package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// renderCLI builds the binary and documents each command from its own -h:
// the text flag.FlagSet prints from the flags the command registers, so a
// flag, default or help text changed in code changes the page.
func renderCLI(root string) ([]byte, error) {
	bin, err := buildBinary(root)
	if err != nil {
		return nil, err
	}
	defer func() { _ = os.RemoveAll(filepath.Dir(bin)) }()
	overview, err := helpOutput(bin, "help")
	if err != nil {
		return nil, err
	}
	cmds := parseCommands(overview)
	if len(cmds) == 0 {
		return nil, fmt.Errorf("`pullthrough help` lists no commands:\n%s", overview)
	}
	b := header("Command-line reference", "each command's flag set (`pullthrough COMMAND -h`)")
	b.WriteString("Exit codes: 0 success, 1 the work failed, 2 usage or configuration error.\n\n")
	b.WriteString("| Command | Purpose |\n|---|---|\n")
	for _, c := range cmds {
		fmt.Fprintf(b, "| [`%s`](#pullthrough-%s) | %s |\n", c.name, c.name, c.summary)
	}
	for _, c := range cmds {
		help, err := helpOutput(bin, c.name, "-h")
		if err != nil {
			return nil, err
		}
		usage, flags := parseFlagHelp(help)
		fmt.Fprintf(b, "\n## pullthrough %s\n\n%s.\n", c.name, upperFirst(c.summary))
		if usage != "" {
			fmt.Fprintf(b, "\n```text\n%s\n```\n", usage)
		}
		if len(flags) == 0 {
			b.WriteString("\nNo flags.\n")
			continue
		}
		b.WriteString("\n| Flag | Type | Default | Help |\n|---|---|---|---|\n")
		for _, f := range flags {
			fmt.Fprintf(b, "| `-%s` | %s | %s | %s |\n", f.name, f.kind, code(f.def), cell(f.help))
		}
	}
	return b.Bytes(), nil
}

// buildBinary builds cmd/pullthrough into a temporary directory.
func buildBinary(root string) (string, error) {
	dir, err := os.MkdirTemp("", "docgen")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "pullthrough")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/pullthrough")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/pullthrough: %w\n%s", err, out)
	}
	return bin, nil
}

// helpOutput runs the binary for help, which must exit 0, and returns what it
// printed (help goes to stderr).
func helpOutput(bin string, args ...string) (string, error) {
	var out bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return "", fmt.Errorf("pullthrough %s: exit %d:\n%s", strings.Join(args, " "), exit.ExitCode(), out.String())
		}
		return "", fmt.Errorf("pullthrough %s: %w", strings.Join(args, " "), err)
	}
	return out.String(), nil
}

// commandLine is one verb in `pullthrough help`.
type commandLine struct{ name, summary string }

// parseCommands reads the "commands:" section of `pullthrough help`.
func parseCommands(help string) []commandLine {
	var cmds []commandLine
	in := false
	for line := range strings.Lines(help) {
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.TrimSpace(line) == "commands:":
			in = true
		case in && strings.HasPrefix(line, "  "):
			name, summary, _ := strings.Cut(strings.TrimSpace(line), " ")
			cmds = append(cmds, commandLine{name, strings.TrimSpace(summary)})
		case in && line != "":
			in = false
		}
	}
	return cmds
}

// flagHelp is one flag as flag.PrintDefaults prints it.
type flagHelp struct{ name, kind, def, help string }

// flagLine is PrintDefaults' first line of a flag: "  -name type" (type
// absent for a bool), the help following on the same line when the name is
// one character long.
var flagLine = regexp.MustCompile(`^  -(\S+)(?: (\S+))?(?:\t(.*))?$`)

// defaultSuffix is PrintDefaults' " (default X)" at the end of the help.
var defaultSuffix = regexp.MustCompile(` \(default (.*)\)$`)

// parseFlagHelp splits a command's -h output into the usage text before the
// flags and the flags themselves.
func parseFlagHelp(help string) (usage string, flags []flagHelp) {
	var pre []string
	sc := bufio.NewScanner(strings.NewReader(help))
	for sc.Scan() {
		line := sc.Text()
		if m := flagLine.FindStringSubmatch(line); m != nil {
			kind := m[2]
			if kind == "" {
				kind = "bool"
			}
			flags = append(flags, flagHelp{name: m[1], kind: kind, help: m[3]})
			continue
		}
		if len(flags) > 0 && strings.HasPrefix(line, "    \t") {
			f := &flags[len(flags)-1]
			f.help = strings.TrimSpace(f.help + " " + strings.TrimSpace(line))
			continue
		}
		if len(flags) == 0 && !strings.HasPrefix(line, "Usage of ") {
			pre = append(pre, line)
		}
	}
	for i := range flags {
		if m := defaultSuffix.FindStringSubmatch(flags[i].help); m != nil {
			flags[i].def = m[1]
			flags[i].help = strings.TrimSuffix(flags[i].help, m[0])
		}
	}
	return strings.TrimSpace(strings.Join(pre, "\n")), flags
}

// code formats a default value as inline code, or a dash when there is none.
func code(s string) string {
	if s == "" {
		return "—"
	}
	return "`" + strings.ReplaceAll(s, "|", `\|`) + "`"
}

// cell makes text safe inside a Markdown table cell.
func cell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
