package reports

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"sort"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/synrl/synrl/results"
)

// ErrNoData is returned (wrapped) by a figure function whose data hold
// nothing to draw: no curve points of the metric, no finished run, no
// generation.
var ErrNoData = errors.New("nothing to plot")

// Stepped axis label of learning curves.
const stepLabel = "step (training iterations)"

// seriesColor returns the colour of the i-th series: the Okabe-Ito palette,
// which colour-blind readers can tell apart.
func seriesColor(i int) color.Color {
	cs := [...]color.RGBA{
		{0, 114, 178, 255},   // blue
		{213, 94, 0, 255},    // vermilion
		{0, 158, 115, 255},   // bluish green
		{204, 121, 167, 255}, // reddish purple
		{230, 159, 0, 255},   // orange
		{86, 180, 233, 255},  // sky blue
		{0, 0, 0, 255},       // black
		{240, 228, 66, 255},  // yellow
	}
	if i < 0 {
		i = -i
	}
	return cs[i%len(cs)]
}

// translucent returns c with the given opacity (0-255).
func translucent(c color.Color, alpha uint8) color.Color {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: alpha}
}

// newPlot returns a plot with a title, axis labels and a light grid.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.Legend.ThumbnailWidth = vg.Points(18)
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	g := plotter.NewGrid()
	g.Vertical.Color = color.Gray{Y: 225}
	g.Horizontal.Color = color.Gray{Y: 225}
	p.Add(g)
	return p
}

// legendRoom sets the Y range of p to [lo, hi] plus room for a legend of
// n entries at the top (or the bottom) of the data area, so that the legend
// does not cover data. lo and hi are the data's extremes.
func legendRoom(p *plot.Plot, lo, hi float64, n int, top bool) {
	if !(lo <= hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return
	}
	span := hi - lo
	if span == 0 {
		span = math.Max(math.Abs(hi)*0.1, 0.01)
	}
	// Each legend entry takes about 5% of a figure's data height.
	f := math.Min(0.05*float64(n)+0.04, 0.6)
	room := span/(1-f) - span
	pad := 0.03 * span
	if top {
		p.Y.Min, p.Y.Max = lo-pad, hi+room
	} else {
		p.Y.Min, p.Y.Max = lo-room, hi+pad
	}
}

// integerTicks marks every integer of the axis when there are at most 20,
// else the default ticks rounded to integers (for generations and arms).
func integerTicks() plot.Ticker {
	return plot.TickerFunc(func(lo, hi float64) []plot.Tick {
		first, last := math.Ceil(lo), math.Floor(hi)
		if last-first > 20 {
			var ts []plot.Tick
			for _, t := range (plot.DefaultTicks{}).Ticks(lo, hi) {
				if t.Value == math.Trunc(t.Value) {
					ts = append(ts, t)
				}
			}
			return ts
		}
		var ts []plot.Tick
		for v := first; v <= last; v++ {
			if v == 0 {
				v = 0 // not -0
			}
			ts = append(ts, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', -1, 64)})
		}
		return ts
	})
}

// line returns a solid line of xs, ys in colour c, of width w points.
func line(xs, ys []float64, c color.Color, w float64) (*plotter.Line, error) {
	xys := make(plotter.XYs, len(xs))
	for i := range xs {
		xys[i] = plotter.XY{X: xs[i], Y: ys[i]}
	}
	l, err := plotter.NewLine(xys)
	if err != nil {
		return nil, err
	}
	l.Color = c
	l.Width = vg.Points(w)
	return l, nil
}

// bandPolygon returns the filled area between low and high over xs.
func bandPolygon(xs, low, high []float64, c color.Color) (*plotter.Polygon, error) {
	ring := make(plotter.XYs, 0, 2*len(xs))
	for i := range xs {
		ring = append(ring, plotter.XY{X: xs[i], Y: high[i]})
	}
	for i := len(xs) - 1; i >= 0; i-- {
		ring = append(ring, plotter.XY{X: xs[i], Y: low[i]})
	}
	poly, err := plotter.NewPolygon(ring)
	if err != nil {
		return nil, err
	}
	poly.Color = translucent(c, 56)
	poly.LineStyle.Width = 0
	poly.LineStyle.Color = color.Transparent
	return poly, nil
}

// CurvesPlot draws the learning curve of metric (e.g. "val_acc") for each
// arm of a comparison: the median over the arm's seeds vs step, with a band
// from the lowest to the highest seed. The finished runs of an arm are used
// (all of them while none has finished); steps are aligned per arm (see
// the HTML report's notes). title names the comparison. It returns an error
// wrapping ErrNoData when no arm has points of the metric.
func CurvesPlot(title string, arms []Arm, metric string) (*plot.Plot, error) {
	p := newPlot(fmt.Sprintf("%s: %s\nlines: median over seeds; bands: lowest to highest seed", title, metricName(metric)),
		stepLabel, metricLabel(metric))
	p.Legend.Top = isLoss(metric)
	drawn := 0
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, a := range arms {
		b := bandOf(curveRuns(a.Runs), metric)
		if len(b.steps) == 0 {
			continue
		}
		for j := range b.steps {
			lo, hi = math.Min(lo, b.low[j]), math.Max(hi, b.high[j])
		}
		c := seriesColor(i)
		var thumbs []plot.Thumbnailer
		if b.seeds > 1 && len(b.steps) > 1 {
			poly, err := bandPolygon(b.steps, b.low, b.high, c)
			if err != nil {
				return nil, fmt.Errorf("%s: arm %s: %w", metric, a.Name, err)
			}
			p.Add(poly)
			thumbs = append(thumbs, poly)
		}
		l, err := line(b.steps, b.median, c, 1.5)
		if err != nil {
			return nil, fmt.Errorf("%s: arm %s: %w", metric, a.Name, err)
		}
		l.Dashes = lineDashes(i)
		p.Add(l)
		thumbs = append(thumbs, l)
		if len(b.steps) == 1 {
			s, err := plotter.NewScatter(l.XYs)
			if err != nil {
				return nil, fmt.Errorf("%s: arm %s: %w", metric, a.Name, err)
			}
			s.Color = c
			p.Add(s)
		}
		p.Legend.Add(fmt.Sprintf("%s (%s)", a.Name, plural(b.seeds, "seed")), thumbs...)
		drawn++
	}
	if drawn == 0 {
		return nil, fmt.Errorf("%s: no run has %s points: %w", title, metric, ErrNoData)
	}
	legendRoom(p, lo, hi, drawn, p.Legend.Top)
	return p, nil
}

// lineDashes gives the i-th series a dash pattern so that lines are told
// apart without colour too.
func lineDashes(i int) []vg.Length {
	switch i % 4 {
	case 1:
		return []vg.Length{vg.Points(6), vg.Points(3)}
	case 2:
		return []vg.Length{vg.Points(2), vg.Points(2)}
	case 3:
		return []vg.Length{vg.Points(8), vg.Points(2), vg.Points(2), vg.Points(2)}
	}
	return nil
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// RunsPlot draws the curve of metric of each run, one line per run,
// labelled by run id, trainer and policy. It returns an error wrapping
// ErrNoData when no run has points of the metric.
func RunsPlot(title string, runs []RunCurve, metric string) (*plot.Plot, error) {
	p := newPlot(fmt.Sprintf("%s: %s", title, metricName(metric)), stepLabel, metricLabel(metric))
	p.Legend.Top = isLoss(metric)
	drawn := 0
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, r := range runs {
		s := series(r.Curve, metric)
		steps := make([]int, 0, len(s))
		for step, v := range s {
			if finite(v) {
				steps = append(steps, step)
			}
		}
		if len(steps) == 0 {
			continue
		}
		sort.Ints(steps)
		xs, ys := make([]float64, len(steps)), make([]float64, len(steps))
		for j, step := range steps {
			xs[j], ys[j] = float64(step), s[step]
			lo, hi = math.Min(lo, ys[j]), math.Max(hi, ys[j])
		}
		l, err := line(xs, ys, seriesColor(i), 1.2)
		if err != nil {
			return nil, fmt.Errorf("run %d: %w", r.Run.ID, err)
		}
		l.Dashes = lineDashes(i)
		p.Add(l)
		p.Legend.Add(runLabel(r.Run), l)
		drawn++
	}
	if drawn == 0 {
		return nil, fmt.Errorf("%s: no run has %s points: %w", title, metric, ErrNoData)
	}
	legendRoom(p, lo, hi, drawn, p.Legend.Top)
	return p, nil
}

// runLabel describes a run in a legend: "#12 synaptic builtin:wsls (adaptive)".
func runLabel(r results.Run) string {
	s := fmt.Sprintf("#%d %s", r.ID, r.Trainer)
	if r.Policy != "" {
		s += " " + r.Policy
	}
	if r.Adaptive {
		s += " (adaptive)"
	}
	if r.Shape != "" {
		s += " " + r.Shape
	}
	return s
}

// meanErr is points with symmetric Y error bars, for NewYErrorBars.
type meanErr struct {
	plotter.XYs
	plotter.YErrors
}

// FinalAccuracyPlot draws, for each arm, the final validation and test
// accuracy of its finished runs: mean ± sample standard deviation over
// seeds as a marker with error bars, and every seed as a small hollow
// point. It returns an error wrapping ErrNoData when no arm has a finished
// run with a finite accuracy.
func FinalAccuracyPlot(title string, arms []Arm) (*plot.Plot, error) {
	p := newPlot(fmt.Sprintf("%s: final accuracy per arm\nmarkers: mean ± std over seeds; rings: single seeds", title),
		"arm", "final accuracy (fraction)")
	type metric struct {
		name  string
		get   func(results.Run) float64
		shape draw.GlyphDrawer
		dx    float64
	}
	metrics := []metric{
		{"validation accuracy", func(r results.Run) float64 { return r.ValAcc }, draw.CircleGlyph{}, -0.15},
		{"test accuracy", func(r results.Run) float64 { return r.TestAcc }, draw.TriangleGlyph{}, 0.15},
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	names := make([]string, len(arms))
	drawn := 0
	for k, m := range metrics {
		c := seriesColor(k)
		var means meanErr
		var seeds plotter.XYs
		for i, a := range arms {
			names[i] = a.Name
			var xs []float64
			for j, r := range doneRuns(a.Runs) {
				v := m.get(r.Run)
				if !finite(v) {
					continue
				}
				xs = append(xs, v)
				seeds = append(seeds, plotter.XY{X: float64(i) + m.dx + jitter(j, 0.12), Y: v})
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
			sp := spreadOf(xs)
			if sp.N == 0 {
				continue
			}
			std := sp.Std
			if !finite(std) {
				std = 0
			}
			means.XYs = append(means.XYs, plotter.XY{X: float64(i) + m.dx, Y: sp.Mean})
			means.YErrors = append(means.YErrors, struct{ Low, High float64 }{std, std})
			lo, hi = math.Min(lo, sp.Mean-std), math.Max(hi, sp.Mean+std)
		}
		if len(means.XYs) == 0 {
			continue
		}
		drawn++
		if len(seeds) > 0 {
			s, err := plotter.NewScatter(seeds)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", m.name, err)
			}
			s.GlyphStyle = draw.GlyphStyle{Color: translucent(c, 160), Radius: vg.Points(2), Shape: draw.RingGlyph{}}
			p.Add(s)
		}
		eb, err := plotter.NewYErrorBars(means)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.name, err)
		}
		eb.Color = c
		eb.Width = vg.Points(1.2)
		mk, err := plotter.NewScatter(means.XYs)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.name, err)
		}
		mk.GlyphStyle = draw.GlyphStyle{Color: c, Radius: vg.Points(3.5), Shape: m.shape}
		p.Add(eb, mk)
		p.Legend.Add(m.name+" (mean ± std)", mk)
	}
	if drawn == 0 {
		return nil, fmt.Errorf("%s: no finished run with a final accuracy: %w", title, ErrNoData)
	}
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.6, float64(len(arms))-0.4
	if long := maxLen(names); long > 14 || (len(names) > 3 && long > 8) {
		p.X.Tick.Label.Rotation = math.Pi / 8
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
	}
	legendRoom(p, lo, hi, drawn, false)
	return p, nil
}

func maxLen(ss []string) int {
	n := 0
	for _, s := range ss {
		n = max(n, len([]rune(s)))
	}
	return n
}

// jitter returns a deterministic offset in [-width/2, width/2) for the i-th
// point of a group (a golden-ratio sequence), so that points with the same
// x do not hide each other.
func jitter(i int, width float64) float64 {
	f := math.Mod(float64(i)*0.6180339887498949, 1)
	return (f - 0.5) * width
}
