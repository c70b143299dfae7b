package files

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/draw"
	_ "image/gif" // registers GIF with image.Decode and image.DecodeConfig
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"os"

	xdraw "golang.org/x/image/draw"
	_ "golang.org/x/image/webp" // registers WebP with image.Decode and image.DecodeConfig
)

// The type of an upload comes from its content only: http.DetectContentType's sniffing of the
// first 512 bytes, then, for the image types, image.DecodeConfig, which reads the header and
// nothing more. The client's Content-Type and the name's extension are never asked, so an
// HTML page named x.png is text/html (and served as an attachment, download.go).

// ThumbSize is the longest side of a thumbnail, in pixels; an image no larger on both sides
// gets none (its own bytes are its preview).
const ThumbSize = 320

// thumbJPEGQuality is the quality of an opaque image's thumbnail.
const thumbJPEGQuality = 82

// imageTypes are the media types served inline, by the format name image.DecodeConfig gives.
var imageTypes = map[string]string{"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}

// InlineType reports whether a file of media type typ is served inline (shown by the browser);
// every other type is served as an attachment (downloaded).
func InlineType(typ string) bool {
	switch typ {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}

// sniffed is what the content of an upload says it is.
type sniffed struct {
	// typ is the media type served.
	typ string
	// format is the image format ("png", "jpeg", "gif", "webp"), "" for any other file.
	format        string
	width, height int
	// orientation is a JPEG's EXIF orientation (1 to 8; 0 or 1: as stored), which its
	// thumbnail is turned by, as browsers turn the image.
	orientation int
}

// errTooManyPixels is wrapped by sniff's refusal of an image larger than the pixel limit.
var errTooManyPixels = errors.New("too many pixels")

// sniff finds the type of the file f holds, and an image's size, refusing (with an error
// wrapping errTooManyPixels) an image of more than maxPixels before anything decodes its
// pixels: a few kilobytes of compressed zeros can declare a picture that needs gigabytes.
func sniff(f io.ReadSeeker, maxPixels int64) (sniffed, error) {
	head := make([]byte, 512)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return sniffed{}, err
	}
	s := sniffed{typ: http.DetectContentType(head[:n])}
	switch s.typ {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
	default:
		return s, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return sniffed{}, err
	}
	cfg, format, err := image.DecodeConfig(bufio.NewReader(f))
	if err != nil || imageTypes[format] == "" || cfg.Width <= 0 || cfg.Height <= 0 {
		// It starts like an image but is not one that can be shown: a download.
		return sniffed{typ: "application/octet-stream"}, nil
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > maxPixels {
		return sniffed{}, fmt.Errorf("%w: the image is %d×%d pixels (%d), more than the limit of %d",
			errTooManyPixels, cfg.Width, cfg.Height, px, maxPixels)
	}
	return sniffed{typ: imageTypes[format], format: format, width: cfg.Width, height: cfg.Height}, nil
}

// decoders bounds how many images are decoded at once: a decode may hold
// 4 bytes × --image-max-pixels (160 MB at the default), so they wait for one another rather
// than all allocating together.
type decoders chan struct{}

// acquire waits for a decoder slot, or for ctx.
func (d decoders) acquire(ctx context.Context) error {
	select {
	case d <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (d decoders) release() { <-d }

// thumbnail decodes the image in path (whose size sniff checked) and returns its thumbnail,
// JPEG for an opaque image and PNG for one with transparency, or nil when the image is no
// larger than ThumbSize on both sides. A decode error means the bytes are not the image their
// header says.
func thumbnail(path string, s sniffed) ([]byte, error) {
	if s.width <= ThumbSize && s.height <= ThumbSize {
		// Still decoded, so that what is served as an image is one.
		return nil, decodeCheck(path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	src, _, err := image.Decode(bufio.NewReaderSize(f, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	return encodeThumb(orient(scaleDown(src), s.orientation))
}

// orient turns img as EXIF orientation o says a viewer shows it (o 2 to 8; others: as it is),
// so that a thumbnail, which carries no EXIF, is upright as its photo is.
func orient(img *image.RGBA, o int) *image.RGBA {
	if o < 2 || o > 8 {
		return img
	}
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := range h {
		for x := range w {
			var dx, dy int
			switch o {
			case 2:
				dx, dy = w-1-x, y
			case 3:
				dx, dy = w-1-x, h-1-y
			case 4:
				dx, dy = x, h-1-y
			case 5:
				dx, dy = y, x
			case 6:
				dx, dy = h-1-y, x
			case 7:
				dx, dy = h-1-y, w-1-x
			case 8:
				dx, dy = y, w-1-x
			}
			si, di := img.PixOffset(x, y), dst.PixOffset(dx, dy)
			copy(dst.Pix[di:di+4], img.Pix[si:si+4])
		}
	}
	return dst
}

// decodeCheck decodes the image in path and throws it away.
func decodeCheck(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, _, err := image.Decode(bufio.NewReaderSize(f, 64<<10)); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	return nil
}

// scaleDown returns src scaled so that its longest side is ThumbSize. A large reduction goes
// in two steps: ApproxBiLinear (fast, reading a few source pixels for each one it writes) to
// four times the size, then CatmullRom (which reads every pixel under its kernel, so it
// averages rather than skips) to the size.
func scaleDown(src image.Image) *image.RGBA {
	b := src.Bounds()
	w, h := fit(b.Dx(), b.Dy(), ThumbSize)
	if b.Dx() > 4*w && b.Dy() > 4*h {
		mw, mh := fit(b.Dx(), b.Dy(), 4*ThumbSize)
		mid := image.NewRGBA(image.Rect(0, 0, mw, mh))
		xdraw.ApproxBiLinear.Scale(mid, mid.Bounds(), src, b, draw.Src, nil)
		src, b = mid, mid.Bounds()
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	xdraw.CatmullRom.Scale(dst, dst.Bounds(), src, b, draw.Src, nil)
	return dst
}

// fit returns w×h scaled so that its longest side is side, at least one pixel each.
func fit(w, h, side int) (int, int) {
	if w >= h {
		return side, max(1, int(int64(h)*int64(side)/int64(w)))
	}
	return max(1, int(int64(w)*int64(side)/int64(h))), side
}

// encodeThumb encodes a thumbnail: JPEG when it is opaque, else PNG (which keeps the alpha).
func encodeThumb(img *image.RGBA) ([]byte, error) {
	var buf bytes.Buffer
	var err error
	if img.Opaque() {
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: thumbJPEGQuality})
	} else {
		err = (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img)
	}
	if err != nil {
		return nil, fmt.Errorf("encode the thumbnail: %w", err)
	}
	return buf.Bytes(), nil
}
