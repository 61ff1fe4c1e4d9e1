package inner

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// csvMaxClasses bounds the labels of a csv task, so that a stray large
// number gives an error instead of a huge output layer.
const csvMaxClasses = 1 << 16

// loadCSV loads a csv:FILE task.
func (l *Loader) loadCSV(spec TaskSpec, seed uint64) (*Data, error) {
	return l.loadPooled(spec, seed, readCSV)
}

// loadPooled loads a task whose samples come from one path without a split
// of their own (csv:, folder:): read once per Loader, then split 70/15/15
// with seed.
func (l *Loader) loadPooled(spec TaskSpec, seed uint64, read func(path string) (*Dataset, error)) (*Data, error) {
	abs, err := filepath.Abs(spec.Path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec.Path, err)
	}
	sets, err := l.cached(spec.Kind+":"+abs, func() ([]*Dataset, error) {
		d, err := read(abs)
		if err != nil {
			return nil, err
		}
		return []*Dataset{d}, nil
	})
	if err != nil {
		return nil, err
	}
	return splitPooled(spec.String(), sets[0], seed)
}

// readCSV reads one sample per line: an integer label >= 0, then the
// features. A first line whose first field is not a number is a header and
// is skipped. Every line must have the same number of columns.
func readCSV(path string) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1 // checked below, with our own message
	r.TrimLeadingSpace = true
	r.ReuseRecord = true

	var (
		x       []float32
		y       []int32
		cols    int // columns of the first line
		classes = 2
		first   = true
	)
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("%s:%d: %w", path, pe.Line, pe.Err)
			}
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		line, _ := r.FieldPos(0)
		if first {
			first = false
			cols = len(rec)
			if cols < 2 {
				return nil, fmt.Errorf("%s:%d: %d column, need a label and at least one feature", path, line, cols)
			}
			if _, err := strconv.ParseFloat(strings.TrimSpace(rec[0]), 64); err != nil {
				continue // header
			}
		}
		if len(rec) != cols {
			return nil, fmt.Errorf("%s:%d: %d columns, but the first line has %d", path, line, len(rec), cols)
		}
		label, err := parseLabel(rec[0])
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		if label >= csvMaxClasses {
			return nil, fmt.Errorf("%s:%d: label %d is too large (at most %d classes)", path, line, label, csvMaxClasses)
		}
		classes = max(classes, label+1)
		y = append(y, int32(label))
		for j, s := range rec[1:] {
			v, err := strconv.ParseFloat(strings.TrimSpace(s), 32)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%s:%d: column %d: %q is not a finite number", path, line, j+2, s)
			}
			x = append(x, float32(v))
		}
	}
	if len(y) == 0 {
		return nil, fmt.Errorf("%s: no samples", path)
	}
	d, err := NewDataset(x, y, cols-1, classes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

// parseLabel parses a class label: an integer >= 0, also written as a
// float with no fractional part ("3.0").
func parseLabel(s string) (int, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return n, nil
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil && v >= 0 && v == math.Trunc(v) && v < math.MaxInt32 {
		return int(v), nil
	}
	return 0, fmt.Errorf("label %q is not an integer >= 0", s)
}
