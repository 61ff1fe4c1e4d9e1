package reports

import (
	"bytes"
	"fmt"
	"html/template"
	"os"
	"path/filepath"

	"github.com/synrl/synrl/policies"
)

// page is what index.html shows; every number in it is formatted from the
// database by the reporter.
type page struct {
	Title, DB, Generated string
	Empty                bool
	Comparisons          []compSection
	Searches             []searchSection
	Policies             []policySection
	GreedyCols           []greedyCol
	GreedyRows           []greedyRow
	Diffs                []diffSection
	Standalone           []figure
	Runs                 []runRow
	Warnings             []string
}

type figure struct {
	Title, PNG, SVG string
}

// figured is a section with figures.
type figured struct {
	Figures []figure
}

// add appends fig unless it is nil (a figure with nothing to draw).
func (f *figured) add(fig *figure) {
	if fig != nil {
		f.Figures = append(f.Figures, *fig)
	}
}

type compSection struct {
	figured
	ID                                           int64
	Name, Status, Started, Ended, Config, Anchor string
	Arms                                         []armRow
	Notes                                        []string
}

type armRow struct {
	Arm, Seeds, ValAcc, TestAcc, ValLoss, TestLoss, Seconds, ItersPerSec string
}

type searchSection struct {
	figured
	ID                                                 int64
	Name, Method, Status, Started, Ended, Wall, Anchor string
	BestFitness, Error, Config                         string
	Seed                                               int64
	Resumes, Evaluations, Candidates                   int
	Gens                                               []genRow
	HeldOut                                            *jsonView
	HeldOutRaw, HeldOutScore                           string
}

type genRow struct {
	Gen                   int
	Best, Mean, Std, Wall string
	Evals                 int
}

type policySection struct {
	Label, Name, Hash, Anchor, Short string
	Origins                          []string
	History                          int
	Figure                           *figure
	Rows                             []qRow
	table                            *policies.Table
}

type qRow struct {
	State                        int
	Desc, Dec, Keep, Inc, Greedy string
}

type greedyCol struct{ Short, Label string }

type greedyRow struct {
	State   int
	Desc    string
	Actions []string
	Mixed   bool
}

type diffSection struct {
	Title, A, B, Anchor, Note string
	Count, States             int
	Figure                    *figure
	Rows                      []diffRow
}

type diffRow struct {
	State                                     int
	Desc, GreedyA, GreedyB, DDec, DKeep, DInc string
}

type runRow struct {
	ID                                                   int64
	Status, Error, Started, Task, Shape, Trainer, Policy string
	Mode, Iters, ValAcc, TestAcc, ValLoss, Seconds       string
	Seed                                                 int64
}

// writeIndex renders the page to path, through a temporary file renamed
// into place so that a reader never sees half a page.
func writeIndex(path string, p *page) error {
	var buf bytes.Buffer
	if err := indexTemplate().Execute(&buf, p); err != nil {
		return fmt.Errorf("report: %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".index-*.html")
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	_, err = tmp.Write(buf.Bytes())
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("report: %s: %w", path, err)
	}
	return nil
}

func indexTemplate() *template.Template {
	return template.Must(template.New("index").Parse(indexHTML))
}

const indexHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0 auto; max-width: 1150px; padding: 0 1.2em 3em; color: #222; line-height: 1.4; }
h1 { margin-top: 1em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; } h3 { margin-top: 1.5em; }
table { border-collapse: collapse; margin: .6em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: .25em .55em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.mixed td { background: #fff4d6; }
.figs { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: .5em 0; } figure img { max-width: 100%; border: 1px solid #ddd; }
figure.policy img { width: 560px; }
figcaption { font-size: .85em; color: #555; }
.meta { color: #555; font-size: .9em; }
.note { color: #7a4b00; }
.empty { background: #f6f6f6; padding: 1em 1.5em; border-left: 4px solid #999; }
pre, code { background: #f6f6f6; font-size: .9em; } pre { padding: .6em; overflow-x: auto; }
nav a { margin-right: 1em; }
details { margin: .5em 0; } summary { cursor: pointer; color: #1a5fb4; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="meta">Database <code>{{.DB}}</code> · written {{.Generated}}</p>
{{if .Empty}}
<div class="empty">
<p><strong>Nothing here yet:</strong> this database holds no runs, comparisons or searches.</p>
<p>Train a network to make a first run, then write the report again:</p>
<pre>synrl train --task boundary --db {{.DB}}
synrl report --db {{.DB}}</pre>
<p><code>synrl compare --help</code> and <code>synrl search --help</code> describe comparisons
(adaptive vs static policies vs gradient descent over seeds) and policy searches, which get their own figures.</p>
</div>
{{else}}
<nav>{{if .Comparisons}}<a href="#comparisons">Comparisons</a>{{end}}{{if .Searches}}<a href="#searches">Searches</a>{{end}}{{if .Policies}}<a href="#policies">Policies</a>{{end}}{{if .Diffs}}<a href="#diffs">Policy differences</a>{{end}}{{if .Standalone}}<a href="#latest">Latest runs</a>{{end}}<a href="#runs">Runs</a>{{if .Warnings}}<a href="#warnings">Warnings</a>{{end}}</nav>

{{if .Comparisons}}
<h2 id="comparisons">Comparisons</h2>
<p class="meta">Numbers are computed from each arm's finished runs (status done): mean ± sample standard
deviation (n − 1) over seeds of the final metrics. Curves: per arm, the steps every seed recorded; the line
is the median over seeds, the band spans the lowest to the highest seed.</p>
{{range .Comparisons}}
<h3 id="{{.Anchor}}">Comparison #{{.ID}}{{if .Name}} {{.Name}}{{end}}</h3>
<p class="meta">status {{.Status}} · started {{.Started}} · ended {{.Ended}}</p>
<table>
<tr><th>arm</th><th>seeds</th><th>val accuracy</th><th>test accuracy</th><th>val loss</th><th>test loss</th><th>wall time</th><th>iterations/s</th></tr>
{{range .Arms}}<tr><td>{{.Arm}}</td><td class="n">{{.Seeds}}</td><td class="n">{{.ValAcc}}</td><td class="n">{{.TestAcc}}</td><td class="n">{{.ValLoss}}</td><td class="n">{{.TestLoss}}</td><td class="n">{{.Seconds}}</td><td class="n">{{.ItersPerSec}}</td></tr>
{{end}}</table>
{{range .Notes}}<p class="note">{{.}}</p>{{end}}
{{template "figs" .Figures}}
{{if .Config}}<details><summary>configuration</summary><pre>{{.Config}}</pre></details>{{end}}
{{end}}
{{end}}

{{if .Searches}}
<h2 id="searches">Searches</h2>
{{range .Searches}}
<h3 id="{{.Anchor}}">Search {{.Name}} ({{.Method}})</h3>
<p class="meta">status {{.Status}} · seed {{.Seed}} · started {{.Started}} · ended {{.Ended}} · wall time {{.Wall}}{{if .Resumes}} · resumed {{.Resumes}}×{{end}}</p>
{{if .Error}}<p class="note">error: {{.Error}}</p>{{end}}
<table>
<tr><th>best fitness</th><th>generations</th><th>evaluations</th><th>candidates stored</th><th>held-out score of the result</th></tr>
<tr><td class="n">{{.BestFitness}}</td><td class="n">{{len .Gens}}</td><td class="n">{{.Evaluations}}</td><td class="n">{{.Candidates}}</td><td class="n">{{if .HeldOutScore}}{{.HeldOutScore}}{{else}}—{{end}}</td></tr>
</table>
{{template "figs" .Figures}}
{{if .Gens}}<details{{if le (len .Gens) 12}} open{{end}}><summary>generations</summary>
<table>
<tr><th>generation</th><th>best</th><th>mean</th><th>std</th><th>evaluations</th><th>wall time</th></tr>
{{range .Gens}}<tr><td class="n">{{.Gen}}</td><td class="n">{{.Best}}</td><td class="n">{{.Mean}}</td><td class="n">{{.Std}}</td><td class="n">{{.Evals}}</td><td class="n">{{.Wall}}</td></tr>
{{end}}</table></details>{{end}}
{{if .HeldOut}}<h4>Held-out results</h4>{{template "json" .HeldOut}}{{else if .HeldOutRaw}}<h4>Held-out results</h4><pre>{{.HeldOutRaw}}</pre>{{end}}
{{if .Config}}<details><summary>configuration</summary><pre>{{.Config}}</pre></details>{{end}}
{{end}}
{{end}}

{{if .Policies}}
<h2 id="policies">Policies</h2>
<p class="meta">Heat maps of Q tables: states (last actions a and rewards r, most recent first; reward − penalised,
0 none yet, + rewarded) by action. Dots mark the greedy action (ties to the lowest action).</p>
{{range .Policies}}
<h3 id="{{.Anchor}}">{{.Short}}: {{.Label}}</h3>
<p class="meta">{{if .Name}}name {{.Name}} · {{end}}history {{.History}} · hash {{.Hash}}</p>
<ul>{{range .Origins}}<li>{{.}}</li>{{end}}</ul>
{{with .Figure}}<figure class="policy"><a href="{{.SVG}}"><img src="{{.PNG}}" alt="{{.Title}}"></a><figcaption>{{.Title}} · <a href="{{.SVG}}">SVG</a></figcaption></figure>{{end}}
<details><summary>Q table and greedy actions</summary>
<table>
<tr><th>state</th><th>last actions / rewards</th><th>Q dec</th><th>Q keep</th><th>Q inc</th><th>greedy</th></tr>
{{range .Rows}}<tr><td class="n">{{.State}}</td><td>{{.Desc}}</td><td class="n">{{.Dec}}</td><td class="n">{{.Keep}}</td><td class="n">{{.Inc}}</td><td>{{.Greedy}}</td></tr>
{{end}}</table></details>
{{end}}
{{if .GreedyRows}}
<h3>Greedy actions side by side</h3>
<p class="meta">{{range .GreedyCols}}{{.Short}} = {{.Label}}; {{end}} highlighted rows: the policies disagree.</p>
<details><summary>table ({{len .GreedyRows}} states)</summary>
<table>
<tr><th>state</th><th>last actions / rewards</th>{{range .GreedyCols}}<th>{{.Short}}</th>{{end}}</tr>
{{range .GreedyRows}}<tr{{if .Mixed}} class="mixed"{{end}}><td class="n">{{.State}}</td><td>{{.Desc}}</td>{{range .Actions}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table></details>
{{end}}
{{end}}

{{if .Diffs}}
<h2 id="diffs">Policy differences</h2>
{{range .Diffs}}
<h3 id="{{.Anchor}}">{{.Title}}</h3>
<p class="meta">a = {{.A}}, b = {{.B}}{{if not .Note}} · greedy action differs in {{.Count}} of {{.States}} states{{end}}</p>
{{if .Note}}<p class="note">{{.Note}}</p>{{end}}
{{with .Figure}}<figure class="policy"><a href="{{.SVG}}"><img src="{{.PNG}}" alt="{{.Title}}"></a><figcaption>{{.Title}} · <a href="{{.SVG}}">SVG</a></figcaption></figure>{{end}}
{{if .Rows}}<details><summary>states whose greedy action differs</summary>
<table>
<tr><th>state</th><th>last actions / rewards</th><th>greedy a</th><th>greedy b</th><th>ΔQ dec</th><th>ΔQ keep</th><th>ΔQ inc</th></tr>
{{range .Rows}}<tr><td class="n">{{.State}}</td><td>{{.Desc}}</td><td>{{.GreedyA}}</td><td>{{.GreedyB}}</td><td class="n">{{.DDec}}</td><td class="n">{{.DKeep}}</td><td class="n">{{.DInc}}</td></tr>
{{end}}</table></details>{{end}}
{{end}}
{{end}}

{{if .Standalone}}
<h2 id="latest">Latest runs</h2>
{{template "figs" .Standalone}}
{{end}}

<h2 id="runs">Runs</h2>
{{if .Runs}}
<p class="meta">The {{len .Runs}} newest runs.</p>
<table>
<tr><th>id</th><th>status</th><th>started</th><th>task</th><th>shape</th><th>trainer</th><th>policy</th><th>mode</th><th>seed</th><th>iterations</th><th>val acc</th><th>test acc</th><th>val loss</th><th>wall time</th></tr>
{{range .Runs}}<tr><td class="n">{{.ID}}</td><td{{if .Error}} title="{{.Error}}"{{end}}>{{.Status}}</td><td>{{.Started}}</td><td>{{.Task}}</td><td>{{.Shape}}</td><td>{{.Trainer}}</td><td>{{.Policy}}</td><td>{{.Mode}}</td><td class="n">{{.Seed}}</td><td class="n">{{.Iters}}</td><td class="n">{{.ValAcc}}</td><td class="n">{{.TestAcc}}</td><td class="n">{{.ValLoss}}</td><td class="n">{{.Seconds}}</td></tr>
{{end}}</table>
{{else}}<p>No runs.</p>{{end}}

{{if .Warnings}}
<h2 id="warnings">Warnings</h2>
<ul>{{range .Warnings}}<li>{{.}}</li>{{end}}</ul>
{{end}}
{{end}}
</body>
</html>
{{define "figs"}}{{if .}}<div class="figs">{{range .}}<figure><a href="{{.SVG}}"><img src="{{.PNG}}" alt="{{.Title}}"></a><figcaption>{{.Title}} · <a href="{{.SVG}}">SVG</a></figcaption></figure>{{end}}</div>{{end}}{{end}}
{{define "json"}}{{if .KV}}<table>{{range .KV}}<tr><th>{{.Key}}</th><td>{{template "json" .Value}}</td></tr>{{end}}</table>{{else if .Table}}<table><tr>{{range .Table.Columns}}<th>{{.}}</th>{{end}}</tr>{{range .Table.Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</table>{{else}}{{.Text}}{{end}}{{end}}
`
