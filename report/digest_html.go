package report

import (
	"html/template"
	"io"
)

// The HTML digest is one self-contained page for a mail client: inline
// styles only (mail clients drop <style> blocks and external sheets), no
// script, no image; html/template escapes every message-supplied string.
var digestHTML = template.Must(template.New("digest").Funcs(template.FuncMap{"cell": func(s string) string { return cell(s, 200) }}).Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body style="margin:0;padding:16px;font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#222;background:#fff">
<h1 style="font-size:20px;margin:0 0 4px 0">{{.Title}}</h1>
<p style="margin:0 0 16px 0;color:#555">{{.Period}}</p>
{{range .Sections}}<div id="{{.ID}}" style="margin:0 0 20px 0">
<h2 style="font-size:16px;margin:0 0 6px 0;border-bottom:1px solid #ccc;padding-bottom:2px">{{.Title}}</h2>
{{range .Notes}}<p style="margin:0 0 6px 0;padding:6px 8px;background:#fff4e5;border-left:3px solid #e69500">{{.}}</p>
{{end}}<table cellpadding="4" cellspacing="0" style="border-collapse:collapse;font-size:13px">
{{if ne .ID "totals"}}<tr>{{range .Cols}}<th style="text-align:left;border-bottom:1px solid #999;background:#f2f2f2">{{.}}</th>{{end}}</tr>
{{end}}{{range .Rows}}<tr>{{range .}}<td style="border-bottom:1px solid #eee;vertical-align:top">{{cell .}}</td>{{end}}</tr>
{{end}}</table>
</div>
{{end}}</body></html>
`))

func writeDigestHTML(w io.Writer, d *Digest) error {
	lang := "en"
	if d.tr("Totals") != "Totals" {
		lang = "fr"
	}
	return digestHTML.Execute(w, struct {
		Lang, Title, Period string
		Sections            []section
	}{lang, d.Title(), d.periodLine(), d.sections()})
}
