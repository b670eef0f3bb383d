package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const nodeClient = "@duckdb/node-api@1.5.6-r.1" // DuckDB 1.5.6, as huntsql embeds

const nodeScript = `const { DuckDBInstance } = require('@duckdb/node-api');
(async () => {
  const con = await (await DuckDBInstance.create(':memory:')).connect();
  await con.run(require('fs').readFileSync(process.argv[2], 'utf8'));
  const r = await con.runAndReadAll(require('fs').readFileSync(process.argv[3], 'utf8'));
  console.log(JSON.stringify(r.getRowObjectsJson()));
})().catch(e => { console.error(e.message); process.exit(1); });
`

// TestViewsInAnotherClient proves that `huntsql views` gives a DuckDB client
// huntsql did not write (DuckDB's Node client, from npm) the same archive and
// helpers: it answers the same query, and runs a seed rule's SQL.
func TestViewsInAnotherClient(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("SKIPPED: node is not installed, so the Node DuckDB client cannot run")
	}
	cache, _ := os.UserCacheDir()
	dir := filepath.Join(cache, "huntsql-test", "node-client")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@duckdb", "node-api")); err != nil {
		os.MkdirAll(dir, 0o755)
		install := exec.Command("npm", "install", "--no-audit", "--no-fund", "--prefix", dir, nodeClient)
		if out, err := install.CombinedOutput(); err != nil {
			t.Skipf("SKIPPED: cannot install %s from npm: %v\n%s", nodeClient, err, out)
		}
	}
	work := t.TempDir()
	arch := filepath.Join(work, "archive")
	mustHuntsql(t, "load", "-q", "--archive", arch, "../../fixtures/demo")
	views := filepath.Join(work, "views.sql")
	os.WriteFile(views, []byte(mustHuntsql(t, "views", "--archive", arch)), 0o600)
	script := filepath.Join(dir, "query.js")
	os.WriteFile(script, []byte(nodeScript), 0o644)
	query := func(sql string) string {
		p := filepath.Join(work, "q.sql")
		os.WriteFile(p, []byte(sql), 0o600)
		out, err := exec.Command(node, script, views, p).CombinedOutput()
		if err != nil {
			t.Fatalf("node client: %v\n%s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	hosts := `SELECT "host.name" AS h, count(*)::INTEGER AS n FROM events GROUP BY ALL ORDER BY ALL`
	got := query(hosts)
	want := `[{"h":"FIN-WS07.corp.example","n":4},{"h":"db-02","n":8},{"h":"mac-07","n":4},{"h":"web-01","n":6}]`
	if got != want {
		t.Errorf("node client saw %s, want %s", got, want)
	}
	ours := mustHuntsql(t, "query", "--archive", arch, "--format", "csv", hosts)
	if !strings.Contains(ours, "db-02,8") {
		t.Errorf("huntsql query disagrees: %s", ours)
	}
	rule := mustHuntsql(t, "rules", "show", "6178.6732")
	_, after, _ := strings.Cut(rule, "query = '''")
	ruleSQL, _, _ := strings.Cut(after, "'''")
	got = query(`SELECT host, event_count::INTEGER AS events FROM (` + ruleSQL + `)`)
	if got != `[{"host":"FIN-WS07.corp.example","events":2}]` {
		t.Errorf("the Splunk seed rule in the node client: %s", got)
	}
}
