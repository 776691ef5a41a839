package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runCmd runs bouncer in-process.
func runCmd(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func ndjsonRecords(t *testing.T, out string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), sc.Text())
		recs = append(recs, m)
	}
	return recs
}

func bySourceAndRecipient(recs []map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, r := range recs {
		out[filepath.Base(r["source"].(string))+" "+r["recipient"].(string)] = r
	}
	return out
}

func TestAnalyzeSamplesNDJSON(t *testing.T) {
	code, out, errs := runCmd(t, "", "analyze", "--format", "ndjson", "../../testdata")
	// testdata holds one file that is not a mail message: exit 1, one line naming it.
	assert.Equal(t, exitPartial, code)
	assert.Contains(t, errs, "broken-no-header.eml")
	assert.Equal(t, 1, strings.Count(strings.TrimSpace(errs), "\n")+1, errs)

	recs := ndjsonRecords(t, out)
	got := bySourceAndRecipient(recs)
	for _, want := range []struct{ key, reason, status, reply string }{
		{"dsn-postfix-two-recipients.eml alice@example.org", "userunknown", "5.1.1", "550"},
		{"dsn-postfix-two-recipients.eml bob@example.net", "mailboxfull", "5.2.2", "552"},
		{"dsn-generic-status-text-wins.eml carol@example.org", "userunknown", "5.1.1", "550"},
		{"dsn-rate-limit.eml dave@example.net", "speeding", "5.1.1", "550"},
		{"arf-abuse.eml erin@example.net", "feedback", "", ""},
		{"auto-reply.eml frank@example.org", "vacation", "", ""},
		{"qmail-free-text.eml henry@example.net", "blocked", "5.7.1", "554"},
	} {
		r, ok := got[want.key]
		if !assert.True(t, ok, "no record for %s", want.key) {
			continue
		}
		assert.Equal(t, want.reason, r["reason"], want.key)
		assert.Equal(t, want.status, r["status"], want.key)
		assert.Equal(t, want.reply, r["reply_code"], want.key)
	}
	alice := got["dsn-postfix-two-recipients.eml alice@example.org"]
	require.NotNil(t, alice)
	assert.Equal(t, true, alice["hard_bounce"])
	assert.Equal(t, "recipient", alice["side"])
	assert.Equal(t, "check-recipient-address", alice["recommended_action"])
	assert.Equal(t, "news-2026-11@example.com", alice["message_id"])
	assert.Equal(t, "November news", alice["subject"])
	assert.Equal(t, "mx1.example.org", alice["remote_mta"])
	assert.Equal(t, "mail.example.com", alice["reporting_mta"])
	assert.Equal(t, "failed", alice["action"])
	assert.NotEmpty(t, alice["date"])
	for _, r := range recs {
		assert.NotContains(t, r["source"], "not-a-bounce", "an ordinary message yields no record")
	}
	// Every field of the stable API is present.
	for _, f := range []string{"source", "recipient", "original_recipient", "action", "status", "reply_code", "reason",
		"hard_bounce", "side", "recommended_action", "diagnostic", "remote_mta", "reporting_mta", "command", "date",
		"feedback_type", "message_id", "sender", "subject"} {
		assert.Contains(t, alice, f)
	}
	assert.Equal(t, "abuse", got["arf-abuse.eml erin@example.net"]["feedback_type"])
}

func TestAnalyzeStdinAndMbox(t *testing.T) {
	data, err := os.ReadFile("../../testdata/dsn-rate-limit.eml")
	require.NoError(t, err)
	code, out, errs := runCmd(t, string(data), "analyze", "--format", "ndjson", "-")
	require.Equal(t, exitOK, code, errs)
	recs := ndjsonRecords(t, out)
	require.Len(t, recs, 1)
	assert.Equal(t, "-", recs[0]["source"])
	assert.Equal(t, "speeding", recs[0]["reason"])

	code, out, errs = runCmd(t, "", "analyze", "--format", "ndjson", "../../testdata/sendmail-mbox.mbox")
	require.Equal(t, exitOK, code, errs)
	recs = ndjsonRecords(t, out)
	require.NotEmpty(t, recs)
	for _, r := range recs {
		assert.Equal(t, "../../testdata/sendmail-mbox.mbox", r["source"])
		assert.True(t, strings.HasPrefix(r["source_id"].(string), "../../testdata/sendmail-mbox.mbox#"))
	}
}

func TestAnalyzeJSONAndCSV(t *testing.T) {
	code, out, _ := runCmd(t, "", "analyze", "--format", "json", "../../testdata/dsn-postfix-two-recipients.eml", "../../testdata/not-a-bounce.eml")
	require.Equal(t, exitOK, code)
	var doc struct {
		Summary struct {
			Messages, Bounces, NotBounces, Recipients int
		}
		Records []map[string]any
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	assert.Equal(t, 2, doc.Summary.Messages)
	assert.Equal(t, 1, doc.Summary.Bounces)
	assert.Len(t, doc.Records, 2)

	code, out, _ = runCmd(t, "", "analyze", "--format", "csv", "../../testdata/dsn-postfix-two-recipients.eml")
	require.Equal(t, exitOK, code)
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 3)
	assert.Equal(t, "source", rows[0][0])
	assert.Equal(t, "alice@example.org", rows[1][1])
}

func TestAnalyzeTextFrench(t *testing.T) {
	t.Setenv("NO_COLOR", "")
	code, out, _ := runCmd(t, "", "analyze", "--lang", "fr", "../../testdata/dsn-postfix-two-recipients.eml")
	require.Equal(t, exitOK, code)
	assert.Contains(t, out, "userunknown")
	assert.Contains(t, out, "Vérifiez l'adresse du destinataire")
	assert.NotContains(t, out, "\x1b[", "no colour when not on a terminal")
}

func TestAnalyzeUsageErrors(t *testing.T) {
	code, _, errs := runCmd(t, "", "analyze")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errs, "no input")

	code, _, errs = runCmd(t, "", "analyze", "--format", "xml", "../../testdata")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errs, "xml")

	code, _, _ = runCmd(t, "", "frobnicate")
	assert.Equal(t, exitUsage, code)

	code, _, errs = runCmd(t, "", "analyze", "/nonexistent/bounces")
	assert.Equal(t, exitPartial, code)
	assert.Contains(t, errs, "/nonexistent/bounces")
}

func TestAnalyzeSaveUnknown(t *testing.T) {
	dir := t.TempDir()
	msg := "From: MAILER-DAEMON@mx.example.com\nTo: a@example.com\nSubject: Undelivered Mail Returned to Sender\n\n" +
		"<z@example.org>: the frobnicator declined this message for reasons of its own\n"
	code, out, errs := runCmd(t, msg, "analyze", "--format", "ndjson", "--save-unknown", dir, "-")
	require.Equal(t, exitOK, code, errs)
	recs := ndjsonRecords(t, out)
	require.Len(t, recs, 1)
	assert.Equal(t, "undefined", recs[0]["reason"])
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	require.NoError(t, err)
	require.Len(t, files, 1)
	saved, err := os.ReadFile(files[0])
	require.NoError(t, err)
	assert.Equal(t, msg, string(saved))
}

func TestAnalyzeSaveNotBounces(t *testing.T) {
	dir := t.TempDir()
	code, _, errs := runCmd(t, "", "analyze", "--format", "ndjson", "--save-not-bounces", dir,
		"../../testdata/not-a-bounce.eml", "../../testdata/auto-reply.eml", "../../testdata/dsn-rate-limit.eml")
	require.Equal(t, exitOK, code, errs)
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	require.NoError(t, err)
	require.Len(t, files, 1, "only the ordinary message: not the auto-reply, not the bounce")
	saved, err := os.ReadFile(files[0])
	require.NoError(t, err)
	want, err := os.ReadFile("../../testdata/not-a-bounce.eml")
	require.NoError(t, err)
	assert.Equal(t, string(want), string(saved))
	assert.Contains(t, filepath.Base(files[0]), "not-a-bounce")
}
