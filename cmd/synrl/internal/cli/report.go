package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/synrl/synrl/reports"
	"github.com/synrl/synrl/results"
)

func init() {
	register("report", "write figures and an HTML report from the database", cmdReport)
}

const reportHelp = `Write an HTML report of the database: index.html in --out with the
figures as PNG and SVG files beside it.

For each comparison: learning curves per arm (median over seeds with a band
from the lowest to the highest seed) of validation accuracy and loss, final
accuracy per arm with error bars, and the per-arm table. For each search:
best and mean fitness per generation, every candidate's fitness, the
held-out results. The policies (search results, static and learned tables of
comparisons) as heat maps with their greedy actions, and their differences.
Without comparisons, the curves of the latest runs. The newest runs.

Examples:
  synrl report
  synrl report --db runs.db --out report
  synrl report --comparison 3 --search mysearch`

// reportOptions are the flags of synrl report.
type reportOptions struct {
	db, out               string
	comparisons, searches string
	runs                  int
}

func cmdReport(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "report [flags]", reportHelp)
	var o reportOptions
	fs.StringVar(&o.db, "db", "synrl.db", "SQLite database file (must exist)")
	fs.StringVar(&o.out, "out", "report", "output directory (created if needed)")
	fs.StringVar(&o.comparisons, "comparison", "", "only these comparisons: IDs, comma-separated (default all)")
	fs.StringVar(&o.searches, "search", "", "only these searches: NAMEs, comma-separated (default all)")
	fs.IntVar(&o.runs, "runs", 50, "how many of the newest runs the run list shows")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	return runReport(ctx, env, o)
}

// runReport writes the report described by o.
func runReport(ctx context.Context, env *Env, o reportOptions) error {
	if o.runs < 1 {
		return usagef("--runs=%d: must be at least 1", o.runs)
	}
	opts := reports.Options{Runs: o.runs}
	for _, f := range splitReportList(o.comparisons) {
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil || id < 1 {
			return usagef("--comparison: %q is not a comparison id (a positive integer)", f)
		}
		opts.Comparisons = append(opts.Comparisons, id)
	}
	opts.Searches = splitReportList(o.searches)
	if o.out == "" {
		return usagef("--out: empty directory name")
	}
	// Opening a missing file would create an empty database: refuse instead.
	if info, err := os.Stat(o.db); err != nil {
		return usagef("--db %s: %v", o.db, err)
	} else if info.IsDir() {
		return usagef("--db %s: is a directory", o.db)
	}
	store, err := openStore(o.db)
	if err != nil {
		return err
	}
	defer store.Close()
	sum, err := opts.Write(ctx, store, o.out)
	if errors.Is(err, results.ErrNotFound) {
		return &UsageError{err}
	}
	if err != nil {
		return err
	}
	for _, w := range sum.Warnings {
		fmt.Fprintf(env.Stderr, "synrl report: warning: %s\n", w)
	}
	index := sum.Index
	if abs, err := filepath.Abs(index); err == nil {
		index = abs
	}
	fmt.Fprintf(env.Stdout, "%d figures, %d comparisons, %d searches, %d policies, %d runs listed\n",
		len(sum.Figures), sum.Comparisons, sum.Searches, sum.Policies, sum.Runs)
	fmt.Fprintf(env.Stdout, "report: %s\n", index)
	return nil
}

// splitReportList splits a comma-separated flag value, dropping empty items.
func splitReportList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
