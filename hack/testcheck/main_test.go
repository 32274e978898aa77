package main

import (
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	t.Parallel()
	const (
		e2eRan = `{"Action":"run","Package":"example/e2e","Test":"TestA"}
{"Action":"output","Package":"example/e2e","Test":"TestA","Output":"=== RUN   TestA\n"}
{"Action":"pass","Package":"example/e2e","Test":"TestA"}
{"Action":"output","Package":"example/e2e","Output":"ok  \texample/e2e\t1.0s\n"}
`
		e2eSkipped = `{"Action":"run","Package":"example/e2e","Test":"TestA"}
{"Action":"output","Package":"example/e2e","Test":"TestA","Output":"    skipped under -short\n"}
{"Action":"skip","Package":"example/e2e","Test":"TestA"}
`
		unitFailed = `{"Action":"run","Package":"example/unit","Test":"TestB"}
{"Action":"output","Package":"example/unit","Test":"TestB","Output":"    b_test.go:9: got 1, want 2\n"}
{"Action":"fail","Package":"example/unit","Test":"TestB"}
`
		unitNoTests = `{"Action":"output","Package":"example/unit","Output":"?   \texample/unit\t[no test files]\n"}
`
	)
	tests := []struct {
		name     string
		in       string
		required []string
		wantErr  string // "" for success
		wantOut  string // a line the output must hold
	}{
		{name: "e2e ran", in: e2eRan, required: []string{"example/e2e"}, wantOut: "ok  \texample/e2e"},
		// GOFLAGS=-short: the e2e tests skip, and go test passes.
		{name: "e2e skipped", in: e2eSkipped, required: []string{"example/e2e"}, wantErr: "example/e2e: 1 tests skipped, none may be: TestA"},
		// -run matching nothing, or the package left out of the run.
		{name: "e2e package absent", in: unitNoTests, required: []string{"example/e2e"}, wantErr: "example/e2e: ran no test"},
		{name: "a skip outside the e2e packages is fine", in: e2eSkipped, wantOut: ""},
		{name: "failure printed and fails", in: e2eRan + unitFailed, required: []string{"example/e2e"},
			wantErr: "example/unit: 1 tests failed: TestB", wantOut: "b_test.go:9: got 1, want 2"},
		{name: "build error passed through", in: "# example/unit\nunit.go:3:1: syntax error\n" + e2eRan, required: []string{"example/e2e"},
			wantOut: "unit.go:3:1: syntax error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out strings.Builder
			err := run(strings.NewReader(tt.in), &out, tt.required)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("error %v, want none", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("output %q does not contain %q", out.String(), tt.wantOut)
			}
			if strings.Contains(out.String(), "=== RUN") {
				t.Errorf("output %q repeats the RUN lines of passing tests", out.String())
			}
		})
	}
}
