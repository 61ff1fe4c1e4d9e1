package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/synrl/synrl/results"
)

func init() {
	register("runs", "list, show and export logged runs and their curves", cmdRuns)
}

const runsHelp = `List, show and export the runs in the database.

  synrl runs list [--status S] [--trainer T] [--task T] [--limit N] [--json]
  synrl runs show ID [--json]            configuration, metrics and curve
  synrl runs export ID [--out FILE]      the curve as CSV (step,metric,value)

The database is plain SQLite: sqlite3 synrl.db "select id, status, val_acc
from runs" works too (tables runs, curves, searches, generations,
candidates, comparisons).`

func cmdRuns(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "runs list|show|export [flags] [ID]", runsHelp)
	dbPath := fs.String("db", "synrl.db", "SQLite database file")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	status := fs.String("status", "", "list: only runs with this status (running, done, failed, interrupted)")
	trainer := fs.String("trainer", "", "list: only this trainer (synaptic or gd)")
	task := fs.String("task", "", "list: only this task (boundary matches boundary:...)")
	limit := fs.Int("limit", 50, "list: at most this many runs, newest first (0: all)")
	out := fs.String("out", "", "export: write the CSV here instead of stdout")
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		fs.Usage()
		return usagef("missing subcommand: list, show or export")
	}
	if _, err := os.Stat(*dbPath); err != nil {
		return usagef("--db %s: %v", *dbPath, err)
	}
	store, err := openStore(*dbPath)
	if err != nil {
		return err
	}
	defer store.Close()
	runID := func() (int64, error) {
		if len(rest) != 2 {
			return 0, usagef("usage: synrl runs %s ID", rest[0])
		}
		id, err := strconv.ParseInt(rest[1], 10, 64)
		if err != nil {
			return 0, usagef("run id %q is not a number", rest[1])
		}
		return id, nil
	}
	getRun := func() (results.Run, error) {
		id, err := runID()
		if err != nil {
			return results.Run{}, err
		}
		r, err := store.Run(ctx, id)
		if errors.Is(err, results.ErrNotFound) {
			return r, usagef("no run %d in %s", id, *dbPath)
		}
		return r, err
	}
	getRunCurve := func() (results.Run, []results.Point, error) {
		r, err := getRun()
		if err != nil {
			return r, nil, err
		}
		curve, err := store.Curve(ctx, r.ID)
		if err != nil && !errors.Is(err, results.ErrNotFound) {
			return r, nil, err
		}
		return r, curve, nil
	}
	switch rest[0] {
	case "list":
		if len(rest) != 1 {
			return usagef("usage: synrl runs list [flags]")
		}
		runs, err := store.Runs(ctx, results.RunFilter{Status: *status, Trainer: *trainer, Task: *task, Limit: *limit})
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(env, runsJSON(runs))
		}
		w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tSTATUS\tTASK\tSHAPE\tTRAINER\tPOLICY\tSEED\tSTEPS\tSTEPS/S\tVAL ACC\tTEST ACC\tSTARTED")
		for _, r := range runs {
			pol := r.Policy
			if r.Trainer == "gd" {
				pol = fmt.Sprint(r.Params["optimizer"])
			} else if r.Adaptive {
				pol += " (adaptive)"
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\n", r.ID, r.Status, r.Task, r.Shape, r.Trainer, pol, r.Seed,
				r.Iters, num0(r.ItersPerSec), num4(r.ValAcc), num4(r.TestAcc), r.Started.Local().Format(time.DateTime))
		}
		return w.Flush()
	case "show":
		r, curve, err := getRunCurve()
		if err != nil {
			return err
		}
		if *asJSON {
			m := runsJSON([]results.Run{r})[0]
			m["curve"] = curve
			return writeJSON(env, m)
		}
		showRun(env, r, curve)
		return nil
	case "export":
		r, curve, err := getRunCurve()
		if err != nil {
			return err
		}
		w := env.Stdout
		var f *os.File
		if *out != "" {
			if f, err = os.Create(*out); err != nil {
				return usagef("--out: %v", err)
			}
			w = f
		}
		cw := csv.NewWriter(w)
		cw.Write([]string{"run_id", "step", "metric", "value"})
		for _, p := range curve {
			cw.Write([]string{strconv.FormatInt(r.ID, 10), strconv.Itoa(p.Step), p.Metric, strconv.FormatFloat(p.Value, 'g', -1, 64)})
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		if f != nil {
			if err := f.Close(); err != nil {
				return fmt.Errorf("--out %s: %w", *out, err)
			}
			fmt.Fprintf(env.Stderr, "wrote %d points to %s\n", len(curve), *out)
		}
		return nil
	}
	return usagef("unknown runs subcommand %q (want list, show or export)", rest[0])
}

func showRun(env *Env, r results.Run, curve []results.Point) {
	w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "run\t%d\n", r.ID)
	fmt.Fprintf(w, "status\t%s\n", r.Status)
	if r.Error != "" {
		fmt.Fprintf(w, "error\t%s\n", r.Error)
	}
	fmt.Fprintf(w, "task\t%s\nnetwork\t%s %s\ntrainer\t%s\n", r.Task, r.Shape, r.Activation, r.Trainer)
	if r.Trainer == "synaptic" {
		fmt.Fprintf(w, "policy\t%s (adaptive: %v)\n", r.Policy, r.Adaptive)
	}
	fmt.Fprintf(w, "seed\t%d\n", r.Seed)
	keys := make([]string, 0, len(r.Params))
	for k := range r.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  %s\t%v\n", k, r.Params[k])
	}
	fmt.Fprintf(w, "started\t%s\n", r.Started.Local().Format(time.DateTime))
	if !r.Ended.IsZero() {
		fmt.Fprintf(w, "ended\t%s\n", r.Ended.Local().Format(time.DateTime))
	}
	fmt.Fprintf(w, "steps\t%d in %.2fs (%s steps/s)\n", r.Iters, r.Seconds, num0(r.ItersPerSec))
	fmt.Fprintf(w, "train\tloss %s  acc %s\n", num4(r.TrainLoss), num4(r.TrainAcc))
	fmt.Fprintf(w, "validation\tloss %s  acc %s\n", num4(r.ValLoss), num4(r.ValAcc))
	fmt.Fprintf(w, "test\tloss %s  acc %s\n", num4(r.TestLoss), num4(r.TestAcc))
	fmt.Fprintf(w, "version\t%s\ncommand\t%s\n", r.Version, r.Command)
	w.Flush()
	if len(curve) == 0 {
		return
	}
	// The curve as a table: one row per step, one column per metric.
	metrics := []string{}
	bystep := map[int]map[string]float64{}
	for _, p := range curve {
		if bystep[p.Step] == nil {
			bystep[p.Step] = map[string]float64{}
		}
		if _, ok := bystep[p.Step][p.Metric]; !ok && !containsStr(metrics, p.Metric) {
			metrics = append(metrics, p.Metric)
		}
		bystep[p.Step][p.Metric] = p.Value
	}
	steps := make([]int, 0, len(bystep))
	for s := range bystep {
		steps = append(steps, s)
	}
	sort.Ints(steps)
	fmt.Fprintln(env.Stdout, "\ncurve:")
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "step\t")
	for _, m := range metrics {
		fmt.Fprint(tw, m, "\t")
	}
	fmt.Fprintln(tw)
	for _, s := range steps {
		fmt.Fprintf(tw, "%d\t", s)
		for _, m := range metrics {
			if v, ok := bystep[s][m]; ok {
				fmt.Fprintf(tw, "%.4f\t", v)
			} else {
				fmt.Fprint(tw, "\t")
			}
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

func containsStr(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func runsJSON(runs []results.Run) []map[string]any {
	out := make([]map[string]any, len(runs))
	for i, r := range runs {
		m := map[string]any{
			"run_id": r.ID, "status": r.Status, "error": r.Error, "task": r.Task, "shape": r.Shape,
			"activation": r.Activation, "trainer": r.Trainer, "policy": r.Policy, "adaptive": r.Adaptive,
			"seed": r.Seed, "params": r.Params, "iters": r.Iters, "seconds": jnum(r.Seconds),
			"iters_per_sec": jnum(r.ItersPerSec), "train_loss": jnum(r.TrainLoss), "train_acc": jnum(r.TrainAcc),
			"val_loss": jnum(r.ValLoss), "val_acc": jnum(r.ValAcc), "test_loss": jnum(r.TestLoss), "test_acc": jnum(r.TestAcc),
			"started": r.Started, "version": r.Version, "command": r.Command,
		}
		if !r.Ended.IsZero() {
			m["ended"] = r.Ended
		}
		out[i] = m
	}
	return out
}

// jnum maps NaN (unknown) to null for JSON.
func jnum(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return v
}

func num4(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', 4, 64)
}

func num0(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

func writeJSON(env *Env, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, string(b))
	return nil
}
