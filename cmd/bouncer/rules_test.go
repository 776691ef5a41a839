package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/bouncer-mail/bouncer/report"
	"github.com/bouncer-mail/bouncer/rules"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Tests never read the rules.d folders of the machine they run on.
func init() { ruleDirs = func() rules.Dirs { return rules.Dirs{} } }

const (
	hourlyRules = "../../rules/examples/hourly-limit.yaml"
	hourlyEML   = "../../testdata/provider-hourly-limit.eml"
)

type result struct {
	code           int
	stdout, stderr string
}

func bouncer(t *testing.T, args ...string) result {
	t.Helper()
	var out, errb strings.Builder
	code := run(args, strings.NewReader(""), &out, &errb)
	return result{code, out.String(), errb.String()}
}

// useDirs points the rules.d folders at dirs for one test.
func useDirs(t *testing.T, d rules.Dirs) {
	old := ruleDirs
	ruleDirs = func() rules.Dirs { return d }
	t.Cleanup(func() { ruleDirs = old })
}

// tempDirs makes an empty user config home and system folder and returns
// them with the user's rules.d path.
func tempDirs(t *testing.T) (rules.Dirs, string) {
	tmp := t.TempDir()
	d := rules.Dirs{ConfigHome: filepath.Join(tmp, "home", ".config"), System: filepath.Join(tmp, "etc", "bouncer", "rules.d")}
	user := filepath.Join(d.ConfigHome, "bouncer", "rules.d")
	require.NoError(t, os.MkdirAll(user, 0o755))
	require.NoError(t, os.MkdirAll(d.System, 0o755))
	return d, user
}

func write(t *testing.T, path, content string) string {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	return path
}

// labelRule is a rule file whose one rule matches carol's hourly-limit
// bounce and sets a label (and the reason filtered) named after it.
func labelRule(name string) string {
	return "rules:\n  - name: " + name + "\n    match: {phrases: [hourly quota]}\n    set: {reason: filtered, label: " + name + "}\n"
}

func records(t *testing.T, ndjson string) map[string]report.Record {
	t.Helper()
	out := map[string]report.Record{}
	sc := bufio.NewScanner(strings.NewReader(ndjson))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r report.Record
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r), sc.Text())
		out[r.Recipient] = r
	}
	return out
}

func TestHourlyLimitExample(t *testing.T) {
	for _, lang := range []string{"en", "fr"} {
		res := bouncer(t, "analyze", "--format", "ndjson", "--lang", lang, "--rules", hourlyRules, hourlyEML)
		require.Equal(t, 0, res.code, res.stderr)
		recs := records(t, res.stdout)
		carol := recs["carol@example.net"]
		assert.Equal(t, "speeding", carol.Reason)
		assert.False(t, carol.HardBounce)
		assert.Equal(t, "sender", carol.Side, "the reason's default side")
		assert.Equal(t, "spread-hourly-sending", carol.RecommendedAction)
		assert.Equal(t, "provider-hourly", carol.Label)
		want := map[string]string{
			"en": "Spread sending under 200 messages an hour per account.",
			"fr": "Étalez l'envoi sous 200 messages par heure et par compte.",
		}[lang]
		assert.Equal(t, want, carol.ActionText)
		// The genuine unknown user of the same bounce is left to the built-in rules.
		nobody := recs["nobody@example.net"]
		assert.Equal(t, "userunknown", nobody.Reason)
		assert.Empty(t, nobody.Label)
	}
}

func TestAnalyzeEachDecision(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		set   string
		check func(t *testing.T, r report.Record)
	}{
		{"{reason: mailboxfull}", func(t *testing.T, r report.Record) {
			assert.Equal(t, "mailboxfull", r.Reason)
			assert.False(t, r.HardBounce, "mailboxfull is never hard")
			assert.Equal(t, "recipient", r.Side)
			assert.Equal(t, "check-quota", r.RecommendedAction)
		}},
		{"{reason: speeding, hard: true}", func(t *testing.T, r report.Record) {
			assert.Equal(t, "speeding", r.Reason)
			assert.True(t, r.HardBounce)
		}},
		{"{reason: speeding, side: transient}", func(t *testing.T, r report.Record) {
			assert.Equal(t, "transient", r.Side)
		}},
		{"{reason: speeding, action: check-blocklist}", func(t *testing.T, r report.Record) {
			assert.Equal(t, "check-blocklist", r.RecommendedAction)
			assert.Contains(t, r.ActionText, "blocklists")
		}},
		{"{label: ops-ticket-9}", func(t *testing.T, r report.Record) {
			assert.Equal(t, "ops-ticket-9", r.Label)
			assert.NotEmpty(t, r.Reason, "the reason comes from the rules that follow")
		}},
	}
	for i, c := range cases {
		f := write(t, filepath.Join(dir, "r"+string(rune('a'+i))+".yaml"),
			"rules:\n  - name: r\n    match: {recipient_domain: [example.net], sender_domain: [example.com], status: [5.1.*], reply_code: [55x], decoder: [postfix], kind: [dsn], action: [failed], regex: 'hourly\\s+quota'}\n    set: "+c.set+"\n")
		res := bouncer(t, "analyze", "--format", "ndjson", "--rules", f, hourlyEML)
		require.Equal(t, 0, res.code, res.stderr)
		c.check(t, records(t, res.stdout)["carol@example.net"])
	}
}

func TestAnalyzeRulesError(t *testing.T) {
	bad := write(t, filepath.Join(t.TempDir(), "bad.yaml"), "rules:\n  - name: a\n    match: {regex: '(x'}\n    set: {label: x}\n")
	res := bouncer(t, "analyze", "--rules", bad, hourlyEML)
	assert.Equal(t, exitUsage, res.code)
	assert.Contains(t, res.stderr, bad+":3:20: rule \"a\": regex: error parsing regexp: missing closing ): `(x`\n")
}

func TestAnalyzeExplainNDJSON(t *testing.T) {
	res := bouncer(t, "analyze", "--format", "ndjson", "--explain", "--rules", hourlyRules, hourlyEML)
	require.Equal(t, 0, res.code, res.stderr)
	var raw map[string]any
	line := strings.SplitN(res.stdout, "\n", 2)[0]
	require.NoError(t, json.Unmarshal([]byte(line), &raw))
	assert.Equal(t, map[string]any{
		"rule": "provider-hourly-limit", "origin": hourlyRules + ":5",
		"field": "phrases", "matched": "exceeded its hourly quota",
	}, raw["explain"])
	nobody := records(t, res.stdout)["nobody@example.net"]
	require.NotNil(t, nobody.Explain)
	assert.True(t, strings.HasPrefix(nobody.Explain.Origin, "builtin:"), nobody.Explain.Origin)
	assert.NotEmpty(t, nobody.Explain.Rule)

	res = bouncer(t, "analyze", "--format", "ndjson", "--rules", hourlyRules, hourlyEML)
	assert.NotContains(t, res.stdout, `"explain"`, "no explain without the flag")
}

func TestAnalyzeExplainText(t *testing.T) {
	res := bouncer(t, "analyze", "--explain", "--color", "never", "--rules", hourlyRules, hourlyEML)
	require.Equal(t, 0, res.code, res.stderr)
	assert.Contains(t, res.stdout, "\n      decided by provider-hourly-limit ("+hourlyRules+":5): phrases matched \"exceeded its hourly quota\"\n")
	assert.Regexp(t, `\n      decided by \S+ \(builtin:[0-9a-z-]+\.yaml:\d+\)`, res.stdout)

	res = bouncer(t, "analyze", "--color", "never", "--rules", hourlyRules, hourlyEML)
	assert.NotContains(t, res.stdout, "decided by")
}

func TestAnalyzeReadsRulesD(t *testing.T) {
	d, user := tempDirs(t)
	useDirs(t, d)
	write(t, filepath.Join(d.System, "50-site.yaml"), labelRule("site"))
	label := func(args ...string) string {
		res := bouncer(t, append(append([]string{"analyze", "--format", "ndjson"}, args...), hourlyEML)...)
		require.Equal(t, 0, res.code, res.stderr)
		return records(t, res.stdout)["carol@example.net"].Label
	}
	assert.Equal(t, "site", label(), "/etc rules.d before the built-in rules")
	write(t, filepath.Join(user, "10-mine.yaml"), labelRule("mine"))
	assert.Equal(t, "mine", label(), "the user's rules.d before /etc")
	assert.Equal(t, "provider-hourly", label("--rules", hourlyRules), "--rules before the rules.d folders")
	assert.Empty(t, label("--no-user-rules"), "--no-user-rules skips both folders")
}

func TestRulesCheck(t *testing.T) {
	dir := t.TempDir()
	good := write(t, filepath.Join(dir, "good.yaml"), labelRule("a")+"  - name: b\n    match: {status: [5.7.*]}\n    set: {reason: blocked}\n")
	res := bouncer(t, "rules", "check", good, hourlyRules)
	assert.Equal(t, 0, res.code, res.stderr)
	assert.Equal(t, good+": ok: 2 rules\n"+hourlyRules+": ok: 1 rule\n", res.stdout)
	assert.Empty(t, res.stderr)

	cases := []struct{ name, src, want string }{
		{"yaml.yaml", "rules:\n  - name: a\n    match: {status: [5.1.1}\n", ":3:21: did not find expected ',' or ']'"},
		{"field.yaml", "rules:\n  - name: a\n    match: {status: [5.1.1]}\n    set: {reason: speeding, hardness: true}\n", `:4:29: unknown field "hardness"`},
		{"reason.yaml", "rules:\n  - name: a\n    match: {status: [5.1.1]}\n    set:\n      reason: slow\n", `:5:15: rule "a": unknown reason "slow" (known: `},
		{"regex.yaml", "rules:\n  - name: a\n    match:\n      regex: 'hourly [quota'\n    set: {reason: speeding}\n", `:4:14: rule "a": regex: error parsing regexp: missing closing ]`},
	}
	for _, c := range cases {
		bad := write(t, filepath.Join(dir, c.name), c.src)
		res := bouncer(t, "rules", "check", good, bad)
		assert.Equal(t, 1, res.code, c.name)
		assert.Equal(t, good+": ok: 2 rules\n", res.stdout, c.name)
		assert.True(t, strings.HasPrefix(res.stderr, bad+c.want), "%s: %s", c.name, res.stderr)
	}
	res = bouncer(t, "rules", "check", filepath.Join(dir, "missing.yaml"))
	assert.Equal(t, 1, res.code)
	assert.Contains(t, res.stderr, "missing.yaml")
	assert.Equal(t, exitUsage, bouncer(t, "rules", "check").code)
	assert.Equal(t, exitUsage, bouncer(t, "rules").code)
	assert.Equal(t, exitUsage, bouncer(t, "rules", "frobnicate").code)
}

func TestRulesListText(t *testing.T) {
	d, user := tempDirs(t)
	useDirs(t, d)
	u := write(t, filepath.Join(user, "10-mine.yaml"), labelRule("mine"))
	s := write(t, filepath.Join(d.System, "50-site.yaml"), labelRule("site"))
	res := bouncer(t, "rules", "list", "--rules", hourlyRules)
	require.Equal(t, 0, res.code, res.stderr)
	out := res.stdout
	assert.True(t, strings.HasPrefix(out, "Rule files, in the order they are tried:\n  "+hourlyRules+"\n  "+u+"\n  "+s+"\n  builtin:"), out)
	lines := strings.Split(out, "\n")
	var table []string
	for i, l := range lines {
		if strings.HasPrefix(l, "#") {
			table = lines[i+1:]
		}
	}
	require.Greater(t, len(table), 4)
	assert.Regexp(t, `^1 +`+regexp.QuoteMeta(hourlyRules)+`:5 +provider-hourly-limit +reason=speeding hard=false action=spread-hourly-sending label=provider-hourly +phrases="exceeded its hourly quota"\|"hourly quota of outbound mail" remote_mta=\.mail\.example\.net$`, table[0])
	assert.Regexp(t, `^2 +`+regexp.QuoteMeta(u)+`:2 +mine +reason=filtered label=mine +phrases="hourly quota"$`, table[1])
	assert.Regexp(t, `^3 +`+regexp.QuoteMeta(s)+`:2 +site `, table[2])
	assert.Regexp(t, `^4 +builtin:[0-9a-z-]+\.yaml:\d+ +\S+ +\S+`, table[3])
	assert.Contains(t, out, "(+", "long phrase lists are cut short")

	res = bouncer(t, "rules", "list", "--no-user-rules")
	require.Equal(t, 0, res.code)
	assert.NotContains(t, res.stdout, u)
	assert.NotContains(t, res.stdout, s)
}

func TestRulesListJSON(t *testing.T) {
	res := bouncer(t, "rules", "list", "--format", "json", "--rules", hourlyRules)
	require.Equal(t, 0, res.code, res.stderr)
	var out struct {
		Files []string   `json:"files"`
		Rules []ruleJSON `json:"rules"`
	}
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &out))
	assert.Equal(t, hourlyRules, out.Files[0])
	require.Greater(t, len(out.Rules), 1)
	r := out.Rules[0]
	assert.Equal(t, 1, r.N)
	assert.Equal(t, "provider-hourly-limit", r.Name)
	assert.Equal(t, hourlyRules+":5", r.Origin)
	assert.Equal(t, map[string]any{
		"remote_mta": []any{".mail.example.net"},
		"phrases":    []any{"exceeded its hourly quota", "hourly quota of outbound mail"},
	}, r.Match)
	assert.Equal(t, map[string]any{"reason": "speeding", "hard": false, "action": "spread-hourly-sending", "label": "provider-hourly"}, r.Set)
	for i, r := range out.Rules[1:] {
		assert.Equal(t, i+2, r.N)
		assert.True(t, strings.HasPrefix(r.Origin, "builtin:"), r.Origin)
	}
	assert.Equal(t, exitUsage, bouncer(t, "rules", "list", "--format", "xml").code)
}

func TestRulesTest(t *testing.T) {
	mbox := "../../testdata/sendmail-mbox.mbox"
	res := bouncer(t, "rules", "test", hourlyRules, hourlyEML, mbox)
	require.Equal(t, 0, res.code, res.stderr)
	out := res.stdout
	assert.True(t, strings.HasPrefix(out, "1 recipient changed of 4 recipients read\n"), out)
	assert.Regexp(t, `\n`+regexp.QuoteMeta(hourlyEML)+` +carol@example\.net +\S+ (hard|soft) \S+ +-> +speeding soft spread-hourly-sending +provider-hourly-limit \(`+regexp.QuoteMeta(hourlyRules)+`:5\)\n`, out)
	assert.NotContains(t, out, "nobody@example.net", "an unchanged recipient is not listed")
	assert.Regexp(t, `\n`+regexp.QuoteMeta(hourlyRules)+`:5 +provider-hourly-limit +1 +1\n`, out)

	// Without a .yaml name, -- tells the rule files from the inputs.
	dir := t.TempDir()
	data, err := os.ReadFile(hourlyRules)
	require.NoError(t, err)
	renamed := write(t, filepath.Join(dir, "hourly.rules"), string(data))
	other := write(t, filepath.Join(dir, "other.yml"), labelRule("label-only")+"  - name: never\n    match: {status: [4.4.7]}\n    set: {reason: expired}\n")
	res = bouncer(t, "rules", "test", renamed, other, "--", hourlyEML)
	require.Equal(t, 0, res.code, res.stderr)
	assert.Regexp(t, `\n`+regexp.QuoteMeta(renamed)+`:5 +provider-hourly-limit +1 +1\n`, res.stdout)
	assert.Regexp(t, `\n`+regexp.QuoteMeta(other)+`:2 +label-only +1 +0\n`, res.stdout, "matched but not first")
	assert.Regexp(t, `\n`+regexp.QuoteMeta(other)+`:5 +never +0 +0\n`, res.stdout)

	// A bad rule file is reported with its position.
	bad := write(t, filepath.Join(dir, "bad.yaml"), "rules:\n  - name: a\n    match: {status: [5.1.1]}\n    set: {reason: nope}\n")
	res = bouncer(t, "rules", "test", bad, hourlyEML)
	assert.Equal(t, 1, res.code)
	assert.Contains(t, res.stderr, bad+":4:19: ")

	assert.Equal(t, exitUsage, bouncer(t, "rules", "test", hourlyRules).code, "no input")
	assert.Equal(t, exitUsage, bouncer(t, "rules", "test", hourlyEML).code, "no rule file")
}

func TestRulesTestWithRulesD(t *testing.T) {
	d, user := tempDirs(t)
	useDirs(t, d)
	// A rule of the user's folder applies on both sides: no change from it.
	write(t, filepath.Join(user, "10-mine.yaml"), labelRule("mine"))
	res := bouncer(t, "rules", "test", hourlyRules, hourlyEML)
	require.Equal(t, 0, res.code, res.stderr)
	assert.Regexp(t, `filtered soft check-recipient-filter +-> +speeding soft spread-hourly-sending`, res.stdout)

	// Testing a file of the folder itself compares against the folder without it.
	res = bouncer(t, "rules", "test", filepath.Join(user, "10-mine.yaml"), hourlyEML)
	require.Equal(t, 0, res.code, res.stderr)
	assert.Contains(t, res.stdout, "1 recipient changed of 2 recipients read\n")
	assert.Regexp(t, `-> +filtered soft check-recipient-filter +mine \(`, res.stdout)

	res = bouncer(t, "rules", "test", "--no-user-rules", hourlyRules, hourlyEML)
	require.Equal(t, 0, res.code, res.stderr)
	assert.NotContains(t, res.stdout, "filtered soft")
}

func TestSplitRulesArgs(t *testing.T) {
	r, in := splitRulesArgs([]string{"a.yaml", "b.yml", "x.eml", "c.yaml"})
	assert.Equal(t, []string{"a.yaml", "b.yml"}, r)
	assert.Equal(t, []string{"x.eml", "c.yaml"}, in)
	r, in = splitRulesArgs([]string{"a.rules", "--", "x.yaml"})
	assert.Equal(t, []string{"a.rules"}, r)
	assert.Equal(t, []string{"x.yaml"}, in)
}

// `rules list` shows every kind of condition a rule can have.
func TestRulesListShowsEveryCondition(t *testing.T) {
	m := rules.Match{}
	v := reflect.ValueOf(&m).Elem()
	for i := 0; i < v.NumField(); i++ {
		switch f := v.Field(i); f.Kind() {
		case reflect.String:
			f.SetString("x")
		case reflect.Slice:
			f.Set(reflect.ValueOf([]string{"x"}))
		}
	}
	shown := map[string]bool{}
	for _, c := range conditions(&m) {
		shown[c[0].(string)] = true
	}
	typ := v.Type()
	for i := 0; i < typ.NumField(); i++ {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("yaml"), ",")
		if !shown[name] {
			t.Errorf("rules list does not show %s", name)
		}
	}
}
