package meta

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
)

// WriteTable writes the comparison as an aligned text table: one row per
// arm with the mean ± standard deviation over seeds of the final
// validation and test accuracy (in %) and loss, wall seconds and
// iterations per second, and the paired difference of accuracies with the
// reference arm (mean ± standard error, in accuracy points).
func (r *CompareResult) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "comparison %d %q: %s %s, %d seeds, %s\n", r.ID, r.Name, r.Task, r.Shape, len(r.Seeds), r.Status)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "arm\truns\tval acc %\ttest acc %\tval loss\ttest loss\tseconds\tit/s\tΔ val acc\tΔ test acc")
	for _, a := range r.Arms {
		dv, dt := "(reference)", "(reference)"
		if a.ValAccDiff != nil {
			dv, dt = fmtDiff(*a.ValAccDiff), fmtDiff(*a.TestAccDiff)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Arm, a.Runs,
			fmtSpread(a.ValAcc.Scale(100), 2), fmtSpread(a.TestAcc.Scale(100), 2),
			fmtSpread(a.ValLoss, 4), fmtSpread(a.TestLoss, 4),
			fmtSpread(a.Seconds, 2), fmtSpread(a.ItersPerSec, 0), dv, dt)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(&b, "± is the standard deviation over seeds; Δ is the paired difference with %s on the same seed\n"+
		"(arm minus %s), mean ± standard error over seeds, in accuracy points.\n", r.Reference, r.Reference)
	_, err := io.WriteString(w, b.String())
	return err
}

// fmtSpread formats mean ± std with prec decimals ("-" without values,
// the mean alone when the spread is unknown).
func fmtSpread(s Spread, prec int) string {
	switch {
	case s.N == 0 || math.IsNaN(s.Mean):
		return "-"
	case math.IsNaN(s.Std):
		return fmt.Sprintf("%.*f", prec, s.Mean)
	}
	return fmt.Sprintf("%.*f ± %.*f", prec, s.Mean, prec, s.Std)
}

// fmtDiff formats a paired difference in points with its sign.
func fmtDiff(d PairedDiff) string {
	switch {
	case d.N == 0 || math.IsNaN(d.Mean):
		return "-"
	case math.IsNaN(d.SE):
		return fmt.Sprintf("%+.2f", d.Mean)
	}
	return fmt.Sprintf("%+.2f ± %.2f", d.Mean, d.SE)
}
