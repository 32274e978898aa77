package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json's TestEvent).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

// packageTally is what one package's tests did.
type packageTally struct {
	ran     int
	skipped []string
	failed  []string
	// output buffers each running test's lines until it passes (dropped)
	// or fails (printed).
	output map[string][]string
}

// tally is every package's packageTally.
type tally map[string]*packageTally

// read decodes the events of in, printing package lines and failed tests'
// output to out as they come.
func read(in io.Reader, out io.Writer) (tally, error) {
	t := tally{}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for line := 1; sc.Scan(); line++ {
		raw := sc.Bytes()
		var e event
		if err := json.Unmarshal(raw, &e); err != nil || e.Action == "" {
			// go test prints build errors as plain text; pass them on.
			if _, err := fmt.Fprintln(out, string(raw)); err != nil {
				return nil, err
			}
			continue
		}
		if err := t.add(e, out); err != nil {
			return nil, fmt.Errorf("stdin line %d: %w", line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read the go test -json stream: %w", err)
	}
	return t, nil
}

// add records one event.
func (t tally) add(e event, out io.Writer) error {
	p := t[e.Package]
	if p == nil {
		p = &packageTally{output: map[string][]string{}}
		t[e.Package] = p
	}
	if e.Test == "" {
		// The RUN/PAUSE/CONT lines and a bare PASS are -json's verbosity,
		// not what plain go test prints.
		if e.Action == "output" && !strings.HasPrefix(e.Output, "=== ") && e.Output != "PASS\n" {
			_, err := io.WriteString(out, e.Output)
			return err
		}
		return nil
	}
	switch e.Action {
	case "run":
		p.ran++
	case "output":
		p.output[e.Test] = append(p.output[e.Test], e.Output)
	case "pass":
		delete(p.output, e.Test)
	case "skip":
		p.skipped = append(p.skipped, e.Test)
		delete(p.output, e.Test)
	case "fail":
		p.failed = append(p.failed, e.Test)
		_, err := io.WriteString(out, strings.Join(p.output[e.Test], ""))
		delete(p.output, e.Test)
		return err
	}
	return nil
}

// check returns why the run must not count as green, or nil.
func (t tally) check(required []string) error {
	var problems []string
	for _, name := range slices.Sorted(maps.Keys(t)) {
		if failed := t[name].failed; len(failed) > 0 {
			problems = append(problems, fmt.Sprintf("%s: %d tests failed: %s", name, len(failed), strings.Join(failed, ", ")))
		}
	}
	for _, name := range required {
		p := t[name]
		switch {
		case p == nil || p.ran == 0:
			problems = append(problems, fmt.Sprintf("%s: ran no test (GOFLAGS=-short set? a -run that matches nothing?)", name))
		case len(p.skipped) > 0:
			problems = append(problems, fmt.Sprintf("%s: %d tests skipped, none may be: %s", name, len(p.skipped), strings.Join(p.skipped, ", ")))
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n"))
	}
	return nil
}
