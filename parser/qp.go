package parser

import (
	"io"
	"strings"

	"github.com/emersion/go-message"
)

// decodedBody returns the body of a part with header h, raw as it stands,
// decoded as message.New decodes it, quoted-printable with a qpReader. It
// is never called for a multipart, whose body message.New leaves as it is.
func decodedBody(h message.Header, raw io.Reader) io.Reader {
	if strings.ToLower(h.Get("Content-Transfer-Encoding")) != "quoted-printable" {
		// message.New's only errors are an unknown charset or transfer
		// encoding: it then gives the body as it stands, which is read so.
		e, _ := message.New(h, raw)
		return e.Body
	}
	// message.New, with the decoder of quoted-printable replaced
	body := io.Reader(newQPReader(raw))
	mt, params, _ := h.ContentType()
	if strings.HasPrefix(mt, "text/") {
		if ch, ok := params["charset"]; ok {
			// go-message's charsetReader: UTF-8 and US-ASCII as they are,
			// the body left undecoded when the charset is unknown
			ch = strings.ToLower(ch)
			if ch != "utf-8" && ch != "us-ascii" {
				if r, err := message.CharsetReader(ch, body); err == nil {
					body = r
				}
			}
		}
	}
	return body
}
