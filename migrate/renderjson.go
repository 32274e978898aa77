package migrate

import (
	"encoding/json"
	"io"
)

// jsonWriter is the ReportWriter of WriteJSON: the bytes of the Report
// encoded whole with two-space indentation, written an object at a time.
type jsonWriter struct {
	w       io.Writer
	objects int
}

// NewJSONWriter renders a report as WriteJSON does, an object at a time.
func NewJSONWriter(w io.Writer) ReportWriter {
	return &jsonWriter{w: w}
}

// reportHead is the part of a Report before its objects, in field order.
type reportHead struct {
	Action       Action   `json:"action"`
	ServerDryRun bool     `json:"serverDryRun,omitempty"`
	Warnings     []string `json:"warnings,omitempty"`
	Verified     bool     `json:"verified,omitempty"`
}

func (j *jsonWriter) Begin(r *Report) error {
	head, err := json.MarshalIndent(reportHead{r.Action, r.ServerDryRun, r.Warnings, r.Verified}, "", "  ")
	if err != nil {
		return err
	}
	head = head[:len(head)-2] // the closing "\n}": the objects follow
	_, err = j.w.Write(append(head, ",\n  \"objects\": ["...))
	return err
}

func (j *jsonWriter) Object(o *Object) error {
	b, err := json.MarshalIndent(o, "    ", "  ")
	if err != nil {
		return err
	}
	sep := ",\n    "
	if j.objects == 0 {
		sep = "\n    "
	}
	j.objects++
	_, err = j.w.Write(append([]byte(sep), b...))
	return err
}

func (j *jsonWriter) End(r *Report) error {
	totals, err := json.MarshalIndent(r.Totals, "  ", "  ")
	if err != nil {
		return err
	}
	end := "\n  ],\n  \"totals\": "
	if j.objects == 0 {
		end = "],\n  \"totals\": "
	}
	_, err = j.w.Write(append(append([]byte(end), totals...), "\n}\n"...))
	return err
}
