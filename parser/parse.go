package parser

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // non-UTF-8 charsets
	"github.com/emersion/go-message/textproto"
)

// Limits that keep a hostile message from costing much.
const (
	maxDepth    = 32      // nested multiparts walked
	maxPartSize = 8 << 20 // bytes read from one part
	maxParts    = 500     // parts looked at in one message
	maxText     = 1 << 20 // bytes of a report's text examined (a mass bounce lists thousands of addresses)
)

// ErrEmpty is returned for an empty input.
var ErrEmpty = errors.New("parser: empty message")

// Error describes why a message could not be parsed.
type Error struct{ Msg string }

func (e *Error) Error() string { return "parser: " + e.Msg }

// Parse reads one message and reports what kind it is and on which recipients.
// It returns an error only when the input is not a mail message at all (empty,
// no header); a damaged message that still says something yields a Bounce.
func Parse(data []byte) (*Bounce, error) {
	return parse(data, false)
}

// parse is Parse; nested is whether data is a notice attached to another
// message, which is then read as it is, an attached notice in it left alone.
func parse(data []byte, nested bool) (*Bounce, error) {
	if bytes.IndexByte(data, '\r') >= 0 {
		// A CRLF message (as IMAP gives them) is read from a copy with
		// LF line ends, in a buffer kept for the next message: whatever is
		// kept of the message is copied out of it (see readFields,
		// addText, and the body buffer of the walk), and the buffer is
		// only given back once the message is parsed.
		buf := getLineBuf()
		defer putLineBuf(buf)
		*buf = appendNewlines((*buf)[:0], data)
		data = *buf
	}
	data = skipEnvelopeLine(data)
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, ErrEmpty
	}
	var top []Field
	var rest []byte
	ent, top, rest, plain := readPlain(data)
	if !plain {
		ent = nil
		e, err := message.Read(bytes.NewReader(data))
		ok := false
		if readable(e, err) {
			ent = entityPart(e)
			// the fields go-message has just read, rather than a second parse
			top, rest, ok = topFields(data, &e.Header)
		}
		if !ok {
			top, rest = readFields(data)
		}
	}
	if len(top) == 0 {
		return nil, &Error{"no header fields: not a mail message"}
	}
	var s *scan
	// Only a multipart can have a malformed first part, and any other
	// message is walked the same whether or not it has the shape: the
	// search of the whole message is spared for it.
	refold := ent != nil && maybeMultipart(ent) && hasRefoldShape(data)
	if refold && firstPartMalformed(ent) {
		// A part header whose parameter line lost its folding white space
		// ("Content-Type: multipart/alternative;" then "boundary=..." at the
		// start of a line): the walk would stop at the first part. Fold it
		// back and read that instead.
		fixed, _ := refoldParams(data)
		s = walkMessage(fixed, top, rest)
	} else {
		if refold {
			// firstPartMalformed read the first part: start again
			ent = readEntity(data)
		}
		s = walkEntity(ent, top, rest)
	}
	if s.err != nil && len(s.texts) == 0 && s.dsn == nil && s.arf == nil {
		// The MIME structure is broken (a boundary that never comes, ...):
		// read the body as plain text, and report the error only when that
		// says nothing either.
		s.addText(rest)
		s.nested = nested
		b := s.decide()
		if len(b.Recipients) == 0 {
			return nil, s.err
		}
		return b, nil
	}
	s.nested = nested
	return s.decide(), nil
}

// skipEnvelopeLine drops the "From sender date" line that starts a message
// taken out of an mbox file.
func skipEnvelopeLine(data []byte) []byte {
	if bytes.HasPrefix(data, []byte("From ")) {
		_, rest := cutLine(data)
		return rest
	}
	return data
}

func walkMessage(data []byte, top []Field, rest []byte) *scan {
	return walkEntity(readEntity(data), top, rest)
}

// readEntity reads the message in data (normalized, see normalizeNewlines)
// with go-message, or returns nil when go-message cannot read its header
// (see readable).
func readEntity(data []byte) *part {
	if ent, _, _, ok := readPlain(data); ok {
		return ent
	}
	ent, err := message.Read(bytes.NewReader(data))
	if !readable(ent, err) {
		return nil
	}
	return entityPart(ent)
}

// readPlain is message.Read for a message whose header has the plain shape
// plainHeader reads, without go-message's reading of the header: the
// message as a part, its body decoded when read (part.body), as message.Read
// decodes it. It returns the header's fields and the body too, as readFields
// does. ok is false for any other message.
func readPlain(data []byte) (ent *part, top []Field, rest []byte, ok bool) {
	ct, cte, top, body, ok := plainHeader(data)
	if !ok {
		return nil, nil, nil, false
	}
	return &part{ct: ct, cte: cte, raw: bytes.NewReader(data[body:]), data: data[body:]}, top, data[body:], true
}

// readable reports whether go-message read a message's header well enough
// for its parts to be walked.
func readable(ent *message.Entity, err error) bool {
	return ent != nil && (err == nil || message.IsUnknownCharset(err) || message.IsUnknownEncoding(err))
}

// walkEntity walks the message go-message read (ent), or, when it could not
// (ent is nil), takes the body after the header (rest) as plain text.
func walkEntity(ent *part, top []Field, rest []byte) *scan {
	s := &scan{top: top}
	buf := bodyBufs.Get().(*bytes.Buffer)
	s.buf = buf
	defer func() {
		s.buf = nil
		if buf.Cap() <= 1<<20 {
			bodyBufs.Put(buf)
		}
	}()
	if ent != nil {
		s.walk(*ent, 0)
	} else {
		// go-message refused the header: read the body as plain text.
		s.addText(rest)
	}
	return s
}

// refoldParams indents a line that holds a MIME parameter ("name=value") right
// after a header line ending in ";", the shape of a Content-Type whose
// continuation line lost its leading white space.
func refoldParams(data []byte) ([]byte, bool) {
	var out bytes.Buffer
	out.Grow(len(data) + 64) // the data and a few tabs: no copies while it grows
	changed := false
	prevSemi := false
	for len(data) > 0 {
		line, rest := cutLine(data)
		t := bytes.TrimSpace(line)
		if prevSemi && len(line) > 0 && line[0] != ' ' && line[0] != '\t' && isParamLine(t) {
			out.WriteByte('\t')
			changed = true
		}
		out.Write(line)
		if rest != nil || (len(data) > len(line)) {
			out.WriteByte('\n')
		}
		prevSemi = bytes.HasSuffix(t, []byte(";"))
		data = rest
	}
	return out.Bytes(), changed
}

// hasRefoldShape reports whether refoldParams would change data, without
// copying it: it looks at the lines after those that end in ";" only.
func hasRefoldShape(data []byte) bool {
	for from := 0; ; {
		i := bytes.IndexByte(data[from:], ';')
		if i < 0 {
			return false
		}
		i += from
		from = i + 1
		if k := i + 1; k < len(data) && data[k] != '\n' && data[k] < utf8.RuneSelf && !asciiSpace[data[k]] {
			continue // text after the ";": spare the search for the line end
		}
		e := bytes.IndexByte(data[i:], '\n')
		if e < 0 {
			return false // the last line: none follows
		}
		e += i
		if len(bytes.TrimSpace(data[i+1:e])) > 0 {
			continue // the line goes on after this ";"
		}
		line, _ := cutLine(data[e+1:])
		if len(line) > 0 && line[0] != ' ' && line[0] != '\t' && isParamLine(bytes.TrimSpace(line)) {
			return true
		}
		from = e + 1
	}
}

// mayNameReportType reports whether the report type mime.ParseMediaType
// reads in the Content-Type v may be one of those decide looks for
// (s.reportType): whether v, all ASCII, with no RFC 2231 parameter ("*")
// and no quoted pair ("\\"), which could spell a value otherwise, holds one
// in some case. When it does not, the parameters are not parsed: the report
// type, whatever it is, is none of them, and "" stands for it.
func mayNameReportType(v string) bool {
	return !isASCII(v) || strings.ContainsAny(v, "*\\") ||
		indexFold(v, "feedback-report") >= 0 || indexFold(v, "disposition-notification") >= 0
}

// maybeMultipart reports whether go-message may take ent for a multipart:
// when it does, its Content-Type, parsed or not (go-message keeps the raw
// value when mime.ParseMediaType refuses it), holds "multipart/" in some
// case.
func maybeMultipart(ent *part) bool {
	return indexFold(ent.ct, "multipart/") >= 0
}

// firstPartMalformed reports whether the walk of ent would end at once
// with a "malformed MIME header" error: ent is a multipart whose first part's
// header go-message refuses. It reads that part: ent cannot be walked after.
func firstPartMalformed(ent *part) bool {
	mr := ent.multipart()
	if mr == nil {
		return false
	}
	_, err := mr.NextPart()
	if err == nil || err == io.EOF {
		return false
	}
	return strings.Contains(fmt.Sprintf("multipart body: %v", err), "malformed MIME header")
}

func isParamLine(t []byte) bool {
	i := bytes.IndexByte(t, '=')
	if i <= 0 || bytes.IndexByte(t[:i], ':') >= 0 {
		return false
	}
	for _, c := range t[:i] {
		if !(c == '-' || c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '*') {
			return false
		}
	}
	return true
}

// scan collects what the MIME walk finds.
type scan struct {
	top        []Field
	texts      []string  // text parts, decoded, in order
	htmlParts  []string  // HTML parts as they are, stripped only when there is no text part
	dsn        [][]Field // message/delivery-status blocks: [0] per-message, rest per-recipient
	arf        []Field
	original   []Field // the returned message's header
	hasOrig    bool
	reportType string
	mdn        bool    // a message/disposition-notification part (RFC 8098)
	mdnFields  []Field // the first such part's fields
	// inner is the attached message when it is itself a notice from a
	// mail system (attachedNotice): a wrapper around it, as a list
	// manager sends its owner for a bounce it could not read, is read
	// for it
	inner  []byte
	nested bool // the message is such an attached notice
	parts  int
	err    error
	buf    *bytes.Buffer // holds one part's body at a time, during the walk
	limit  io.LimitedReader
}

// bodyBufs keeps body buffers from one message to the next.
var bodyBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// readBody reads a part's body, up to maxPartSize, into s.buf. The bytes are
// good until the next call: whatever keeps them must copy them.
func (s *scan) readBody(r io.Reader) ([]byte, error) {
	s.buf.Reset()
	// the scan's own limited reader, rather than a new one for each part
	s.limit = io.LimitedReader{R: r, N: maxPartSize}
	_, err := s.buf.ReadFrom(&s.limit)
	s.limit.R = nil
	return s.buf.Bytes(), err
}

// part is a MIME part as the walk meets it: its header, and its body, as
// it stands in the message or, for an entity go-message has read (decoded),
// with its transfer encoding and charset decoded already. The body of a
// part is decoded only when the walk reads it (see body): a part it skips
// (an image, an HTML part after a text part) costs no decoder, and no
// decoding at all when its charset reader reads ahead. The message itself
// is such a part when its header has the plain shape (readPlain).
type part struct {
	// the fields of the header that go-message reads (message.New), as
	// message.Header.Get gives them: the walk reads no other
	ct, cte string
	raw     io.Reader
	decoded bool
	// data is the body as it stands when it is a slice of the message (the
	// message itself and the parts splitMultipart finds), else nil: a
	// multipart's parts are then split without go-message when they can be.
	data []byte
}

// entityPart is the part of an entity go-message has read.
func entityPart(e *message.Entity) *part {
	return &part{ct: e.Header.Get("Content-Type"), cte: e.Header.Get("Content-Transfer-Encoding"), raw: e.Body, decoded: true}
}

// goMessagePart is a part go-message's multipart reader read.
func goMessagePart(p *textproto.Part) part {
	return part{ct: p.Header.Get("Content-Type"), cte: p.Header.Get("Content-Transfer-Encoding"), raw: p}
}

// body returns the part's body decoded, as message.New decodes it (see
// decodedBody).
func (p part) body() io.Reader {
	if p.decoded {
		return p.raw
	}
	return decodedBody(p.ct, p.cte, p.raw)
}

// multipart returns go-message's reader of the parts of p, or nil when
// go-message would not take p for a multipart (see
// Entity.MultipartReader): its parts come as they stand, decoded only when
// read.
func (p part) multipart() *textproto.MultipartReader {
	boundary, ok := p.boundary()
	if !ok {
		return nil
	}
	// The body of a multipart is never decoded (message.New), whether p
	// is an entity or not.
	return textproto.NewMultipartReader(p.raw, boundary)
}

// boundary returns the boundary of p's parts, and whether go-message takes
// p for a multipart (see Entity.MultipartReader).
func (p part) boundary() (string, bool) {
	if indexFold(p.ct, "multipart/") < 0 {
		return "", false // see maybeMultipart
	}
	mt, boundary, _ := contentParam(p.ct, "boundary")
	return boundary, strings.HasPrefix(mt, "multipart/")
}

// contentType is message.Header.ContentType for a header whose
// Content-Type is ct: the media type and the parameters, their encoded
// words decoded (as decodeHeader does, go-message's way); the value as it
// stands and no parameters when mime.ParseMediaType refuses it.
func contentType(ct string) (string, map[string]string) {
	if ct == "" {
		return "text/plain", nil
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return ct, nil
	}
	for k, v := range params {
		params[k] = decodeHeader(v)
	}
	return mt, params
}

func (s *scan) walk(e part, depth int) {
	if depth > maxDepth {
		s.err = &Error{fmt.Sprintf("MIME parts nested deeper than %d levels", maxDepth)}
		return
	}
	s.parts++
	if s.parts > maxParts {
		return
	}
	ct := e.ct
	mt := mediaTypeOf(ct)
	if boundary, ok := e.boundary(); ok {
		if mt == "multipart/report" {
			s.reportType = "" // none decide looks for, unless read below
			if mayNameReportType(ct) {
				_, params := mediaType(ct)
				s.reportType = strings.ToLower(params["report-type"])
			}
		}
		if e.data != nil {
			parts, ok := splitMultipart(e.data, boundary)
			if !ok {
				if fixed, changed := refoldLostValues(e.data, boundary); changed {
					e.data, e.raw = fixed, bytes.NewReader(fixed)
					parts, ok = splitMultipart(fixed, boundary)
				}
			}
			if ok {
				for _, p := range parts {
					np := part{ct: p.ct, cte: p.cte, raw: p.reader(), data: p.body}
					if p.cut {
						// go-message reads the parts of a multipart in it
						// to that error, not to the end of the data
						np.data = nil
					}
					s.walk(np, depth+1)
				}
				return // (never without a part, see splitMultipart)
			}
		}
		// The body of a multipart is never decoded (message.New),
		// whether e is an entity or not.
		mr := textproto.NewMultipartReader(e.raw, boundary)
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				if s.parts <= 1 && len(s.texts) == 0 {
					s.err = &Error{fmt.Sprintf("multipart body: %v", err)}
				}
				break
			}
			s.walk(goMessagePart(p), depth+1)
		}
		if depth == 0 && s.parts <= 1 {
			// A multipart whose parts could not be found: read what is there.
			body, _ := s.readBody(e.raw)
			s.addText(body)
		}
		return
	}
	if mt != "" && !strings.HasPrefix(mt, "text/") && !strings.HasPrefix(mt, "message/") {
		// an image, an application's file...: nothing a report is read
		// from, so not decoded (the multipart reader skips its bytes)
		return
	}
	if mt == "text/html" && len(s.texts) > 0 {
		// An HTML part is read only when there is no text part (allText):
		// after one, it is not decoded at all (the multipart reader skips
		// its bytes).
		return
	}
	body, err := s.readBody(e.body())
	if err != nil && len(body) == 0 && !message.IsUnknownCharset(err) {
		return
	}
	switch mt {
	case "message/delivery-status", "message/global-delivery-status", "text/delivery-status", "message/x-delivery-status":
		s.addDSN(body)
	case "message/feedback-report":
		s.arf, _ = readFields(normalizeNewlines(bytes.TrimLeft(body, "\n")))
	case "message/rfc822", "message/global", "message/partial", "message/rfc822-headers":
		if len(s.dsn) == 0 && isAttachedReport(body) {
			// a gateway that wraps the real report in its own message:
			// read the report inside
			inner := bytes.Clone(body)
			if ent, err := message.Read(bytes.NewReader(inner)); ent != nil && (err == nil || message.IsUnknownCharset(err)) {
				s.walk(*entityPart(ent), depth+1)
				return
			}
		}
		if !s.hasOrig {
			s.setOriginal(body)
			if s.hasOrig && s.inner == nil && attachedNotice(s.original) {
				s.inner = bytes.Clone(body)
			}
		}
	case "text/rfc822-headers", "message/global-headers", "text/rfc822-header":
		s.setOriginal(body)
	case "text/html":
		// a copy: the body's bytes are reused
		s.htmlParts = append(s.htmlParts, string(body))
	case "message/disposition-notification", "message/global-disposition-notification":
		s.mdn = true
		if s.mdnFields == nil {
			s.mdnFields, _ = readFields(normalizeNewlines(bytes.TrimLeft(body, "\n")))
		}
	case "", "text/plain", "text/enriched":
		s.addText(body)
	default:
		if strings.HasPrefix(mt, "text/") {
			s.addText(body)
		}
	}
}

func (s *scan) addText(b []byte) {
	if len(b) == 0 {
		return
	}
	t := normalizeNewlines(decodeJIS(b))
	if unsafe.SliceData(t) != unsafe.SliceData(b) {
		// a copy already (decoded, or its line ends changed), which
		// nothing else holds: no second one
		s.texts = append(s.texts, unsafe.String(unsafe.SliceData(t), len(t)))
		return
	}
	s.texts = append(s.texts, string(t))
}

func (s *scan) addDSN(b []byte) {
	b = normalizeNewlines(decodeJIS(b))
	for {
		b = bytes.TrimLeft(b, " \t\n")
		if len(b) == 0 {
			break
		}
		fs, rest := readFields(b)
		if len(fs) == 0 {
			// a stray line: skip it
			_, rest = cutLine(b)
		} else {
			s.dsn = append(s.dsn, splitDSNBlock(fs)...)
		}
		b = rest
	}
}

// splitDSNBlock splits a block of delivery-status fields written without the
// blank lines between the per-message part and each recipient's part: a new
// part begins at a Final-Recipient or Original-Recipient field the current
// part already has, or that follows the Reporting-MTA of the per-message part.
func splitDSNBlock(fs []Field) [][]Field {
	var out [][]Field
	start := 0
	var hasFinal, hasOrig, hasMTA bool // the part has these fields
	for i, f := range fs {
		final, orig := nameEq(f.Name, "final-recipient"), nameEq(f.Name, "original-recipient")
		if final || orig {
			has := final && hasFinal || orig && hasOrig
			if i > start && (has || hasMTA && !hasFinal && !hasOrig) {
				out = append(out, fs[start:i])
				start = i
				hasFinal, hasOrig, hasMTA = false, false, false
			}
		}
		hasFinal = hasFinal || final
		hasOrig = hasOrig || orig
		hasMTA = hasMTA || nameEq(f.Name, "reporting-mta")
	}
	return append(out, fs[start:])
}

// isAttachedReport reports whether an attached message is itself a delivery
// status report (multipart/report with delivery-status).
func isAttachedReport(b []byte) bool {
	if !bytes.Contains(b[:min(len(b), 16<<10)], []byte("report-type")) {
		return false
	}
	fs, _ := readFields(normalizeNewlines(bytes.TrimLeft(b, "\n")))
	mt, params := mediaType(fieldsGet(fs, "Content-Type"))
	return mt == "multipart/report" && strings.Contains(strings.ToLower(params["report-type"]), "delivery-status")
}

// attachedNotice reports whether an attached message, of header fs, is
// itself a notice from a mail system (looksLikeBounce): a sender such as
// MAILER-DAEMON, with a null Return-Path or a bounce subject. The subject is
// decoded only for a header from such a sender.
func attachedNotice(fs []Field) bool {
	if fieldsGet(fs, "X-Failed-Recipients") == "" && !systemSender(fs) {
		return false
	}
	return looksLikeBounce(fs, decodeHeader(fieldsGet(fs, "Subject")), false, func() bool { return false })
}

func (s *scan) setOriginal(b []byte) {
	if s.hasOrig {
		return
	}
	fs, _ := readFields(normalizeNewlines(bytes.TrimLeft(b, "\n")))
	if len(fs) > 0 {
		s.original, s.hasOrig = fs, true
	}
}

func mediaType(v string) (string, map[string]string) {
	if v == "" {
		return "", nil
	}
	mt, params, err := mime.ParseMediaType(v)
	if err != nil {
		mt, _, _ = strings.Cut(v, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
	}
	return mt, params
}

// mediaTypeOf returns the media type mediaType(v) returns, without reading
// the parameters: the value up to its first ";", lower-cased and trimmed,
// whether mime.ParseMediaType takes it or not.
func mediaTypeOf(v string) string {
	if v == "" {
		return ""
	}
	base, _, _ := strings.Cut(v, ";")
	if !isASCII(base) {
		mt, _ := mediaType(v)
		return mt
	}
	return strings.TrimSpace(toLower(base))
}

var wordDecoder = &mime.WordDecoder{CharsetReader: func(charset string, input io.Reader) (io.Reader, error) {
	r, err := message.CharsetReader(charset, input)
	if err != nil {
		return nil, err
	}
	// An encoded word is short: decode it here, into a reader the decoder
	// copies from without a 32 KiB buffer of its own.
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return bytes.NewReader(b), nil
}}

// decodeHeader decodes RFC 2047 encoded words, keeping the raw value on error.
func decodeHeader(v string) string {
	if !strings.Contains(v, "=?") {
		return v
	}
	if d, err := wordDecoder.DecodeHeader(v); err == nil {
		return d
	}
	return v
}

const rfc5322Date = "Mon, 2 Jan 2006 15:04:05 -0700"

func parseDate(v string) time.Time {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}
	}
	if c := v[0] | 0x20; c >= 'a' && c <= 'z' {
		// The common "Mon, 2 Jan 2006 15:04:05 -0700": when this layout reads
		// the whole value, it is the one mail.ParseDate would settle on (the
		// layouts it tries before it all begin with a digit), and the twenty
		// four failed tries, each allocating its error, are spared. A
		// value with a "(" (a comment) is never read whole by this layout,
		// which has none: that try is spared too.
		if strings.IndexByte(v, '(') < 0 {
			if t, err := parseRFC5322(v); err == nil {
				return t
			}
		}
		// The same with a comment after the zone ("+0900 (JST)"): cut where
		// mail.ParseDate cuts, when what follows is one plain comment it
		// skips.
		if i := strings.IndexAny(v, "+-"); i >= 0 && len(v) > i+5 && plainComment(v[i+5:]) {
			if t, err := parseRFC5322(v[:i+5]); err == nil {
				return t
			}
		}
		// Any other date without a zone offset or a comment ("Tue, 23 Nov
		// 21 07:04:16 UTC", "Thu, 9 Apr 2006 23:34:45 JST"): the answer of
		// mail.ParseDate, without the tries of its twenty four layouts that
		// begin with a digit, each failing on the letter with an error
		// allocated. It cuts such a date after a "T" of its zone, or not at
		// all, as below, and reads it with the first layout that takes it.
		if !strings.ContainsAny(v, "+-(\r\n") {
			date := v
			i := strings.IndexByte(v, 'T')
			if i == 0 {
				if i = strings.IndexByte(v[1:], 'T'); i >= 0 {
					i++
				}
			}
			if i >= 0 && len(v) >= i+5 {
				date = v[:i+1]
			}
			for _, layout := range dowDateLayouts {
				if t, err := time.Parse(layout, date); err == nil {
					return t
				}
			}
			return time.Time{} // no "(": the retry below has nothing to cut
		}
	}
	if t, err := mail.ParseDate(v); err == nil {
		return t
	}
	// Drop a trailing comment such as "(JST)" and retry.
	if i := strings.LastIndexByte(v, '('); i > 0 {
		if t, err := mail.ParseDate(strings.TrimSpace(v[:i])); err == nil {
			return t
		}
	}
	return time.Time{}
}

// dowDateLayouts are the layouts mail.ParseDate reads a date with that begin
// with a day of the week, in its order: net/mail makes them so.
var dowDateLayouts = func() []string {
	var out []string
	for _, day := range []string{"2", "02"} {
		for _, year := range []string{"2006", "06"} {
			for _, second := range []string{":05", ""} {
				for _, zone := range []string{"-0700", "MST", "UT"} {
					out = append(out, "Mon, "+day+" Jan "+year+" 15:04"+second+" "+zone)
				}
			}
		}
	}
	return out
}()

// plainComment reports whether s is white space, a comment without nested
// parentheses or quoted characters, and white space.
func plainComment(s string) bool {
	s = strings.Trim(s, " \t")
	if len(s) < 2 || s[0] != '(' || s[len(s)-1] != ')' {
		return false
	}
	return !strings.ContainsAny(s[1:len(s)-1], "()\\\r\n")
}

// addrOf extracts the bare address from a header value, or "".
func addrOf(v string) string {
	v = strings.TrimSpace(v)
	if v == "" {
		return ""
	}
	// An encoded word is text for a display name, never part of an
	// addr-spec (RFC 2047, section 5): "=?utf-8?B?...?=@example.org" is the
	// address as it stands. The address is read before any decoding.
	if a, ok := simpleAddr(v); ok {
		return normAddr(a)
	}
	if strings.IndexByte(v, '@') < 0 && !strings.Contains(v, "=?") {
		return "" // nothing below finds an address without an "@"
	}
	if a, err := mail.ParseAddress(v); err == nil {
		return parsedAddr(a.Address)
	}
	v = decodeHeader(v)
	if a, err := mail.ParseAddress(v); err == nil {
		return parsedAddr(a.Address)
	}
	if m := addrRe.FindString(v); m != "" {
		return normAddr(m)
	}
	return ""
}

// parsedAddr normalizes an address mail.ParseAddress gave: normAddr, with the
// quotes of a local part that needs them put back.
func parsedAddr(addr string) string {
	if q := quoteLocal(addr); q != addr {
		return strings.ToLower(q)
	}
	return normAddr(addr)
}

// quoteLocal puts back the quotes of a local part that needs them
// ("odd name"@example.org): mail.ParseAddress gives the address with its local
// part unquoted, which is no longer an address.
func quoteLocal(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 {
		return addr
	}
	local := addr[:at]
	if dotAtom(local) {
		return addr
	}
	q := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(local)
	return `"` + q + `"` + addr[at:]
}

// dotAtom reports whether s is a dot-atom (RFC 5322 atext and dots, UTF-8
// allowed as in RFC 6532), which needs no quotes.
func dotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("!#$%&'*+-/=?^_`{|}~.", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// simpleAddr returns the address of v when v is a plain addr-spec of
// letters, digits and "._+-" ("a.b@example.org"), alone or in angle
// brackets after a plain display name ("Jo Doe <a@example.org>"): what mail.ParseAddress gives, without its cost. ok is false for
// anything else.
func simpleAddr(v string) (addr string, ok bool) {
	if len(v) > 2 && v[len(v)-1] == '>' {
		k := strings.LastIndexByte(v, '<')
		if k < 0 || !plainName(v[:k]) {
			return "", false
		}
		v = v[k+1 : len(v)-1]
	}
	at := strings.IndexByte(v, '@')
	if at <= 0 || !plainDotAtom(v[:at]) || !plainDotAtom(v[at+1:]) {
		return "", false
	}
	return v, true
}

// plainName reports whether s is a display name of plain words: letters,
// digits, "_" and "-", and spaces (or nothing).
func plainName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == ' ' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// plainDotAtom reports whether s is a dot-atom of letters, digits and "_+-".
func plainDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '+' || c == '-') {
			return false
		}
	}
	return true
}

// normAddr trims brackets and quotes and lower-cases the address, and parts
// it from the words of a script without spaces that ran into it
// (unglueBounds).
func normAddr(a string) string {
	a = strings.TrimSpace(a)
	if !isASCII(a) {
		if i, j := unglueBounds(a, 0, len(a)); i > 0 || j < len(a) {
			a = a[i:j]
		}
	}
	if q, ok := quotedLocalAddr(a); ok {
		return strings.ToLower(q)
	}
	a = strings.Trim(a, "<>\"'`()[],;:. ")
	if len(a) > len(imceaSMTP) && hasPrefixFold(a, 0, imceaSMTP) {
		a = unwrapIMCEA(a)
	}
	return strings.ToLower(a)
}

// quotedLocalAddr returns the address a holds when its local part is a
// quoted string ("john doe"@example.org, RFC 5322 section 3.4.1), as it is
// written, without what surrounds it (brackets, punctuation); ok is false
// for any other a.
func quotedLocalAddr(a string) (string, bool) {
	// the address opens with a quote, after what surrounds it: the one
	// test most addresses are put to
	t := strings.TrimLeft(a, "<>'`()[],;:. ")
	if len(t) < 3 || t[0] != '"' {
		return "", false
	}
	j := strings.LastIndex(t, "\"@")
	if j <= 0 {
		return "", false
	}
	a, t = t, t[:j+1]
	// the quoted string: no quote inside but one after a backslash
	for i := 1; i < len(t)-1; i++ {
		switch t[i] {
		case '\\':
			i++
		case '"', '\r', '\n':
			return "", false
		}
	}
	if len(t) >= 3 && t[len(t)-2] == '\\' && !evenBackslashes(t[1:len(t)-1]) {
		return "", false // the last quote is escaped
	}
	dom := strings.TrimRight(a[j+2:], "<>\"'`()[],;:. ")
	if dom == "" || strings.ContainsAny(dom, "\" \t@") {
		return "", false
	}
	return t + "@" + dom, true
}

// evenBackslashes reports whether s ends in an even run of backslashes
// (none included).
func evenBackslashes(s string) bool {
	n := 0
	for n < len(s) && s[len(s)-1-n] == '\\' {
		n++
	}
	return n%2 == 0
}

// imceaSMTP starts an address Exchange made of an SMTP address it could
// only wrap (an IMCEA address of type SMTP): "IMCEASMTP-", the address with
// "@", "." and the other bytes it may not write as they are spelled "+XX"
// (the byte's value in hex), then "@" and Exchange's own domain.
const imceaSMTP = "imceasmtp-"

// unwrapIMCEA returns the SMTP address an IMCEASMTP address a encodes, or a
// as it is when it encodes no address.
func unwrapIMCEA(a string) string {
	at := strings.LastIndexByte(a, '@')
	if at < 0 {
		return a
	}
	enc := a[len(imceaSMTP):at]
	var b strings.Builder
	b.Grow(len(enc))
	for i := 0; i < len(enc); i++ {
		c := enc[i]
		if c == '+' && i+2 < len(enc) {
			if v, err := strconv.ParseUint(enc[i+1:i+3], 16, 8); err == nil {
				c = byte(v)
				i += 2
			}
		}
		b.WriteByte(c)
	}
	d := b.String()
	k := strings.LastIndexByte(d, '@')
	if k <= 0 || !plausibleAddr(strings.ToLower(d)) || strings.ContainsAny(d, " \t\n<>\"") || !utf8.ValidString(d) {
		return a
	}
	return d
}

func (s *scan) buildOriginal() Original {
	var o Original
	for _, f := range s.original {
		switch knownName(f.Name) {
		case "message-id":
			if o.MessageID == "" {
				o.MessageID = strings.Trim(f.Value, "<> ")
			}
		case "from":
			if o.From == "" {
				o.From = decodeHeader(f.Value)
			}
		case "to":
			if o.To == "" {
				o.To = decodeHeader(f.Value)
			}
		case "subject":
			if o.Subject == "" {
				o.Subject = decodeHeader(f.Value)
			}
		case "date":
			if o.Date == "" {
				o.Date = f.Value
			}
		case "list-id":
			if o.ListID == "" {
				o.ListID = f.Value
			}
		default:
			if len(f.Name) > 2 && (f.Name[0] == 'X' || f.Name[0] == 'x') && f.Name[1] == '-' {
				o.Extra = append(o.Extra, Field{f.Name, decodeHeader(f.Value)})
			}
		}
	}
	return o
}
