package pipeline

import (
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFormatSamples runs the samples of testdata/formats, written for this
// project in the shapes of MTAs and services the shared corpus does not have
// (hMailServer, SmarterMail, Kerio, IceWarp, Axigen, MailEnable, GroupWise,
// IronPort, MailMarshal, MessageLabs, Facebook, Exchange in German or in
// HTML only, notices in nine languages, ...), and wants every row of its
// expected.tsv, which has the corpus's columns.
func TestFormatSamples(t *testing.T) {
	s := scoreCorpus(t, "testdata/formats")
	require.Greater(t, s.rows, 30)
	sort.Strings(s.details)
	for _, d := range s.details {
		t.Error(d)
	}
	assert.Equal(t, s.rows, s.matched, "recipients found")
	assert.Equal(t, s.rows, s.status, "status")
	assert.Equal(t, s.rows, s.reply, "reply_code")
	assert.Equal(t, s.rows, s.reason, "reason")
	assert.Equal(t, s.rows, s.hard, "hard_bounce")
	assert.Zero(t, s.extra, "records for recipients the samples do not list")
}
