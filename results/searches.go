package results

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Search is an outer-loop search over policies.
type Search struct {
	ID      int64
	Name    string // unique
	Method  string // e.g. "ga", "cmaes", "qlearning", "random"
	Config  []byte // JSON, normalised: compact with sorted keys
	Seed    int64
	Status  Status
	Version string    // program version of the latest start or resume
	Started time.Time // first start, UTC
	Ended   time.Time // end of the latest session; zero while running
	// WallSeconds is the time spent in the sessions closed by FinishSearch
	// (a session is a start or a resume).
	WallSeconds    float64
	Resumes        int     // how many times StartSearch resumed it
	BestFitness    float64 // NaN until finished
	BestPolicyJSON []byte
	HeldOutJSON    []byte // results on held-out tasks
	Error          string
}

// Candidate is one policy evaluated in a generation of a search.
type Candidate struct {
	SearchID    int64
	Generation  int
	Index       int
	Hash        string // policy hash, the fitness cache key
	PolicyJSON  []byte
	Fitness     float64 // NaN is stored as NULL and read back as NaN
	ScoresJSON  []byte  // per-task scores
	WallSeconds float64
	Cached      bool // fitness came from the fitness cache
}

// Generation is the summary of one generation (or iteration) of a search.
type Generation struct {
	SearchID    int64
	Generation  int
	Best        float64
	Mean        float64
	Std         float64
	Evaluations int
	WallSeconds float64
	StateJSON   []byte    // method state, for resuming
	Version     string    // program version; SaveGeneration takes the search's when empty
	At          time.Time // when it was saved; SaveGeneration uses the current time when zero
}

// StartSearch creates the search called name, or, if it exists, resumes it:
// it returns the search with resumed=true when its method, seed and
// configuration (compared after JSON normalisation) match, after setting its
// status back to running and its version to version. Otherwise it returns an
// error wrapping ErrConfigMismatch whose message lists what differs: method,
// seed and the top-level JSON keys of the configuration, old and new values.
// config must be JSON; empty means {}.
func (s *Store) StartSearch(ctx context.Context, name, method string, config []byte, seed int64, version string) (Search, bool, error) {
	norm, err := normalizeJSON(config)
	if err != nil {
		return Search{}, false, fmt.Errorf("start search %q: config: %w", name, err)
	}
	var id int64
	var resumed bool
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		old, err := scanSearch(tx.QueryRowContext(ctx, "SELECT "+searchColumns+" FROM searches WHERE name = ?", name))
		now := formatTime(s.now())
		switch {
		case errors.Is(err, sql.ErrNoRows):
			res, err := tx.ExecContext(ctx, `INSERT INTO searches
				(name, method, config_json, seed, status, version, started_at, session_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				name, method, string(norm), seed, StatusRunning, version, now, now)
			if err != nil {
				return err
			}
			id, err = res.LastInsertId()
			return err
		case err != nil:
			return err
		}
		if diffs := searchDiffs(old, method, norm, seed); len(diffs) > 0 {
			return fmt.Errorf("%w: %s", ErrConfigMismatch, strings.Join(diffs, "; "))
		}
		id, resumed = old.ID, true
		_, err = tx.ExecContext(ctx, `UPDATE searches SET status = ?, version = ?, session_at = ?,
			ended_at = NULL, error = '', resumes = resumes + 1 WHERE id = ?`,
			StatusRunning, version, now, id)
		return err
	})
	if err != nil {
		return Search{}, false, fmt.Errorf("start search %q: %w", name, err)
	}
	sr, err := s.Search(ctx, id)
	return sr, resumed, err
}

// normalizeJSON returns b compact, with object keys sorted and numbers as
// written; empty input is {}.
func normalizeJSON(b []byte) ([]byte, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return []byte("{}"), nil
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, errors.New("trailing data after the JSON value")
	}
	return canonical(v)
}

// canonical encodes a value decoded with UseNumber: sorted keys, no HTML
// escaping, no trailing newline.
func canonical(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// searchDiffs lists what differs between a stored search and a new start.
func searchDiffs(old Search, method string, config []byte, seed int64) []string {
	var diffs []string
	if old.Method != method {
		diffs = append(diffs, fmt.Sprintf("method: old %q new %q", old.Method, method))
	}
	if old.Seed != seed {
		diffs = append(diffs, fmt.Sprintf("seed: old %d new %d", old.Seed, seed))
	}
	if bytes.Equal(old.Config, config) {
		return diffs
	}
	oldObj, okOld := decodeObject(old.Config)
	newObj, okNew := decodeObject(config)
	if !okOld || !okNew {
		return append(diffs, fmt.Sprintf("config: old %s new %s", old.Config, config))
	}
	keys := make(map[string]bool)
	for k := range oldObj {
		keys[k] = true
	}
	for k := range newObj {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		o, n := describe(oldObj, k), describe(newObj, k)
		if o != n {
			diffs = append(diffs, fmt.Sprintf("%s: old %s new %s", k, o, n))
		}
	}
	return diffs
}

func decodeObject(b []byte) (map[string]any, bool) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil || m == nil {
		return nil, false
	}
	return m, true
}

func describe(m map[string]any, k string) string {
	v, ok := m[k]
	if !ok {
		return "(absent)"
	}
	b, err := canonical(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

const searchColumns = `id, name, method, config_json, seed, status, version, started_at, ended_at,
	wall_seconds, resumes, best_fitness, best_policy_json, held_out_json, error`

func scanSearch(sc scanner) (Search, error) {
	var (
		sr                         Search
		config                     string
		started, ended, best, held sql.NullString
		fitness                    sql.NullFloat64
	)
	err := sc.Scan(&sr.ID, &sr.Name, &sr.Method, &config, &sr.Seed, &sr.Status, &sr.Version,
		&started, &ended, &sr.WallSeconds, &sr.Resumes, &fitness, &best, &held, &sr.Error)
	if err != nil {
		return Search{}, err
	}
	sr.Config = []byte(config)
	sr.BestFitness = floatOrNaN(fitness)
	sr.BestPolicyJSON = textBytes(best)
	sr.HeldOutJSON = textBytes(held)
	if sr.Started, err = parseTime(started); err != nil {
		return Search{}, fmt.Errorf("search %q: started_at: %w", sr.Name, err)
	}
	if sr.Ended, err = parseTime(ended); err != nil {
		return Search{}, fmt.Errorf("search %q: ended_at: %w", sr.Name, err)
	}
	return sr, nil
}

// Search returns the search with the given id, or an error wrapping
// ErrNotFound.
func (s *Store) Search(ctx context.Context, id int64) (Search, error) {
	sr, err := scanSearch(s.db.QueryRowContext(ctx, "SELECT "+searchColumns+" FROM searches WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return Search{}, fmt.Errorf("search %d: %w", id, err)
	}
	return sr, nil
}

// SearchByName returns the search called name, or an error wrapping
// ErrNotFound.
func (s *Store) SearchByName(ctx context.Context, name string) (Search, error) {
	sr, err := scanSearch(s.db.QueryRowContext(ctx, "SELECT "+searchColumns+" FROM searches WHERE name = ?", name))
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return Search{}, fmt.Errorf("search %q: %w", name, err)
	}
	return sr, nil
}

// Searches returns all searches, newest first.
func (s *Store) Searches(ctx context.Context) ([]Search, error) {
	srs, err := queryAll(ctx, s.db, scanSearch, "SELECT "+searchColumns+" FROM searches ORDER BY started_at DESC, id DESC")
	if err != nil {
		return nil, fmt.Errorf("list searches: %w", err)
	}
	return srs, nil
}

// SaveGeneration writes a generation's summary and its candidates in one
// transaction. Writing a generation that already exists for the search is a
// no-op returning nil, so that a replay after a crash never duplicates rows.
// The candidates are stored under g.SearchID and g.Generation; a candidate
// whose non-zero SearchID or whose Generation differs from g's is an error.
func (s *Store) SaveGeneration(ctx context.Context, g Generation, cands []Candidate) error {
	for _, c := range cands {
		if (c.SearchID != 0 && c.SearchID != g.SearchID) || c.Generation != g.Generation {
			return fmt.Errorf("save generation %d of search %d: candidate %d belongs to generation %d of search %d",
				g.Generation, g.SearchID, c.Index, c.Generation, c.SearchID)
		}
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var version string
		err := tx.QueryRowContext(ctx, "SELECT version FROM searches WHERE id = ?", g.SearchID).Scan(&version)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if g.Version != "" {
			version = g.Version
		}
		at := g.At
		if at.IsZero() {
			at = s.now()
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO generations
			(search_id, generation, best, mean, std, evaluations, wall_seconds, state_json, version, at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (search_id, generation) DO NOTHING`,
			g.SearchID, g.Generation, nullFloat(g.Best), nullFloat(g.Mean), nullFloat(g.Std),
			g.Evaluations, nullFloat(g.WallSeconds), nullText(g.StateJSON), version, formatTime(at))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return nil // already saved
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO candidates
			(search_id, generation, idx, hash, policy_json, fitness, scores_json, wall_seconds, cached)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, c := range cands {
			if _, err := stmt.ExecContext(ctx, g.SearchID, g.Generation, c.Index, c.Hash,
				nullText(c.PolicyJSON), nullFloat(c.Fitness), nullText(c.ScoresJSON),
				nullFloat(c.WallSeconds), c.Cached); err != nil {
				return fmt.Errorf("candidate %d: %w", c.Index, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save generation %d of search %d: %w", g.Generation, g.SearchID, err)
	}
	return nil
}

// Generations returns the generations of a search in order, or an error
// wrapping ErrNotFound for an unknown search.
func (s *Store) Generations(ctx context.Context, searchID int64) ([]Generation, error) {
	if ok, err := exists(ctx, s.db, "searches", searchID); err != nil || !ok {
		return nil, fmt.Errorf("generations of search %d: %w", searchID, orNotFound(err))
	}
	gs, err := queryAll(ctx, s.db, func(sc scanner) (Generation, error) {
		var (
			g                     Generation
			best, mean, std, wall sql.NullFloat64
			state, at             sql.NullString
		)
		err := sc.Scan(&g.SearchID, &g.Generation, &best, &mean, &std, &g.Evaluations, &wall, &state, &g.Version, &at)
		if err != nil {
			return g, err
		}
		g.Best, g.Mean, g.Std, g.WallSeconds = floatOrNaN(best), floatOrNaN(mean), floatOrNaN(std), floatOrNaN(wall)
		g.StateJSON = textBytes(state)
		g.At, err = parseTime(at)
		return g, err
	}, `SELECT search_id, generation, best, mean, std, evaluations, wall_seconds, state_json, version, at
		FROM generations WHERE search_id = ? ORDER BY generation`, searchID)
	if err != nil {
		return nil, fmt.Errorf("generations of search %d: %w", searchID, err)
	}
	return gs, nil
}

// Candidates returns the candidates of a search ordered by generation then
// index, or an error wrapping ErrNotFound for an unknown search.
func (s *Store) Candidates(ctx context.Context, searchID int64) ([]Candidate, error) {
	if ok, err := exists(ctx, s.db, "searches", searchID); err != nil || !ok {
		return nil, fmt.Errorf("candidates of search %d: %w", searchID, orNotFound(err))
	}
	cs, err := queryAll(ctx, s.db, func(sc scanner) (Candidate, error) {
		var (
			c              Candidate
			policy, scores sql.NullString
			fitness, wall  sql.NullFloat64
		)
		err := sc.Scan(&c.SearchID, &c.Generation, &c.Index, &c.Hash, &policy, &fitness, &scores, &wall, &c.Cached)
		c.PolicyJSON, c.ScoresJSON = textBytes(policy), textBytes(scores)
		c.Fitness, c.WallSeconds = floatOrNaN(fitness), floatOrNaN(wall)
		return c, err
	}, `SELECT search_id, generation, idx, hash, policy_json, fitness, scores_json, wall_seconds, cached
		FROM candidates WHERE search_id = ? ORDER BY generation, idx`, searchID)
	if err != nil {
		return nil, fmt.Errorf("candidates of search %d: %w", searchID, err)
	}
	return cs, nil
}

// orNotFound returns err, or ErrNotFound when err is nil.
func orNotFound(err error) error {
	if err != nil {
		return err
	}
	return ErrNotFound
}

// FinishSearch closes the current session of a running search with status
// (done, failed or interrupted), its best fitness and policy, the held-out
// results and an error message (for failed searches); the session's time is
// added to the search's wall time. It fails with ErrNotFound for an unknown
// search and ErrNotRunning for one already finished.
// Cancellation of ctx is ignored (its values are kept), so that the row can
// be closed as interrupted after Ctrl-C has cancelled ctx.
func (s *Store) FinishSearch(ctx context.Context, searchID int64, status Status, bestFitness float64, bestPolicyJSON, heldOutJSON []byte, errMsg string) error {
	ctx = context.WithoutCancel(ctx)
	return s.finishRow(ctx, "search", "searches", searchID, status, "session_at", func(tx *sql.Tx, since, ended time.Time) error {
		_, err := tx.ExecContext(ctx, `UPDATE searches SET status = ?, ended_at = ?,
			wall_seconds = wall_seconds + ?, best_fitness = ?, best_policy_json = ?, held_out_json = ?,
			error = ? WHERE id = ?`,
			status, formatTime(ended), ended.Sub(since).Seconds(), nullFloat(bestFitness),
			nullText(bestPolicyJSON), nullText(heldOutJSON), errMsg, searchID)
		return err
	})
}

// CachedFitness looks up the fitness of a policy under an evaluation key (a
// hash of tasks, seeds and budget); ok is false on a miss.
func (s *Store) CachedFitness(ctx context.Context, policyHash, evalKey string) (fitness float64, scoresJSON []byte, ok bool, err error) {
	var f sql.NullFloat64
	var scores sql.NullString
	err = s.db.QueryRowContext(ctx, "SELECT fitness, scores_json FROM fitness_cache WHERE policy_hash = ? AND eval_key = ?",
		policyHash, evalKey).Scan(&f, &scores)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, false, nil
	}
	if err != nil {
		return 0, nil, false, fmt.Errorf("fitness cache %s/%s: %w", policyHash, evalKey, err)
	}
	return floatOrNaN(f), textBytes(scores), true, nil
}

// PutFitness stores a fitness in the cache. An entry already present for
// (policyHash, evalKey) is kept as it is.
func (s *Store) PutFitness(ctx context.Context, policyHash, evalKey string, fitness float64, scoresJSON []byte) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO fitness_cache
			(policy_hash, eval_key, fitness, scores_json, created_at) VALUES (?, ?, ?, ?, ?)`,
			policyHash, evalKey, nullFloat(fitness), nullText(scoresJSON), formatTime(s.now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("fitness cache %s/%s: %w", policyHash, evalKey, err)
	}
	return nil
}
