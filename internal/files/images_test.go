package files_test

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"strings"
	"testing"

	_ "golang.org/x/image/webp"

	"hubbub/internal/files"
)

// noSecrets fails if b holds any of the fixtures' metadata.
func noSecrets(t *testing.T, what string, b []byte) {
	t.Helper()
	for _, s := range []string{gpsSecret, xmpSecret, textSecret, comSecret, "iptc-secret", "Exif\x00\x00", "trailing-bytes"} {
		if bytes.Contains(b, []byte(s)) {
			t.Errorf("%s still holds %q", what, s)
		}
	}
}

func stripped(t *testing.T, in []byte, format string) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := files.Strip(&out, bytes.NewReader(in), format); err != nil {
		t.Fatalf("strip %s: %v", format, err)
	}
	return out.Bytes()
}

// TestStripJPEG: the metadata segments go, the JFIF and ICC segments stay, and the image
// decodes to the very same pixels (nothing was re-encoded).
func TestStripJPEG(t *testing.T) {
	in, plain := jpegWithMetadata(t, 200, 150)
	if !bytes.Contains(in, []byte(gpsSecret)) {
		t.Fatal("the fixture has no GPS data")
	}
	out := stripped(t, in, "jpeg")
	noSecrets(t, "the stripped JPEG", out)
	if !bytes.Contains(out, iccProfile) || !bytes.Contains(out, []byte("JFIF\x00")) {
		t.Error("the ICC profile or the JFIF segment was dropped")
	}
	want, err := jpeg.Decode(bytes.NewReader(plain))
	if err != nil {
		t.Fatal(err)
	}
	got, err := jpeg.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("the stripped JPEG does not decode: %v", err)
	}
	if !samePixels(want, got) {
		t.Error("the stripped JPEG's pixels differ from the original's")
	}
}

// TestStripJPEGKinds: progressive (many scans, tables between them), restart markers and
// CMYK (Adobe APP14) JPEGs decode to the same pixels once stripped.
func TestStripJPEGKinds(t *testing.T) {
	for _, name := range []string{"video-001.progressive.jpeg", "video-001.restart2.jpeg", "video-001.cmyk.jpeg"} {
		in, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		want, err := jpeg.Decode(bytes.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		out := stripped(t, in, "jpeg")
		got, err := jpeg.Decode(bytes.NewReader(out))
		if err != nil {
			t.Errorf("%s stripped does not decode: %v", name, err)
			continue
		}
		if !samePixels(want, got) {
			t.Errorf("%s stripped has other pixels", name)
		}
	}
}

// TestStripJFIFThumbnail: a JFIF segment's thumbnail goes, the segment stays.
func TestStripJFIFThumbnail(t *testing.T) {
	_, plain := jpegWithMetadata(t, 40, 30)
	thumb := bytes.Repeat([]byte("thumbpixel-secret"), 3) // 2×... RGB: 51 bytes = 17 pixels
	jfif := append([]byte("JFIF\x00\x01\x02\x00\x00\x01\x00\x01\x11\x01"), thumb...)
	in := append(append(append([]byte{}, plain[:2]...), segment(0xE0, jfif)...), plain[2:]...)
	out := stripped(t, in, "jpeg")
	if bytes.Contains(out, []byte("thumbpixel-secret")) {
		t.Error("the JFIF thumbnail is still there")
	}
	if !bytes.Contains(out, []byte("JFIF\x00\x01\x02\x00\x00\x01\x00\x01\x00\x00")) {
		t.Error("the JFIF segment is gone or was not emptied of its thumbnail")
	}
	if _, err := jpeg.Decode(bytes.NewReader(out)); err != nil {
		t.Errorf("decode: %v", err)
	}
}

func TestStripPNG(t *testing.T) {
	src := picture(120, 80)
	in := pngWithMetadata(t, src)
	out := stripped(t, in, "png")
	noSecrets(t, "the stripped PNG", out)
	for _, c := range []string{"tEXt", "iTXt", "eXIf", "tIME"} {
		if bytes.Contains(out, []byte(c)) {
			t.Errorf("the stripped PNG still has a %s chunk", c)
		}
	}
	got, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("the stripped PNG does not decode: %v", err)
	}
	if !samePixels(src, got) {
		t.Error("the stripped PNG's pixels differ")
	}
}

func TestStripWebP(t *testing.T) {
	in := webpWithMetadata(t)
	plain, _, err := image.Decode(bytes.NewReader(in))
	if err != nil {
		t.Fatalf("the fixture does not decode: %v", err)
	}
	out := stripped(t, in, "webp")
	noSecrets(t, "the stripped WebP", out)
	if bytes.Contains(out, []byte("EXIF")) || bytes.Contains(out, []byte("XMP ")) {
		t.Error("the stripped WebP still has an EXIF or XMP chunk")
	}
	if size := binary.LittleEndian.Uint32(out[4:8]); int(size) != len(out)-8 {
		t.Errorf("RIFF size %d, want %d", size, len(out)-8)
	}
	if flags := out[20]; flags&(0x08|0x04) != 0 {
		t.Errorf("VP8X flags %#x still announce EXIF or XMP", flags)
	}
	got, _, err := image.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("the stripped WebP does not decode: %v", err)
	}
	if !samePixels(plain, got) {
		t.Error("the stripped WebP's pixels differ")
	}
}

// TestStripRefusesDamage: a truncated or foreign stream is an error, never a partial copy
// passed off as the image.
func TestStripRefusesDamage(t *testing.T) {
	j, _ := jpegWithMetadata(t, 50, 50)
	p := pngWithMetadata(t, picture(50, 50))
	w := webpWithMetadata(t)
	var g bytes.Buffer
	gif.Encode(&g, image.NewPaletted(image.Rect(0, 0, 30, 30), color.Palette{color.Black, color.White}), nil)
	for _, c := range []struct {
		format string
		data   []byte
	}{
		{"jpeg", j[:len(j)/2]},
		{"jpeg", []byte("not a jpeg")},
		{"png", p[:len(p)-20]},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00")},
		{"webp", w[:len(w)-100]},
		{"webp", []byte("RIFF\x04\x00\x00\x00WEBX")},
		{"gif", g.Bytes()[:g.Len()-5]},
		{"gif", []byte("GIF89a")},
	} {
		var out bytes.Buffer
		if err := files.Strip(&out, bytes.NewReader(c.data), c.format); err == nil {
			t.Errorf("strip of %d damaged %s bytes succeeded", len(c.data), c.format)
		}
	}
}

func TestCleanName(t *testing.T) {
	long := strings.Repeat("é", 200) + ".jpeg"
	for in, want := range map[string]string{
		"photo.jpg":            "photo.jpg",
		"../../etc/passwd":     "passwd",
		`C:\Users\ann\cat.png`: "cat.png",
		"":                     "file",
		"...":                  "file",
		".bashrc":              "bashrc",
		"  spaced  .txt ":      "spaced  .txt",
		"a\x00b\nc.txt":        "abc.txt",
		"evil\u202egnp.exe":    "evilgnp.exe",
		"bad\xffutf8.txt":      "bad\uFFFDutf8.txt",
		"thumb":                "thumb_",
		"dir/":                 "file",
		"名前.txt":               "名前.txt",
	} {
		if got := files.CleanName(in); got != want {
			t.Errorf("CleanName(%q) = %q, want %q", in, got, want)
		}
	}
	got := files.CleanName(long)
	if len(got) > 255 || !strings.HasSuffix(got, ".jpeg") || !strings.HasPrefix(got, "éé") || !utf8Valid(got) {
		t.Errorf("CleanName of a long name = %q (%d bytes)", got, len(got))
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "") == s }

// TestStripGIF: comments and application extensions (XMP) go; the animation's loop and every
// frame stay.
func TestStripGIF(t *testing.T) {
	pal := color.Palette{color.Black, color.White, color.RGBA{200, 0, 0, 255}}
	anim := &gif.GIF{LoopCount: 0}
	for i := range 3 {
		f := image.NewPaletted(image.Rect(0, 0, 20, 10), pal)
		f.SetColorIndex(i, i, 2)
		anim.Image, anim.Delay = append(anim.Image, f), append(anim.Delay, 10)
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, anim); err != nil {
		t.Fatal(err)
	}
	plain := buf.Bytes()
	if !bytes.Contains(plain, []byte("NETSCAPE2.0")) {
		t.Fatal("the fixture has no loop extension")
	}
	sub := func(data string) []byte { return append([]byte{byte(len(data))}, data...) }
	var meta []byte
	meta = append(meta, 0x21, 0xFE)
	meta = append(append(meta, sub(comSecret)...), 0)
	meta = append(meta, 0x21, 0xFF)
	meta = append(append(append(meta, sub("XMP DataXMP")...), sub("<x:xmpmeta>"+xmpSecret+"</x:xmpmeta>")...), 0)
	in := append(append(append([]byte{}, plain[:len(plain)-1]...), meta...), 0x3B)
	in = append(in, "trailing-bytes"...)
	out := stripped(t, in, "gif")
	noSecrets(t, "the stripped GIF", out)
	if !bytes.Contains(out, []byte("NETSCAPE2.0")) {
		t.Error("the loop extension was dropped")
	}
	want, err := gif.DecodeAll(bytes.NewReader(plain))
	if err != nil {
		t.Fatal(err)
	}
	got, err := gif.DecodeAll(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("the stripped GIF does not decode: %v", err)
	}
	if len(got.Image) != len(want.Image) || got.LoopCount != want.LoopCount {
		t.Fatalf("%d frames, loop %d; want %d, %d", len(got.Image), got.LoopCount, len(want.Image), want.LoopCount)
	}
	for i := range want.Image {
		if !samePixels(want.Image[i], got.Image[i]) {
			t.Errorf("frame %d differs", i)
		}
	}
	if !bytes.Equal(out, plain) {
		t.Errorf("the stripped GIF (%d bytes) is not the GIF without its metadata (%d)", len(out), len(plain))
	}
}
