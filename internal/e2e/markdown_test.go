package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"hubbub/internal/servertest"
)

// markdownCase is one input for web/markdown.js and what must come of it.
type markdownCase struct {
	name string
	text string
	opts map[string]any
	// html is the rendered DOM as the browser serialises it, with the rel, target and title of
	// links left out (every link's are checked apart); "" for the big inputs, checked by check.
	html string
	// check, for the big inputs, returns what is wrong with the result, or "".
	check func(r markdownResult) string
}

// markdownResult is what the page reports about one rendered input.
type markdownResult struct {
	HTML      string   `json:"html"`
	Text      string   `json:"text"` // the rendered text, for the small inputs
	TextLen   int      `json:"textLength"`
	TextEnd   string   `json:"textEnd"`
	Depth     int      `json:"depth"`
	Elements  int      `json:"elements"`
	Tags      []string `json:"tags"` // the distinct element names
	Problems  []string `json:"problems"`
	Exception string   `json:"exception"`
	Millis    float64  `json:"ms"` // how long the rendering took, for the log`
}

// markdownReport is what the page reports about all the inputs.
type markdownReport struct {
	Results         []markdownResult `json:"results"`
	Pwned           string           `json:"pwned"`
	JavascriptLinks int              `json:"javascriptLinks"`
}

// renderMarkdownOnPage renders every case on the real page, into elements in the document as a
// message's text is, and reports each result, whether an injected script ran (window.__pwned)
// and how many links anywhere on the page point at javascript:.
const renderMarkdownOnPage = `(async (cases) => {
	// In the document, as a message is, but not laid out: 3 MB of text in view would take the
	// browser longer to lay out than all the rendering.
	const box = document.createElement("ol");
	box.className = "message-list";
	box.hidden = true;
	document.body.appendChild(box);
	const results = cases.map((c) => {
		const text = document.createElement("div");
		text.className = "text";
		box.appendChild(text);
		const start = performance.now();
		try {
			text.appendChild(renderMarkdown(c.text, c.opts || {}));
		} catch (e) {
			return { exception: String(e && e.stack || e) };
		}
		const ms = performance.now() - start;
		const problems = [];
		for (const a of text.querySelectorAll("a")) {
			if (a.rel !== "noopener noreferrer nofollow" || a.target !== "_blank") problems.push("link attributes: " + a.outerHTML.slice(0, 200));
			if (!/^(https?|mailto):/.test(a.href)) problems.push("link to " + a.href.slice(0, 200));
			if (a.title && a.title !== a.href) problems.push("title " + a.title + " for a link to " + a.href);
		}
		const tags = new Set();
		let depth = 0;
		const walk = (el, d) => {
			depth = Math.max(depth, d);
			for (const child of el.children) { tags.add(child.localName); walk(child, d + 1); }
		};
		walk(text, 0);
		const clone = text.cloneNode(true);
		for (const a of clone.querySelectorAll("a")) for (const attr of ["rel", "target", "title"]) a.removeAttribute(attr);
		const all = text.textContent;
		return {
			html: c.big ? "" : clone.innerHTML,
			text: c.big ? "" : all,
			textLength: all.length,
			textEnd: all.slice(-16),
			depth,
			elements: text.querySelectorAll("*").length,
			tags: Array.from(tags).sort(),
			problems,
			ms,
		};
	});
	// Let anything an input might have scheduled (an image's onerror, say) run before looking.
	await new Promise((resolve) => setTimeout(resolve, 100));
	return {
		results,
		pwned: String(window.__pwned),
		javascriptLinks: document.querySelectorAll('a[href^="javascript" i], a[href^="data" i], a[href^="vbscript" i]').length,
	};
})`

// The renderer of web/markdown.js, on the real page in Chromium: each construct of the subset
// becomes the element it should, everything else stays text, and hostile input (script in
// links, HTML, 10,000 nested quotes, 100 KB of delimiters, direction overrides) is inert and
// finishes.
func TestMarkdownRendering(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	u := b.newUser("reader")
	u.doWithin(3*waitTimeout, "open the page", chromedp.Navigate(srv.URL+"/#markdown"))
	u.waitFor("the renderer", `typeof renderMarkdown === "function"`)

	people := map[string]any{"mentions": []map[string]string{{"user": "ann", "name": "ann"}, {"user": "bob", "name": "bob"}}, "me": "ann"}
	const big = 100_000
	onlyText := func(want int) func(r markdownResult) string {
		return func(r markdownResult) string {
			if r.TextLen != want {
				return fmt.Sprintf("text is %d characters, want %d", r.TextLen, want)
			}
			for _, tag := range r.Tags {
				if tag != "p" {
					return fmt.Sprintf("elements %v, want only the paragraph", r.Tags)
				}
			}
			return ""
		}
	}
	shallow := func(max int) func(r markdownResult) string {
		return func(r markdownResult) string {
			if r.Depth > max {
				return fmt.Sprintf("elements nest %d deep, want at most %d", r.Depth, max)
			}
			return ""
		}
	}
	cases := []markdownCase{
		// The subset.
		{name: "emphasis", text: "hello **bold** and *it* and _it_ and ~~gone~~ and ***both***",
			html: `<p>hello <strong>bold</strong> and <em>it</em> and <em>it</em> and <del>gone</del> and <strong><em>both</em></strong></p>`},
		{name: "nested emphasis", text: "**bold *and italic* inside**",
			html: `<p><strong>bold <em>and italic</em> inside</strong></p>`},
		{name: "underscores in words", text: "snake_case_name and __init__",
			html: `<p>snake_case_name and <strong>init</strong></p>`},
		{name: "escapes", text: `\*not italic\* and \_this\_`, html: `<p>*not italic* and _this_</p>`},
		{name: "inline code is literal", text: "run `go test **./...** <i>` now, or ``a ` b``",
			html: "<p>run <code>go test **./...** &lt;i&gt;</code> now, or <code>a ` b</code></p>"},
		{name: "code block is literal", text: "```go\nx := *p // **not bold** <b>\n  [x](https://example.com)\n```\nafter",
			html: "<pre><code>x := *p // **not bold** &lt;b&gt;\n  [x](https://example.com)</code></pre><p>after</p>"},
		{name: "quote", text: "> quoted\n> **text**\n\nafter",
			html: "<blockquote><p>quoted\n<strong>text</strong></p></blockquote><p>after</p>"},
		{name: "lists", text: "- one\n- two\n  - inner\n\n1. first\n2. second",
			html: "<ul><li><p>one</p></li><li><p>two</p><ul><li><p>inner</p></li></ul></li></ul><ol><li><p>first</p></li><li><p>second</p></li></ol>"},
		{name: "numbered from three", text: "3. three\n4. four",
			html: `<ol start="3"><li><p>three</p></li><li><p>four</p></li></ol>`},
		{name: "list after a line", text: "todo:\n* milk\n* bread",
			html: "<p>todo:</p><ul><li><p>milk</p></li><li><p>bread</p></li></ul>"},
		{name: "line breaks kept", text: "line one\nline two\n\nsecond paragraph",
			html: "<p>line one\nline two</p><p>second paragraph</p>"},
		{name: "links", text: "[docs](https://example.com/docs) and https://example.com/a?b=1. and (see http://example.org/x)",
			html: `<p><a href="https://example.com/docs">docs</a> and <a href="https://example.com/a?b=1">https://example.com/a?b=1</a>. and (see <a href="http://example.org/x">http://example.org/x</a>)</p>`},
		{name: "link with parentheses", text: "[Go](https://en.wikipedia.org/wiki/Go_(game)) https://en.wikipedia.org/wiki/Go_(game)",
			html: `<p><a href="https://en.wikipedia.org/wiki/Go_(game)">Go</a> <a href="https://en.wikipedia.org/wiki/Go_(game)">https://en.wikipedia.org/wiki/Go_(game)</a></p>`},
		{name: "link label markdown", text: "[**release** `v1`](https://example.com/r) **[in bold](mailto:ann@example.com)**",
			html: `<p><a href="https://example.com/r"><strong>release</strong> <code>v1</code></a> <strong><a href="mailto:ann@example.com">in bold</a></strong></p>`},
		{name: "url in emphasis", text: "*https://example.com/a_b*",
			html: `<p><em><a href="https://example.com/a_b">https://example.com/a_b</a></em></p>`},
		{name: "mentions", text: "hi @ann, @bob and @carol; mail ann@bob.org", opts: people,
			html: `<p>hi <span class="mention mention-me">@ann</span>, <span class="mention">@bob</span> and @carol; mail ann@bob.org</p>`},
		{name: "no mentions without the server's", text: "hi @ann", html: `<p>hi @ann</p>`},
		{name: "room mention", text: "@room lunch", opts: map[string]any{"mentionRoom": true},
			html: `<p><span class="mention mention-me">@room</span> lunch</p>`},
		{name: "mention in code stays code", text: "`@ann`", opts: people, html: `<p><code>@ann</code></p>`},

		// Links that must stay text.
		{name: "javascript link", text: "[x](javascript:alert(1))", html: `<p>[x](javascript:alert(1))</p>`},
		{name: "javascript link, mixed case", text: "[x](JaVaScRiPt:window.__pwned=1)", html: `<p>[x](JaVaScRiPt:window.__pwned=1)</p>`},
		{name: "data link", text: "[x](data:text/html,<script>window.__pwned=1</script>)",
			html: `<p>[x](data:text/html,&lt;script&gt;window.__pwned=1&lt;/script&gt;)</p>`},
		{name: "vbscript link", text: "[x](vbscript:msgbox(1))", html: `<p>[x](vbscript:msgbox(1))</p>`},
		{name: "protocol-relative link", text: "[x](//evil.example/) [y](/relative) [z](evil.example)",
			html: `<p>[x](//evil.example/) [y](/relative) [z](evil.example)</p>`},
		{name: "bare javascript", text: "javascript:alert(1) and xhttp://example.com", html: `<p>javascript:alert(1) and xhttp://example.com</p>`},
		{name: "html is text", text: `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><a href="javascript:alert(1)">a</a>`,
			html: `<p>&lt;img src=x onerror="window.__pwned=1"&gt;&lt;script&gt;window.__pwned=2&lt;/script&gt;&lt;a href="javascript:alert(1)"&gt;a&lt;/a&gt;</p>`},
		{name: "unterminated", text: "**open *also `code [link](https://x.example ~~strike",
			html: "<p>**open *also `code [link](<a href=\"https://x.example/\">https://x.example</a> ~~strike</p>"},
		{name: "unterminated fence", text: "```\ncode to the end\n**still code**",
			html: "<pre><code>code to the end\n**still code**</code></pre>"},
		{name: "direction overrides", text: "abc \u202egnp.exe\u202c https://example.com/\u202etxt.exe [y](https://example.com/\u202eexe)",
			html: "<p>abc \u202egnp.exe\u202c <a href=\"https://example.com/\">https://example.com/</a>\u202etxt.exe [y](<a href=\"https://example.com/\">https://example.com/</a>\u202eexe)</p>"},

		// Big and deep: each must finish, stay text past the caps, and build a shallow tree.
		{name: "10,000 nested quotes", text: strings.Repeat(">", 10_000) + " deep", check: func(r markdownResult) string {
			if r.Depth > 8+1 || !strings.HasSuffix(r.TextEnd, "> deep") {
				return fmt.Sprintf("depth %d, text ends %q", r.Depth, r.TextEnd)
			}
			return ""
		}},
		{name: "10,000 nested quotes, spaced", text: strings.Repeat("> ", 10_000) + "deep", check: shallow(9)},
		{name: "10,000 quote lines", text: strings.Repeat("> > > > > > > > > > > > quoted\n", 10_000), check: shallow(9)},
		{name: "100 KB of *", text: strings.Repeat("*", big), check: onlyText(big)},
		{name: "100 KB of _", text: strings.Repeat("_", big), check: onlyText(big)},
		{name: "100 KB of [", text: strings.Repeat("[", big), check: onlyText(big)},
		{name: "100 KB of `", text: strings.Repeat("`", big), check: onlyText(big)},
		{name: "100 KB of ~", text: strings.Repeat("~", big), check: onlyText(big)},
		{name: "100 KB of [a](", text: strings.Repeat("[a](", big/4), check: onlyText(big)},
		{name: "100 KB of ](", text: strings.Repeat("](", big/2), check: onlyText(big)},
		{name: "100 KB of backtick pairs", text: strings.Repeat("` ``", big/4), check: shallow(2)},
		{name: "100 KB of *a", text: strings.Repeat("*a", big/2), check: shallow(2)},
		{name: "100 KB of nested emphasis", text: strings.Repeat("*a _b ", big/12) + strings.Repeat(" b_ a*", big/12), check: shallow(1 + 8)},
		{name: "100 KB of list markers", text: strings.Repeat("- ", big/2) + "x", check: shallow(2*8 + 1)},
		{name: "100 KB of http://", text: strings.Repeat("http://", big/7), check: onlyText(big / 7 * 7)},
		{name: "100 KB of links", text: strings.Repeat("[a](https://example.com/) ", big/26), check: shallow(2)},
		{name: "100 KB of mentions", text: strings.Repeat("@ann @", big/6), opts: people, check: shallow(2)},
		{name: "100 KB of direction overrides", text: strings.Repeat("\u202e\u2066x", big/3), check: onlyText(big / 3 * 3)},
	}

	type input struct {
		Text string         `json:"text"`
		Opts map[string]any `json:"opts,omitempty"`
		Big  bool           `json:"big,omitempty"`
	}
	inputs := make([]input, len(cases))
	for i, c := range cases {
		inputs[i] = input{Text: c.text, Opts: c.opts, Big: c.check != nil}
	}
	arg, err := json.Marshal(inputs)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(u.ctx, 6*waitTimeout) // 100 KB inputs on a busy machine
	defer cancel()
	start := time.Now()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[markdownReport](renderMarkdownOnPage+"("+string(arg)+")", chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("render the cases: %v\n%s", err, u.describe())
	}
	t.Logf("rendered %d inputs (%d KB of JSON) in %v", len(got.Results), len(arg)/1000, time.Since(start).Round(time.Millisecond))
	if len(got.Results) != len(cases) {
		t.Fatalf("%d results for %d cases", len(got.Results), len(cases))
	}
	for i, c := range cases {
		r := got.Results[i]
		if c.check != nil {
			t.Logf("%s: %.1f ms", c.name, r.Millis)
		}
		if r.Exception != "" {
			t.Errorf("%s: renderMarkdown threw: %s", c.name, r.Exception)
			continue
		}
		for _, p := range r.Problems {
			t.Errorf("%s: %s", c.name, p)
		}
		if c.check != nil {
			if msg := c.check(r); msg != "" {
				t.Errorf("%s: %s", c.name, msg)
			}
			continue
		}
		if r.HTML != c.html {
			t.Errorf("%s: %q rendered as\n  %s\nwant\n  %s", c.name, c.text, r.HTML, c.html)
		}
	}
	if got.Pwned != "undefined" {
		t.Errorf("injected script ran: window.__pwned = %s", got.Pwned)
	}
	if got.JavascriptLinks != 0 {
		t.Errorf("%d links to javascript:, data: or vbscript: on the page", got.JavascriptLinks)
	}
}

// A message written in markdown shows formatted to everyone in the room, the sender included,
// whether it was typed in the browser or sent by a Go client; a link to javascript: in it stays
// text and runs nothing.
func TestMarkdownMessageShowsFormattedToOthers(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	bob := b.newUser("bob")
	url := srv.URL + "/#md"
	ann.open(url)
	bob.open(url)

	ann.say("**bold** and `x := *p` and [docs](https://example.com/docs), not [this](javascript:window.__pwned=1)")
	dialUser(t, srv, "gopher", "md").say("md", "> quoted _words_\n\n```\n<b>raw</b> **stays**\n```\n- one\n- two")

	annRow := `(() => { const rows = Array.from(document.querySelectorAll('#message-list .msg[data-seq][data-from="ann"] .text'));
		return rows.some(t => t.querySelector("strong")?.textContent === "bold" && t.querySelector("code")?.textContent === "x := *p" &&
			t.querySelectorAll("a").length === 1 && t.querySelector('a[href="https://example.com/docs"]')?.textContent === "docs" &&
			t.textContent.includes("not [this](javascript:window.__pwned=1)")); })()`
	gopherRow := `(() => { const rows = Array.from(document.querySelectorAll('#message-list .msg[data-seq][data-from="gopher"] .text'));
		return rows.some(t => t.querySelector("blockquote em")?.textContent === "words" &&
			t.querySelector("pre code")?.textContent === "<b>raw</b> **stays**" && !t.querySelector("pre b, pre strong") &&
			Array.from(t.querySelectorAll("ul > li"), li => li.textContent).join() === "one,two"); })()`
	for _, u := range []*user{ann, bob} {
		u.waitFor("ann's message formatted", annRow)
		u.waitFor("gopher's message formatted", gopherRow)
		if got := eval[string](u, `String(window.__pwned)`); got != "undefined" {
			t.Errorf("%s: injected script ran: window.__pwned = %s", u.name, got)
		}
		if n := eval[int](u, `document.querySelectorAll('a[href^="javascript" i]').length`); n != 0 {
			t.Errorf("%s: %d links to javascript: on the page", u.name, n)
		}
	}
}
