package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// dash stands for a missing value in tables.
const dash = "—"

// num formats a value with 4 significant digits; NaN is a dash.
func num(v float64) string {
	if math.IsNaN(v) {
		return dash
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// fixed formats a value with 4 decimals (accuracies, losses); NaN is a dash.
func fixed(v float64) string {
	if math.IsNaN(v) {
		return dash
	}
	return strconv.FormatFloat(v, 'f', 4, 64)
}

// spreadText formats a spread as "mean ± std" with format f; a single
// value has no std.
func spreadText(s spread, f func(float64) string) string {
	switch {
	case s.N == 0:
		return dash
	case s.N == 1:
		return f(s.Mean)
	}
	return f(s.Mean) + " ± " + f(s.Std)
}

// seconds formats a duration in seconds: "12.3 s", "4.5 min", "2.1 h".
func seconds(s float64) string {
	switch {
	case !finite(s):
		return dash
	case s < 120:
		return strconv.FormatFloat(s, 'f', 1, 64) + " s"
	case s < 7200:
		return strconv.FormatFloat(s/60, 'f', 1, 64) + " min"
	}
	return strconv.FormatFloat(s/3600, 'f', 1, 64) + " h"
}

// when formats a time for tables; the zero time is a dash.
func when(t time.Time) string {
	if t.IsZero() {
		return dash
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// prettyJSON indents a JSON document for display; text that is not JSON
// is returned as it is.
func prettyJSON(b []byte) string {
	var out bytes.Buffer
	if json.Indent(&out, b, "", "  ") != nil {
		return string(b)
	}
	return out.String()
}

// JSON documents whose format belongs to another package (a search's
// held-out results) are shown generically: an object as a table of its keys
// and values, a list of objects as a table with a column per key, scalars
// formatted, anything deeper summarised.

// jsonView is the display of a JSON value: exactly one of its fields is set.
type jsonView struct {
	Text  string    // a scalar, a short list or a summary
	KV    []jsonKV  // an object
	Table *jsonGrid // a list of objects
}

type jsonKV struct {
	Key   string
	Value jsonView
}

type jsonGrid struct {
	Columns []string
	Rows    [][]string
}

// viewJSON returns the display of a JSON document, or ok false when b is
// not JSON.
func viewJSON(b []byte) (jsonView, bool) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return jsonView{}, false
	}
	return view(v, 0), true
}

// maxJSONDepth is how deep objects become nested tables.
const maxJSONDepth = 2

func view(v any, depth int) jsonView {
	switch v := v.(type) {
	case map[string]any:
		if depth >= maxJSONDepth {
			return jsonView{Text: inline(v, depth)}
		}
		var kv []jsonKV
		for _, k := range sortedKeys(v) {
			kv = append(kv, jsonKV{Key: k, Value: view(v[k], depth+1)})
		}
		return jsonView{KV: kv}
	case []any:
		if g, ok := grid(v); ok && depth < maxJSONDepth+1 {
			return jsonView{Table: g}
		}
	}
	return jsonView{Text: inline(v, depth)}
}

// grid makes a table of a list of objects: a column per key ("name"
// first), a row per object.
func grid(list []any) (*jsonGrid, bool) {
	if len(list) == 0 {
		return nil, false
	}
	seen := map[string]bool{}
	var cols []string
	for _, e := range list {
		o, ok := e.(map[string]any)
		if !ok {
			return nil, false
		}
		for _, k := range sortedKeys(o) {
			if !seen[k] {
				seen[k] = true
				cols = append(cols, k)
			}
		}
	}
	sort.SliceStable(cols, func(i, j int) bool { return cols[i] == "name" && cols[j] != "name" })
	g := &jsonGrid{Columns: cols}
	for _, e := range list {
		o := e.(map[string]any)
		row := make([]string, len(cols))
		for i, k := range cols {
			if x, ok := o[k]; ok {
				row[i] = inline(x, maxJSONDepth)
			}
		}
		g.Rows = append(g.Rows, row)
	}
	return g, true
}

// inline formats a value on one line: numbers with 4 significant digits
// (integers as they are), short lists and small flat objects written out,
// anything bigger summarised by its size.
func inline(v any, depth int) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(v)
	case string:
		return v
	case json.Number:
		if _, err := v.Int64(); err == nil {
			return v.String()
		}
		f, err := v.Float64()
		if err != nil {
			return v.String()
		}
		return num(f)
	case []any:
		if len(v) <= 12 && allScalar(v) {
			parts := make([]string, len(v))
			for i, x := range v {
				parts[i] = inline(x, depth+1)
			}
			return "[" + strings.Join(parts, ", ") + "]"
		}
		return fmt.Sprintf("[%d items]", len(v))
	case map[string]any:
		if len(v) <= 6 && allScalar(mapValues(v)) {
			var parts []string
			for _, k := range sortedKeys(v) {
				parts = append(parts, k+"="+inline(v[k], depth+1))
			}
			return "{" + strings.Join(parts, ", ") + "}"
		}
		return fmt.Sprintf("{%d keys}", len(v))
	}
	return fmt.Sprint(v)
}

func allScalar(xs []any) bool {
	for _, x := range xs {
		switch x.(type) {
		case map[string]any, []any:
			return false
		}
	}
	return true
}

func mapValues(m map[string]any) []any {
	out := make([]any, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
