package inner

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// TaskKinds lists the task kinds ParseTask accepts, with their syntax.
var TaskKinds = []string{
	"boundary[:dims=D,classes=C,hidden=H,samples=N,seed=S]  synthetic decision boundary of a random teacher MLP",
	"mnist[:train=N,val=N,test=N]    MNIST from the GoMNIST Go module (module cache)",
	"fashion[:train=N,val=N,test=N]  Fashion-MNIST from Debian's dataset-fashion-mnist",
	"idx:DIR     IDX files (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-...)",
	"folder:DIR  one sub-folder of same-size grayscale images (PNG, JPEG, GIF) per class",
	"csv:FILE    one sample per line, label (integer) first, then the features",
}

// TaskSpec is a parsed task specification such as "boundary:dims=4,classes=3"
// or "folder:/data/notMNIST_small".
type TaskSpec struct {
	// Kind is boundary, mnist, fashion, idx, folder or csv.
	Kind string
	// Path is the directory or file of idx, folder and csv tasks.
	Path string
	// Opts holds key=value options of boundary, mnist and fashion tasks.
	Opts map[string]string
}

// String returns the specification in the form ParseTask reads.
func (t TaskSpec) String() string {
	if t.Path != "" {
		return t.Kind + ":" + t.Path
	}
	if len(t.Opts) == 0 {
		return t.Kind
	}
	keys := make([]string, 0, len(t.Opts))
	for k := range t.Opts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + t.Opts[k]
	}
	return t.Kind + ":" + strings.Join(parts, ",")
}

// taskOptions lists the options each optioned kind accepts.
var taskOptions = map[string][]string{
	"boundary": {"dims", "classes", "hidden", "samples", "seed"},
	"mnist":    {"train", "val", "test"},
	"fashion":  {"train", "val", "test"},
}

// ParseTask parses a task specification. Errors say what is wrong and what
// is accepted.
func ParseTask(s string) (TaskSpec, error) {
	kind, rest, hasRest := strings.Cut(strings.TrimSpace(s), ":")
	switch kind {
	case "idx", "folder", "csv":
		if !hasRest || rest == "" {
			return TaskSpec{}, fmt.Errorf("task %q: %s needs a path (%s:PATH)", s, kind, kind)
		}
		return TaskSpec{Kind: kind, Path: rest}, nil
	case "boundary", "mnist", "fashion":
	default:
		return TaskSpec{}, fmt.Errorf("unknown task %q (known: boundary, mnist, fashion, idx:DIR, folder:DIR, csv:FILE)", s)
	}
	spec := TaskSpec{Kind: kind, Opts: map[string]string{}}
	if !hasRest || rest == "" {
		return spec, nil
	}
	allowed := taskOptions[kind]
	for _, kv := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" || v == "" {
			return TaskSpec{}, fmt.Errorf("task %q: option %q is not key=value", s, kv)
		}
		known := false
		for _, a := range allowed {
			known = known || a == k
		}
		if !known {
			return TaskSpec{}, fmt.Errorf("task %q: unknown option %q (%s takes %s)", s, k, kind, strings.Join(allowed, ", "))
		}
		if _, dup := spec.Opts[k]; dup {
			return TaskSpec{}, fmt.Errorf("task %q: option %q given twice", s, k)
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || (n == 0 && k != "seed") {
			return TaskSpec{}, fmt.Errorf("task %q: option %s=%s is not a positive integer", s, k, v)
		}
		spec.Opts[k] = v
	}
	return spec, nil
}

// intOpt returns option k as an int, or def when absent. ParseTask has
// already checked that present options are integers.
func (t TaskSpec) intOpt(k string, def int) int {
	v, ok := t.Opts[k]
	if !ok {
		return def
	}
	n, _ := strconv.Atoi(v)
	return n
}

// Loader loads tasks, caching the files it has parsed so that many runs on
// one data set read it once. It is safe for concurrent use.
type Loader struct {
	mu    sync.Mutex
	files map[string]*fileEntry
}

type fileEntry struct {
	once sync.Once
	sets []*Dataset
	err  error
}

// NewLoader returns a Loader with an empty cache.
func NewLoader() *Loader { return &Loader{files: map[string]*fileEntry{}} }

// cached runs read once per key and returns its result to every caller.
func (l *Loader) cached(key string, read func() ([]*Dataset, error)) ([]*Dataset, error) {
	l.mu.Lock()
	e, ok := l.files[key]
	if !ok {
		e = &fileEntry{}
		l.files[key] = e
	}
	l.mu.Unlock()
	e.once.Do(func() { e.sets, e.err = read() })
	return e.sets, e.err
}

// Load returns the task's data split into train, validation and test sets.
// The split is a deterministic function of seed.
func (l *Loader) Load(spec TaskSpec, seed uint64) (*Data, error) {
	var (
		d   *Data
		err error
	)
	switch spec.Kind {
	case "boundary":
		var p BoundaryParams
		p, err = boundaryParams(spec)
		if err == nil {
			d, err = p.Data(seed)
		}
	case "mnist":
		d, err = l.loadMNIST(spec, seed)
	case "fashion":
		d, err = l.loadFashion(spec, seed)
	case "idx":
		d, err = l.loadIDXDir(spec, seed)
	case "folder":
		d, err = l.loadFolder(spec, seed)
	case "csv":
		d, err = l.loadCSV(spec, seed)
	default:
		err = fmt.Errorf("unknown task kind %q", spec.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("task %s: %w", spec, err)
	}
	d.Name = spec.String()
	return d, nil
}
