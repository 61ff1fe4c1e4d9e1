package cli

import (
	"fmt"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress is a progress bar on stderr: a live bar on a terminal, and
// otherwise (env.LogProgress) a plain line every logEvery at most, so logs
// and CI output stay readable.
type progress struct {
	bar *progressbar.ProgressBar
	// Plain-line mode.
	env         *Env
	max         int
	title       string
	start, last time.Time
}

// logEvery is the least time between two plain progress lines.
const logEvery = 10 * time.Second

// newProgress starts a bar of max steps described by desc.
func newProgress(env *Env, max int, desc string) *progress {
	if !env.Progress {
		if env.LogProgress {
			now := time.Now()
			return &progress{env: env, max: max, title: desc, start: now, last: now}
		}
		return &progress{}
	}
	bar := progressbar.NewOptions(max,
		progressbar.OptionSetWriter(env.Stderr),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionSetWidth(30),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionShowDescriptionAtLineEnd(),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(env.Stderr) }),
	)
	return &progress{bar: bar}
}

// set moves the bar to n and replaces its description.
func (p *progress) set(n int, desc string) {
	if p.env != nil && (time.Since(p.last) >= logEvery || n == p.max) {
		p.last = time.Now()
		fmt.Fprintf(p.env.Stderr, "[%s] %s: %d/%d %s\n", time.Since(p.start).Round(time.Second), p.title, n, p.max, desc)
	}
	if p.bar == nil {
		return
	}
	p.bar.Describe(desc)
	_ = p.bar.Set(n)
}

// finish completes the bar.
func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

// stop leaves the bar where it is (on error or interrupt) and ends the line.
func (p *progress) stop() {
	if p.bar != nil {
		_ = p.bar.Exit()
	}
}
