package reports

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/synrl/synrl/policies"
)

// qGrid is a Q table (or a difference of two) as a heat map grid: column c
// is action c at x = c, row r is state r at y = r.
type qGrid struct {
	states int
	q      []float64 // row-major, 3 per state
}

func (g qGrid) Dims() (c, r int)   { return policies.NumActions, g.states }
func (g qGrid) Z(c, r int) float64 { return g.q[r*policies.NumActions+c] }
func (g qGrid) X(c int) float64    { return float64(c) }
func (g qGrid) Y(r int) float64    { return float64(r) }
func (g qGrid) Min() (m float64)   { return minMax(g.q, math.Min) }
func (g qGrid) Max() (m float64)   { return minMax(g.q, math.Max) }
func minMax(q []float64, f func(a, b float64) float64) float64 {
	m := q[0]
	for _, v := range q[1:] {
		m = f(m, v)
	}
	return m
}

// colorKey is a colour bar beside a heat map: a strip from x0 to x1 whose
// colour runs from the palette's last colour at y0 to its first at y1,
// drawn as overlapping bands so that no seams show between them.
type colorKey struct {
	x0, x1, y0, y1 float64
	pal            []color.Color
}

// Plot implements plot.Plotter.
func (k colorKey) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	n := len(k.pal)
	left, right := trX(k.x0), trX(k.x1)
	for i := range n {
		// Band i holds palette colour n-1-i (top: the highest value).
		ya := trY(k.y0 + (k.y1-k.y0)*float64(i)/float64(n))
		yb := trY(k.y0 + (k.y1-k.y0)*float64(i+1)/float64(n))
		// Overlap the neighbours a little.
		lo, hi := min(ya, yb)-vg.Points(0.3), max(ya, yb)+vg.Points(0.3)
		var path vg.Path
		path.Move(vg.Point{X: left, Y: lo})
		path.Line(vg.Point{X: right, Y: lo})
		path.Line(vg.Point{X: right, Y: hi})
		path.Line(vg.Point{X: left, Y: hi})
		path.Close()
		c.SetColor(k.pal[n-1-i])
		c.Fill(path)
	}
}

// PolicySize returns a good page size for a policy heat map of history h:
// wide enough for the state labels, tall enough for one row per state.
func PolicySize(h int) (w, ht vg.Length) {
	n := policies.NumStates(h)
	rows := math.Min(float64(n), 81)
	return 6.5 * vg.Inch, vg.Length(math.Max(4, math.Min(14, 1.6+0.12*rows))) * vg.Inch
}

// PolicyPlot draws a policy's Q table as a heat map: states (rows, labelled
// by their last actions a and rewards r, most recent first) x actions
// (columns dec, keep, inc), coloured on a diverging blue-red scale
// symmetric about 0 with a colour key beside it; a black dot marks each
// state's greedy action (ties to the lowest action).
func PolicyPlot(t *policies.Table, title string) (*plot.Plot, error) {
	if err := t.Validate(); err != nil {
		return nil, fmt.Errorf("policy %s: %w", t.Name, err)
	}
	lo, hi := minMax(t.Q, math.Min), minMax(t.Q, math.Max)
	p, err := heatPlot(qGrid{states: t.NumStates(), q: t.Q}, t.History,
		fmt.Sprintf("%s\nQ values, range %s to %s; dots: greedy action", title, num(lo), num(hi)))
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", t.Name, err)
	}
	var dots plotter.XYs
	for s := range t.NumStates() {
		dots = append(dots, plotter.XY{X: float64(t.Greedy(s)), Y: float64(s)})
	}
	if err := addMarks(p, dots, draw.CircleGlyph{}, color.Black, t.NumStates()); err != nil {
		return nil, fmt.Errorf("policy %s: %w", t.Name, err)
	}
	return p, nil
}

// PolicyDiffPlot draws the difference of two policies of the same history,
// Q_a - Q_b, as a heat map like PolicyPlot's, and marks the states whose
// greedy actions differ: a ring on a's greedy action and a cross on b's.
func PolicyDiffPlot(a, b *policies.Table, title string) (*plot.Plot, error) {
	if err := a.Validate(); err != nil {
		return nil, fmt.Errorf("policy %s: %w", a.Name, err)
	}
	if err := b.Validate(); err != nil {
		return nil, fmt.Errorf("policy %s: %w", b.Name, err)
	}
	if a.History != b.History {
		return nil, fmt.Errorf("policies %s and %s: history %d and %d differ: no common states", a.Name, b.Name, a.History, b.History)
	}
	d := make([]float64, len(a.Q))
	for i := range d {
		d[i] = a.Q[i] - b.Q[i]
	}
	differ := GreedyDiffs(a, b)
	lo, hi := minMax(d, math.Min), minMax(d, math.Max)
	p, err := heatPlot(qGrid{states: a.NumStates(), q: d}, a.History,
		fmt.Sprintf("%s\nQ_a - Q_b, range %s to %s; greedy action differs in %d of %d states\n(ring: greedy of a; cross: greedy of b)",
			title, num(lo), num(hi), len(differ), a.NumStates()))
	if err != nil {
		return nil, fmt.Errorf("policies %s - %s: %w", a.Name, b.Name, err)
	}
	var ra, rb plotter.XYs
	for _, s := range differ {
		ra = append(ra, plotter.XY{X: float64(a.Greedy(s)), Y: float64(s)})
		rb = append(rb, plotter.XY{X: float64(b.Greedy(s)), Y: float64(s)})
	}
	if err := addMarks(p, ra, draw.RingGlyph{}, color.Black, a.NumStates()); err != nil {
		return nil, err
	}
	if err := addMarks(p, rb, draw.CrossGlyph{}, color.Black, a.NumStates()); err != nil {
		return nil, err
	}
	return p, nil
}

// GreedyDiffs returns the states, in order, whose greedy actions differ
// between two policies of the same history.
func GreedyDiffs(a, b *policies.Table) []int {
	var out []int
	for s := range min(a.NumStates(), b.NumStates()) {
		if a.Greedy(s) != b.Greedy(s) {
			out = append(out, s)
		}
	}
	return out
}

// addMarks draws glyphs at pts, sized to the state rows.
func addMarks(p *plot.Plot, pts plotter.XYs, shape draw.GlyphDrawer, c color.Color, states int) error {
	if len(pts) == 0 {
		return nil
	}
	sc, err := plotter.NewScatter(pts)
	if err != nil {
		return err
	}
	r := vg.Points(2.5)
	if states > 81 {
		r = vg.Points(1)
	}
	sc.GlyphStyle = draw.GlyphStyle{Color: c, Radius: r, Shape: shape}
	p.Add(sc)
	return nil
}

// heatPlot draws grid g (3 actions x states) with a colour key, on axes
// with the actions at the bottom and the states down the left.
func heatPlot(g qGrid, h int, title string) (*plot.Plot, error) {
	states := g.states
	lo, hi := g.Min(), g.Max()
	m := math.Max(math.Abs(lo), math.Abs(hi))
	if m == 0 || !finite(m) {
		m = 1
	}
	cm := moreland.SmoothBlueRed()
	cm.SetMin(-m)
	cm.SetMax(m)
	pal := cm.Palette(255)

	p := plot.New()
	p.Title.Text = title
	p.Title.Padding = vg.Points(6)
	p.Title.TextStyle.Font.Size = vg.Points(11)
	p.X.Label.Text = "action"
	p.Y.Label.Text = "state (last actions a, last rewards r; most recent first)"
	p.X.Padding, p.Y.Padding = 0, 0

	hm := plotter.NewHeatMap(g, pal)
	hm.Min, hm.Max = -m, m
	p.Add(hm)

	// The colour key: a column right of the actions, labelled at five
	// values from -m to m.
	const keyX, keyW = 3.0, 0.5
	p.Add(colorKey{x0: keyX, x1: keyX + keyW, y0: -0.5, y1: float64(states) - 0.5, pal: pal.Colors()})
	var lx plotter.XYs
	var labels []string
	for i := range 5 {
		f := float64(i) / 4 // 0 at the top (m) to 1 at the bottom (-m)
		lx = append(lx, plotter.XY{X: keyX + keyW + 0.1, Y: -0.5 + f*float64(states)})
		labels = append(labels, num(m-2*m*f))
	}
	lb, err := plotter.NewLabels(plotter.XYLabels{XYs: lx, Labels: labels})
	if err != nil {
		return nil, err
	}
	for i := range lb.TextStyle {
		lb.TextStyle[i].Font.Size = vg.Points(8)
		lb.TextStyle[i].YAlign = draw.YCenter
	}
	// The first and last labels sit at the ends of the key, inside the data
	// area.
	lb.TextStyle[0].YAlign = draw.YTop
	lb.TextStyle[4].YAlign = draw.YBottom
	p.Add(lb)
	p.X.Min, p.X.Max = -0.5, keyX+keyW+1
	p.X.Tick.Marker = plot.ConstantTicks{{Value: 0, Label: "dec"}, {Value: 1, Label: "keep"}, {Value: 2, Label: "inc"}}
	p.Y.Min, p.Y.Max = -0.5, float64(states)-0.5
	p.Y.Scale = plot.InvertedScale{Normalizer: plot.LinearScale{}}
	p.Y.Tick.Marker = stateTicks(h)
	p.Y.Tick.Label.Font.Size = vg.Points(7)
	return p, nil
}

// stateTicks labels every state when there are at most 81, else every
// 27th.
func stateTicks(h int) plot.Ticker {
	n := policies.NumStates(h)
	every := 1
	if n > 81 {
		every = 27
	}
	var ts plot.ConstantTicks
	for s := 0; s < n; s += every {
		ts = append(ts, plot.Tick{Value: float64(s), Label: fmt.Sprintf("%d %s", s, policies.StateString(s, h))})
	}
	return ts
}
