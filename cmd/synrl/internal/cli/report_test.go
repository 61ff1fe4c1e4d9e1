package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/synrl/synrl/results"
)

func TestReportMissingDatabaseExitsTwo(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.db")
	out := filepath.Join(dir, "report")
	code, _, stderr := run(t, "report", "--db", missing, "--out", out)
	if code != 2 || !strings.Contains(stderr, missing) {
		t.Errorf("exit %d, stderr %q; want 2 naming %s", code, stderr, missing)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("the missing database was created: %v", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("the report directory was created: %v", err)
	}
}

func TestReportEmptyDatabase(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "synrl.db")
	st, err := results.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	out := filepath.Join(dir, "report")
	code, stdout, stderr := run(t, "report", "--db", db, "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	index := filepath.Join(out, "index.html")
	if !strings.Contains(stdout, index) {
		t.Errorf("stdout %q does not say where index.html is", stdout)
	}
	html, err := os.ReadFile(index)
	if err != nil || !strings.Contains(string(html), "Nothing here yet") {
		t.Errorf("index.html: %v\n%s", err, html)
	}
}

func TestReportBadFlagsExitTwo(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "synrl.db")
	st, err := results.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	for _, args := range [][]string{
		{"--comparison", "x"},
		{"--comparison", "7"}, // not in the database
		{"--search", "nope"},
		{"--runs", "0"},
		{"extra"},
		{"--db", dir}, // a directory
	} {
		full := append([]string{"report", "--db", db, "--out", filepath.Join(dir, "r")}, args...)
		if code, _, stderr := run(t, full...); code != 2 {
			t.Errorf("%q: exit %d (%s), want 2", args, code, stderr)
		}
	}
}
