package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/synrl/synrl/results"
)

// defaultFitnessLabel is the fitness axis label of a search whose
// configuration does not describe its fitness: synrl's searches maximise
// the relative reduction of the validation loss, 1 - loss/initial loss.
const defaultFitnessLabel = "fitness (relative validation-loss reduction)"

// fitnessLabel returns the fitness axis label of a search: its
// configuration's "fitness" (or "objective") string when it has one.
func fitnessLabel(config []byte) string {
	var m map[string]any
	if json.Unmarshal(config, &m) == nil {
		for _, k := range []string{"fitness", "objective"} {
			if s, ok := m[k].(string); ok && s != "" {
				return "fitness (" + s + ")"
			}
		}
	}
	return defaultFitnessLabel
}

// heldOutScore looks for the held-out score of a search's result in its
// held-out JSON, whose format belongs to the search: a number at the top
// level, a top-level "score", or the "score" of the element named "best"
// of a top-level list of objects (e.g. "policies"). ok is false when none is
// found; nothing else is assumed.
func heldOutScore(heldOut []byte) (score float64, ok bool) {
	if len(bytes.TrimSpace(heldOut)) == 0 {
		return 0, false
	}
	var v any
	if json.Unmarshal(heldOut, &v) != nil {
		return 0, false
	}
	switch v := v.(type) {
	case float64:
		return v, finite(v)
	case map[string]any:
		if f, ok := v["score"].(float64); ok && finite(f) {
			return f, true
		}
		for _, x := range v {
			list, isList := x.([]any)
			if !isList {
				continue
			}
			for _, e := range list {
				o, isObj := e.(map[string]any)
				if !isObj || o["name"] != "best" {
					continue
				}
				if f, ok := o["score"].(float64); ok && finite(f) {
					return f, true
				}
			}
		}
	}
	return 0, false
}

// SearchPlot draws a search's progress: the best and the mean fitness of
// each generation as lines, every candidate's fitness as a point (x is its
// generation plus a small deterministic jitter), and the held-out score of
// the search's result as a dashed horizontal line when its held-out JSON
// holds one. Non-finite values are left out. It returns an error wrapping
// ErrNoData when there is neither a generation nor a candidate to draw.
func SearchPlot(s results.Search, gens []results.Generation, cands []results.Candidate) (*plot.Plot, error) {
	title := fmt.Sprintf("search %s (%s): fitness per generation", s.Name, s.Method)
	p := newPlot(title, "generation", fitnessLabel(s.Config))
	p.X.Tick.Marker = integerTicks()
	p.Legend.Top = false
	p.Legend.Left = false
	xmin, xmax := math.Inf(1), math.Inf(-1)
	ymin, ymax := math.Inf(1), math.Inf(-1)
	seeY := func(y float64) { ymin, ymax = math.Min(ymin, y), math.Max(ymax, y) }
	entries := 0 // legend entries

	var pts plotter.XYs
	perGen := map[int]int{}
	for _, c := range cands {
		if !finite(c.Fitness) {
			continue
		}
		k := perGen[c.Generation]
		perGen[c.Generation]++
		pts = append(pts, plotter.XY{X: float64(c.Generation) + jitter(k, 0.5), Y: c.Fitness})
		seeY(c.Fitness)
		xmin, xmax = math.Min(xmin, float64(c.Generation)), math.Max(xmax, float64(c.Generation))
	}
	if len(pts) > 0 {
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, fmt.Errorf("search %s: candidates: %w", s.Name, err)
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: color.Gray{Y: 120}, Radius: vg.Points(2), Shape: draw.RingGlyph{}}
		p.Add(sc)
		p.Legend.Add(fmt.Sprintf("candidates (%d)", len(pts)), sc)
		entries++
	}

	var gx, best []float64
	var mx, my []float64
	for _, g := range gens {
		x := float64(g.Generation)
		if finite(g.Best) {
			gx, best = append(gx, x), append(best, g.Best)
			seeY(g.Best)
		}
		if finite(g.Mean) {
			mx, my = append(mx, x), append(my, g.Mean)
			seeY(g.Mean)
		}
		xmin, xmax = math.Min(xmin, x), math.Max(xmax, x)
	}
	for _, sr := range []struct {
		name   string
		xs, ys []float64
		i      int
		shape  draw.GlyphDrawer
	}{
		{"mean of generation", mx, my, 1, draw.SquareGlyph{}},
		{"best of generation", gx, best, 0, draw.CircleGlyph{}},
	} {
		if len(sr.xs) == 0 {
			continue
		}
		l, err := line(sr.xs, sr.ys, seriesColor(sr.i), 1.5)
		if err != nil {
			return nil, fmt.Errorf("search %s: %s: %w", s.Name, sr.name, err)
		}
		l.Dashes = lineDashes(sr.i)
		mk, err := plotter.NewScatter(l.XYs)
		if err != nil {
			return nil, fmt.Errorf("search %s: %s: %w", s.Name, sr.name, err)
		}
		mk.GlyphStyle = draw.GlyphStyle{Color: seriesColor(sr.i), Radius: vg.Points(2.5), Shape: sr.shape}
		p.Add(l, mk)
		p.Legend.Add(sr.name, l, mk)
		entries++
	}
	if math.IsInf(xmin, 1) {
		return nil, fmt.Errorf("search %s: no generation or candidate with a fitness: %w", s.Name, ErrNoData)
	}
	if h, ok := heldOutScore(s.HeldOutJSON); ok {
		l, err := line([]float64{xmin - 0.3, xmax + 0.3}, []float64{h, h}, seriesColor(2), 1.5)
		if err != nil {
			return nil, fmt.Errorf("search %s: held-out: %w", s.Name, err)
		}
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("held-out score of the result (%s)", num(h)), l)
		entries++
		seeY(h)
	}
	p.X.Min, p.X.Max = xmin-0.5, xmax+0.5
	legendRoom(p, ymin, ymax, entries, false)
	return p, nil
}
