package policies

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Format is the value of the "format" field of a policy file.
const Format = "synrl.policy/v1"

// Parse decodes a policy file's bytes and validates it. Unknown top-level and
// meta fields are kept so that Marshal writes them back.
func Parse(data []byte) (*Table, error) {
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if raw == nil {
		return nil, errors.New("not a JSON object")
	}
	var format string
	if f, ok := raw["format"]; !ok {
		return nil, errors.New(`missing "format" (want "` + Format + `")`)
	} else if err := json.Unmarshal(f, &format); err != nil {
		return nil, fmt.Errorf(`"format" is not a string: %w`, err)
	}
	if format != Format {
		return nil, fmt.Errorf("unknown format %q (want %q)", format, Format)
	}
	t := &Table{Meta: map[string]any{}}
	if v, ok := raw["name"]; ok {
		if err := json.Unmarshal(v, &t.Name); err != nil {
			return nil, fmt.Errorf(`"name" is not a string: %w`, err)
		}
	}
	v, ok := raw["history"]
	if !ok {
		return nil, errors.New(`missing "history"`)
	}
	if err := json.Unmarshal(v, &t.History); err != nil {
		return nil, fmt.Errorf(`"history" is not an integer: %w`, err)
	}
	if t.History < MinHistory || t.History > MaxHistory {
		return nil, fmt.Errorf("history %d out of range [%d, %d]", t.History, MinHistory, MaxHistory)
	}
	v, ok = raw["q"]
	if !ok {
		return nil, errors.New(`missing "q"`)
	}
	// Values are decoded as json.Number so that out-of-range numbers (1e999)
	// are reported as non-finite rather than as a generic decode error.
	var rows [][]json.Number
	if err := json.Unmarshal(v, &rows); err != nil {
		return nil, fmt.Errorf(`"q" is not a list of rows of numbers: %w`, err)
	}
	if want := NumStates(t.History); len(rows) != want {
		return nil, fmt.Errorf("q has %d rows, history %d needs %d", len(rows), t.History, want)
	}
	t.Q = make([]float64, 0, len(rows)*NumActions)
	for i, row := range rows {
		if len(row) != NumActions {
			return nil, fmt.Errorf("q row %d has %d values, want %d (dec, keep, inc)", i, len(row), NumActions)
		}
		for j, n := range row {
			f, err := n.Float64()
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, fmt.Errorf("q[%d][%d] = %s is not a finite number", i, j, n)
			}
			t.Q = append(t.Q, f)
		}
	}
	if v, ok := raw["meta"]; ok && string(v) != "null" {
		if err := json.Unmarshal(v, &t.Meta); err != nil {
			return nil, fmt.Errorf(`"meta" is not an object: %w`, err)
		}
	}
	for k, v := range raw {
		switch k {
		case "format", "name", "history", "q", "meta":
			continue
		}
		var x any
		if err := json.Unmarshal(v, &x); err != nil {
			return nil, fmt.Errorf("field %q: %w", k, err)
		}
		if t.extra == nil {
			t.extra = map[string]any{}
		}
		t.extra[k] = x
	}
	return t, t.Validate()
}

// Marshal encodes t in the policy file format, one Q row per line.
func Marshal(t *Table) ([]byte, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString("{\n")
	fmt.Fprintf(&b, "  \"format\": %q,\n", Format)
	name, _ := json.Marshal(t.Name)
	fmt.Fprintf(&b, "  \"name\": %s,\n", name)
	fmt.Fprintf(&b, "  \"history\": %d,\n", t.History)
	b.WriteString("  \"q\": [\n")
	for s := range t.NumStates() {
		r := t.Row(s)
		fmt.Fprintf(&b, "    [%s, %s, %s]", num(r[0]), num(r[1]), num(r[2]))
		if s < t.NumStates()-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("  ],\n")
	meta := t.Meta
	if meta == nil {
		meta = map[string]any{}
	}
	m, err := json.MarshalIndent(meta, "  ", "  ")
	if err != nil {
		return nil, fmt.Errorf("meta: %w", err)
	}
	fmt.Fprintf(&b, "  \"meta\": %s", m)
	keys := make([]string, 0, len(t.extra))
	for k := range t.extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, err := json.MarshalIndent(t.extra[k], "  ", "  ")
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", k, err)
		}
		kk, _ := json.Marshal(k)
		fmt.Fprintf(&b, ",\n  %s: %s", kk, v)
	}
	b.WriteString("\n}\n")
	return b.Bytes(), nil
}

func num(v float64) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// ReadFile reads and validates a policy file. Errors name the file.
func ReadFile(path string) (*Table, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("policy file %s: %w", path, err)
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("policy file %s: %w", path, err)
	}
	if t.Name == "" {
		t.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	return t, nil
}

// Write encodes t to w.
func Write(w io.Writer, t *Table) error {
	data, err := Marshal(t)
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// WriteFile writes t to path atomically (a temporary file renamed into place),
// so a crash never leaves a half-written policy.
func WriteFile(path string, t *Table) error {
	data, err := Marshal(t)
	if err != nil {
		return fmt.Errorf("policy file %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".synrl-policy-*")
	if err != nil {
		return fmt.Errorf("policy file %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("policy file %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("policy file %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("policy file %s: %w", path, err)
	}
	return nil
}
