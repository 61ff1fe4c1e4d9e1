package reports

import (
	"bytes"
	"context"
	"errors"
	"image"
	_ "image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/synrl/synrl/policies"
	"github.com/synrl/synrl/results"
)

// checkRender draws p as PNG and SVG and checks that the PNG decodes to an
// image of the page size (at gonum's 96 dpi) and that the SVG is not
// trivial.
func checkRender(t *testing.T, name string, p *plot.Plot, w, h vg.Length) {
	t.Helper()
	var png, svg bytes.Buffer
	for _, f := range []struct {
		format string
		buf    *bytes.Buffer
	}{{"png", &png}, {"svg", &svg}} {
		wt, err := p.WriterTo(w, h, f.format)
		if err != nil {
			t.Fatalf("%s: %s: %v", name, f.format, err)
		}
		if _, err := wt.WriteTo(f.buf); err != nil {
			t.Fatalf("%s: %s: %v", name, f.format, err)
		}
	}
	img, format, err := image.Decode(bytes.NewReader(png.Bytes()))
	if err != nil {
		t.Fatalf("%s: PNG does not decode: %v", name, err)
	}
	b := img.Bounds()
	wantW, wantH := int(math.Round(w.Dots(96))), int(math.Round(h.Dots(96)))
	if format != "png" || abs(b.Dx()-wantW) > 1 || abs(b.Dy()-wantH) > 1 || b.Dx() < 300 || b.Dy() < 200 {
		t.Errorf("%s: %s image %dx%d, want about %dx%d", name, format, b.Dx(), b.Dy(), wantW, wantH)
	}
	if svg.Len() < 5000 || !bytes.Contains(svg.Bytes(), []byte("<svg")) {
		t.Errorf("%s: SVG of %d bytes does not look like a figure", name, svg.Len())
	}
	if png.Len() < 5000 {
		t.Errorf("%s: PNG of %d bytes looks empty", name, png.Len())
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func TestFigures(t *testing.T) {
	ctx := context.Background()
	st := fixture(t)
	arms := loadArms(t, st)
	if len(arms) != 3 {
		t.Fatalf("fixture has %d arms, want 3", len(arms))
	}
	searches, err := st.Searches(ctx)
	if err != nil || len(searches) != 1 {
		t.Fatalf("searches: %v %v", searches, err)
	}
	s := searches[0]
	gens, err := st.Generations(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	cands, err := st.Candidates(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	wsls, _ := mustPolicy(t, "wsls", 2)
	random, _ := mustPolicy(t, "random:1", 2)
	runs, err := st.Runs(ctx, results.RunFilter{Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	var rcs []RunCurve
	for _, r := range runs {
		c, err := st.Curve(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		rcs = append(rcs, RunCurve{Run: r, Curve: c})
	}
	pw, ph := PolicySize(2)
	for _, f := range []struct {
		name  string
		w, h  vg.Length
		build func() (*plot.Plot, error)
	}{
		{"val_acc curves", curveW, curveH, func() (*plot.Plot, error) { return CurvesPlot("fixture", arms, MetricValAcc) }},
		{"val_loss curves", curveW, curveH, func() (*plot.Plot, error) { return CurvesPlot("fixture", arms, MetricValLoss) }},
		{"final accuracy", finalW, finalH, func() (*plot.Plot, error) { return FinalAccuracyPlot("fixture", arms) }},
		{"search", curveW, curveH, func() (*plot.Plot, error) { return SearchPlot(s, gens, cands) }},
		{"policy", pw, ph, func() (*plot.Plot, error) { return PolicyPlot(wsls, "wsls") }},
		{"policy h1", 6.5 * vg.Inch, 4 * vg.Inch, func() (*plot.Plot, error) {
			z, err := policies.New("zero", 1) // all equal: a degenerate colour range
			if err != nil {
				return nil, err
			}
			return PolicyPlot(z, "zero")
		}},
		{"policy diff", pw, ph, func() (*plot.Plot, error) { return PolicyDiffPlot(wsls, random, "wsls - random") }},
		{"runs", curveW, curveH, func() (*plot.Plot, error) { return RunsPlot("latest", rcs, MetricValAcc) }},
	} {
		p, err := f.build()
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		checkRender(t, f.name, p, f.w, f.h)
	}
}

func TestFiguresWithoutData(t *testing.T) {
	empty := []Arm{{Name: "a"}, {Name: "b", Runs: []RunCurve{{Run: results.Run{Status: results.StatusRunning}}}}}
	for name, err := range map[string]error{
		"curves": second(CurvesPlot("x", empty, MetricValAcc)),
		"final":  second(FinalAccuracyPlot("x", empty)),
		"search": second(SearchPlot(results.Search{Name: "s"}, nil, nil)),
		"runs":   second(RunsPlot("x", nil, MetricValLoss)),
	} {
		if !errors.Is(err, ErrNoData) {
			t.Errorf("%s: error %v, want ErrNoData", name, err)
		}
	}
	a, _ := mustPolicy(t, "wsls", 1)
	b, _ := mustPolicy(t, "wsls", 2)
	if _, err := PolicyDiffPlot(a, b, "x"); err == nil {
		t.Error("diff of histories 1 and 2: no error")
	}
}

func second[T any](_ T, err error) error { return err }

func TestBandAlignsSteps(t *testing.T) {
	pts := func(vals map[int]float64) []results.Point {
		var out []results.Point
		for s, v := range vals {
			out = append(out, results.Point{Step: s, Metric: MetricValAcc, Value: v})
		}
		return out
	}
	runs := []RunCurve{
		{Curve: pts(map[int]float64{0: 1, 10: 2, 20: 3})},
		{Curve: pts(map[int]float64{0: 3, 10: 4, 20: 5, 30: 9})},
		{Curve: pts(map[int]float64{0: 2, 10: math.NaN(), 20: 8})},
		{Curve: pts(map[int]float64{0: 10, 10: 6, 20: 4})},
	}
	b := bandOf(runs, MetricValAcc)
	want := struct{ steps, median, low, high []float64 }{
		[]float64{0, 10, 20}, []float64{2.5, 4, 4.5}, []float64{1, 2, 3}, []float64{10, 6, 8},
	}
	if b.seeds != 4 || !equal(b.steps, want.steps) || !equal(b.median, want.median) ||
		!equal(b.low, want.low) || !equal(b.high, want.high) {
		t.Errorf("band %+v, want %+v", b, want)
	}
	// No common step: every step of any run.
	b = bandOf([]RunCurve{{Curve: pts(map[int]float64{0: 1})}, {Curve: pts(map[int]float64{5: 2})}}, MetricValAcc)
	if !equal(b.steps, []float64{0, 5}) {
		t.Errorf("disjoint steps: %v", b.steps)
	}
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-12 {
			return false
		}
	}
	return true
}

func TestJSONShapes(t *testing.T) {
	for _, doc := range []string{
		`null`, `3.25`, `"text"`, `[1, 2, 3]`, `[]`, `{}`, `[{"a":1},{"b":[1,2]}]`, `[1, {"a": 2}]`,
		`{"a":{"b":{"c":{"d":[1,{"e":2}]}}}}`, `{"x":[` + strings.Repeat(`1,`, 40) + `1]}`, fixtureHeldOut,
	} {
		v, ok := viewJSON([]byte(doc))
		if !ok {
			t.Errorf("%s: not viewed", doc)
			continue
		}
		var buf bytes.Buffer
		if err := indexTemplate().ExecuteTemplate(&buf, "json", v); err != nil {
			t.Errorf("%s: %v", doc, err)
		}
		heldOutScore([]byte(doc)) // must not panic whatever the shape
	}
	if _, ok := viewJSON([]byte(`{not json`)); ok {
		t.Error("invalid JSON viewed")
	}
	for doc, want := range map[string]float64{`0.5`: 0.5, `{"score": 0.25}`: 0.25, fixtureHeldOut: 0.345678} {
		if got, ok := heldOutScore([]byte(doc)); !ok || got != want {
			t.Errorf("heldOutScore(%.30s) = %v, %v; want %v", doc, got, ok, want)
		}
	}
	for _, doc := range []string{``, `{}`, `[0.5]`, `{"policies":[{"name":"other","score":1}]}`, `{"score":"high"}`} {
		if got, ok := heldOutScore([]byte(doc)); ok {
			t.Errorf("heldOutScore(%s) = %v, want none", doc, got)
		}
	}
}

func TestWrite(t *testing.T) {
	ctx := context.Background()
	st := fixture(t)
	out := filepath.Join(t.TempDir(), "report")
	sum, err := Write(ctx, st, out)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Warnings) > 0 {
		t.Errorf("warnings: %q", sum.Warnings)
	}
	if sum.Comparisons != 1 || sum.Searches != 1 || sum.Runs != 10 {
		t.Errorf("summary %+v", sum)
	}
	html, err := os.ReadFile(sum.Index)
	if err != nil {
		t.Fatal(err)
	}
	page := string(html)
	wantFigs := []string{
		"comparison-1-val-acc", "comparison-1-val-loss", "comparison-1-final-acc", "search-1-fitness",
		"policy-search-1-best", "diff-search-1-best-minus-first",
		"policy-comparison-1-arm3-static", "policy-comparison-1-arm1-learned",
		"diff-comparison-1-learned1-minus-start", "diff-comparison-1-learned1-minus-static",
	}
	have := map[string]bool{}
	for _, f := range sum.Figures {
		have[f] = true
	}
	for _, f := range wantFigs {
		if !have[f] {
			t.Errorf("figure %s not written (figures: %q)", f, sum.Figures)
		}
	}
	for _, f := range sum.Figures {
		for _, ext := range []string{".png", ".svg"} {
			info, err := os.Stat(filepath.Join(out, f+ext))
			if err != nil || info.Size() < 5000 {
				t.Errorf("%s%s: %v (size %d)", f, ext, err, sizeOf(info))
			}
			if !strings.Contains(page, `"`+f+ext+`"`) {
				t.Errorf("index.html does not link %s%s", f, ext)
			}
		}
		f, err := os.Open(filepath.Join(out, f+".png"))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := image.Decode(f); err != nil {
			t.Errorf("%s.png: %v", f.Name(), err)
		}
		f.Close()
	}
	// The arms' tables, computed by hand from the fixture (arms sorted by
	// name: adaptive, gd, static:builtin:wsls).
	for _, want := range []string{
		"0.9400 ± 0.0200", // gd test accuracy: 0.92, 0.94, 0.96
		"0.9500 ± 0.0200", // gd validation accuracy
		"0.8200 ± 0.0100", // static test accuracy: 0.81, 0.82, 0.83
		"0.8600 ± 0.0050", // adaptive test accuracy: 0.855, 0.86, 0.865
		"0.2800 ± 0.0100", // validation loss: 0.29, 0.28, 0.27
		"0.2900 ± 0.0100", // test loss
		"2.0 s ± 1.0 s",   // wall time 1, 2, 3 s
		"0.3457",          // the held-out score of the best policy, 4 digits
		"builtin:wsls",    // a held-out row
		"0.23",            // best fitness
		"0.21",            // best of generation 2 (0.2 + 0.03 would be 0.23; generation 1: 0.13)
		"a=[keep keep] r=[0 0]",
		"fixture-search",
		"Comparison #1 fixture",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	if strings.Contains(page, "Nothing here yet") {
		t.Error("non-empty database reported as empty")
	}
	if strings.Contains(page, "whatever") {
		t.Error("the comparison's result JSON is shown; the report computes from runs")
	}
}

func sizeOf(info os.FileInfo) int64 {
	if info == nil {
		return 0
	}
	return info.Size()
}

func TestWriteEmpty(t *testing.T) {
	st, err := results.Open(filepath.Join(t.TempDir(), "empty.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out := filepath.Join(t.TempDir(), "r")
	sum, err := Write(context.Background(), st, out)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Figures) != 0 {
		t.Errorf("figures of an empty database: %q", sum.Figures)
	}
	html, err := os.ReadFile(filepath.Join(out, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Nothing here yet", "synrl train"} {
		if !bytes.Contains(html, []byte(want)) {
			t.Errorf("index.html of an empty database lacks %q:\n%s", want, html)
		}
	}
}

func TestWriteFilters(t *testing.T) {
	ctx := context.Background()
	st := fixture(t)
	out := t.TempDir()
	if _, err := (Options{Comparisons: []int64{42}}).Write(ctx, st, out); !errors.Is(err, results.ErrNotFound) {
		t.Errorf("unknown comparison: %v, want ErrNotFound", err)
	}
	if _, err := (Options{Searches: []string{"nope"}}).Write(ctx, st, out); !errors.Is(err, results.ErrNotFound) {
		t.Errorf("unknown search: %v, want ErrNotFound", err)
	}
	sum, err := Options{Searches: []string{searchName}, Runs: 2}.Write(ctx, st, out)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Comparisons != 1 || sum.Searches != 1 || sum.Runs != 2 {
		t.Errorf("summary %+v", sum)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Write(cctx, st, out); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestBrokenPolicy: a stored policy that does not parse is a warning, not
// a failed report.
func TestBrokenPolicy(t *testing.T) {
	ctx := context.Background()
	st, err := results.Open(filepath.Join(t.TempDir(), "b.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sr, _, err := st.StartSearch(ctx, "broken", "random", nil, 1, "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.FinishSearch(ctx, sr.ID, results.StatusFailed, math.NaN(), []byte(`{"format":"x"}`), []byte(`[1,"two",{"3":null}]`), "boom"); err != nil {
		t.Fatal(err)
	}
	sum, err := Write(ctx, st, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Warnings) != 1 || !strings.Contains(sum.Warnings[0], "best policy") {
		t.Errorf("warnings %q", sum.Warnings)
	}
}

// TestRenderRecovers: a panic inside gonum/plot is an error, not a crash.
func TestRenderRecovers(t *testing.T) {
	_, _, err := render(curveW, curveH, func() (*plot.Plot, error) { panic("boom") })
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("error %v", err)
	}
}
