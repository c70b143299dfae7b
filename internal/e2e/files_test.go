package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"hubbub/internal/files"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
)

// testPNG encodes a w×h picture (a gradient, so a thumbnail of it is not blank) as PNG. Go's
// encoder writes no metadata chunk, so the server stores the bytes as they are.
func testPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), 160, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// bombPNG is a PNG whose header claims 100,000 × 100,000 pixels: decoding it would take 40 GB,
// so the server must refuse it from its header alone.
func bombPNG(t *testing.T) []byte {
	t.Helper()
	b := testPNG(t, 1, 1)
	// The IHDR chunk follows the 8-byte signature: length, "IHDR", width, height, …, CRC.
	ihdr := b[8+8 : 8+8+13]
	binary.BigEndian.PutUint32(ihdr[0:4], 100_000)
	binary.BigEndian.PutUint32(ihdr[4:8], 100_000)
	binary.BigEndian.PutUint32(b[8+8+13:], crc32.ChecksumIEEE(b[8+4:8+8+13]))
	return b
}

// jsFile is a JavaScript expression for a File named name holding data.
func jsFile(name, typ string, data []byte) string {
	return `new File([Uint8Array.from(atob(` + js(base64.StdEncoding.EncodeToString(data)) + `), c => c.charCodeAt(0))], ` +
		js(name) + `, { type: ` + js(typ) + ` })`
}

// pasteFiles pastes files into the composer as the clipboard of a screenshot tool holds them:
// a paste event whose clipboardData holds the files and no text.
func pasteFiles(files ...string) chromedp.Action[chromedp.Void] {
	return chromeEval(`(() => {
		const dt = new DataTransfer();
		for (const f of [` + strings.Join(files, ", ") + `]) dt.items.add(f);
		const input = document.getElementById("composer-input");
		input.focus();
		input.dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true }));
	})()`)
}

// dropFiles drops files on the room, as a drag from the desktop ends.
func dropFiles(files ...string) chromedp.Action[chromedp.Void] {
	return chromeEval(`(() => {
		const dt = new DataTransfer();
		for (const f of [` + strings.Join(files, ", ") + `]) dt.items.add(f);
		const main = document.getElementById("main");
		main.dispatchEvent(new DragEvent("dragenter", { dataTransfer: dt, bubbles: true, cancelable: true }));
		main.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
		main.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
	})()`)
}

// emulateNetworkConditionsByRuleParams are Network.emulateNetworkConditionsByRule's parameters
// as both protocol revisions take them: Chromium 148 (Debian's today) still requires the
// top-level "offline" that later revisions, and so cdproto's own params, moved into each rule —
// without it the browser answers "Invalid parameters" and no upload can be slowed down.
type emulateNetworkConditionsByRuleParams struct {
	Offline                  bool                  `json:"offline"`
	MatchedNetworkConditions []*network.Conditions `json:"matchedNetworkConditions"`
}

// emulateNetworkConditionsByRule is the command with the parameters above.
var emulateNetworkConditionsByRule = cdp.Command[emulateNetworkConditionsByRuleParams, network.EmulateNetworkConditionsByRuleResult]{Method: network.CommandEmulateNetworkConditionsByRule}

// throttleUploads slows the page's uploads to base's POST /upload down to bytesPerSecond, as a
// slow network would, so that an upload is seen under way.
func throttleUploads(base string, bytesPerSecond float64) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, emulateNetworkConditionsByRule, emulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: []*network.Conditions{{URLPattern: base + "/upload*", DownloadThroughput: -1, UploadThroughput: bytesPerSecond}},
		})
		return chromedp.Void{}, err
	}
}

// download is what fetching a file's URL in the page gave: the status, the headers that decide
// how a browser treats it, and the bytes (base64).
type download struct {
	Status      int    `json:"status"`
	Type        string `json:"type"`
	Disposition string `json:"disposition"`
	NoSniff     string `json:"nosniff"`
	Body        string `json:"body"`
}

// fetchInPage fetches url from the user's page, with the page's cookies, as a click on a
// download link does.
func fetchInPage(u *user, url string) download {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(u.ctx, waitTimeout)
	defer cancel()
	d, err := chromedp.Run(ctx, chromedp.Evaluate[download](`(async () => {
		const res = await fetch(`+js(url)+`, { credentials: "same-origin" });
		const buf = new Uint8Array(await res.arrayBuffer());
		let bin = "";
		for (let i = 0; i < buf.length; i += 8192) bin += String.fromCharCode.apply(null, buf.subarray(i, i + 8192));
		return { status: res.status, type: res.headers.get("Content-Type") || "", disposition: res.headers.get("Content-Disposition") || "",
			nosniff: res.headers.get("X-Content-Type-Options") || "", body: btoa(bin) };
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		u.t.Fatalf("%s: fetch %s: %v", u.name, url, err)
	}
	return d
}

// exprDraftStates lists the states of the files waiting in the composer, in order.
const exprDraftStates = `Array.from(document.querySelectorAll("#drafts .draft"), e => e.dataset.state).join()`

// A screenshot pasted into the composer uploads, waits in the composer as a chip, and goes
// with the message. The other member sees it inline as its thumbnail, at its final size
// before it loads, opens the full image in the lightbox and closes it with Escape, and
// downloads the very bytes that were pasted; a document dropped on the room arrives as a
// card whose link downloads it as an attachment.
func TestPastedScreenshotIsPreviewedAndDownloaded(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	bob := b.newUser("bob")
	url := srv.URL + "/#share"
	ann.open(url)
	bob.open(url)
	ann.waitFor("the attach button", `!document.getElementById("attach").hidden`)

	shot := testPNG(t, 800, 600)
	ann.do("paste a screenshot", pasteFiles(jsFile("", "image/png", shot)))
	ann.waitFor("the upload to finish", exprDraftStates+` === "done"`)
	if name := eval[string](ann, `document.querySelector("#drafts .draft-name").textContent`); !strings.HasPrefix(name, "pasted-") || !strings.HasSuffix(name, ".png") {
		t.Errorf("ann: the pasted screenshot is named %q, want pasted-….png", name)
	}
	ann.say("the new login page")
	ann.waitFor("the composer emptied of the file", `document.getElementById("drafts").hidden && `+exprDraftStates+` === ""`)

	// bob sees the thumbnail, laid out at its size before it loaded (no jump), and loaded.
	bob.see("ann", "the new login page")
	img := `document.querySelector('#message-list .msg[data-from="ann"] .attachment-image img')`
	bob.waitFor("the thumbnail", img+` && `+img+`.complete && `+img+`.naturalWidth > 0`)
	if got := eval[[]int](bob, `[`+img+`.width, `+img+`.height, `+img+`.naturalWidth, `+img+`.getAttribute("width") | 0, `+img+`.getAttribute("height") | 0]`); got[3] != 320 || got[4] != 240 || got[2] > 320 {
		t.Errorf("bob: the thumbnail is shown %dx%d (attributes %dx%d) from a picture %d wide; want attributes 320x240 and a thumbnail at most 320 wide",
			got[0], got[1], got[3], got[4], got[2])
	}

	// The lightbox: the full image, closed by Escape, the focus back on the thumbnail.
	bob.do("open the image", chromedp.Click(chromedp.CSS(`#message-list .msg[data-from="ann"] .attachment-image`)))
	bob.waitFor("the lightbox with the full image", `document.getElementById("lightbox").open && document.getElementById("lightbox-img").complete &&
		document.getElementById("lightbox-img").naturalWidth === 800`)
	if got := eval[string](bob, `document.getElementById("lightbox-meta").textContent`); !strings.HasPrefix(got, "800 × 600") {
		t.Errorf("bob: the lightbox says %q, want the size 800 × 600 first", got)
	}
	bob.do("close with Escape", pressKey(chromedp.CSS("#lightbox-close"), "Escape"))
	bob.waitFor("the lightbox closed, the focus on the thumbnail", `!document.getElementById("lightbox").open &&
		document.activeElement.classList.contains("attachment-image")`)

	// The download is the pasted bytes, shown inline as a picture.
	link := eval[string](bob, `document.getElementById("lightbox-download").href`)
	got := fetchInPage(bob, link)
	if body, _ := base64.StdEncoding.DecodeString(got.Body); got.Status != 200 || !bytes.Equal(body, shot) {
		t.Errorf("bob: GET %s = %d with %d bytes, want 200 with the %d bytes pasted", link, got.Status, len(body), len(shot))
	}
	if got.Type != "image/png" || !strings.HasPrefix(got.Disposition, "inline") || got.NoSniff != "nosniff" {
		t.Errorf("bob: the image is served as %q, %q, nosniff %q; want image/png, inline, nosniff", got.Type, got.Disposition, got.NoSniff)
	}

	// A document dropped on the room: a card with its name, size and type, downloaded as a file.
	doc := []byte("%PDF-1.4\n% a tiny document\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	ann.do("drop a document", dropFiles(jsFile("minutes.pdf", "application/pdf", doc)))
	ann.waitFor("the document uploaded", exprDraftStates+` === "done"`)
	ann.do("send it alone", pressEnter(chromedp.CSS("#composer-input")))
	card := `document.querySelector('#message-list .msg[data-from="ann"] .file-card')`
	bob.waitFor("the document's card", card)
	want := fmt.Sprintf("minutes.pdf | %d B · PDF", len(doc))
	if got := eval[string](bob, card+`.querySelector(".file-name").textContent + " | " + `+card+`.querySelector(".file-meta").textContent`); got != want {
		t.Errorf("bob: the card says %q, want %q", got, want)
	}
	got = fetchInPage(bob, eval[string](bob, card+`.querySelector("a.file-name").href`))
	if body, _ := base64.StdEncoding.DecodeString(got.Body); got.Status != 200 || !bytes.Equal(body, doc) || !strings.HasPrefix(got.Disposition, "attachment") {
		t.Errorf("bob: the document downloads as %d, %q, %d bytes; want 200, attachment, the %d bytes dropped", got.Status, got.Disposition, len(body), len(doc))
	}
	// A message of files alone is named by its files where a message is quoted.
	bob.do("reply to the document", chromeEval(card+`.closest(".msg").querySelector('[data-action="reply"]').click()`))
	bob.waitFor("the reply bar naming the file", `document.getElementById("replying-text").textContent === "📎 minutes.pdf"`)
	for _, u := range []*user{ann, bob} {
		if n := eval[int](u, `document.querySelectorAll("#message-list .msg .attachments img:not(.attachment-image img)").length`); n != 0 {
			t.Errorf("%s: %d images outside the thumbnails", u.name, n)
		}
	}
}

// An upload in progress shows how far it got and can be cancelled: the chip goes, and no
// message carries the file. A file the server refuses says why, in the chip and in the banner,
// and cannot be sent.
func TestUploadProgressCancelAndRefusal(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#slow")
	ann.waitFor("the attach button", `!document.getElementById("attach").hidden`)

	// A slow network (64 KB/s up) makes a 2 MB upload take half a minute.
	ann.do("slow the uploads down", throttleUploads(srv.URL, 64<<10))
	ann.do("drop a large file", dropFiles(`new File([new Uint8Array(2 << 20)], "backup.bin", { type: "application/octet-stream" })`))
	ann.waitFor("some progress", `(() => { const p = document.querySelector("#drafts .draft progress"); return p && p.value > 0 && p.value < 1 })()`)
	if got := eval[string](ann, `document.querySelector("#drafts .draft-meta").textContent`); !strings.HasPrefix(got, "Uploading… ") {
		t.Errorf("ann: the chip says %q while uploading", got)
	}
	ann.do("Enter while it uploads", typeInto("#composer-input", "too early"), pressEnter(chromedp.CSS("#composer-input")))
	ann.waitFor("a notice that the upload is under way", `document.getElementById("notice-text").textContent.startsWith("Wait for the upload")`)
	ann.do("cancel the upload", chromedp.Click(chromedp.CSS("#drafts .draft-remove")))
	ann.waitFor("the chip gone", `document.getElementById("drafts").hidden`)
	ann.do("send the text alone", pressEnter(chromedp.CSS("#composer-input")))
	ann.see("ann", "too early")
	if n := eval[int](ann, `document.querySelectorAll("#message-list .attachments").length`); n != 0 {
		t.Errorf("ann: %d messages carry files after the upload was cancelled", n)
	}

	// A picture too large to decode is refused: the chip and the banner say so.
	ann.do("paste a decompression bomb", pasteFiles(jsFile("bomb.png", "image/png", bombPNG(t))))
	ann.waitFor("the refusal", exprDraftStates+` === "failed"`)
	why := eval[string](ann, `document.querySelector("#drafts .draft-meta").textContent`)
	notice := eval[string](ann, `document.getElementById("notice").hidden ? "" : document.getElementById("notice-text").textContent`)
	if !strings.HasPrefix(why, "Not uploaded: ") || !strings.Contains(notice, "“bomb.png” was not uploaded: ") {
		t.Errorf("ann: a refused upload says %q in its chip and %q in the banner", why, notice)
	}
	if eval[bool](ann, `!!document.querySelector("#drafts .draft-retry")`) {
		t.Error("ann: a refused file offers Retry, which would be refused again")
	}
	ann.do("Enter with only the refused file", pressEnter(chromedp.CSS("#composer-input")))
	ann.waitFor("a notice that nothing can go", `document.getElementById("notice-text").textContent.startsWith("The file was not uploaded")`)
	ann.do("remove it", chromedp.Click(chromedp.CSS("#drafts .draft-remove")))
	ann.waitFor("the composer empty", `document.getElementById("drafts").hidden`)
}

// A file uploaded and then removed from the composer (its ✕) is deleted on the server at
// once: it no longer counts against the quota, where it counted for a day before.
func TestRemovedUploadFreesTheQuota(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#drafts")
	ann.waitFor("the attach button", `!document.getElementById("attach").hidden`)
	ann.do("drop a file", dropFiles(`new File([new Uint8Array(4096)], "second-thoughts.bin", { type: "application/octet-stream" })`))
	ann.waitFor("the upload done", exprDraftStates+` === "done"`)
	u, found, err := srv.Store.UserByName(context.Background(), "ann")
	if err != nil || !found {
		t.Fatalf("ann's user: %v %v", found, err)
	}
	usage := func() int {
		n, err := srv.Store.FileUsage(context.Background(), u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return int(n)
	}
	if n := usage(); n < 4096 {
		t.Fatalf("ann's usage after the upload: %d bytes, want at least 4096", n)
	}
	ann.do("remove it", chromedp.Click(chromedp.CSS("#drafts .draft-remove")))
	ann.waitFor("the composer empty", `document.getElementById("drafts").hidden`)
	testwait.Until(t, "ann's usage to be 0 after she removed her upload", func() bool { return usage() == 0 })
}

// Ten files dropped at once do not all upload at once — the server refuses a user's uploads past
// --uploads-per-user with 429 — but wait their turn in the composer, and every one arrives.
func TestManyFilesWaitTheirTurn(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#many")
	ann.waitFor("the attach button", `!document.getElementById("attach").hidden`)
	ann.do("slow the uploads down", throttleUploads(srv.URL, 64<<10))
	var files []string
	for i := range 10 {
		files = append(files, fmt.Sprintf(`new File([new Uint8Array(96 << 10)], "part-%d.bin", { type: "application/octet-stream" })`, i))
	}
	ann.do("drop ten files", dropFiles(files...))
	waiting := eval[int](ann, `Array.from(document.querySelectorAll("#drafts .draft-meta")).filter(e => e.textContent.startsWith("Waiting to upload")).length`)
	if waiting != 7 {
		t.Errorf("ann: %d of ten dropped files wait their turn, want 7 (three upload at once)", waiting)
	}
	ann.waitFor("every file uploaded", exprDraftStates+` === Array(10).fill("done").join()`)
	ann.do("send them", typeInto("#composer-input", "all the parts"), pressEnter(chromedp.CSS("#composer-input")))
	ann.see("ann", "all the parts")
	if n := eval[int](ann, `document.querySelectorAll("#message-list .attachments .file-card").length`); n != 10 {
		t.Errorf("ann: the message shows %d files, want 10", n)
	}
}

// mockupPNG draws a w×h picture of a sign-in page (a gradient, a card, two fields and a
// button), for the screenshot.
func mockupPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(60 + x*80/w), uint8(70 + y*60/h), 200, 255})
		}
	}
	fill := func(x0, y0, x1, y1 int, c color.RGBA) {
		draw.Draw(img, image.Rect(x0, y0, x1, y1), &image.Uniform{c}, image.Point{}, draw.Src)
	}
	cx, cy := w/2, h/2
	fill(cx-170, cy-150, cx+170, cy+150, color.RGBA{255, 255, 255, 255})
	fill(cx-120, cy-110, cx+20, cy-90, color.RGBA{40, 44, 60, 255})
	for _, y := range []int{cy - 60, cy} {
		fill(cx-130, y, cx+130, y+36, color.RGBA{236, 238, 245, 255})
	}
	fill(cx-130, cy+70, cx+130, cy+110, color.RGBA{79, 79, 208, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestScreenshotFiles writes docs/screenshot-files.png: a conversation with a picture shown as
// its thumbnail, a document's card, and a file uploading in the composer. It runs only with
// HUBBUB_SCREENSHOT=1, as TestScreenshot does.
func TestScreenshotFiles(t *testing.T) {
	if os.Getenv("HUBBUB_SCREENSHOT") != "1" {
		t.Skip("set HUBBUB_SCREENSHOT=1 to rewrite docs/screenshot-files.png")
	}
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#design")
	carol := dialUser(t, srv, "carol", "design")
	carol.say("design", "Could someone share the new sign-in page? I want to check the spacing.")
	ann.see("carol", "Could someone share the new sign-in page? I want to check the spacing.")

	ann.do("paste the mockup", pasteFiles(jsFile("", "image/png", mockupPNG(t, 960, 640))))
	ann.waitFor("the upload", exprDraftStates+` === "done"`)
	ann.say("Here it is — fields are 36 px tall now")
	ann.see("ann", "Here it is — fields are 36 px tall now")
	doc := []byte("%PDF-1.4\n% the sign-in spec\n" + strings.Repeat("% padding to look like a real document\n", 3000) + "%%EOF\n")
	ann.do("drop the spec", dropFiles(jsFile("sign-in-spec-v3.pdf", "application/pdf", doc)))
	ann.waitFor("the spec uploaded", exprDraftStates+` === "done"`)
	ann.say("and the spec, with the error states")
	ann.see("ann", "and the spec, with the error states")
	carol.say("design", "Perfect, thanks!")
	ann.see("carol", "Perfect, thanks!")
	ann.waitFor("the thumbnail loaded", `Array.from(document.querySelectorAll("#message-list .attachment-image img")).every(i => i.complete && i.naturalWidth > 0)`)

	ann.do("slow the uploads down", throttleUploads(srv.URL, 256<<10))
	ann.do("drop a recording", dropFiles(`new File([new Uint8Array(12 << 20)], "walkthrough.webm", { type: "video/webm" })`))
	ann.waitFor("the upload under way", `(() => { const p = document.querySelector("#drafts .draft progress"); return p && p.value > 0.3 })()`)
	ann.do("blur, move the mouse away", chromeEval(`document.activeElement.blur()`), chromedp.MouseClickXY(640, 20))

	png, err := ann.screenshot()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join("..", "..", "docs", "screenshot-files.png")
	if dir := os.Getenv("HUBBUB_SCREENSHOT_DIR"); dir != "" {
		out = filepath.Join(dir, "screenshot-files.png")
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", out, len(png))
	ann.do("cancel the upload", chromedp.Click(chromedp.CSS("#drafts .draft-remove")))
}

// A host app's users share files too: one with a token in the URL fragment (the page sends it
// as Authorization: Bearer and turns it into the files cookie), one with the hubbub_token
// cookie (which goes with every request by itself). Each sees and downloads the other's file.
func TestFilesWithTokens(t *testing.T) {
	b := startBrowser(t)
	srv, mint := startTokenServer(t)
	ann := b.newUser("ann")
	ann.do("open with a token", chromedp.Navigate(srv.URL+"/#tokens&token="+mint("42", "ann")))
	ann.waitFor("a live connection and the attach button", exprLive+` && !document.getElementById("attach").hidden`)
	bob := b.newUser("bob")
	bob.do("open", chromedp.Navigate(srv.URL+"/#tokens"))
	bob.do("set the cookie and reload", chromeEval(`document.cookie = "hubbub_token=`+mint("43", "bob")+`; path=/"`), chromeReload())
	bob.waitFor("a live connection and the attach button", exprLive+` && !document.getElementById("attach").hidden`)

	shot := testPNG(t, 640, 480)
	ann.do("paste a screenshot", pasteFiles(jsFile("", "image/png", shot)))
	ann.waitFor("the upload", exprDraftStates+` === "done"`)
	ann.say("from the app")
	img := `document.querySelector('#message-list .msg[data-from="ann"] .attachment-image img')`
	bob.waitFor("ann's thumbnail loaded", img+` && `+img+`.complete && `+img+`.naturalWidth > 0`)

	notes := []byte("notes from bob\n")
	bob.do("drop notes", dropFiles(jsFile("notes.txt", "text/plain", notes)))
	bob.waitFor("the upload", exprDraftStates+` === "done"`)
	bob.do("send", pressEnter(chromedp.CSS("#composer-input")))
	card := `document.querySelector('#message-list .msg[data-from="bob"] .file-card a.file-name')`
	ann.waitFor("bob's card", card)
	got := fetchInPage(ann, eval[string](ann, card+`.href`))
	if body, _ := base64.StdEncoding.DecodeString(got.Body); got.Status != 200 || !bytes.Equal(body, notes) {
		t.Errorf("ann's download of bob's notes: %d, %q", got.Status, body)
	}
}

// A picture that failed to load while the server was down (its room was opened during a
// restart) loads once the page is connected again: its one retry came during the outage too,
// and the page asked nothing more, so it stayed a broken frame for good.
func TestPictureBrokenDuringARestartLoadsAfter(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{DataPath: filepath.Join(t.TempDir(), "hubbub.db")})
	ann := b.newUser("ann")
	bob := b.newUser("bob")
	ann.open(srv.URL + "/#share")
	bob.open(srv.URL + "/#share")
	bob.room("other") // bob is in share, looking at another room: share's pictures are not loaded
	ann.waitFor("the attach button", `!document.getElementById("attach").hidden`)
	ann.do("paste a picture", pasteFiles(jsFile("", "image/png", testPNG(t, 800, 600))))
	ann.waitFor("the upload to finish", exprDraftStates+` === "done"`)
	ann.say("the picture")
	ann.see("ann", "the picture")
	bob.waitFor("the unread picture", `document.querySelector('#room-list [data-room="share"] .unread').dataset.count === "1"`)

	srv.Stop()
	bob.waitFor("the reconnecting state", exprState+` === "reconnecting"`)
	bob.do("open share", chromedp.Click(chromedp.CSS(`#room-list [data-room="share"] a`)))
	img := `document.querySelector('#message-list .msg[data-from="ann"] .attachment-image img')`
	bob.waitFor("the picture broken", img+` && `+img+`.closest(".attachment-image").classList.contains("broken")`)

	srv = servertest.Start(t, srv.Opts) // same address, same file
	bob.do("click Retry now", chromeEval(`(() => { const b = document.getElementById("reconnect-now"); if (!b.hidden) b.click(); })()`))
	bob.waitFor("a live connection after the restart", exprLive)
	bob.waitFor("the picture loaded", img+`.complete && `+img+`.naturalWidth > 0 && !`+img+`.closest(".attachment-image").classList.contains("broken")`)
}

// On a server that takes no uploads (hubbub serve --upload-max 0) the page knows from the
// welcome's uploads_off, before a file is picked: the attach button is greyed out with a title
// that says why and opens no file picker, and a drop or a pasted screenshot says so in the
// banner instead of uploading. It offered the picker and learnt of the refusal only from the
// upload's 403. A server that takes uploads keeps the button as it was.
func TestUploadsOffDisablesTheAttachButton(t *testing.T) {
	b := startBrowser(t)
	on := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	ann.open(on.URL + "/#general")
	ann.waitFor("the attach button", `!document.getElementById("attach").hidden`)
	if got := eval[string](ann, `(b => [b.getAttribute("aria-disabled"), b.title].join("|"))(document.getElementById("attach"))`); got != "|Attach files (or drop them here, or paste a screenshot)" {
		t.Errorf("ann, on a server that takes uploads: the attach button is %q (aria-disabled|title)", got)
	}

	srv := servertest.Start(t, servertest.Options{Server: server.Config{Files: files.Config{UploadsOff: true}}})
	bob := b.newUser("bob")
	bob.open(srv.URL + "/#general")
	bob.waitFor("the attach button disabled", `document.getElementById("attach").getAttribute("aria-disabled") === "true"`)
	if got := eval[string](bob, `(b => [b.hidden, b.title, getComputedStyle(b).cursor].join("|"))(document.getElementById("attach"))`); got != "false|Uploads are off on this server|not-allowed" {
		t.Errorf("bob: the attach button is %q (hidden|title|cursor)", got)
	}
	// A click opens no picker: the page would have to read input.click(), so count them.
	bob.do("click attach", chromeEval(`document.getElementById("attach-input").addEventListener("click", () => { window.pickerOpened = true })`),
		chromedp.Click(chromedp.CSS("#attach")))
	bob.waitFor("the banner", `document.getElementById("notice-text").textContent === "Uploads are off on this server: files cannot be shared."`)
	if eval[bool](bob, `!!window.pickerOpened`) {
		t.Error("bob: the attach button opened the file picker on a server that takes no uploads")
	}

	bob.do("dismiss the banner", chromeEval(`document.getElementById("notice").hidden = true; document.getElementById("notice-text").textContent = ""`))
	bob.do("drag a file over the room", chromeEval(`(() => {
		const dt = new DataTransfer();
		dt.items.add(new File(["x"], "notes.txt", { type: "text/plain" }));
		document.getElementById("main").dispatchEvent(new DragEvent("dragenter", { dataTransfer: dt, bubbles: true, cancelable: true }));
	})()`))
	if got := eval[string](bob, `document.getElementById("drop-zone-text").textContent`); got != "Uploads are off on this server" {
		t.Errorf("bob: dragging a file over the room says %q", got)
	}
	bob.do("drop it", dropFiles(jsFile("notes.txt", "text/plain", []byte("notes"))))
	bob.waitFor("the banner", `document.getElementById("notice-text").textContent === "Uploads are off on this server: files cannot be shared."`)

	bob.do("dismiss the banner", chromeEval(`document.getElementById("notice").hidden = true; document.getElementById("notice-text").textContent = ""`))
	bob.do("paste a screenshot", pasteFiles(jsFile("", "image/png", testPNG(t, 4, 4))))
	bob.waitFor("the banner", `document.getElementById("notice-text").textContent === "Uploads are off on this server: files cannot be shared."`)
	if n := eval[int](bob, `document.querySelectorAll("#drafts .draft").length`); n != 0 {
		t.Errorf("bob: %d files wait in the composer on a server that takes no uploads", n)
	}
}
