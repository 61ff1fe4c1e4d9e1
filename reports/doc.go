// Package reports draws synrl's figures with gonum/plot and writes an HTML
// report of a results database.
//
// Each figure has its own function that takes plain data (query results of
// package results, policy tables of package policies) and returns a
// *plot.Plot, which the caller saves in any format gonum/plot knows:
//
//   - CurvesPlot: a learning curve per comparison arm, the median over seeds
//     with a band from the lowest to the highest seed;
//   - FinalAccuracyPlot: final validation and test accuracy per arm, mean ±
//     standard deviation over seeds, with every seed as a point;
//   - SearchPlot: best and mean fitness per generation of a search, every
//     candidate's fitness as a point and the held-out score when stored;
//   - PolicyPlot and PolicyDiffPlot: a Q table, or the difference of two,
//     as a heat map of states x actions with the greedy actions marked;
//   - RunsPlot: learning curves of single runs.
//
// Write reads a store, renders every figure as PNG and SVG and writes
// index.html, a self-contained page with the figures and tables computed
// from the stored runs. Nothing is drawn that is not in the database.
// Reports only read the store (see the Store interface).
package reports
