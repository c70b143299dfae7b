package files_test

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"testing"
)

// Secrets the fixtures hide in their metadata; no stored or served byte may contain them.
const (
	gpsSecret  = "GPS-48.8584N-2.2945E"
	xmpSecret  = "xmp-author-secret"
	textSecret = "png-text-secret"
	comSecret  = "jpeg-comment-secret"
)

// picture is a w×h opaque image with a gradient, so that scaling and coding have work to do.
func picture(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x + y) % 256), 255})
		}
	}
	return img
}

// segment is a JPEG marker segment with its length.
func segment(marker byte, data []byte) []byte {
	b := []byte{0xFF, marker, 0, 0}
	binary.BigEndian.PutUint16(b[2:], uint16(len(data)+2))
	return append(b, data...)
}

// exifGPS is an APP1 Exif payload: a little-endian TIFF whose IFD0 points (GPSInfo) to a GPS
// IFD holding the latitude reference and, as an ASCII tag, gpsSecret.
func exifGPS() []byte {
	le := binary.LittleEndian
	t := []byte("II*\x00")
	t = le.AppendUint32(t, 8) // IFD0 at 8
	entry := func(t []byte, tag, typ uint16, count uint32, value []byte) []byte {
		t = le.AppendUint16(t, tag)
		t = le.AppendUint16(t, typ)
		t = le.AppendUint32(t, count)
		return append(t, value...)
	}
	t = le.AppendUint16(t, 1)
	t = entry(t, 0x8825, 4, 1, le.AppendUint32(nil, 26)) // the GPS IFD at 8+2+12+4
	t = le.AppendUint32(t, 0)
	t = le.AppendUint16(t, 2)
	t = entry(t, 0x0001, 2, 2, []byte("N\x00\x00\x00"))
	t = entry(t, 0x001B, 2, uint32(len(gpsSecret)+1), le.AppendUint32(nil, 56)) // after 26+2+24+4
	t = le.AppendUint32(t, 0)
	t = append(t, gpsSecret+"\x00"...)
	return append([]byte("Exif\x00\x00"), t...)
}

// iccProfile is an APP2 ICC payload (a stand-in profile: decoders skip APP2).
var iccProfile = []byte("ICC_PROFILE\x00\x01\x01keep-this-colour-profile")

// jpegWithMetadata is a w×h JPEG carrying EXIF with GPS, XMP, an IPTC APP13, a comment, a
// JFIF APP0 and an ICC profile; it returns the plain JPEG too.
func jpegWithMetadata(t testing.TB, w, h int) (withMeta, plain []byte) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, picture(w, h), &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	plain = buf.Bytes()
	var out bytes.Buffer
	out.Write(plain[:2]) // SOI
	out.Write(segment(0xE0, []byte("JFIF\x00\x01\x02\x00\x00\x01\x00\x01\x00\x00")))
	out.Write(segment(0xE1, exifGPS()))
	out.Write(segment(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>"+xmpSecret+"</x:xmpmeta>")))
	out.Write(segment(0xE2, iccProfile))
	out.Write(segment(0xED, []byte("Photoshop 3.0\x00iptc-secret")))
	out.Write(segment(0xFE, []byte(comSecret)))
	out.Write(plain[2:])
	out.WriteString("trailing-bytes-after-EOI")
	return out.Bytes(), plain
}

// chunk is a PNG chunk with its CRC.
func chunk(typ string, data []byte) []byte {
	b := make([]byte, 8, 12+len(data))
	binary.BigEndian.PutUint32(b, uint32(len(data)))
	copy(b[4:], typ)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

// pngWithMetadata is a w×h PNG carrying tEXt, iTXt, zTXt, eXIf and tIME chunks.
func pngWithMetadata(t testing.TB, img image.Image) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	plain := buf.Bytes()
	const ihdrEnd = 8 + 25
	var out bytes.Buffer
	out.Write(plain[:ihdrEnd])
	out.Write(chunk("tEXt", []byte("Comment\x00"+textSecret)))
	out.Write(chunk("iTXt", []byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00"+xmpSecret)))
	out.Write(chunk("eXIf", exifGPS()[6:]))
	out.Write(chunk("tIME", []byte{0x07, 0xE9, 12, 3, 9, 0, 0}))
	out.Write(plain[ihdrEnd:])
	return out.Bytes()
}

// webpWithMetadata is testdata's 150×100 lossy WebP rewrapped as an extended file (VP8X)
// with EXIF and XMP chunks, the VP8X flags announcing them.
func webpWithMetadata(t testing.TB) []byte {
	simple, err := os.ReadFile("testdata/blue-purple-pink.lossy.webp")
	if err != nil {
		t.Fatal(err)
	}
	vp8 := simple[12:] // the VP8 chunk
	riffChunk := func(fourCC string, data []byte) []byte {
		b := []byte(fourCC)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
		b = append(b, data...)
		if len(data)%2 == 1 {
			b = append(b, 0)
		}
		return b
	}
	vp8x := []byte{0x08 | 0x04, 0, 0, 0, 149, 0, 0, 99, 0, 0} // EXIF and XMP flags; 150×100
	var body bytes.Buffer
	body.WriteString("WEBP")
	body.Write(riffChunk("VP8X", vp8x))
	body.Write(vp8)
	body.Write(riffChunk("EXIF", exifGPS()[6:]))
	body.Write(riffChunk("XMP ", []byte("<x:xmpmeta>"+xmpSecret+"</x:xmpmeta>")))
	out := []byte("RIFF")
	out = binary.LittleEndian.AppendUint32(out, uint32(body.Len()))
	return append(out, body.Bytes()...)
}

// pngBomb is a PNG of side×side one-bit grey pixels, all zero: a few kilobytes that decode
// to side² bytes (400 MB for 20000). side must be a multiple of 400. Its zlib stream is one
// compressed block of 400 zero rows repeated (each block stands alone: a fresh compressor
// refers to nothing before it), so making it costs one small compression, not 50 MB of them.
func pngBomb(t testing.TB, side int) []byte {
	var out bytes.Buffer
	out.Write([]byte("\x89PNG\r\n\x1a\n"))
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(side))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(side))
	ihdr = append(ihdr, 1, 0, 0, 0, 0) // bit depth 1, greyscale
	out.Write(chunk("IHDR", ihdr))
	rowLen := 1 + (side+7)/8 // the filter byte and the row, all zero
	var block bytes.Buffer
	fw, _ := flate.NewWriter(&block, flate.BestCompression)
	fw.Write(make([]byte, rowLen*400))
	fw.Flush() // ends the block on a byte boundary, not final
	z := []byte{0x78, 0xDA}
	for range side / 400 {
		z = append(z, block.Bytes()...)
	}
	z = append(z, 0x03, 0x00) // a final, empty block (fixed Huffman: end of block)
	n := uint32(rowLen * side)
	z = binary.BigEndian.AppendUint32(z, n%65521<<16|1) // Adler-32 of n zero bytes
	out.Write(chunk("IDAT", z))
	out.Write(chunk("IEND", nil))
	return out.Bytes()
}

// samePixels reports whether two images have the same pixels.
func samePixels(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			r1, g1, b1, a1 := a.At(x, y).RGBA()
			r2, g2, b2, a2 := b.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				return false
			}
		}
	}
	return true
}
