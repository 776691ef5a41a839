package report

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestColWidth(t *testing.T) {
	assert.Equal(t, 15, colWidth("bob@example.org"))
	assert.Equal(t, 12, colWidth("山田@例え.jp"), "four wide characters count twice")
	assert.Equal(t, 4, colWidth("cafe\u0301"), "a combining accent takes no column")
	assert.Equal(t, 12, colWidth("ＡＢＣ@ｘ.jp"), "full-width letters count twice")
	assert.Equal(t, 4, colWidth("ｶﾀｶﾅ"), "half-width katakana once")

	assert.Equal(t, "山田@…", cutWidth("山田@例え.jp", 6))
	assert.Equal(t, "山田@…", cutWidth("山田@例え.jp", 7), "a wide character that would pass the width is left out")
	assert.Equal(t, "bob@example.org", cutWidth("bob@example.org", 15))
}

// The columns of a reason's table line up on a terminal when a recipient or
// a diagnostic is written in a script whose characters take two columns.
func TestTableAlignsWideCharacters(t *testing.T) {
	recs := []*Record{
		{Source: "a.eml", Recipient: "山田@例え.jp", Status: "5.1.1", ReplyCode: "550", Reason: "userunknown",
			Diagnostic: "原因：收件人邮箱空间已满。原因：收件人邮箱空间已满。原因：收件人邮箱空间已满。原因：收件人邮箱空间已满。"},
		{Source: "b.eml", Recipient: "bob@example.org", Status: "5.1.1", ReplyCode: "550", Reason: "userunknown",
			Diagnostic: "550 5.1.1 user unknown"},
	}
	out := write(t, "text", Options{Width: 80}, recs, &Summary{Messages: 2, Bounces: 2, Recipients: 2, ByReason: map[string]int{"userunknown": 2}})
	var status, source []int
	for _, line := range strings.Split(out, "\n") {
		if i := strings.Index(line, " 5.1.1 "); i >= 0 {
			status = append(status, colWidth(line[:i]))
			j := strings.LastIndex(line, ".eml")
			k := strings.LastIndexByte(line[:j], ' ')
			source = append(source, colWidth(line[:k]))
			assert.LessOrEqual(t, colWidth(line), 80, line)
		}
	}
	require.Len(t, status, 2, out)
	assert.Equal(t, status[0], status[1], "STATUS column\n%s", out)
	assert.Equal(t, source[0], source[1], "SOURCE column\n%s", out)
}
