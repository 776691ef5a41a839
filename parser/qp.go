package parser

import (
	"io"
	"strings"

	"github.com/emersion/go-message"
)

// decodedBody returns the body of a part whose Content-Type and
// Content-Transfer-Encoding are ct and cte, raw as it stands, decoded as
// message.New decodes it, but quoted-printable by decodeQP (which goes on
// past what it cannot decode). It is never
// called for a multipart, whose body message.New leaves as it is. Unlike
// message.New, it parses the Content-Type only when it has a charset
// parameter to read: message/ parts and most text parts have none.
func decodedBody(ct, cte string, raw io.Reader) io.Reader {
	var body io.Reader
	switch strings.ToLower(cte) {
	case "quoted-printable":
		body = newQPReader(raw)
	case "7bit", "8bit", "binary", "":
		body = raw
	default:
		// base64, or an encoding go-message does not know: then the
		// body as it stands, its error being the only one message.New
		// gives with an unknown charset's, which the walk reads past.
		// message.New reads these two fields only.
		var h message.Header
		h.Set("Content-Type", ct)
		h.Set("Content-Transfer-Encoding", cte)
		e, _ := message.New(h, raw)
		return e.Body
	}
	if indexFold(ct, "charset") < 0 {
		// The parameters mime.ParseMediaType reads are named by ASCII
		// tokens it lower-cases, "charset*0" and the like included:
		// without "charset" in some case, there is none.
		return body
	}
	// The rest of message.New: the charset of a text part.
	if mt, ch, ok := contentParam(ct, "charset"); ok && strings.HasPrefix(mt, "text/") {
		// go-message's charsetReader: UTF-8 and US-ASCII as they are,
		// the body left undecoded when the charset is unknown
		ch = strings.ToLower(ch)
		if ch != "utf-8" && ch != "us-ascii" {
			if r, err := message.CharsetReader(ch, body); err == nil {
				body = r
			}
		}
	}
	return body
}
