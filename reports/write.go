package reports

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/synrl/synrl/policies"
	"github.com/synrl/synrl/results"
)

// Store is what a report reads of a results database. *results.Store
// implements it; reports never write.
type Store interface {
	Path() string
	Runs(ctx context.Context, f results.RunFilter) ([]results.Run, error)
	Run(ctx context.Context, id int64) (results.Run, error)
	Curve(ctx context.Context, runID int64) ([]results.Point, error)
	Comparisons(ctx context.Context) ([]results.Comparison, error)
	ComparisonRuns(ctx context.Context, compID int64) ([]results.ComparisonRun, error)
	Searches(ctx context.Context) ([]results.Search, error)
	Generations(ctx context.Context, searchID int64) ([]results.Generation, error)
	Candidates(ctx context.Context, searchID int64) ([]results.Candidate, error)
}

// Options select what a report shows. The zero value shows everything.
type Options struct {
	// Comparisons limits the report to the comparisons of these ids, and
	// Searches to the searches of these names; nil means all. An id or a
	// name that is not in the database is an error wrapping
	// results.ErrNotFound.
	Comparisons []int64
	Searches    []string
	// Runs is how many runs the run list shows, newest first (default 50).
	Runs int
	// LatestRuns is how many of the newest runs get learning-curve
	// figures when the report shows no comparison (default 5).
	LatestRuns int
}

// Limits on the policy figures of one report.
const (
	maxPolicies = 12
	maxDiffs    = 8
)

// Figure sizes.
const (
	curveW, curveH = 7 * vg.Inch, 4.5 * vg.Inch
	finalW, finalH = 6.5 * vg.Inch, 4.5 * vg.Inch
)

// Summary says what Write wrote.
type Summary struct {
	// Index is the path of index.html.
	Index string
	// Figures are the base names of the figures in the output directory,
	// in page order; each is written as NAME.png and NAME.svg.
	Figures []string
	// Comparisons, Searches, Policies and Runs count what the page shows
	// (Runs: rows of the run list).
	Comparisons, Searches, Policies, Runs int
	// Warnings list what could not be drawn or read (a policy that does not
	// parse, a figure gonum/plot refused); the page lists them too.
	Warnings []string
}

// Write writes the report of the whole database into outDir (created if
// needed): every figure as PNG and SVG, and index.html. It is
// Options{}.Write.
func Write(ctx context.Context, st Store, outDir string) (Summary, error) {
	return Options{}.Write(ctx, st, outDir)
}

// Write writes the report selected by o into outDir (created if needed):
// for each comparison the learning curves (validation accuracy and loss)
// and the final accuracies per arm, for each search its fitness per
// generation, the policies (search results, static and learned tables of
// comparisons) as heat maps with their greedy actions and differences, the
// latest runs' curves when no comparison is shown, and index.html with the
// tables. An empty database gives a page that says how to fill it. Figures
// that cannot be drawn are skipped with a warning; errors reading the
// store or writing files are returned.
func (o Options) Write(ctx context.Context, st Store, outDir string) (Summary, error) {
	if o.Runs <= 0 {
		o.Runs = 50
	}
	if o.LatestRuns <= 0 {
		o.LatestRuns = 5
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return Summary{}, fmt.Errorf("report: %w", err)
	}
	r := &reporter{ctx: ctx, st: st, dir: outDir, opts: o, pols: map[string]int{}}
	r.page.Title = "synrl report"
	r.page.DB = st.Path()
	r.page.Generated = time.Now().UTC().Format("2006-01-02 15:04:05Z")
	if err := r.build(); err != nil {
		return Summary{}, err
	}
	index := filepath.Join(outDir, "index.html")
	if err := writeIndex(index, &r.page); err != nil {
		return Summary{}, err
	}
	r.sum.Index = index
	r.sum.Comparisons = len(r.page.Comparisons)
	r.sum.Searches = len(r.page.Searches)
	r.sum.Policies = len(r.page.Policies)
	r.sum.Runs = len(r.page.Runs)
	r.sum.Warnings = r.page.Warnings
	return r.sum, nil
}

// reporter holds the state of one Write.
type reporter struct {
	ctx  context.Context
	st   Store
	dir  string
	opts Options
	page page
	sum  Summary
	// pols indexes page.Policies by table hash, so that a table used in
	// several places is drawn once.
	pols  map[string]int
	diffs int
}

func (r *reporter) build() error {
	comps, err := r.comparisons()
	if err != nil {
		return err
	}
	searches, err := r.searches()
	if err != nil {
		return err
	}
	runs, err := r.st.Runs(r.ctx, results.RunFilter{Limit: r.opts.Runs})
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	r.page.Empty = len(comps) == 0 && len(searches) == 0 && len(runs) == 0
	if r.page.Empty {
		return nil
	}
	for _, s := range searches {
		if err := r.search(s); err != nil {
			return err
		}
	}
	for _, c := range comps {
		if err := r.comparison(c); err != nil {
			return err
		}
	}
	filtered := len(r.opts.Comparisons) > 0 || len(r.opts.Searches) > 0
	if len(comps) == 0 && !filtered && len(runs) > 0 {
		if err := r.latestRuns(runs); err != nil {
			return err
		}
	}
	for _, run := range runs {
		r.page.Runs = append(r.page.Runs, runRowOf(run))
	}
	r.greedyTable()
	return nil
}

// loadedComparison is a comparison with its arms.
type loadedComparison struct {
	results.Comparison
	arms []Arm
}

func (r *reporter) comparisons() ([]loadedComparison, error) {
	all, err := r.st.Comparisons(r.ctx)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	var cs []results.Comparison
	if len(r.opts.Comparisons) == 0 {
		cs = all
	} else {
		for _, id := range r.opts.Comparisons {
			found := false
			for _, c := range all {
				if c.ID == id {
					cs, found = append(cs, c), true
					break
				}
			}
			if !found {
				return nil, fmt.Errorf("report: comparison %d: %w", id, results.ErrNotFound)
			}
		}
	}
	var out []loadedComparison
	for _, c := range cs {
		crs, err := r.st.ComparisonRuns(r.ctx, c.ID)
		if err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		lc := loadedComparison{Comparison: c}
		index := map[string]int{}
		for _, cr := range crs {
			rc, err := r.runCurve(cr.RunID)
			if err != nil {
				return nil, err
			}
			i, ok := index[cr.Arm]
			if !ok {
				i = len(lc.arms)
				index[cr.Arm] = i
				lc.arms = append(lc.arms, Arm{Name: cr.Arm})
			}
			lc.arms[i].Runs = append(lc.arms[i].Runs, rc)
		}
		out = append(out, lc)
	}
	return out, nil
}

func (r *reporter) runCurve(id int64) (RunCurve, error) {
	run, err := r.st.Run(r.ctx, id)
	if err != nil {
		return RunCurve{}, fmt.Errorf("report: %w", err)
	}
	curve, err := r.st.Curve(r.ctx, id)
	if err != nil {
		return RunCurve{}, fmt.Errorf("report: %w", err)
	}
	return RunCurve{Run: run, Curve: curve}, nil
}

func (r *reporter) searches() ([]results.Search, error) {
	all, err := r.st.Searches(r.ctx)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if len(r.opts.Searches) == 0 {
		return all, nil
	}
	var out []results.Search
	for _, name := range r.opts.Searches {
		found := false
		for _, s := range all {
			if s.Name == name {
				out, found = append(out, s), true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("report: search %q: %w", name, results.ErrNotFound)
		}
	}
	return out, nil
}

// warnf records something the report could not show.
func (r *reporter) warnf(format string, args ...any) {
	r.page.Warnings = append(r.page.Warnings, fmt.Sprintf(format, args...))
}

// figure builds a plot and writes it as name.png and name.svg. A figure
// with nothing to draw is skipped (nil); one that fails to build or draw is
// skipped with a warning. Only context and file errors are returned.
func (r *reporter) figure(name, title string, w, h vg.Length, build func() (*plot.Plot, error)) (*figure, error) {
	if err := r.ctx.Err(); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	png, svg, err := render(w, h, build)
	if errors.Is(err, ErrNoData) {
		return nil, nil
	}
	if err != nil {
		r.warnf("figure %s (%s): %v", name, title, err)
		return nil, nil
	}
	for _, f := range []struct {
		ext string
		b   []byte
	}{{".png", png}, {".svg", svg}} {
		if err := os.WriteFile(filepath.Join(r.dir, name+f.ext), f.b, 0o644); err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
	}
	r.sum.Figures = append(r.sum.Figures, name)
	return &figure{Title: title, PNG: name + ".png", SVG: name + ".svg"}, nil
}

// render builds a plot and draws it as PNG and SVG. A panic inside
// gonum/plot becomes an error.
func render(w, h vg.Length, build func() (*plot.Plot, error)) (png, svg []byte, err error) {
	defer func() {
		if e := recover(); e != nil {
			err = fmt.Errorf("drawing failed: %v", e)
		}
	}()
	p, err := build()
	if err != nil {
		return nil, nil, err
	}
	var out [2]bytes.Buffer
	for i, format := range []string{"png", "svg"} {
		wt, err := p.WriterTo(w, h, format)
		if err != nil {
			return nil, nil, err
		}
		if _, err := wt.WriteTo(&out[i]); err != nil {
			return nil, nil, err
		}
	}
	return out[0].Bytes(), out[1].Bytes(), nil
}

// comparison adds a comparison's table and figures, and its policies.
func (r *reporter) comparison(c loadedComparison) error {
	title := fmt.Sprintf("comparison #%d", c.ID)
	if c.Name != "" {
		title += " " + c.Name
	}
	sec := compSection{
		ID: c.ID, Name: c.Name, Status: string(c.Status), Started: when(c.Started), Ended: when(c.Ended),
		Config: prettyJSON(c.Config), Anchor: fmt.Sprintf("comparison-%d", c.ID),
	}
	for _, a := range c.arms {
		st := statsOf(a)
		seeds := strconv.Itoa(st.Done)
		if st.Done != st.Runs {
			seeds = fmt.Sprintf("%d of %d done", st.Done, st.Runs)
		}
		sec.Arms = append(sec.Arms, armRow{
			Arm: a.Name, Seeds: seeds,
			ValAcc: spreadText(st.ValAcc, fixed), TestAcc: spreadText(st.TestAcc, fixed),
			ValLoss: spreadText(st.ValLoss, fixed), TestLoss: spreadText(st.TestLoss, fixed),
			Seconds: spreadText(st.Seconds, seconds), ItersPerSec: spreadText(st.ItersPerSec, num),
		})
		for _, run := range a.Runs {
			if run.Run.Status != results.StatusDone {
				note := fmt.Sprintf("arm %s: run #%d (seed %d) is %s", a.Name, run.Run.ID, run.Run.Seed, run.Run.Status)
				if run.Run.Error != "" {
					note += ": " + run.Run.Error
				}
				sec.Notes = append(sec.Notes, note)
			}
		}
	}
	base := fmt.Sprintf("comparison-%d", c.ID)
	for _, f := range []struct {
		suffix, metric string
	}{{"val-acc", MetricValAcc}, {"val-loss", MetricValLoss}} {
		fig, err := r.figure(base+"-"+f.suffix, title+": "+metricName(f.metric), curveW, curveH,
			func() (*plot.Plot, error) { return CurvesPlot(title, c.arms, f.metric) })
		if err != nil {
			return err
		}
		sec.add(fig)
	}
	fig, err := r.figure(base+"-final-acc", title+": final accuracy", finalW, finalH,
		func() (*plot.Plot, error) { return FinalAccuracyPlot(title, c.arms) })
	if err != nil {
		return err
	}
	sec.add(fig)
	r.page.Comparisons = append(r.page.Comparisons, sec)
	return r.comparisonPolicies(c, title, base)
}

// comparisonPolicies adds the static tables of a comparison's arms, the
// tables its adaptive arms learned (the lowest seed's), and the
// differences learned - start and learned - first static table.
func (r *reporter) comparisonPolicies(c loadedComparison, title, base string) error {
	var firstStatic *policies.Table
	var staticArm string
	type learned struct {
		arm         string
		seed        int64
		start, last *policies.Table
	}
	var learnt []learned
	for i, a := range c.arms {
		key := fmt.Sprintf("%s-arm%d", base, i+1)
		var static, start, last *policies.Table
		var seed int64
		distinct := map[string]bool{}
		for _, rc := range a.Runs {
			run := rc.Run
			if run.Trainer == "gd" || len(run.PolicyJSON) == 0 {
				continue
			}
			t, err := policies.Parse(run.PolicyJSON)
			if err != nil {
				r.warnf("%s arm %s: run #%d: policy: %v", title, a.Name, run.ID, err)
				continue
			}
			if !run.Adaptive {
				distinct[t.Hash()] = true
				if static == nil {
					static = t
					seed = run.Seed
				}
				continue
			}
			if last != nil || len(run.FinalPolicyJSON) == 0 {
				continue
			}
			f, err := policies.Parse(run.FinalPolicyJSON)
			if err != nil {
				r.warnf("%s arm %s: run #%d: final policy: %v", title, a.Name, run.ID, err)
				continue
			}
			start, last, seed = t, f, run.Seed
		}
		if static != nil {
			origin := fmt.Sprintf("%s, arm %s: static policy", title, a.Name)
			if len(distinct) > 1 {
				origin += fmt.Sprintf(" (its seeds used %d different tables; this is seed %d's)", len(distinct), seed)
			}
			if err := r.policy(key+"-static", label(a.Name, "static", static), origin, static); err != nil {
				return err
			}
			if firstStatic == nil {
				firstStatic, staticArm = static, a.Name
			}
		}
		if last != nil {
			origin := fmt.Sprintf("%s, arm %s: table learned by the run of seed %d", title, a.Name, seed)
			if err := r.policy(key+"-learned", fmt.Sprintf("%s: learned (seed %d)", a.Name, seed), origin, last); err != nil {
				return err
			}
			learnt = append(learnt, learned{a.Name, seed, start, last})
		}
	}
	for i, l := range learnt {
		key := fmt.Sprintf("%s-learned%d", base, i+1)
		if err := r.diff(key+"-minus-start", fmt.Sprintf("%s, arm %s (seed %d): learned − start", title, l.arm, l.seed),
			"learned", "start ("+nameOr(l.start, "start table")+")", l.last, l.start); err != nil {
			return err
		}
		if firstStatic != nil {
			if err := r.diff(key+"-minus-static", fmt.Sprintf("%s: learned (arm %s, seed %d) − static (arm %s)", title, l.arm, l.seed, staticArm),
				"learned ("+l.arm+")", "static ("+staticArm+")", l.last, firstStatic); err != nil {
				return err
			}
		}
	}
	return nil
}

func label(arm, kind string, t *policies.Table) string {
	if t.Name != "" && t.Name != arm {
		return fmt.Sprintf("%s: %s %s", arm, kind, t.Name)
	}
	return arm + ": " + kind
}

func nameOr(t *policies.Table, def string) string {
	if t != nil && t.Name != "" {
		return t.Name
	}
	return def
}

// search adds a search's table and figure, and its best policy.
func (r *reporter) search(s results.Search) error {
	gens, err := r.st.Generations(r.ctx, s.ID)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	cands, err := r.st.Candidates(r.ctx, s.ID)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	sec := searchSection{
		ID: s.ID, Name: s.Name, Method: s.Method, Status: string(s.Status), Started: when(s.Started),
		Ended: when(s.Ended), Wall: seconds(s.WallSeconds), BestFitness: num(s.BestFitness),
		Seed: s.Seed, Resumes: s.Resumes, Error: s.Error, Config: prettyJSON(s.Config),
		Anchor: fmt.Sprintf("search-%d", s.ID), Candidates: len(cands),
	}
	evals := 0
	for _, g := range gens {
		evals += g.Evaluations
		sec.Gens = append(sec.Gens, genRow{
			Gen: g.Generation, Best: num(g.Best), Mean: num(g.Mean), Std: num(g.Std),
			Evals: g.Evaluations, Wall: seconds(g.WallSeconds),
		})
	}
	sec.Evaluations = evals
	if len(s.HeldOutJSON) > 0 {
		if v, ok := viewJSON(s.HeldOutJSON); ok {
			sec.HeldOut = &v
		} else {
			sec.HeldOutRaw = string(s.HeldOutJSON)
		}
		if h, ok := heldOutScore(s.HeldOutJSON); ok {
			sec.HeldOutScore = num(h)
		}
	}
	base := fmt.Sprintf("search-%d", s.ID)
	fig, err := r.figure(base+"-fitness", fmt.Sprintf("search %s: fitness per generation", s.Name), curveW, curveH,
		func() (*plot.Plot, error) { return SearchPlot(s, gens, cands) })
	if err != nil {
		return err
	}
	sec.add(fig)
	r.page.Searches = append(r.page.Searches, sec)

	if len(s.BestPolicyJSON) == 0 {
		return nil
	}
	best, err := policies.Parse(s.BestPolicyJSON)
	if err != nil {
		r.warnf("search %s: best policy: %v", s.Name, err)
		return nil
	}
	if err := r.policy(base+"-best", "search "+s.Name+": best", "the result of search "+s.Name, best); err != nil {
		return err
	}
	// What the search changed: its result against the best candidate of
	// its first generation.
	first, gen := firstBest(cands)
	if first == nil {
		return nil
	}
	t, err := policies.Parse(first.PolicyJSON)
	if err != nil {
		r.warnf("search %s: candidate %d of generation %d: policy: %v", s.Name, first.Index, first.Generation, err)
		return nil
	}
	if t.Hash() == best.Hash() {
		return nil
	}
	return r.diff(base+"-best-minus-first", fmt.Sprintf("search %s: result − best of generation %d", s.Name, gen),
		"result", fmt.Sprintf("best of generation %d", gen), best, t)
}

// firstBest returns the candidate of the first generation with the highest
// finite fitness and a policy, or nil.
func firstBest(cands []results.Candidate) (*results.Candidate, int) {
	ok := func(c *results.Candidate) bool { return len(c.PolicyJSON) > 0 && finite(c.Fitness) }
	var best *results.Candidate
	for i := range cands {
		c := &cands[i]
		switch {
		case !ok(c):
		case best == nil || c.Generation < best.Generation:
			best = c
		case c.Generation == best.Generation && c.Fitness > best.Fitness:
			best = c
		}
	}
	if best == nil {
		return nil, 0
	}
	return best, best.Generation
}

// policy adds a policy section (heat map and greedy table), or, when the
// same table is already shown, the origin to its section.
func (r *reporter) policy(name, lbl, origin string, t *policies.Table) error {
	h := t.Hash()
	if i, ok := r.pols[h]; ok {
		r.page.Policies[i].Origins = append(r.page.Policies[i].Origins, origin)
		return nil
	}
	if len(r.page.Policies) >= maxPolicies {
		r.warnf("policy %s not shown: the report shows at most %d policies", lbl, maxPolicies)
		return nil
	}
	sec := policySection{
		Label: lbl, Name: t.Name, Origins: []string{origin}, History: t.History, Hash: h[:12],
		Anchor: "policy-" + name, Short: fmt.Sprintf("P%d", len(r.page.Policies)+1), table: t,
	}
	for s := range t.NumStates() {
		q := t.Row(s)
		sec.Rows = append(sec.Rows, qRow{
			State: s, Desc: policies.StateString(s, t.History),
			Dec: num(q[0]), Keep: num(q[1]), Inc: num(q[2]), Greedy: policies.ActionName(t.Greedy(s)),
		})
	}
	w, ht := PolicySize(t.History)
	fig, err := r.figure("policy-"+name, lbl, w, ht, func() (*plot.Plot, error) { return PolicyPlot(t, lbl) })
	if err != nil {
		return err
	}
	sec.Figure = fig
	r.pols[h] = len(r.page.Policies)
	r.page.Policies = append(r.page.Policies, sec)
	return nil
}

// diff adds the difference a - b of two policies.
func (r *reporter) diff(name, title, aName, bName string, a, b *policies.Table) error {
	if r.diffs >= maxDiffs {
		r.warnf("difference %s not shown: the report shows at most %d", title, maxDiffs)
		return nil
	}
	r.diffs++
	sec := diffSection{Title: title, A: aName, B: bName, States: a.NumStates(), Anchor: "diff-" + name}
	if a.History != b.History {
		sec.Note = fmt.Sprintf("not comparable: history %d vs %d", a.History, b.History)
		r.page.Diffs = append(r.page.Diffs, sec)
		return nil
	}
	differ := GreedyDiffs(a, b)
	sec.Count = len(differ)
	for _, s := range differ {
		qa, qb := a.Row(s), b.Row(s)
		sec.Rows = append(sec.Rows, diffRow{
			State: s, Desc: policies.StateString(s, a.History),
			GreedyA: policies.ActionName(a.Greedy(s)), GreedyB: policies.ActionName(b.Greedy(s)),
			DDec: num(qa[0] - qb[0]), DKeep: num(qa[1] - qb[1]), DInc: num(qa[2] - qb[2]),
		})
	}
	w, ht := PolicySize(a.History)
	fig, err := r.figure("diff-"+name, title, w, ht, func() (*plot.Plot, error) { return PolicyDiffPlot(a, b, title) })
	if err != nil {
		return err
	}
	sec.Figure = fig
	r.page.Diffs = append(r.page.Diffs, sec)
	return nil
}

// greedyTable lays the greedy actions of the shown policies side by side,
// for those of the most common history.
func (r *reporter) greedyTable() {
	count := map[int]int{}
	h := 0
	for _, p := range r.page.Policies {
		count[p.History]++
		if count[p.History] > count[h] {
			h = p.History
		}
	}
	var tabs []*policies.Table
	for _, p := range r.page.Policies {
		if p.History == h {
			tabs = append(tabs, p.table)
			r.page.GreedyCols = append(r.page.GreedyCols, greedyCol{Short: p.Short, Label: p.Label})
		}
	}
	if len(tabs) == 0 {
		return
	}
	for s := range policies.NumStates(h) {
		row := greedyRow{State: s, Desc: policies.StateString(s, h)}
		for i, t := range tabs {
			a := t.Greedy(s)
			row.Actions = append(row.Actions, policies.ActionName(a))
			if i > 0 && a != tabs[0].Greedy(s) {
				row.Mixed = true
			}
		}
		r.page.GreedyRows = append(r.page.GreedyRows, row)
	}
}

// latestRuns adds the curves of the newest runs (when no comparison is
// shown).
func (r *reporter) latestRuns(runs []results.Run) error {
	n := min(len(runs), r.opts.LatestRuns)
	var rcs []RunCurve
	for _, run := range runs[:n] {
		curve, err := r.st.Curve(r.ctx, run.ID)
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		rcs = append(rcs, RunCurve{Run: run, Curve: curve})
	}
	title := fmt.Sprintf("latest %s", plural(n, "run"))
	for _, f := range []struct {
		suffix, metric string
	}{{"val-acc", MetricValAcc}, {"val-loss", MetricValLoss}} {
		fig, err := r.figure("runs-latest-"+f.suffix, title+": "+metricName(f.metric), curveW, curveH,
			func() (*plot.Plot, error) { return RunsPlot(title, rcs, f.metric) })
		if err != nil {
			return err
		}
		if fig != nil {
			r.page.Standalone = append(r.page.Standalone, *fig)
		}
	}
	return nil
}

func runRowOf(run results.Run) runRow {
	adaptive := ""
	if run.Trainer != "gd" {
		adaptive = "static"
		if run.Adaptive {
			adaptive = "adaptive"
		}
	}
	iters := dash
	if run.Iters > 0 || run.Status != results.StatusRunning {
		iters = strconv.Itoa(run.Iters)
	}
	return runRow{
		ID: run.ID, Status: string(run.Status), Error: run.Error, Started: when(run.Started),
		Task: run.Task, Shape: run.Shape, Trainer: run.Trainer, Policy: run.Policy, Mode: adaptive,
		Seed: run.Seed, Iters: iters, ValAcc: fixed(run.ValAcc), TestAcc: fixed(run.TestAcc),
		ValLoss: fixed(run.ValLoss), Seconds: seconds(run.Seconds),
	}
}
