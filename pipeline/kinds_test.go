package pipeline

import (
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/bouncer-mail/bouncer/mailbox"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestKindSamples runs the samples of testdata/kinds: what a postmaster
// mailbox receives besides bounces (out-of-office and other automatic
// replies in several languages, ticket acknowledgements, challenge-response
// requests, mailing-list holds and welcomes, DMARC and TLS reports, read
// receipts, successful and delayed DSNs, ARF reports, people writing about
// or forwarding bounces, newsletters, transactional mail, quota warnings)
// and a few real bounces. expected.tsv names for each file the kind and the
// reason of its first record; the kind "none" means no record at all.
func TestKindSamples(t *testing.T) {
	const dir = "testdata/kinds"
	f, err := os.Open(filepath.Join(dir, "expected.tsv"))
	require.NoError(t, err)
	defer f.Close()
	type want struct{ kind, reason string }
	wants := map[string]want{}
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		require.Len(t, c, 3, "row %q", sc.Text())
		wants[c[0]] = want{c[1], c[2]}
	}
	require.NoError(t, sc.Err())
	require.Greater(t, len(wants), 50)

	// every sample has its row, and every row its sample
	emls, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	require.NoError(t, err)
	require.Len(t, emls, len(wants), "samples and rows of expected.tsv")
	paths := make([]string, 0, len(wants))
	for name := range wants {
		paths = append(paths, filepath.Join(dir, name))
	}
	sort.Strings(paths)

	src := mailbox.NewReader(paths, mailbox.Options{})
	defer src.Close()
	right := 0
	require.NoError(t, Run(src, Options{}, func(r *Result) error {
		name := filepath.Base(r.Source)
		w, ok := wants[name]
		if !assert.True(t, ok, "%s: no row in expected.tsv", name) {
			return nil
		}
		if !assert.NoError(t, r.Err, name) {
			return nil
		}
		got := want{"none", ""}
		if len(r.Records) > 0 {
			got = want{r.Records[0].Kind, r.Records[0].Reason}
		}
		if got == w {
			right++
			return nil
		}
		detail := ""
		if len(r.Records) > 0 {
			rec := r.Records[0]
			detail = rec.Decoder + " " + rec.Recipient + " " + rec.Action + " " + rec.Status + " " + rec.Diagnostic
			if len(detail) > 160 {
				detail = detail[:160]
			}
		}
		t.Errorf("%s: want %s/%s, got %s/%s (%d records) %s", name, w.kind, w.reason, got.kind, got.reason,
			len(r.Records), detail)
		return nil
	}))
	t.Logf("%d of %d samples right", right, len(wants))
}
