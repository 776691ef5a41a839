package pipeline

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/bouncer-mail/bouncer/mailbox"
	"github.com/bouncer-mail/bouncer/report"
	"github.com/stretchr/testify/require"
)

// corpusDir is the shared corpus of real bounces, beside the project.
func corpusDir(t testing.TB) string {
	dir, err := filepath.Abs("../../shared/corpus")
	require.NoError(t, err)
	if _, err := os.Stat(filepath.Join(dir, "expected.tsv")); err != nil {
		t.Skip("shared corpus not found at " + dir)
	}
	return dir
}

type expectedRow struct {
	file, recipient, status, reply, reason, hard string
}

func readExpected(t testing.TB, dir string) ([]string, map[string][]expectedRow) {
	f, err := os.Open(filepath.Join(dir, "expected.tsv"))
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	rows := map[string][]expectedRow{}
	var files []string
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 7 {
			continue
		}
		if _, ok := rows[c[0]]; !ok {
			files = append(files, c[0])
		}
		rows[c[0]] = append(rows[c[0]], expectedRow{c[0], c[2], c[3], c[4], c[5], c[6]})
	}
	return files, rows
}

// score compares records with the expected rows the way the corpus's scorer
// does: by recipient where the row has one, else by position.
type score struct {
	rows, matched, extra        int
	status, reply, reason, hard int
	misses                      map[string]int
	details                     []string
}

func scoreCorpus(t testing.TB, dir string) score {
	files, want := readExpected(t, dir)
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = filepath.Join(dir, f)
	}
	got := map[string][]report.Record{}
	// read as the command line does: a file that is an mbox gives its
	// messages
	err := Run(mailbox.NewReader(paths, mailbox.Options{}), Options{}, func(r *Result) error {
		for _, rec := range r.Records {
			// the record's source is the file, also for a message of an mbox
			rel, _ := filepath.Rel(dir, rec.Source)
			got[rel] = append(got[rel], rec)
		}
		return nil
	})
	require.NoError(t, err)
	s := score{misses: map[string]int{}}
	for _, f := range files {
		exp, out := want[f], got[f]
		if len(out) > len(exp) {
			s.extra += len(out) - len(exp)
		}
		for i, e := range exp {
			s.rows++
			var m *report.Record
			if e.recipient != "" {
				for k := range out {
					if strings.EqualFold(out[k].Recipient, e.recipient) {
						m = &out[k]
						break
					}
				}
			} else if i < len(out) {
				m = &out[i]
			}
			if m == nil {
				s.misses["(no record) "+e.reason]++
				s.details = append(s.details, fmt.Sprintf("%s: no record for %q (got %d records)", f, e.recipient, len(out)))
				continue
			}
			s.matched++
			ok := func(a, b string) bool { return a == b }
			if ok(m.Status, e.status) {
				s.status++
			}
			if ok(m.ReplyCode, e.reply) {
				s.reply++
			}
			if ok(fmt.Sprint(m.HardBounce), e.hard) {
				s.hard++
			}
			if ok(m.Reason, e.reason) {
				s.reason++
			} else {
				s.misses[e.reason+" -> "+m.Reason]++
			}
			if !ok(m.Status, e.status) || !ok(m.ReplyCode, e.reply) || !ok(m.Reason, e.reason) {
				s.details = append(s.details, fmt.Sprintf("%s: want %s/%s/%s got %s/%s/%s [%s] %.160q", f,
					e.reason, e.status, e.reply, m.Reason, m.Status, m.ReplyCode, m.Decoder, m.Diagnostic))
			}
		}
	}
	return s
}

func pct(a, n int) float64 { return 100 * float64(a) / float64(n) }

func TestCorpusAccuracy(t *testing.T) {
	dir := corpusDir(t)
	s := scoreCorpus(t, dir)
	require.NotZero(t, s.rows)
	if testing.Verbose() || os.Getenv("BOUNCER_CORPUS_DETAILS") != "" {
		sort.Strings(s.details)
		for _, d := range s.details {
			t.Log(d)
		}
		type kv struct {
			k string
			v int
		}
		var ms []kv
		for k, v := range s.misses {
			ms = append(ms, kv{k, v})
		}
		sort.Slice(ms, func(i, j int) bool { return ms[i].v > ms[j].v })
		for _, m := range ms {
			t.Logf("miss %s x%d", m.k, m.v)
		}
	}
	t.Logf("rows=%d matched=%d extra=%d reason=%.1f%% status=%.1f%% reply_code=%.1f%% hard_bounce=%.1f%% recipients=%.1f%%",
		s.rows, s.matched, s.extra, pct(s.reason, s.rows), pct(s.status, s.rows), pct(s.reply, s.rows),
		pct(s.hard, s.rows), pct(s.matched, s.rows))
	// Floors: raise them as the decoder improves, never lower them.
	floors := []struct {
		name  string
		got   int
		floor float64
	}{
		{"reason", s.reason, 92.1},
		{"status", s.status, 95.0},
		{"reply_code", s.reply, 98.9},
		{"hard_bounce", s.hard, 96.5},
		{"recipients", s.matched, 99.1},
	}
	if s.extra > 2 {
		t.Errorf("%d records for recipients the corpus does not list", s.extra)
	}
	for _, f := range floors {
		if p := pct(f.got, s.rows); p < f.floor {
			t.Errorf("%s accuracy %.1f%% is under the floor of %.1f%%", f.name, p, f.floor)
		}
	}
}
