package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDemoTinyRunsEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a few dozen networks")
	}
	dir := t.TempDir()
	code, out, stderr := run(t, "demo", "--budget", "tiny", "--dir", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	for _, f := range []string{"synrl.db", "found.policy.json", "report/index.html"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	if !strings.Contains(out, "Open the report:") {
		t.Errorf("demo does not say where the report is:\n%s", out)
	}
	if code, _, _ := run(t, "policy", "validate", filepath.Join(dir, "found.policy.json")); code != 0 {
		t.Error("the found policy is not a valid policy file")
	}
	html, _ := os.ReadFile(filepath.Join(dir, "report", "index.html"))
	for _, want := range []string{"demo-boundary", "demo-mnist", ".png"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if code, _, _ := run(t, "demo", "--budget", "huge", "--dir", dir); code != 2 {
		t.Errorf("unknown budget: exit %d, want 2", code)
	}
}
