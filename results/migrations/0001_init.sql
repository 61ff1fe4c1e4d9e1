-- 0001_init: runs and curves, searches, generations, candidates, fitness
-- cache, comparisons. Times are UTC RFC 3339 text with fixed-width
-- nanoseconds; NaN is stored as NULL; JSON documents are TEXT.

CREATE TABLE runs (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    status            TEXT    NOT NULL CHECK (status IN ('running', 'done', 'failed', 'interrupted')),
    error             TEXT    NOT NULL DEFAULT '',
    task              TEXT    NOT NULL,
    shape             TEXT    NOT NULL DEFAULT '',
    activation        TEXT    NOT NULL DEFAULT '',
    trainer           TEXT    NOT NULL DEFAULT '',
    policy            TEXT    NOT NULL DEFAULT '',
    policy_json       TEXT,
    final_policy_json TEXT,
    adaptive          INTEGER NOT NULL DEFAULT 0 CHECK (adaptive IN (0, 1)),
    seed              INTEGER NOT NULL,
    -- common hyperparameters, copied from params_json when present
    epsilon           REAL,
    explore           REAL,
    alpha             REAL,
    gamma             REAL,
    iters             INTEGER,
    batch             INTEGER,
    batch_interval    INTEGER,
    history           INTEGER,
    init_range        REAL,
    lr                REAL,
    optimizer         TEXT,
    params_json       TEXT    NOT NULL DEFAULT '{}',
    started_at        TEXT    NOT NULL,
    ended_at          TEXT,
    -- final metrics, NULL while running
    wall_seconds      REAL,
    iters_done        INTEGER,
    iters_per_sec     REAL,
    train_loss        REAL,
    train_acc         REAL,
    val_loss          REAL,
    val_acc           REAL,
    test_loss         REAL,
    test_acc          REAL,
    version           TEXT    NOT NULL DEFAULT '',
    command           TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX runs_started_at ON runs (started_at);
CREATE INDEX runs_status ON runs (status);

CREATE TABLE curves (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    metric TEXT    NOT NULL,
    step   INTEGER NOT NULL,
    value  REAL,
    PRIMARY KEY (run_id, metric, step)
) WITHOUT ROWID;

CREATE TABLE searches (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    name             TEXT    NOT NULL UNIQUE,
    method           TEXT    NOT NULL,
    config_json      TEXT    NOT NULL,
    seed             INTEGER NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('running', 'done', 'failed', 'interrupted')),
    version          TEXT    NOT NULL DEFAULT '',
    started_at       TEXT    NOT NULL,
    -- start of the current session (first start or last resume)
    session_at       TEXT    NOT NULL,
    ended_at         TEXT,
    -- summed over the sessions closed by FinishSearch
    wall_seconds     REAL    NOT NULL DEFAULT 0,
    resumes          INTEGER NOT NULL DEFAULT 0,
    best_fitness     REAL,
    best_policy_json TEXT,
    held_out_json    TEXT,
    error            TEXT    NOT NULL DEFAULT ''
);

CREATE TABLE generations (
    search_id    INTEGER NOT NULL REFERENCES searches (id) ON DELETE CASCADE,
    generation   INTEGER NOT NULL,
    best         REAL,
    mean         REAL,
    std          REAL,
    evaluations  INTEGER NOT NULL DEFAULT 0,
    wall_seconds REAL,
    state_json   TEXT,
    version      TEXT    NOT NULL DEFAULT '',
    at           TEXT    NOT NULL,
    PRIMARY KEY (search_id, generation)
);

CREATE TABLE candidates (
    search_id    INTEGER NOT NULL,
    generation   INTEGER NOT NULL,
    idx          INTEGER NOT NULL,
    hash         TEXT    NOT NULL,
    policy_json  TEXT,
    fitness      REAL,
    scores_json  TEXT,
    wall_seconds REAL,
    cached       INTEGER NOT NULL DEFAULT 0 CHECK (cached IN (0, 1)),
    PRIMARY KEY (search_id, generation, idx),
    FOREIGN KEY (search_id, generation) REFERENCES generations (search_id, generation) ON DELETE CASCADE
);
CREATE INDEX candidates_hash ON candidates (hash);

CREATE TABLE fitness_cache (
    policy_hash TEXT NOT NULL,
    eval_key    TEXT NOT NULL,
    fitness     REAL,
    scores_json TEXT,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (policy_hash, eval_key)
) WITHOUT ROWID;

CREATE TABLE comparisons (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    config_json TEXT,
    status      TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'interrupted')),
    version     TEXT NOT NULL DEFAULT '',
    started_at  TEXT NOT NULL,
    ended_at    TEXT,
    result_json TEXT
);

CREATE TABLE comparison_runs (
    comparison_id INTEGER NOT NULL REFERENCES comparisons (id) ON DELETE CASCADE,
    run_id        INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    arm           TEXT    NOT NULL,
    seed          INTEGER NOT NULL,
    PRIMARY KEY (comparison_id, run_id)
);
CREATE INDEX comparison_runs_run_id ON comparison_runs (run_id);
